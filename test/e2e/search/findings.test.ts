/**
 * Findings end to end on loopback: EventBridge events of GuardDuty and
 * Security Hub findings as the rules deliver them to the findings queue
 * (message body = the event JSON) in fauxqs (local SQS, with a DLQ) → the
 * local stand-in for Lambda's SQS event source mapping → the log indexer's
 * findings handler → `_bulk` of a fake OpenSearch behind a real HTTP server
 * on 127.0.0.1 (SigV4-signed). The first `_bulk` request is refused (403),
 * so its message fails and is redelivered after the visibility timeout. An
 * update of a finding overwrites its document (same id, `index`), and an
 * older report arriving late does not overwrite the newer one.
 */
import assert from "node:assert/strict";

import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";

import {
  docKey,
  FakeOpenSearch,
  startFakeServer,
} from "../../../apps/cloudtrail-indexer/test/fake-opensearch";
import type { FakeServer } from "../../../apps/cloudtrail-indexer/test/fake-opensearch";
import { ensureIndexFamily, once } from "../../../apps/lib/opensearch/index-family";
import { openSearchBulkSink } from "../../../apps/lib/opensearch/sink";
import type { ClosableTransport } from "../../../apps/lib/signed-http";
import { createOpenSearchTransport } from "../../../apps/lib/signed-http";
import { findingsFamily } from "../../../apps/log-indexer/src/findings/family";
import { createFindingsHandler } from "../../../apps/log-indexer/src/findings/handler";
import { FakeWriter } from "../../../apps/log-indexer/test/common/fake-writer";
import {
  GUARDDUTY_FINDING,
  guardDutyEvent,
  SECURITYHUB_CONTROL_FINDING,
  SECURITYHUB_GUARDDUTY_FINDING,
  securityHubEvent,
} from "../../../apps/log-indexer/test/findings/fixtures";
import type { Fauxqs } from "../../../scripts/local/fauxqs";
import { startFauxqs } from "../../../scripts/local/fauxqs";
import type { SqsEventSource } from "../../../scripts/local/sqs-event-source";
import {
  createQueueWithDeadLetters,
  queueDepth,
  startSqsEventSource,
} from "../../../scripts/local/sqs-event-source";

const REGION = "us-east-1";

describe("findings end to end: EventBridge events → SQS (fauxqs) → findings handler → _bulk", function () {
  this.timeout(60_000);

  let fauxqs: Fauxqs | undefined;
  let sqs: SQSClient | undefined;
  let source: SqsEventSource | undefined;
  let server: FakeServer | undefined;
  let transport: ClosableTransport | undefined;

  after(async () => {
    await source?.stop();
    sqs?.destroy();
    await fauxqs?.stop();
    transport?.close();
    await server?.close();
  });

  it("indexes each finding under its id, updates overwrite, a refused delivery is retried", async () => {
    fauxqs = await startFauxqs();
    sqs = new SQSClient({
      endpoint: fauxqs.endpoint,
      region: REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      requestHandler: new NodeHttpHandler(),
    });
    const queue = await createQueueWithDeadLetters(sqs, "findings", {
      visibilityTimeoutSeconds: 1,
      maxReceiveCount: 5,
    });

    // The first `_bulk` request is refused: its message fails and comes back after the visibility timeout.
    const fake = new FakeOpenSearch({ requests: [403] });
    server = await startFakeServer(fake);
    transport = createOpenSearchTransport({
      endpoint: server.url,
      region: REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const failed = new FakeWriter();
    const handler = createFindingsHandler({
      writer: failed,
      sink: openSearchBulkSink(transport),
      bootstrap: once(() => ensureIndexFamily(transport!, findingsFamily(30), 0)),
      archiveBucket: "archive",
      failedPrefix: "findings-failed/",
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {}, random: () => 0 },
      bulkMaxBytes: 64 * 1024,
    });

    const send = async (bodies: readonly object[]) => {
      const result = await sqs!.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: JSON.stringify(body) })),
        }),
      );
      assert.equal(result.Failed?.length ?? 0, 0);
    };
    const later = "2018-05-12T09:00:00.000Z";
    const updated = {
      ...GUARDDUTY_FINDING,
      updatedAt: later,
      severity: 8,
      service: { ...GUARDDUTY_FINDING.service, count: 7 },
    };
    // The first report, and Security Hub's event with two findings.
    await send([
      guardDutyEvent(),
      securityHubEvent([SECURITYHUB_GUARDDUTY_FINDING, SECURITYHUB_CONTROL_FINDING]),
    ]);
    source = await startSqsEventSource({ sqs, queueUrl: queue.url, handler, region: REGION, batchSize: 10 });
    await source.idle();
    // The update, then the first report again (arriving late).
    await send([guardDutyEvent(updated)]);
    await source.idle();
    await send([guardDutyEvent()]);
    await source.idle();

    assert.ok(source.stats.failed >= 1, "the refused delivery failed its message");
    assert.equal(await queueDepth(sqs, queue.dlq.url), 0, "nothing dead-lettered");
    assert.equal(failed.objects.size, 0, "no finding filed as failed");

    const docs = [...fake.documents.entries()];
    assert.equal(docs.length, 3, docs.map(([key]) => key).join(", "));
    for (const [, d] of docs) assert.match(d.index, /^findings-\d{4}\.\d{2}\.\d{2}$/);
    const guardDuty = docs.find(([, doc]) => doc.source.finding_id === GUARDDUTY_FINDING.id);
    assert.ok(guardDuty !== undefined, "the GuardDuty finding is indexed under its id");
    const [key, doc] = guardDuty;
    assert.equal(doc.index, "findings-2018.05.11", "the day of the finding's creation");
    assert.equal(key, docKey("findings-2018.05.11", GUARDDUTY_FINDING.id));
    assert.equal(doc.source.updated_at, later, "the update overwrote the first report; the late one did not");
    assert.equal(doc.source.severity_label, "HIGH");
    assert.equal(fake.writes.get(key), 2, "written by the first report and the update");
    assert.deepEqual(docs.map(([, d]) => d.source.product).sort(), [
      "guardduty",
      "securityhub",
      "securityhub",
    ]);
    assert.ok((fake.actions.get("index") ?? 0) >= 4);
    assert.equal(fake.actions.get("create"), undefined, "findings are written with index, never create");
  });
});
