/**
 * CloudTrail pipeline faults end to end on loopback: trail files in S3
 * (s3rver) announced through SNS → SQS with a DLQ (fauxqs) to the indexer,
 * run by the local event source (as many pollers as the mapping's maximum
 * concurrency), indexing into a fake OpenSearch behind signed HTTP that is
 * down — every request answered 503 — for one simulated hour.
 *
 * Time is compressed: one real second stands for SCALE simulated seconds.
 * The queue's visibility timeout is the component's (6 × 120 s) scaled, and
 * the indexer's backoff requests (its production schedule: 60 s doubling per
 * receive) are scaled on their way to SQS. The queue's maxReceiveCount is the
 * component's default. Nothing here asserts durations: only where every event
 * ended up.
 */
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import assert from "node:assert/strict";
import { eventsKey } from "../../../apps/cloudtrail-indexer/src/archive";
import { ensureBootstrap, once } from "../../../apps/cloudtrail-indexer/src/bootstrap";
import type { VisibilityClient } from "../../../apps/cloudtrail-indexer/src/handler";
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
  logFile,
  trailKey,
  variant,
} from "../../../apps/cloudtrail-indexer/test/fixtures";
import type { LocalS3 } from "../../../apps/cloudtrail-indexer/test/local-s3";
import { startLocalS3 } from "../../../apps/cloudtrail-indexer/test/local-s3";
import {
  DEFAULT_MAX_RECEIVE_COUNT,
  MIN_SQS_MAXIMUM_CONCURRENCY,
  VISIBILITY_TIMEOUT_FACTOR,
} from "../../../components/cloudtrail-pipeline/cloudtrail-pipeline";
import type { Fauxqs } from "../../../scripts/local/fauxqs";
import { startFauxqs } from "../../../scripts/local/fauxqs";
import { s3EncodeKey } from "../../../scripts/local/s3-notifications";
import {
  createQueueWithDeadLetters,
  queueDepth,
  startSqsEventSource,
} from "../../../scripts/local/sqs-event-source";

const TRAIL = "trail-bucket";
const ARCHIVE = "archive-bucket";
const DAY = { year: "2024", month: "03", day: "01" };
/** Simulated seconds per real second: a simulated hour lasts 15 s. */
const SCALE = 240;
const OUTAGE_SIMULATED_SECONDS = 3600;
/** The component's default function timeout (120 s) times its visibility factor. */
const QUEUE_VISIBILITY_SIMULATED_SECONDS = VISIBILITY_TIMEOUT_FACTOR * 120;
const FILES = 8;
const EVENTS_PER_FILE = 150;
const BASES = [ASSUME_ROLE_BY_SERVICE, CONSOLE_LOGIN, ACCESS_DENIED];

const scaled = (simulatedSeconds: number): number => Math.max(1, Math.ceil(simulatedSeconds / SCALE));

/** SQS as the indexer sees it, with visibility timeouts compressed by {@link SCALE} (whole seconds, at least 1). */
function compressedClock(sqs: SQSClient): VisibilityClient & { readonly requested: number[] } {
  const requested: number[] = [];
  return {
    requested,
    send: (command) => {
      requested.push(command.input.VisibilityTimeout ?? 0);
      return sqs.send(
        new ChangeMessageVisibilityCommand({
          ...command.input,
          VisibilityTimeout: scaled(command.input.VisibilityTimeout ?? 0),
        }),
      );
    },
  };
}

describe("e2e: CloudTrail indexer through an OpenSearch outage of a simulated hour", function () {
  this.timeout(90_000);

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

  it("indexes every event exactly once, dead-letters nothing and writes the S3 copy during the outage", async () => {
    const queue = await createQueueWithDeadLetters(sqs, "cloudtrail-objects", {
      visibilityTimeoutSeconds: scaled(QUEUE_VISIBILITY_SIMULATED_SECONDS),
      maxReceiveCount: DEFAULT_MAX_RECEIVE_COUNT,
    });
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: "cloudtrail-objects" }))).TopicArn ?? "";
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queue.arn }));

    const files = new Map<string, CloudTrailEvent[]>();
    for (let f = 0; f < FILES; f++) {
      files.set(
        trailKey(`outage-${f}`),
        Array.from({ length: EVENTS_PER_FILE }, (_, i) => {
          const n = f * EVENTS_PER_FILE + i;
          return variant(BASES[n % BASES.length] as CloudTrailEvent, n);
        }),
      );
    }
    const allIds = [...files.values()].flat().map((e) => String(e.eventID));

    const fake = new FakeOpenSearch();
    server = await startFakeServer(fake);
    transport = createOpenSearchTransport({
      endpoint: server.url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const clock = compressedClock(sqs);
    // A warm container: its bootstrap ran before the domain went down, so the outage hits `_bulk`.
    // (A cold one fails its bootstrap instead; it writes the S3 copy all the same — handler tests.)
    const bootstrap = once(() => ensureBootstrap(transport, "cloudtrail", 30));
    await bootstrap();
    fake.faults.outage = 503;
    const handler = createHandler({
      s3: local.s3,
      sink: openSearchBulkSink(transport),
      bootstrap,
      archiveBucket: ARCHIVE,
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
      sqs: clock,
      queueUrlOf: () => queue.url,
    });
    const receiveCounts = new Map<string, number>();
    const recording: typeof handler = async (event) => {
      for (const r of event.Records)
        receiveCounts.set(r.messageId, Number(r.attributes.ApproximateReceiveCount));
      return handler(event);
    };

    for (const [key, records] of files) {
      await local.put(TRAIL, key, logFile(records));
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify({
            Records: [
              {
                eventSource: "aws:s3",
                eventName: "ObjectCreated:Put",
                s3: { bucket: { name: TRAIL }, object: { key: s3EncodeKey(key) } },
              },
            ],
          }),
        }),
      );
    }

    // The outage: OpenSearch answers 503 to everything for one simulated hour. When it ends,
    // note how much of the S3 copy already exists.
    let archivedDuringOutage = -1;
    const outageOver = new Promise<void>((resolve) =>
      setTimeout(
        () =>
          void countArchived()
            .then((count) => (archivedDuringOutage = count))
            .finally(() => {
              fake.faults.outage = undefined;
              resolve();
            }),
        (OUTAGE_SIMULATED_SECONDS / SCALE) * 1000,
      ),
    );
    const source = await startSqsEventSource({
      sqs,
      queueUrl: queue.url,
      handler: recording,
      batchSize: 10,
      // As on AWS: the mapping's maximum concurrency equals the reserved concurrency, so no throttles.
      pollers: MIN_SQS_MAXIMUM_CONCURRENCY,
      maxConcurrency: MIN_SQS_MAXIMUM_CONCURRENCY,
    });
    try {
      await outageOver;
      await source.idle();
    } finally {
      await source.stop();
    }

    const dead = await queueDepth(sqs, queue.dlq.url);
    const duplicates = [...fake.created.values()].reduce((sum, n) => sum + n - 1, 0);
    const outage503 = fake.requestStatuses.filter((s) => s === 503).length;
    console.log(
      `      events ${allIds.length}, indexed ${fake.docs.size}, duplicates by id ${duplicates}, ` +
        `DLQ ${dead}; files ${FILES}, S3 copies when the outage ended ${archivedDuringOutage}/${FILES}; ` +
        `${source.stats.invocations} invocations, ${source.stats.failed} failed deliveries, ` +
        `${source.stats.throttles} throttles, ${outage503} bulk 503s, highest receive count ` +
        `${Math.max(...receiveCounts.values())} of ${DEFAULT_MAX_RECEIVE_COUNT}, backoffs requested ` +
        `[${[...new Set(clock.requested)].sort((a, b) => a - b).join(", ")}] simulated s`,
    );

    assert.ok(source.stats.failed > 0, "the outage failed deliveries");
    assert.equal(dead, 0, "nothing in the DLQ");
    assert.equal(duplicates, 0, "no event created twice");
    assert.deepEqual([...fake.docs.keys()].sort(), [...allIds].sort(), "every event indexed");
    assert.equal(archivedDuringOutage, FILES, "the S3 copy was written while OpenSearch was down");
    assert.ok(clock.requested.length > 0, "failed messages were backed off");
    for (const [key, records] of files) {
      const archived = await local.getNdjsonGz(
        ARCHIVE,
        eventsKey("cloudtrail-events/", DAY, { bucket: TRAIL, key }),
      );
      assert.deepEqual(archived, records, key);
    }
    const { Messages: leftover = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10 }),
    );
    assert.equal(leftover.length, 0);
  });

  async function countArchived(): Promise<number> {
    const listed = await local.s3.send(
      new ListObjectsV2Command({ Bucket: ARCHIVE, Prefix: "cloudtrail-events/" }),
    );
    return (listed.Contents ?? []).length;
  }
});
