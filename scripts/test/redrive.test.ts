import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import type { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { SQSClient as SQSClientType } from "@aws-sdk/client-sqs";
import {
  CreateQueueCommand,
  ListMessageMoveTasksCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { transformShardBatch } from "../../apps/access-log-transformer/src/transform";
import { failedKey } from "../../apps/cloudtrail-indexer/src/archive";
import { createHandler } from "../../apps/cloudtrail-indexer/src/handler";
import { FakeOpenSearch } from "../../apps/cloudtrail-indexer/test/fake-opensearch";
import { ACCESS_DENIED, CONSOLE_LOGIN, logFile, trailKey } from "../../apps/cloudtrail-indexer/test/fixtures";
import type { LocalS3 } from "../../apps/cloudtrail-indexer/test/local-s3";
import { startLocalS3 } from "../../apps/cloudtrail-indexer/test/local-s3";
import type { Fauxqs } from "../local/fauxqs";
import { startFauxqs } from "../local/fauxqs";
import type { DiscardedBatch } from "../local/kinesis-event-source";
import { lambdaKinesisEvent, startKinesisEventSource } from "../local/kinesis-event-source";
import { waitForStream } from "../local/platform";
import { createQueueWithDeadLetters, queueDepth } from "../local/sqs-event-source";
import type { TransformerRedriveOptions } from "../redrive";
import {
  parseFailedBatch,
  parseRedriveArgs,
  parseStreamArn,
  redriveDeadLetters,
  redriveTransformerFailures,
  reindexFailed,
} from "../redrive";

// kinesalite is a CommonJS package without type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require("kinesalite") as (options: object) => Server;

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

  it("parses the transformer command with the transformer's defaults and its ACCESS_LOG_SOURCES rule", () => {
    assert.deepEqual(parseRedriveArgs(["transformer", "--queue", "q", "--bucket", "b"]), {
      kind: "transformer",
      queue: "q",
      bucket: "b",
      accessPrefix: "access/",
      errorPrefix: "access-errors/",
      dryRun: false,
    });
    assert.deepEqual(
      parseRedriveArgs([
        "transformer",
        "--queue",
        "q",
        "--bucket",
        "b",
        "--access-log-sources",
        "nginx, ,edge",
        "--max",
        "3",
        "--dry-run",
        "--kinesis-endpoint",
        "http://127.0.0.1:1",
      ]),
      {
        kind: "transformer",
        queue: "q",
        bucket: "b",
        accessPrefix: "access/",
        errorPrefix: "access-errors/",
        accessLogSources: ["nginx", "edge"],
        max: 3,
        dryRun: true,
        kinesisEndpoint: "http://127.0.0.1:1",
      },
    );
    assert.equal(
      "accessLogSources" in
        parseRedriveArgs(["transformer", "--queue", "q", "--bucket", "b", "--access-log-sources", ""]),
      false,
    );
    assert.throws(
      () => parseRedriveArgs(["transformer", "--queue", "q"]),
      /--queue and --bucket[\s\S]*usage/,
    );
  });

  // The invocation record Lambda sends to a Kinesis mapping's on-failure destination (the page's example):
  // https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
  it("reads Lambda's on-failure invocation record, also inside an SNS envelope, and refuses other messages", () => {
    const record = {
      requestContext: {
        requestId: "c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5",
        functionArn: "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
        condition: "RetryAttemptsExhausted",
        approximateInvokeCount: 1,
      },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      version: "1.0",
      timestamp: "2019-11-14T00:38:06.021Z",
      KinesisBatchInfo: {
        shardId: "shardId-000000000001",
        startSequenceNumber: "49601189658422359378836298521827638475320189012309704722",
        endSequenceNumber: "49601189658422359378836298522902373528957594348623495186",
        approximateArrivalOfFirstRecord: "2019-11-14T00:38:04.835Z",
        approximateArrivalOfLastRecord: "2019-11-14T00:38:05.580Z",
        batchSize: 500,
        streamArn: "arn:aws:kinesis:us-east-2:123456789012:stream/mystream",
      },
    };
    assert.deepEqual(parseFailedBatch(JSON.stringify(record)), record.KinesisBatchInfo);
    const envelope = JSON.stringify({ Type: "Notification", Message: JSON.stringify(record) });
    assert.deepEqual(parseFailedBatch(envelope), record.KinesisBatchInfo);
    assert.deepEqual(parseStreamArn(record.KinesisBatchInfo.streamArn), {
      name: "mystream",
      region: "us-east-2",
    });
    assert.throws(() => parseFailedBatch(JSON.stringify({ s3Bucket: "x" })), /no KinesisBatchInfo/);
    assert.throws(
      () =>
        parseFailedBatch(JSON.stringify({ KinesisBatchInfo: { ...record.KinesisBatchInfo, shardId: "" } })),
      /shardId is missing/,
    );
    assert.throws(() => parseStreamArn("arn:aws:sqs:us-east-2:123456789012:q"), /not a Kinesis stream ARN/);
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
    let kinesisServer: Server;
    let kinesis: KinesisClient;

    before(async () => {
      kinesisServer = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
      const listening = new Promise<void>((resolve) => kinesisServer.listen(0, "127.0.0.1", resolve));
      [fauxqs, local] = await Promise.all([startFauxqs(), startLocalS3([TRAIL, ARCHIVE]), listening]);
      sqs = new SQSClient({
        region: "us-east-1",
        endpoint: fauxqs.endpoint,
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
        requestHandler: new NodeHttpHandler(),
      });
      kinesis = new KinesisClient({
        region: "us-east-1",
        endpoint: `http://127.0.0.1:${(kinesisServer.address() as AddressInfo).port}`,
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
        // kinesalite speaks HTTP/1.1 only.
        requestHandler: new NodeHttpHandler(),
      });
    });

    after(async () => {
      sqs?.destroy();
      kinesis?.destroy();
      await Promise.all([
        fauxqs?.stop(),
        local?.close(),
        new Promise<void>((resolve) => (kinesisServer ? kinesisServer.close(() => resolve()) : resolve())),
      ]);
    });

    /** A one-shard stream holding `data`, and its records as GetRecords returns them. */
    const streamWith = async (name: string, data: readonly string[]) => {
      await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      await waitForStream(kinesis, name);
      const put = await kinesis.send(
        new PutRecordsCommand({
          StreamName: name,
          Records: data.map((d) => ({ Data: Buffer.from(d), PartitionKey: "one-shard" })),
        }),
      );
      assert.equal(put.FailedRecordCount ?? 0, 0);
      const shard = (await kinesis.send(new ListShardsCommand({ StreamName: name }))).Shards![0]!;
      const { ShardIterator } = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: name,
          ShardId: shard.ShardId!,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      );
      const { Records = [] } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      return { shard, records: Records };
    };

    /**
     * The batch the local event source discards when the transformer fails every time (no retries,
     * no bisection), in the invocation record Lambda sends to the on-failure queue
     * (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html).
     */
    const discardedBatch = async (streamName: string): Promise<string> => {
      const discarded: DiscardedBatch[] = [];
      const source = await startKinesisEventSource({
        kinesis,
        streamName,
        region: "us-east-1",
        handler: () => Promise.reject(new Error("S3 is down")),
        maxRetries: 0,
        bisectBatchOnFunctionError: false,
        idleMs: 20,
        onDeadLetter: (...args) => discarded.push(args[4]),
      });
      await source.caughtUp();
      await source.stop();
      assert.equal(discarded.length, 1);
      const { condition, approximateInvokeCount, reason, ...batchInfo } = discarded[0]!;
      return JSON.stringify({
        requestContext: {
          requestId: "00000000-0000-4000-8000-000000000000",
          functionArn: "arn:aws:lambda:us-east-1:000000000000:function:transformer",
          condition,
          approximateInvokeCount,
        },
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled", reason },
        version: "1.0",
        timestamp: new Date().toISOString(),
        KinesisBatchInfo: batchInfo,
      });
    };

    const newQueue = async (name: string) =>
      (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;

    /** Every object under the transformer's prefixes: key → uncompressed body. */
    const stored = async (): Promise<Map<string, string>> => {
      const objects = new Map<string, string>();
      for (const prefix of ["access/", "access-errors/"]) {
        const listed = await local.s3.send(new ListObjectsV2Command({ Bucket: ARCHIVE, Prefix: prefix }));
        for (const { Key } of listed.Contents ?? []) {
          const got = await local.s3.send(new GetObjectCommand({ Bucket: ARCHIVE, Key: Key! }));
          objects.set(Key!, gunzipSync(await got.Body!.transformToByteArray()).toString("utf8"));
        }
      }
      return objects;
    };

    /** fluentd's one-line records over two hours, and a line no access-log format matches. */
    const ACCESS_LINES = [
      ...[6, 6, 7].map(
        (hour, n) =>
          `${JSON.stringify({ log: `203.0.113.${n} - - [10/Mar/2024:0${hour}:1${n}:00 +0000] "GET /redrive/${n} HTTP/1.1" 200 ${n} "-" "test/1.0"` })}\n`,
      ),
      `${JSON.stringify({ log: "not an access log line" })}\n`,
    ];

    it("re-drives the transformer's discarded batch into the keys and bytes the transformer writes; a dry run and a failed write keep the message; a re-run changes nothing", async () => {
      const { shard, records } = await streamWith("access-redrive", ACCESS_LINES);
      const body = await discardedBatch("access-redrive");
      const queue = await newQueue("access-failed-batches");
      await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: body }));
      const info = parseFailedBatch(body);
      assert.equal(info.batchSize, ACCESS_LINES.length);

      // What the transformer writes for exactly these records.
      const event = lambdaKinesisEvent(records, shard.ShardId!, info.streamArn, "us-east-1");
      const expected = transformShardBatch(shard.ShardId!, event.Records, {
        accessPrefix: "access/",
        errorPrefix: "access-errors/",
      });
      assert.deepEqual(
        [expected.objects.length, expected.parsedLines, expected.rejectedLines],
        [3, 3, 1],
        "two access hours and one error object",
      );
      const lines: string[] = [];
      const common: TransformerRedriveOptions = {
        sqs,
        kinesis,
        s3: local.s3,
        queue,
        bucket: ARCHIVE,
        progress: (l) => lines.push(l),
      };

      const dry = await redriveTransformerFailures({ ...common, dryRun: true });
      assert.deepEqual([dry.messages, dry.records, dry.objects, dry.redriven], [1, 4, 3, 0]);
      assert.deepEqual(dry.ranges, [
        `${shard.ShardId!} ${info.startSequenceNumber}…${info.endSequenceNumber} (4 records)`,
      ]);
      assert.match(
        lines[0] ?? "",
        /^would re-drive shardId-000000000000 \d+…\d+ \(4 records\): 4 record\(s\) read/,
      );
      assert.equal((await stored()).size, 0, "a dry run writes nothing");
      assert.equal(await queueDepth(sqs, queue), 1);

      // S3 refuses the error object: the access objects are written, the message stays for the next run.
      const flaky = {
        send: (command: PutObjectCommand) =>
          command.input.Key!.startsWith("access-errors/")
            ? Promise.reject(new Error("SlowDown"))
            : local.s3.send(command),
      };
      const failed = await redriveTransformerFailures({ ...common, s3: flaky });
      assert.deepEqual([failed.redriven, failed.failures.length], [0, 1]);
      assert.match(failed.failures[0]!.error, /objects not written[\s\S]*SlowDown/);
      assert.equal(await queueDepth(sqs, queue), 1, "kept");

      const redriven = await redriveTransformerFailures(common);
      assert.deepEqual(
        [redriven.messages, redriven.redriven, redriven.records, redriven.objects],
        [1, 1, 4, 3],
      );
      assert.deepEqual(redriven.failures, []);
      assert.equal(await queueDepth(sqs, queue), 0, "deleted once written");
      const first = await stored();
      assert.deepEqual(
        first,
        new Map(expected.objects.map((o) => [o.key, o.body.toString("utf8")])),
        "exactly the transformer's objects",
      );

      // The same message again (a delete that was lost): the same keys, the same bytes.
      await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: body }));
      const again = await redriveTransformerFailures(common);
      assert.equal(again.redriven, 1);
      assert.deepEqual(await stored(), first);
      assert.equal((await redriveTransformerFailures(common)).messages, 0, "nothing left");
    });

    it("keeps ranges past the stream's retention and points to the raw/ archive", async () => {
      const { shard } = await streamWith("access-expired", ACCESS_LINES);
      const body = await discardedBatch("access-expired");
      const info = parseFailedBatch(body);
      const queue = await newQueue("access-expired-batches");
      const before = await stored();
      const common: TransformerRedriveOptions = {
        sqs,
        kinesis,
        s3: local.s3,
        queue,
        bucket: ARCHIVE,
        progress: () => {},
      };
      await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: body }));
      // Kinesis keeps records 24 h by default (kinesalite too); a day and an hour later they are gone:
      // https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html
      const late = await redriveTransformerFailures({ ...common, now: () => Date.now() + 25 * 3_600_000 });
      assert.equal(late.failures.length, 1);
      assert.match(
        late.failures[0]!.error,
        /can no longer be read: its first record arrived .*\(the stream keeps records 24 h\)[\s\S]*raw\/ \(Firehose/,
      );

      // The range starts before the oldest record the shard still has (trimmed), or in a stream
      // deleted and re-created (GetShardIterator refuses the number).
      const other = await streamWith("access-recreated", ["x\n"]);
      const queue2 = await newQueue("access-unreadable-batches");
      const trimmed = { ...info, startSequenceNumber: shard.SequenceNumberRange!.StartingSequenceNumber! };
      const foreign = { ...info, startSequenceNumber: other.records[0]!.SequenceNumber! };
      for (const batch of [trimmed, foreign]) {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: queue2,
            MessageBody: JSON.stringify({ KinesisBatchInfo: batch }),
          }),
        );
      }
      const report = await redriveTransformerFailures({ ...common, queue: queue2 });
      assert.equal(report.redriven, 0);
      const errors = report.failures.map((f) => f.error);
      assert.equal(errors.length, 2);
      assert.ok(errors.every((e) => /raw\/ \(Firehose/.test(e)));
      assert.ok(errors.some((e) => /GetShardIterator refused: InvalidArgumentException/.test(e)));
      assert.ok(errors.some((e) => /the shard's oldest record now is \d+/.test(e)));
      assert.deepEqual([await queueDepth(sqs, queue), await queueDepth(sqs, queue2)], [1, 2], "all kept");
      assert.deepEqual(await stored(), before, "nothing written");
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
