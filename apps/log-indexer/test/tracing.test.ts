import assert from "node:assert/strict";
import type { KinesisStreamEvent } from "aws-lambda";
import type { OtlpStandIn, RecordedSpan } from "../../../scripts/local/otlp-stand-in";
import { startOtlpStandIn } from "../../../scripts/local/otlp-stand-in";
import { FakeOpenSearch } from "../../cloudtrail-indexer/test/fake-opensearch";
import { testTracing } from "../../lib/tracing/test/support";
import type { Tracing } from "../../lib/tracing/tracing";
import { retryPolicy } from "../src/common";
import { createFindingsHandler } from "../src/findings/handler";
import { DEFAULT_FLOW_LOG_FORMAT, parseLogFormat } from "../src/flow-logs/format";
import { createFlowLogHandler } from "../src/flow-logs/handler";
import { createHandler } from "../src/handler";
import { FakeWriter } from "./common/fake-writer";
import { guardDutyEvent } from "./findings/fixtures";
import { ACCEPT_LINE, REJECT_LINE, dataMessage, subscriptionEvent } from "./flow-logs/fixtures";

const NO_SLEEP = { sleep: () => Promise.resolve(), random: () => 0, maxAttempts: 3 };

function event(): KinesisStreamEvent {
  const line = JSON.stringify({
    id: "line-1",
    receivedAt: "2024-03-10T06:00:00.000Z",
    receiver: "receiver-1",
    client: "192.0.2.7",
    source: "office-pcs",
    message: "<13>Mar 10 06:00:00 pc-1 app: hello",
  });
  return {
    Records: [
      {
        kinesis: {
          kinesisSchemaVersion: "1.0",
          partitionKey: "p",
          sequenceNumber: "1000",
          data: Buffer.from(line).toString("base64"),
          approximateArrivalTimestamp: 1_710_050_400.5,
        },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: "shardId-000000000000:1000",
        eventName: "aws:kinesis:record",
        invokeIdentityArn: "arn:aws:iam::123456789012:role/log-indexer",
        awsRegion: "eu-west-1",
        eventSourceARN: "arn:aws:kinesis:eu-west-1:123456789012:stream/ingest",
      },
    ],
  };
}

describe("apps/log-indexer tracing (spans through the local OTLP stand-in)", () => {
  let standIn: OtlpStandIn;
  let tracing: Tracing;
  before(async () => (standIn = await startOtlpStandIn()));
  after(() => standIn.close());
  beforeEach(() => {
    standIn.clear();
    tracing = testTracing(standIn, "log-indexer");
  });
  afterEach(() => tracing.shutdown());

  it("index batch → bulk, flushed before the handler returns", async () => {
    const fake = new FakeOpenSearch();
    const handler = createHandler({
      sink: fake.sink(),
      s3: new FakeWriter(),
      archiveBucket: "archive",
      retry: NO_SLEEP,
      tracing,
    });
    assert.deepEqual(await handler(event()), { batchItemFailures: [] });
    const batch = standIn.spans.find((s) => s.name === "index batch") as RecordedSpan;
    const bulk = standIn.spans.find((s) => s.name === "bulk") as RecordedSpan;
    assert.ok(batch && bulk, standIn.tree());
    assert.equal(batch.service, "log-indexer");
    assert.equal(bulk.parentSpanId, batch.spanId);
    assert.equal(bulk.attributes["opensearch.items_indexed"], bulk.attributes["opensearch.items"]);
    assert.equal(batch.attributes["log_indexer.indexed"], bulk.attributes["opensearch.items"]);
    assert.equal(batch.status.code, "UNSET");
  });

  it("an outage past the retry budget: every request counted as 5xx, bulk and batch ERROR", async () => {
    const fake = new FakeOpenSearch({ outage: 503 });
    const handler = createHandler({
      sink: fake.sink(),
      s3: new FakeWriter(),
      archiveBucket: "archive",
      retry: NO_SLEEP,
      tracing,
    });
    assert.deepEqual(await handler(event()), { batchItemFailures: [{ itemIdentifier: "1000" }] });
    const bulk = standIn.spans.find((s) => s.name === "bulk");
    assert.equal(bulk?.attributes["opensearch.requests"], 3);
    assert.equal(bulk?.attributes["opensearch.requests_5xx"], 3);
    assert.equal(bulk?.status.code, "ERROR");
    const batch = standIn.spans.find((s) => s.name === "index batch");
    assert.equal(batch?.status.code, "ERROR");
    assert.equal(batch?.attributes["kinesis.failed_shards"], 1);
  });

  it("flow logs: flow log batch → bulk; an outage makes both ERROR and the handler throw", async () => {
    const options = {
      writer: new FakeWriter(),
      archiveBucket: "archive",
      failedPrefix: "vpcflow-failed/",
      format: parseLogFormat(DEFAULT_FLOW_LOG_FORMAT),
      retry: retryPolicy(NO_SLEEP),
      bulkMaxBytes: 64 * 1024,
      tracing,
    };
    const event = subscriptionEvent(dataMessage([ACCEPT_LINE, REJECT_LINE]));
    await createFlowLogHandler({ ...options, sink: new FakeOpenSearch().sink() })(event);
    const ok = standIn.spans.find((s) => s.name === "flow log batch");
    assert.equal(ok?.attributes["cloudwatch.log_events"], 2);
    assert.equal(standIn.spans.find((s) => s.name === "bulk")?.parentSpanId, ok?.spanId);
    standIn.clear();
    await assert.rejects(
      createFlowLogHandler({ ...options, sink: new FakeOpenSearch({ outage: 503 }).sink() })(event),
    );
    assert.deepEqual(standIn.spans.map((s) => [s.name, s.status.code]).sort(), [
      ["bulk", "ERROR"],
      ["flow log batch", "ERROR"],
    ]);
  });

  it("findings: findings batch → bulk, with the indexed count", async () => {
    const handler = createFindingsHandler({
      writer: new FakeWriter(),
      sink: new FakeOpenSearch().sink(),
      archiveBucket: "archive",
      failedPrefix: "findings-failed/",
      retry: retryPolicy(NO_SLEEP),
      bulkMaxBytes: 1024 * 1024,
      tracing,
    });
    const record = {
      messageId: "m1",
      receiptHandle: "h",
      body: JSON.stringify(guardDutyEvent()),
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: "1764842400000",
        SenderId: "s",
        ApproximateFirstReceiveTimestamp: "1764842400000",
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:111122223333:findings",
      awsRegion: "us-east-1",
    };
    assert.deepEqual(await handler({ Records: [record] }), { batchItemFailures: [] });
    const batch = standIn.spans.find((s) => s.name === "findings batch");
    assert.equal(batch?.attributes["findings.indexed"], 1);
    assert.equal(batch?.status.code, "UNSET");
    assert.equal(standIn.spans.find((s) => s.name === "bulk")?.parentSpanId, batch?.spanId);
  });
});
