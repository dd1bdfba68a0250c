import assert from "node:assert/strict";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { gzipSync } from "node:zlib";
import { eventsKey, failedKey } from "../src/archive";
import type { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
import type { BulkSink } from "../src/bulk";
import type { HandlerOptions, Logger, VisibilityClient } from "../src/handler";
import type { BatchFigures } from "../src/metrics";
import { createHandler } from "../src/handler";
import type { CloudTrailEvent } from "../src/split";
import type { RequestFault } from "./fake-opensearch";
import { FakeOpenSearch } from "./fake-opensearch";
import {
  ACCESS_DENIED,
  ASSUME_ROLE_BY_SERVICE,
  CONSOLE_LOGIN,
  digestKey,
  LARGE_REQUEST_PARAMETERS,
  logFile,
  REAL_RECORDS,
  trailKey,
  variant,
} from "./fixtures";
import type { LocalS3 } from "./local-s3";
import { startLocalS3 } from "./local-s3";

const TRAIL = "trail-bucket";
const ARCHIVE = "archive-bucket";
const DAY = { year: "2024", month: "03", day: "01" };

/** An SQS record as Lambda's event source mapping delivers it. */
function sqsRecord(messageId: string, body: unknown, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: "1709294700000",
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1709294700001",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:111122223333:cloudtrail-objects",
    awsRegion: "us-east-1",
  };
}

/** S3 → SNS → SQS body announcing objects of the trail bucket. */
function notification(...keys: string[]): unknown {
  return {
    Type: "Notification",
    MessageId: "m",
    TopicArn: "arn:aws:sns:us-east-1:111122223333:cloudtrail-objects",
    Message: JSON.stringify({
      Records: keys.map((key) => ({
        eventSource: "aws:s3",
        eventName: "ObjectCreated:Put",
        s3: {
          bucket: { name: TRAIL },
          object: { key: encodeURIComponent(key).replace(/%2F/g, "/"), size: 1 },
        },
      })),
    }),
  };
}

function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** Records every log call (as JSON) by level. */
class RecordingLogger implements Logger {
  readonly lines: { level: string; text: string }[] = [];
  private record(level: string, fields: object, message: string): void {
    this.lines.push({ level, text: JSON.stringify({ ...fields, message }) });
  }
  debug(fields: object, message: string): void {
    this.record("debug", fields, message);
  }
  info(fields: object, message: string): void {
    this.record("info", fields, message);
  }
  warn(fields: object, message: string): void {
    this.record("warn", fields, message);
  }
  error(fields: object, message: string): void {
    this.record("error", fields, message);
  }
}

const NO_SLEEP = { sleep: () => Promise.resolve(), random: () => 0 };

describe("apps/cloudtrail-indexer handler", function () {
  let local: LocalS3;
  let fake: FakeOpenSearch;
  let logger: RecordingLogger;

  before(async () => {
    local = await startLocalS3([TRAIL, ARCHIVE]);
  });

  after(async () => {
    await local.close();
  });

  beforeEach(() => {
    fake = new FakeOpenSearch();
    logger = new RecordingLogger();
  });

  function handler(options: Partial<HandlerOptions> = {}): ReturnType<typeof createHandler> {
    return createHandler({
      s3: local.s3,
      sink: fake.sink(),
      archiveBucket: ARCHIVE,
      retry: NO_SLEEP,
      logger,
      ...options,
    });
  }

  it("indexes and archives every event of every object a message announces", async () => {
    const second = Array.from({ length: 300 }, (_, i) => variant(ASSUME_ROLE_BY_SERVICE, i));
    await local.put(TRAIL, trailKey("one"), logFile(REAL_RECORDS));
    await local.put(TRAIL, trailKey("two"), logFile(second));
    const result = await handler({ bulkMaxBytes: 64 * 1024 })(
      sqsEvent(sqsRecord("m1", notification(trailKey("one"), trailKey("two")))),
    );
    assert.deepEqual(result, { batchItemFailures: [] });
    const all = [...REAL_RECORDS, ...second];
    assert.deepEqual([...fake.docs.keys()].sort(), all.map((e) => String(e.eventID)).sort());
    const doc = fake.docs.get(String(CONSOLE_LOGIN.eventID));
    assert.deepEqual(doc, {
      index: "cloudtrail-2024.03.01",
      source: { "@timestamp": CONSOLE_LOGIN.eventTime, ...CONSOLE_LOGIN },
    });
    assert.ok(fake.requestSizes.length > 2, "several bounded bulk requests");
    assert.ok(
      fake.requestSizes.every((size) => size <= 64 * 1024),
      `${fake.requestSizes.join(", ")}`,
    );
    const archived = await local.getNdjsonGz(
      ARCHIVE,
      eventsKey("cloudtrail-events/", DAY, { bucket: TRAIL, key: trailKey("one") }),
    );
    assert.deepEqual(archived, REAL_RECORDS);
  });

  it("without OpenSearch writes only the S3 events (S3 → SQS without SNS)", async () => {
    const events = [variant(CONSOLE_LOGIN, 1), variant(CONSOLE_LOGIN, 2, "2024-03-02")];
    await local.put(TRAIL, trailKey("s3only"), logFile(events));
    const direct = JSON.parse((notification(trailKey("s3only")) as { Message: string }).Message) as unknown;
    const result = await createHandler({ s3: local.s3, archiveBucket: ARCHIVE, eventsPrefix: "only-s3/" })(
      sqsEvent(sqsRecord("m1", direct)),
    );
    assert.deepEqual(result, { batchItemFailures: [] });
    const source = { bucket: TRAIL, key: trailKey("s3only") };
    assert.deepEqual(await local.getNdjsonGz(ARCHIVE, eventsKey("only-s3/", DAY, source)), [events[0]]);
    assert.deepEqual(await local.getNdjsonGz(ARCHIVE, eventsKey("only-s3/", { ...DAY, day: "02" }, source)), [
      events[1],
    ]);
  });

  it("skips test events, digest files and empty log files without failing", async () => {
    await local.put(TRAIL, trailKey("empty"), gzipSync('{"Records":[]}'));
    const result = await handler()(
      sqsEvent(
        sqsRecord("test", { Service: "Amazon S3", Event: "s3:TestEvent", Bucket: TRAIL }),
        sqsRecord("digest", notification(digestKey("d"))),
        sqsRecord("empty", notification(trailKey("empty"))),
      ),
    );
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.equal(fake.requestSizes.length, 0);
    const skipped = logger.lines.filter((l) => l.text.includes('"message":"skipped"')).map((l) => l.text);
    assert.equal(skipped.length, 2);
  });

  it("fails only the message with a corrupt or truncated file", async () => {
    const corrupt = Buffer.from(logFile(REAL_RECORDS));
    corrupt.fill(0, 30, 80);
    const full = logFile(Array.from({ length: 100 }, (_, i) => variant(LARGE_REQUEST_PARAMETERS, i)));
    await local.put(TRAIL, trailKey("corrupt"), corrupt);
    await local.put(TRAIL, trailKey("truncated"), full.subarray(0, full.length - 100));
    await local.put(TRAIL, trailKey("good"), logFile([ACCESS_DENIED]));
    const result = await handler()(
      sqsEvent(
        sqsRecord("corrupt", notification(trailKey("corrupt"))),
        sqsRecord("good", notification(trailKey("good"))),
        sqsRecord("truncated", notification(trailKey("truncated"))),
        sqsRecord("missing", notification(trailKey("never-written"))),
      ),
    );
    assert.deepEqual(result.batchItemFailures.map((f) => f.itemIdentifier).sort(), [
      "corrupt",
      "missing",
      "truncated",
    ]);
    assert.ok(fake.docs.has(String(ACCESS_DENIED.eventID)));
    const warnings = logger.lines.filter((l) => l.level === "warn").map((l) => l.text);
    assert.equal(warnings.length, 3);
    assert.ok(warnings.some((w) => /unexpected end of file/.test(w)));
    // Nothing of a failed object is archived: its retry will write it whole.
    const source = { bucket: TRAIL, key: trailKey("truncated") };
    assert.equal(await local.get(ARCHIVE, eventsKey("cloudtrail-events/", DAY, source)), undefined);
  });

  it("writes mapping rejections and unindexable records to the failed prefix, and succeeds", async () => {
    const noId: CloudTrailEvent = { ...CONSOLE_LOGIN, eventID: undefined };
    await local.put(TRAIL, trailKey("rejects"), logFile([ACCESS_DENIED, CONSOLE_LOGIN, noId]));
    fake.faults = { reject: new Set([String(ACCESS_DENIED.eventID)]) };
    const result = await handler()(sqsEvent(sqsRecord("m1", notification(trailKey("rejects")))));
    assert.deepEqual(result, { batchItemFailures: [] });
    const lines = (await local.getNdjsonGz(
      ARCHIVE,
      failedKey("cloudtrail-failed/", { bucket: TRAIL, key: trailKey("rejects") }),
    )) as {
      reason: string;
      status?: number;
      event: unknown;
    }[];
    assert.deepEqual(
      lines.map((l) => [l.reason, l.status]).sort(),
      [
        ["mapper_parsing_exception: failed to parse field [eventTime] of type [date]", 400],
        ["record has no eventID string", undefined],
      ].sort(),
    );
    assert.deepEqual(
      lines.map((l) => l.event),
      [JSON.parse(JSON.stringify(noId)), ACCESS_DENIED],
    );
    assert.deepEqual([...fake.docs.keys()], [CONSOLE_LOGIN.eventID]);
  });

  it("re-processing a message duplicates nothing (409 counts as done)", async () => {
    await local.put(TRAIL, trailKey("twice"), logFile(REAL_RECORDS));
    const run = handler();
    const message = sqsRecord("m1", notification(trailKey("twice")));
    assert.deepEqual(await run(sqsEvent(message)), { batchItemFailures: [] });
    assert.deepEqual(await run(sqsEvent(message)), { batchItemFailures: [] });
    assert.deepEqual(
      [...fake.created.values()],
      REAL_RECORDS.map(() => 1),
    );
    assert.equal(fake.itemStatuses.get(409), REAL_RECORDS.length);
  });

  it("fails the message when OpenSearch keeps throttling past the retry budget", async () => {
    await local.put(TRAIL, trailKey("throttled"), logFile([CONSOLE_LOGIN]));
    fake.faults = { throttle: new Map([[String(CONSOLE_LOGIN.eventID), 10]]) };
    const result = await handler({ retry: { ...NO_SLEEP, maxAttempts: 3 } })(
      sqsEvent(sqsRecord("m1", notification(trailKey("throttled")))),
    );
    assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: "m1" }] });
    assert.match(logger.lines.find((l) => l.level === "warn")?.text ?? "", /RetriesExhaustedError/);
  });

  it("fails every message announcing a file when the bootstrap fails, after its S3 copy; retries it next time", async () => {
    let attempts = 0;
    const run = handler({
      bootstrap: () =>
        ++attempts === 1 ? Promise.reject(new Error("403 from OpenSearch")) : Promise.resolve(),
    });
    await local.put(TRAIL, trailKey("boot"), logFile([CONSOLE_LOGIN]));
    const event = sqsEvent(
      sqsRecord("a", notification(trailKey("boot"))),
      sqsRecord("nothing", notification()),
    );
    assert.deepEqual(await run(event), { batchItemFailures: [{ itemIdentifier: "a" }] });
    assert.equal(fake.requestSizes.length, 0);
    const source = { bucket: TRAIL, key: trailKey("boot") };
    assert.deepEqual(await local.getNdjsonGz(ARCHIVE, eventsKey("cloudtrail-events/", DAY, source)), [
      CONSOLE_LOGIN,
    ]);
    assert.deepEqual(await run(event), { batchItemFailures: [] });
    assert.ok(fake.docs.has(String(CONSOLE_LOGIN.eventID)));
  });

  it("logs counts, never event bodies, at info level", async () => {
    const secret = { ...LARGE_REQUEST_PARAMETERS, requestParameters: { marker: "TOP-SECRET-PAYLOAD" } };
    await local.put(TRAIL, trailKey("logged"), logFile([secret, CONSOLE_LOGIN]));
    const failing: BulkSink = {
      bulk: () => Promise.resolve({ statusCode: 500, body: "TOP-SECRET-PAYLOAD echoed" }),
    };
    await handler()(sqsEvent(sqsRecord("ok", notification(trailKey("logged")))));
    await handler({ sink: failing, retry: { ...NO_SLEEP, maxAttempts: 2 } })(
      sqsEvent(sqsRecord("bad", notification(trailKey("logged")))),
    );
    const info = logger.lines.filter((l) => l.level === "info");
    assert.ok(info.some((l) => /"message":"object done"/.test(l.text) && /"records":2/.test(l.text)));
    assert.ok(info.some((l) => /"message":"batch done"/.test(l.text) && /"indexed":2/.test(l.text)));
    for (const line of logger.lines) assert.ok(!line.text.includes("TOP-SECRET-PAYLOAD"), line.text);
  });

  it("fails the message, files nothing, on 401/403/404 and blocks; the S3 copy is written regardless", async () => {
    const faults: RequestFault[] = [401, 403, 404, 503, "write-block", "flood-stage", "index-missing"];
    for (const fault of faults) {
      const key = trailKey(`refused-${fault}`);
      await local.put(TRAIL, key, logFile(REAL_RECORDS));
      fake.faults = { outage: fault };
      const result = await handler({ retry: { ...NO_SLEEP, maxAttempts: 2 } })(
        sqsEvent(sqsRecord("m1", notification(key))),
      );
      assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: "m1" }] }, String(fault));
      const source = { bucket: TRAIL, key };
      assert.equal(
        await local.get(ARCHIVE, failedKey("cloudtrail-failed/", source)),
        undefined,
        String(fault),
      );
      assert.deepEqual(
        await local.getNdjsonGz(ARCHIVE, eventsKey("cloudtrail-events/", DAY, source)),
        REAL_RECORDS,
      );
    }
    assert.equal(fake.docs.size, 0);
  });

  it("backs failed messages off by receive count with ChangeMessageVisibility, capped at 12 h", async () => {
    const calls: ChangeMessageVisibilityCommand["input"][] = [];
    const sqs: VisibilityClient = {
      send: (command) => {
        calls.push(command.input);
        return Promise.resolve({});
      },
    };
    await local.put(TRAIL, trailKey("ok"), logFile([CONSOLE_LOGIN]));
    fake.faults = { outage: 403 };
    const failing = (id: string, count: number) => sqsRecord(id, notification(trailKey("ok")), count);
    const result = await handler({ sqs })(
      sqsEvent(failing("first", 1), failing("third", 3), failing("late", 20)),
    );
    assert.equal(result.batchItemFailures.length, 3);
    assert.deepEqual(
      calls
        .map((c) => [c.ReceiptHandle, c.VisibilityTimeout, c.QueueUrl])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ["handle-first", 60, "https://sqs.us-east-1.amazonaws.com/111122223333/cloudtrail-objects"],
        ["handle-late", 43_200, "https://sqs.us-east-1.amazonaws.com/111122223333/cloudtrail-objects"],
        ["handle-third", 240, "https://sqs.us-east-1.amazonaws.com/111122223333/cloudtrail-objects"],
      ],
    );
    // A success is never backed off (Lambda deletes it).
    fake.faults = {};
    calls.length = 0;
    assert.deepEqual(await handler({ sqs })(sqsEvent(failing("now-ok", 4))), { batchItemFailures: [] });
    assert.deepEqual(calls, []);
  });

  it("reports rejected records, indexed events and failed messages to the metrics sink", async () => {
    const figures: BatchFigures[] = [];
    const noId: CloudTrailEvent = { ...CONSOLE_LOGIN, eventID: undefined };
    await local.put(TRAIL, trailKey("metrics"), logFile([ACCESS_DENIED, CONSOLE_LOGIN, noId]));
    fake.faults = { reject: new Set([String(ACCESS_DENIED.eventID)]) };
    await handler({ metrics: (f) => figures.push(f) })(
      sqsEvent(
        sqsRecord("m1", notification(trailKey("metrics"))),
        sqsRecord("m2", notification(trailKey("none"))),
      ),
    );
    assert.deepEqual(figures, [{ messages: 2, failedMessages: 1, indexed: 1, rejected: 2 }]);
  });
});
