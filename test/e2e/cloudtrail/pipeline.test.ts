/**
 * CloudTrail pipeline end to end on loopback: log files in S3 (s3rver) →
 * S3 notifications published to SNS → SQS with a DLQ (fauxqs) → poller →
 * the indexer handler → OpenSearch `_bulk` over signed HTTP (a local fake with
 * injected 429s, a lost acknowledgement, a 503, a 413 and a 400).
 */
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { S3Event } from "aws-lambda";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { eventsKey, failedKey } from "../../../apps/cloudtrail-indexer/src/archive";
import { ensureBootstrap, indexTemplate, once } from "../../../apps/cloudtrail-indexer/src/bootstrap";
import { createHandler } from "../../../apps/cloudtrail-indexer/src/handler";
import type { ClosableTransport } from "../../../apps/cloudtrail-indexer/src/opensearch";
import {
  createOpenSearchTransport,
  openSearchBulkSink,
} from "../../../apps/cloudtrail-indexer/src/opensearch";
import type { CloudTrailEvent } from "../../../apps/cloudtrail-indexer/src/split";
import type { FakeServer } from "../../../apps/cloudtrail-indexer/test/fake-opensearch";
import { FakeOpenSearch, startFakeServer } from "../../../apps/cloudtrail-indexer/test/fake-opensearch";
import {
  ACCESS_DENIED,
  ASSUME_ROLE_BY_SERVICE,
  CONSOLE_LOGIN,
  digestKey,
  LARGE_REQUEST_PARAMETERS,
  logFile,
  trailKey,
  variant,
} from "../../../apps/cloudtrail-indexer/test/fixtures";
import type { LocalS3 } from "../../../apps/cloudtrail-indexer/test/local-s3";
import { startLocalS3 } from "../../../apps/cloudtrail-indexer/test/local-s3";
import type { Fauxqs } from "../../../scripts/local/fauxqs";
import { startFauxqs } from "../../../scripts/local/fauxqs";
import { forwardS3Notifications, s3EncodeKey } from "../../../scripts/local/s3-notifications";
import { pollOnce } from "../../../scripts/local/sqs-event-source";

const TRAIL = "trail-bucket";
const ARCHIVE = "archive-bucket";
const DAY = { year: "2024", month: "03", day: "01" };
const DEADLINE_MS = 30_000;
const BULK_MAX_BYTES = 64 * 1024;
const BASES = [ASSUME_ROLE_BY_SERVICE, CONSOLE_LOGIN, ACCESS_DENIED, LARGE_REQUEST_PARAMETERS];

/** `count` distinct events numbered from `first`. */
function events(first: number, count: number): CloudTrailEvent[] {
  return Array.from({ length: count }, (_, i) =>
    variant(BASES[(first + i) % BASES.length] as CloudTrailEvent, first + i),
  );
}

describe("e2e: CloudTrail → S3 → SNS → SQS → indexer → OpenSearch", function () {
  this.timeout(60_000);

  let local: LocalS3;
  let fauxqs: Fauxqs;
  let server: FakeServer;
  let transport: ClosableTransport;
  let sqs: SQSClient;
  let sns: SNSClient;

  before(async () => {
    [local, fauxqs] = await Promise.all([startLocalS3([TRAIL, ARCHIVE]), startFauxqs()]);
    const clientConfig = {
      region: "us-east-1",
      endpoint: fauxqs.endpoint,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      requestHandler: new NodeHttpHandler(),
    };
    sqs = new SQSClient(clientConfig);
    sns = new SNSClient(clientConfig);
  });

  after(async () => {
    transport?.close();
    sqs?.destroy();
    sns?.destroy();
    await Promise.all([server?.close(), fauxqs?.stop(), local?.close()]);
  });

  it("indexes every event exactly once, keeps the 400 in cloudtrail-failed/ and the corrupt files in the DLQ", async () => {
    // Queues and topic, as the CloudTrailPipeline component creates them.
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "cloudtrail-dlq" }))).QueueUrl ?? "";
    const dlqArn = await queueArn(dlqUrl);
    const queueUrl =
      (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: "cloudtrail-objects",
            Attributes: {
              VisibilityTimeout: "1",
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
            },
          }),
        )
      ).QueueUrl ?? "";
    const queue = { url: queueUrl, arn: await queueArn(queueUrl) };
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: "cloudtrail-objects" }))).TopicArn ?? "";
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queue.arn }));

    // S3 → SNS: the trail bucket's notification (with its s3:TestEvent first); only that bucket
    // has one, so the indexer's own archive writes do not loop back. LocalS3 offers no way to
    // unsubscribe; s3rver closes with the test.
    const forwarder = await forwardS3Notifications({
      emitter: {
        on: (_event, listener) => local.onObjectEvent((event) => listener(event as S3Event)),
        off: () => undefined,
      },
      sns,
      topicArn,
      filter: { bucket: TRAIL },
    });

    // The trail's files.
    const files = new Map<string, CloudTrailEvent[]>([
      [trailKey("a"), events(0, 400)],
      [trailKey("b"), events(1000, 250)],
      [trailKey("c"), events(2000, 120)],
      [trailKey("empty"), []],
    ]);
    const allEvents = [...files.values()].flat();
    const rejectedId = String(allEvents[7]?.eventID);
    const throttled = [allEvents[3], allEvents[450], allEvents[700]].map((e) => String(e?.eventID));
    const lostAck = String(allEvents[500]?.eventID);

    const fake = new FakeOpenSearch({
      reject: new Set([rejectedId]),
      throttle: new Map([
        [throttled[0] ?? "", 2],
        [throttled[1] ?? "", 1],
        [throttled[2] ?? "", 3],
      ]),
      lostAck: new Set([lostAck]),
      tooLarge: { overBytes: BULK_MAX_BYTES / 2, times: 1 },
      unavailable: 1,
    });
    server = await startFakeServer(fake);
    transport = createOpenSearchTransport({
      endpoint: server.url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const handler = createHandler({
      s3: local.s3,
      sink: openSearchBulkSink(transport),
      bootstrap: once(() => ensureBootstrap(transport, "cloudtrail", 30)),
      archiveBucket: ARCHIVE,
      bulkMaxBytes: BULK_MAX_BYTES,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
    });

    for (const [key, records] of files) await local.put(TRAIL, key, logFile(records));
    const corrupt = Buffer.from(logFile(events(5000, 50)));
    corrupt.fill(0x41, 40, 120);
    await local.put(TRAIL, trailKey("corrupt"), corrupt);
    const truncatedFull = logFile(events(6000, 200));
    await local.put(TRAIL, trailKey("truncated"), truncatedFull.subarray(0, truncatedFull.length - 64));
    await local.put(TRAIL, digestKey("d1"), gzipSync("{}"));
    // S3 → SQS without SNS, and CloudTrail's own notification naming two files again (re-index → 409).
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: JSON.stringify({
          Records: [
            {
              eventSource: "aws:s3",
              eventName: "ObjectCreated:Put",
              s3: { bucket: { name: TRAIL }, object: { key: s3EncodeKey(trailKey("c")) } },
            },
          ],
        }),
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: JSON.stringify({ s3Bucket: TRAIL, s3ObjectKey: [trailKey("a"), trailKey("b")] }),
      }),
    );
    await forwarder.flushed();
    assert.equal(forwarder.stats.failed, 0);

    // Poll until the queue is drained and both bad files reached the DLQ.
    const deadline = Date.now() + DEADLINE_MS;
    let failures = 0;
    for (;;) {
      const { failed } = await pollOnce({ sqs, queue, handler });
      failures += failed;
      const [main, dlq] = await Promise.all([queueDepth(queue.url), queueDepth(dlqUrl)]);
      if (main === 0 && dlq >= 2) break;
      if (Date.now() > deadline) assert.fail(`not drained in time: main ${main}, dlq ${dlq}`);
    }

    // Every event of the good files indexed, none twice.
    const expected = allEvents.map((e) => String(e.eventID)).filter((id) => id !== rejectedId);
    for (const id of expected) assert.equal(fake.created.get(id), 1, `event ${id}`);
    for (const [id, count] of fake.created) assert.equal(count, 1, `event ${id} created ${count} times`);
    assert.ok(!fake.docs.has(rejectedId));
    assert.ok((fake.itemStatuses.get(409) ?? 0) >= 650, "re-announced files answered 409");
    assert.ok(fake.itemStatuses.get(429) !== undefined && fake.requestStatuses.includes(413));
    assert.ok(fake.requestStatuses.includes(503));
    assert.deepEqual(fake.templates.get("cloudtrail"), indexTemplate("cloudtrail"));
    assert.ok(fake.policies.has("cloudtrail-retention"));

    // The 400 is kept with its reason.
    const failedLines = (await local.getNdjsonGz(
      ARCHIVE,
      failedKey("cloudtrail-failed/", { bucket: TRAIL, key: trailKey("a") }),
    )) as { reason: string; status: number; event: CloudTrailEvent }[] | undefined;
    assert.equal(failedLines?.length, 1);
    assert.equal(failedLines?.[0]?.status, 400);
    assert.equal(failedLines?.[0]?.event.eventID, rejectedId);
    assert.match(failedLines?.[0]?.reason ?? "", /mapper_parsing_exception/);

    // The S3 sink has every event of every good file.
    for (const [key, records] of files) {
      const archived = await local.getNdjsonGz(
        ARCHIVE,
        eventsKey("cloudtrail-events/", DAY, { bucket: TRAIL, key }),
      );
      assert.deepEqual(archived, records.length === 0 ? undefined : records, key);
    }

    // The corrupt and truncated files' messages are in the DLQ, after their retries.
    const { Messages: dead = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const deadKeys = dead
      .map((m) => (JSON.parse(m.Body ?? "{}") as { Message: string }).Message)
      .map((message) => JSON.parse(message) as { Records: { s3: { object: { key: string } } }[] })
      .map((n) => decodeURIComponent(n.Records[0]?.s3.object.key ?? ""))
      .sort();
    assert.deepEqual(deadKeys, [trailKey("corrupt"), trailKey("truncated")].sort());
    for (const m of dead) assert.ok(Number(m.Attributes?.ApproximateReceiveCount) >= 3);
    assert.ok(failures >= 4, `${failures} failed deliveries before the DLQ`);
  });

  async function queueArn(url: string): Promise<string> {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
    );
    return Attributes?.QueueArn ?? "";
  }

  async function queueDepth(url: string): Promise<number> {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }
});
