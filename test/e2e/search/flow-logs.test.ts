/**
 * Flow logs end to end on loopback: gzip CloudWatch Logs subscription events
 * (the shape the flow-log group's subscription filter invokes the Lambda
 * with) → the log indexer's flow-logs handler → `_bulk` of a fake OpenSearch
 * behind a real HTTP server on 127.0.0.1 (SigV4-signed). The first delivery
 * fails (the domain answers 503 past the retry budget), so the handler
 * throws and Lambda's asynchronous retry delivers the event again; a later
 * duplicate delivery changes nothing. Every flow record ends in its
 * `vpcflow-*` index exactly once, by log event id, with typed fields.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";

import type { CloudWatchLogsEvent } from "aws-lambda";

import { FakeOpenSearch, startFakeServer } from "../../../apps/cloudtrail-indexer/test/fake-opensearch";
import type { FakeServer } from "../../../apps/cloudtrail-indexer/test/fake-opensearch";
import { ensureIndexFamily, once } from "../../../apps/lib/opensearch/index-family";
import { openSearchBulkSink } from "../../../apps/lib/opensearch/sink";
import type { ClosableTransport } from "../../../apps/lib/signed-http";
import { createOpenSearchTransport } from "../../../apps/lib/signed-http";
import { vpcflowFamily } from "../../../apps/log-indexer/src/flow-logs/family";
import { DEFAULT_FLOW_LOG_FORMAT, parseLogFormat } from "../../../apps/log-indexer/src/flow-logs/format";
import { createFlowLogHandler } from "../../../apps/log-indexer/src/flow-logs/handler";
import { FakeWriter } from "../../../apps/log-indexer/test/common/fake-writer";

const START = 1_733_270_400; // 2024-12-04T00:00:00Z, epoch seconds

/** Flow record `n` (v2 default format): alternating accepted HTTPS and rejected SSH probes. */
function flowLine(n: number): string {
  const start = START + n;
  const [port, action] = n % 2 === 0 ? [443, "ACCEPT"] : [22, "REJECT"];
  return `2 123456789010 eni-0a1b2c3d4e5f60718 198.51.100.${n % 250} 10.0.1.${(n % 200) + 10} ${40000 + n} ${port} 6 ${1 + (n % 9)} ${100 * (1 + (n % 50))} ${start} ${start + 60} ${action} OK`;
}

/** A subscription event as CloudWatch Logs invokes the function: base64 of gzip of the DATA_MESSAGE JSON. */
function subscriptionEvent(first: number, count: number): CloudWatchLogsEvent {
  const message = {
    messageType: "DATA_MESSAGE",
    owner: "123456789010",
    logGroup: "/log-platform/dev/vpc-flow-logs",
    logStream: "eni-0a1b2c3d4e5f60718-all",
    subscriptionFilters: ["log-platform-dev-flow-logs-search"],
    logEvents: Array.from({ length: count }, (_, i) => ({
      id: `38123456789012345678901234567890123456789012345678${String(first + i).padStart(6, "0")}`,
      timestamp: (START + first + i + 60) * 1000,
      message: flowLine(first + i),
    })),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(message)).toString("base64") } };
}

describe("flow logs end to end: subscription event → flow-logs handler → _bulk", function () {
  this.timeout(60_000);

  let server: FakeServer | undefined;
  let transport: ClosableTransport | undefined;

  after(async () => {
    transport?.close();
    await server?.close();
  });

  it("indexes every flow record once by event id, across a failed delivery and a duplicate", async () => {
    const fake = new FakeOpenSearch();
    server = await startFakeServer(fake);
    transport = createOpenSearchTransport({
      endpoint: server.url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const failed = new FakeWriter();
    const handler = createFlowLogHandler({
      writer: failed,
      sink: openSearchBulkSink(transport),
      bootstrap: once(() => ensureIndexFamily(transport!, vpcflowFamily(14), 0)),
      archiveBucket: "archive",
      failedPrefix: "vpcflow-failed/",
      format: parseLogFormat(DEFAULT_FLOW_LOG_FORMAT),
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {}, random: () => 0 },
      bulkMaxBytes: 64 * 1024,
    });
    const events = [subscriptionEvent(0, 400), subscriptionEvent(400, 200)];

    // The domain is unavailable for longer than the retry budget: the invocation fails, Lambda retries it.
    fake.faults = { unavailable: 2 };
    await assert.rejects(handler(events[0]!), /RetriesExhausted|not indexed/);
    fake.faults = {};
    for (const event of events) await handler(event);
    // A duplicate delivery (asynchronous invocation is at least once).
    await handler(events[1]!);

    const writes = [...fake.writes];
    assert.equal(writes.length, 600, "one document per flow record");
    assert.ok(
      writes.every(([, count]) => count === 1),
      "no document written twice",
    );
    assert.equal(fake.itemStatuses.get(409), 200, "the duplicate delivery met 409 for each of its records");
    const docs = [...fake.documents.values()];
    assert.ok(docs.every((doc) => doc.index === "vpcflow-2024.12.04"));
    const reject = docs.find((doc) => doc.source.srcport === 40001)?.source;
    assert.deepEqual(
      [reject?.dstport, reject?.protocol, reject?.protocol_name, reject?.action, reject?.srcaddr],
      [22, 6, "TCP", "REJECT", "198.51.100.1"],
    );
    assert.equal(reject?.start, new Date((START + 1) * 1000).toISOString());
    assert.equal(reject?.["@timestamp"], reject?.start);
    assert.equal(docs.filter((doc) => doc.source.action === "REJECT").length, 300);
    assert.equal(failed.objects.size, 0, "no record filed as failed");
    assert.ok(fake.templates.has("vpcflow"), "the vpcflow family was bootstrapped");
  });
});
