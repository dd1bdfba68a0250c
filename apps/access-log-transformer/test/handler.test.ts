import assert from "node:assert/strict";
import { createHandler, handler, type Logger, settingsFromEnvironment } from "../src/handler";
import { parseAccessLogLine } from "../src/parse";
import { FakeS3, kinesisEvent, kinesisRecord } from "./helpers";

const at = (time: string, marker: string): string =>
  `198.51.100.4 - - [${time}] "GET /${marker} HTTP/1.1" 200 10 "-" "curl/8.4.0"`;
const HOUR_A = at("10/Mar/2024:06:10:00 +0000", "secret-a");
const HOUR_B = at("10/Mar/2024:07:10:00 +0000", "secret-b");

class RecordingLogger implements Logger {
  readonly entries: { level: string; fields: object; message: string }[] = [];
  info(fields: object, message: string): void {
    this.entries.push({ level: "info", fields, message });
  }
  error(fields: object, message: string): void {
    this.entries.push({ level: "error", fields, message });
  }
}

function setup() {
  const s3 = new FakeS3();
  const logger = new RecordingLogger();
  const handler = createHandler({ s3, bucket: "archive", logger });
  return { s3, logger, handler };
}

const event = () =>
  kinesisEvent([
    kinesisRecord({ sequenceNumber: "100", data: `${HOUR_A}\n${HOUR_B}` }),
    kinesisRecord({ sequenceNumber: "101", data: `${HOUR_A}\nbroken line` }),
  ]);

describe("createHandler", () => {
  it("writes gzip JSON lines per hour and the rejected lines, and reports no failure", async () => {
    const { s3, handler } = setup();
    assert.deepEqual(await handler(event()), { batchItemFailures: [] });
    const json = (line: string) => `${JSON.stringify(parseAccessLogLine(line))}\n`;
    assert.deepEqual(
      s3.sorted().map((p) => [p.key, p.body]),
      [
        [
          // Named after the record that contributed the rejected line.
          "access-errors/year=2023/month=11/day=14/hour=22/shardId-000000000000-101.json.gz",
          `${JSON.stringify({
            reason: 'remote address "broken" is not an IPv4 or IPv6 address',
            line: "broken line",
            shardId: "shardId-000000000000",
            sequenceNumber: "101",
            lineIndex: 1,
          })}\n`,
        ],
        [
          "access/year=2024/month=03/day=10/hour=06/shardId-000000000000-100.json.gz",
          json(HOUR_A) + json(HOUR_A),
        ],
        ["access/year=2024/month=03/day=10/hour=07/shardId-000000000000-100.json.gz", json(HOUR_B)],
      ],
    );
    for (const put of s3.puts) {
      assert.equal(put.bucket, "archive");
      assert.equal(put.contentType, "application/gzip");
      assert.equal(put.contentEncoding, undefined);
    }
  });

  it("logs counts, never the lines themselves", async () => {
    const { logger, handler } = setup();
    await handler(event());
    assert.deepEqual(logger.entries, [
      {
        level: "info",
        message: "batch written",
        fields: {
          shardId: "shardId-000000000000",
          firstSequenceNumber: "100",
          records: 2,
          parsedLines: 3,
          rejectedLines: 1,
          skippedLines: 0,
          objects: 3,
          failedObjects: 0,
        },
      },
    ]);
  });

  it("reports the batch's first record when any write fails, and the retry rewrites the same keys", async () => {
    const { s3, logger, handler } = setup();
    s3.failKey = /hour=07/;
    assert.deepEqual(await handler(event()), { batchItemFailures: [{ itemIdentifier: "100" }] });
    const written = s3.puts.map((p) => p.key);
    assert.equal(written.length, 2);
    const failure = logger.entries.find((entry) => entry.level === "error");
    assert.ok(failure);
    assert.doesNotMatch(JSON.stringify(failure), /secret-/);
    assert.match(JSON.stringify(failure.fields), /SlowDown: access\/year=2024\/month=03\/day=10\/hour=07/);

    s3.failKey = undefined;
    const firstAttempt = s3.sorted();
    assert.deepEqual(await handler(event()), { batchItemFailures: [] });
    const retry = s3.sorted(s3.puts.slice(2));
    assert.equal(retry.length, 3);
    assert.deepEqual(
      retry.filter((p) => written.includes(p.key)),
      firstAttempt,
      "the retry overwrites the first attempt's objects with the same bytes",
    );
  });

  it("reports the lowest sequence number even when records arrive out of order", async () => {
    const { s3, handler } = setup();
    s3.failKey = /access-errors/;
    const records = [
      kinesisRecord({ sequenceNumber: "1000", data: "bad" }),
      kinesisRecord({ sequenceNumber: "999", data: HOUR_A }),
    ];
    assert.deepEqual(await handler(kinesisEvent(records)), {
      batchItemFailures: [{ itemIdentifier: "999" }],
    });
  });

  it("handles each shard on its own", async () => {
    const { s3, handler } = setup();
    s3.failKey = /shardId-000000000001/;
    const records = [
      kinesisRecord({ shardId: "shardId-000000000000", sequenceNumber: "10", data: HOUR_A }),
      kinesisRecord({ shardId: "shardId-000000000001", sequenceNumber: "20", data: HOUR_A }),
      kinesisRecord({ shardId: "shardId-000000000001", sequenceNumber: "21", data: HOUR_B }),
    ];
    assert.deepEqual(await handler(kinesisEvent(records)), { batchItemFailures: [{ itemIdentifier: "20" }] });
    assert.deepEqual(
      s3.puts.map((p) => p.key),
      ["access/year=2024/month=03/day=10/hour=06/shardId-000000000000-10.json.gz"],
    );
  });

  it("uses the configured prefixes", async () => {
    const s3 = new FakeS3();
    const handler = createHandler({
      s3,
      bucket: "b",
      accessPrefix: "web/parsed",
      errorPrefix: "web/rejected/",
      logger: new RecordingLogger(),
    });
    await handler(event());
    assert.deepEqual(
      s3.sorted().map((p) => p.key.split("/year=")[0]),
      ["web/parsed", "web/parsed", "web/rejected"],
    );
  });

  it("does nothing for an empty event", async () => {
    const { s3, handler } = setup();
    assert.deepEqual(await handler(kinesisEvent([])), { batchItemFailures: [] });
    assert.equal(s3.puts.length, 0);
  });
});

describe("handler (built from the environment)", () => {
  it("rejects with a clear message when ARCHIVE_BUCKET is missing", async () => {
    const saved = process.env.ARCHIVE_BUCKET;
    delete process.env.ARCHIVE_BUCKET;
    try {
      await assert.rejects(handler(kinesisEvent([])), /ARCHIVE_BUCKET is not set/);
    } finally {
      if (saved !== undefined) process.env.ARCHIVE_BUCKET = saved;
    }
  });
});

describe("settingsFromEnvironment", () => {
  it("requires ARCHIVE_BUCKET", () => {
    assert.throws(() => settingsFromEnvironment({}), /ARCHIVE_BUCKET is not set/);
    assert.throws(() => settingsFromEnvironment({ ARCHIVE_BUCKET: "" }), /ARCHIVE_BUCKET is not set/);
  });

  it("defaults the prefixes and takes them from the environment", () => {
    assert.deepEqual(settingsFromEnvironment({ ARCHIVE_BUCKET: "a" }), {
      bucket: "a",
      accessPrefix: "access/",
      errorPrefix: "access-errors/",
    });
    assert.deepEqual(
      settingsFromEnvironment({ ARCHIVE_BUCKET: "a", ACCESS_PREFIX: "x/", ERROR_PREFIX: "y/" }),
      {
        bucket: "a",
        accessPrefix: "x/",
        errorPrefix: "y/",
      },
    );
  });

  it("reads the access-log sources as a comma-separated list; empty means every source", () => {
    assert.deepEqual(
      settingsFromEnvironment({ ARCHIVE_BUCKET: "a", ACCESS_LOG_SOURCES: " nginx, edge-proxy ,," })
        .accessLogSources,
      ["nginx", "edge-proxy"],
    );
    assert.equal(
      settingsFromEnvironment({ ARCHIVE_BUCKET: "a", ACCESS_LOG_SOURCES: " , " }).accessLogSources,
      undefined,
    );
  });
});
