import type { SQSClient as SQSClientType } from "@aws-sdk/client-sqs";
import {
  ListMessageMoveTasksCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import assert from "node:assert/strict";
import { failedKey } from "../../apps/cloudtrail-indexer/src/archive";
import { createHandler } from "../../apps/cloudtrail-indexer/src/handler";
import { FakeOpenSearch } from "../../apps/cloudtrail-indexer/test/fake-opensearch";
import { ACCESS_DENIED, CONSOLE_LOGIN, logFile, trailKey } from "../../apps/cloudtrail-indexer/test/fixtures";
import type { LocalS3 } from "../../apps/cloudtrail-indexer/test/local-s3";
import { startLocalS3 } from "../../apps/cloudtrail-indexer/test/local-s3";
import type { Fauxqs } from "../local/fauxqs";
import { startFauxqs } from "../local/fauxqs";
import { createQueueWithDeadLetters, queueDepth } from "../local/sqs-event-source";
import { parseRedriveArgs, redriveDeadLetters, reindexFailed } from "../redrive";

const TRAIL = "trail-bucket";
const ARCHIVE = "archive-bucket";
const NO_SLEEP = { sleep: () => Promise.resolve(), random: () => 0 };

describe("npm run redrive", function () {
  this.timeout(30_000);

  it("parses both commands and refuses incomplete ones with the usage", () => {
    assert.deepEqual(parseRedriveArgs(["dlq", "--from", "d", "--to", "q", "--via", "receive", "--dry-run"]), {
      kind: "dlq",
      from: "d",
      to: "q",
      via: "receive",
      dryRun: true,
    });
    assert.deepEqual(parseRedriveArgs(["failed", "--bucket", "b", "--opensearch", "search-x", "--prune"]), {
      kind: "failed",
      bucket: "b",
      prefix: "cloudtrail-failed/",
      openSearch: "search-x",
      service: "es",
      indexPrefix: "cloudtrail",
      prune: true,
      dryRun: false,
    });
    assert.throws(() => parseRedriveArgs(["dlq", "--from", "d"]), /--from and --to[\s\S]*usage/);
    assert.throws(() => parseRedriveArgs(["failed", "--bucket", "b"]), /--opensearch/);
    assert.throws(() => parseRedriveArgs(["dlq", "--from", "d", "--to", "q", "--max", "0"]), /--max/);
    assert.throws(() => parseRedriveArgs(["again"]), /unknown command/);
  });

  // StartMessageMoveTask moves a DLQ's messages to a queue, ListMessageMoveTasks reports progress:
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListMessageMoveTasks.html
  it("on AWS starts a message move task from the DLQ to the queue and follows it to the end", async () => {
    const sent: unknown[] = [];
    const statuses = ["RUNNING", "COMPLETED"];
    const sqs = {
      send: (command: { input: unknown }) => {
        sent.push(command);
        if (command instanceof StartMessageMoveTaskCommand) return Promise.resolve({ TaskHandle: "t1" });
        if (command instanceof ListMessageMoveTasksCommand) {
          const status = statuses.shift();
          return Promise.resolve({
            Results: [
              {
                Status: status,
                ApproximateNumberOfMessagesMoved: status === "COMPLETED" ? 4 : 1,
                ApproximateNumberOfMessagesToMove: 4,
              },
            ],
          });
        }
        const url = (command.input as { QueueUrl: string }).QueueUrl;
        return Promise.resolve({ Attributes: { QueueArn: `arn:aws:sqs:eu-west-1:111122223333:${url}` } });
      },
    } as unknown as SQSClientType;
    const lines: string[] = [];
    const report = await redriveDeadLetters({
      sqs,
      from: "dlq",
      to: "q",
      pollMs: 0,
      progress: (l) => lines.push(l),
    });
    assert.equal(report.moved, 4);
    const start = sent.find((c) => c instanceof StartMessageMoveTaskCommand) as StartMessageMoveTaskCommand;
    assert.deepEqual(start.input, {
      SourceArn: "arn:aws:sqs:eu-west-1:111122223333:dlq",
      DestinationArn: "arn:aws:sqs:eu-west-1:111122223333:q",
    });
    assert.deepEqual(lines.slice(1), ["  RUNNING: 1 of 4 moved", "  COMPLETED: 4 of 4 moved"]);
  });

  describe("against fauxqs and s3rver", () => {
    let fauxqs: Fauxqs;
    let sqs: SQSClient;
    let local: LocalS3;

    before(async () => {
      [fauxqs, local] = await Promise.all([startFauxqs(), startLocalS3([TRAIL, ARCHIVE])]);
      sqs = new SQSClient({
        region: "us-east-1",
        endpoint: fauxqs.endpoint,
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
        requestHandler: new NodeHttpHandler(),
      });
    });

    after(async () => {
      sqs?.destroy();
      await Promise.all([fauxqs?.stop(), local?.close()]);
    });

    it("moves the DLQ back by receive → send → delete, with a dry run that changes nothing; a re-run moves nothing", async () => {
      const queue = await createQueueWithDeadLetters(sqs, "redrive", {
        visibilityTimeoutSeconds: 5,
        maxReceiveCount: 2,
      });
      for (let i = 0; i < 13; i++) {
        const body = JSON.stringify({ s3Bucket: TRAIL, s3ObjectKey: [trailKey(`dead-${i}`)] });
        await sqs.send(new SendMessageCommand({ QueueUrl: queue.dlq.url, MessageBody: body }));
      }
      const lines: string[] = [];
      const dry = await redriveDeadLetters({
        sqs,
        from: queue.dlq.url,
        to: queue.url,
        via: "receive",
        dryRun: true,
        progress: (l) => lines.push(l),
      });
      assert.equal(dry.moved, 13);
      assert.equal(dry.files.length, 13);
      assert.ok(dry.files.includes(`s3://${TRAIL}/${trailKey("dead-12")}`));
      assert.deepEqual([await queueDepth(sqs, queue.url), await queueDepth(sqs, queue.dlq.url)], [0, 13]);

      const moved = await redriveDeadLetters({
        sqs,
        from: queue.dlq.url,
        to: queue.url,
        via: "receive",
        progress: (l) => lines.push(l),
      });
      assert.equal(moved.moved, 13);
      assert.deepEqual([await queueDepth(sqs, queue.url), await queueDepth(sqs, queue.dlq.url)], [13, 0]);
      assert.match(lines.at(-1) ?? "", /^moved 13 message\(s\)/);
      const again = await redriveDeadLetters({
        sqs,
        from: queue.dlq.url,
        to: queue.url,
        via: "receive",
        progress: () => {},
      });
      assert.equal(again.moved, 0);
    });

    it("re-indexes cloudtrail-failed/ by event id: once, then 409s; a dry run indexes nothing; prune deletes what is done", async () => {
      // A file whose first event OpenSearch refused as a document, kept in the failed prefix.
      const key = trailKey("was-rejected");
      await local.put(TRAIL, key, logFile([ACCESS_DENIED, CONSOLE_LOGIN]));
      const fake = new FakeOpenSearch({ reject: new Set([String(ACCESS_DENIED.eventID)]) });
      const handler = createHandler({
        s3: local.s3,
        sink: fake.sink(),
        archiveBucket: ARCHIVE,
        retry: NO_SLEEP,
      });
      const body = JSON.stringify({ s3Bucket: TRAIL, s3ObjectKey: [key] });
      await handler({ Records: [{ messageId: "m", body } as never] });
      const failed = failedKey("cloudtrail-failed/", { bucket: TRAIL, key });
      assert.ok((await local.get(ARCHIVE, failed)) !== undefined);
      assert.ok(!fake.docs.has(String(ACCESS_DENIED.eventID)));

      fake.faults = {}; // the mapping was fixed
      const common = {
        s3: local.s3,
        sink: fake.sink(),
        bucket: ARCHIVE,
        retry: NO_SLEEP,
        progress: () => {},
      };
      const dry = await reindexFailed({ ...common, dryRun: true });
      assert.deepEqual([dry.objects, dry.records, dry.indexed, fake.docs.size], [1, 1, 0, 1]);
      const first = await reindexFailed(common);
      assert.deepEqual([first.indexed, first.duplicates, first.rejected], [1, 0, 0]);
      const second = await reindexFailed({ ...common, prune: true });
      assert.deepEqual([second.indexed, second.duplicates, second.pruned], [0, 1, 1]);
      assert.deepEqual([...fake.created.values()], [1, 1], "every event created once");
      assert.equal(await local.get(ARCHIVE, failed), undefined, "pruned");
    });
  });
});
