/**
 * The Kinesis handler of the log indexer over the shared fake OpenSearch and
 * an in-memory S3 writer: exactly once across re-sent and bisected batches,
 * throttling, refusals (partial batch responses naming the first record to
 * retry), document errors filed with their line, the preview sink.
 */
import assert from "node:assert/strict";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import fc from "fast-check";
import type { IngestEnvelope } from "../../lib/ingest-record";
import type { BulkResponse, BulkSink } from "../../lib/opensearch/bulk";
import { docKey, FakeOpenSearch } from "../../cloudtrail-indexer/test/fake-opensearch";
import type { SearchFigures } from "../src/common";
import { failedObjectKey, previewBulkSink } from "../src/common";
import type { LogHandlerOptions } from "../src/handler";
import { createHandler, logIndexerConfig } from "../src/handler";
import { FakeWriter } from "./common/fake-writer";

const SHARD = "shardId-000000000000";
const BUCKET = "archive";
const RECEIVED_AT = "2024-03-10T06:00:00.000Z";
const ARRIVED_AT_SECONDS = Date.parse(RECEIVED_AT) / 1000 + 0.5;
const NO_SLEEP = { sleep: async () => {}, random: () => 0, maxAttempts: 3 };

/** A receiver envelope of line `n` (`message` for text lines, `event` for JSON ones). */
function envelope(n: number, kind: "text" | "json" = n % 2 === 0 ? "text" : "json"): IngestEnvelope {
  const base = {
    id: `line-${n}`,
    receivedAt: RECEIVED_AT,
    receiver: "receiver-1",
    client: "192.0.2.7",
    source: "Office-PCs",
  };
  return kind === "text"
    ? { ...base, message: `<13>Mar 10 06:00:${String(n % 60).padStart(2, "0")} pc-${n} app: text line ${n}` }
    : { ...base, event: { level: "warn", msg: `json line ${n}`, n, user: { name: `u${n}` } } };
}

/** Kinesis records of `perRecord` envelopes each, as the receiver packs them (NDJSON), lines numbered from 0. */
function records(count: number, perRecord: number, first = 0): KinesisStreamRecord[] {
  return Array.from({ length: count }, (_, r) => {
    const lines = Array.from({ length: perRecord }, (_, i) =>
      JSON.stringify(envelope(first + r * perRecord + i)),
    );
    return kinesisRecord(Buffer.from(lines.join("\n")), String(1000 + first / perRecord + r));
  });
}

function kinesisRecord(data: Buffer, sequenceNumber: string): KinesisStreamRecord {
  return {
    kinesis: {
      kinesisSchemaVersion: "1.0",
      partitionKey: "p",
      sequenceNumber,
      data: data.toString("base64"),
      approximateArrivalTimestamp: ARRIVED_AT_SECONDS,
    },
    eventSource: "aws:kinesis",
    eventVersion: "1.0",
    eventID: `${SHARD}:${sequenceNumber}`,
    eventName: "aws:kinesis:record",
    invokeIdentityArn: "arn:aws:iam::123456789012:role/log-indexer",
    awsRegion: "eu-west-1",
    eventSourceARN: "arn:aws:kinesis:eu-west-1:123456789012:stream/ingest",
  };
}

const event = (list: readonly KinesisStreamRecord[]): KinesisStreamEvent => ({ Records: [...list] });

/** The ids of every line carried by `list`. */
function lineIds(list: readonly KinesisStreamRecord[]): string[] {
  return list.flatMap((record) =>
    Buffer.from(record.kinesis.data, "base64")
      .toString("utf8")
      .split("\n")
      .map((line) => (JSON.parse(line) as IngestEnvelope).id),
  );
}

const LOGS_INDEX = "logs-office-pcs-2024.03.10";

function setup(extra: Partial<LogHandlerOptions> = {}, fake = new FakeOpenSearch()) {
  const writer = new FakeWriter();
  const figures: SearchFigures[] = [];
  const handler = createHandler({
    sink: fake.sink(),
    s3: writer,
    archiveBucket: BUCKET,
    lines: { accessLogSources: "none" },
    retry: NO_SLEEP,
    metrics: (f) => figures.push(f),
    ...extra,
  });
  return { fake, writer, figures, handler };
}

/** Asserts every id is stored exactly once in the logs index, and nothing else is. */
function assertExactlyOnce(fake: FakeOpenSearch, ids: readonly string[]): void {
  assert.deepEqual([...fake.writes].sort(), ids.map((id) => [docKey(LOGS_INDEX, id), 1]).sort());
}

describe("log-indexer Kinesis handler", () => {
  it("indexes JSON and text lines by their envelope id; a re-sent batch changes nothing", async () => {
    const { fake, figures, handler } = setup();
    const batch = records(4, 25);
    assert.deepEqual(await handler(event(batch)), { batchItemFailures: [] });
    assert.deepEqual(await handler(event(batch)), { batchItemFailures: [] });
    assertExactlyOnce(fake, lineIds(batch));
    assert.equal(fake.itemStatuses.get(409), 100, "the re-sent batch met 409 for every line");
    assert.deepEqual(figures, [
      { indexed: 100, failedRecords: 0, retriedItems: 0 },
      { indexed: 100, failedRecords: 0, retriedItems: 0 },
    ]);
    const text = fake.documents.get(docKey(LOGS_INDEX, "line-0"))?.source;
    const json = fake.documents.get(docKey(LOGS_INDEX, "line-1"))?.source;
    assert.equal(text?.message, "<13>Mar 10 06:00:00 pc-0 app: text line 0");
    assert.equal(text?.receiver, "receiver-1");
    assert.equal(text?.client, "192.0.2.7");
    assert.equal(json?.message, "json line 1");
    assert.equal(json?.level, "warn");
  });

  it("keeps bodies under BULK_MAX_BYTES", async () => {
    const maxBytes = 64 * 1024;
    const { fake, handler } = setup({ bulkMaxBytes: maxBytes });
    const batch = records(40, 50);
    assert.deepEqual(await handler(event(batch)), { batchItemFailures: [] });
    assert.ok(fake.requestSizes.length > 5, `${fake.requestSizes.length} requests`);
    for (const size of fake.requestSizes) assert.ok(size <= maxBytes, `${size} > ${maxBytes}`);
    assertExactlyOnce(fake, lineIds(batch));
  });

  it("a thrown error (a proxy's HTML answer) fails the invocation; its bisected halves index every line once", async () => {
    const fake = new FakeOpenSearch();
    let calls = 0;
    const flaky: BulkSink = {
      bulk: (body: Buffer): Promise<BulkResponse> =>
        Promise.resolve(++calls === 3 ? { statusCode: 200, body: "<html>gateway</html>" } : fake.bulk(body)),
    };
    const { handler } = setup({ sink: flaky, bulkMaxBytes: 64 * 1024 }, fake);
    const batch = records(20, 50);
    await assert.rejects(handler(event(batch)), /not JSON/);
    assert.ok(
      fake.writes.size > 0 && fake.writes.size < 1000,
      "the failed attempt indexed part of the batch",
    );
    // What Lambda does with BisectBatchOnFunctionError: the two halves, one after the other.
    assert.deepEqual(await handler(event(batch.slice(0, 10))), { batchItemFailures: [] });
    assert.deepEqual(await handler(event(batch.slice(10))), { batchItemFailures: [] });
    assertExactlyOnce(fake, lineIds(batch));
  });

  it("retries 429s within the invocation", async () => {
    const batch = records(2, 10);
    const ids = lineIds(batch);
    const fake = new FakeOpenSearch({
      throttle: new Map([
        [ids[3] as string, 2],
        [ids[17] as string, 1],
      ]),
    });
    const { figures, handler } = setup({}, fake);
    assert.deepEqual(await handler(event(batch)), { batchItemFailures: [] });
    assertExactlyOnce(fake, ids);
    assert.equal(fake.itemStatuses.get(429), 3);
    assert.deepEqual(figures, [{ indexed: 20, failedRecords: 0, retriedItems: 0 }]);
  });

  it("throttling past the retry budget reports the first record of the failed chunk", async () => {
    const batch = records(3, 10);
    const ids = lineIds(batch);
    const fake = new FakeOpenSearch({ throttle: new Map([[ids[0] as string, 10]]) });
    const { handler } = setup({}, fake);
    assert.deepEqual(await handler(event(batch)), {
      batchItemFailures: [{ itemIdentifier: batch[0]?.kinesis.sequenceNumber }],
    });
    fake.faults = {};
    assert.deepEqual(await handler(event(batch)), { batchItemFailures: [] });
    assertExactlyOnce(fake, ids);
  });

  it("a 403 refusal reports the first sequence number of the batch; the retry indexes once", async () => {
    const fake = new FakeOpenSearch({ requests: [403] });
    const { figures, handler } = setup({}, fake);
    const batch = records(3, 10);
    assert.deepEqual(await handler(event(batch)), {
      batchItemFailures: [{ itemIdentifier: batch[0]?.kinesis.sequenceNumber }],
    });
    assert.equal(fake.writes.size, 0);
    assert.deepEqual(figures, [{ indexed: 0, failedRecords: 0, retriedItems: 3 }]);
    assert.deepEqual(await handler(event(batch)), { batchItemFailures: [] });
    assertExactlyOnce(fake, lineIds(batch));
  });

  it("a write block in a later chunk reports that chunk's first record, and everything before it is indexed", async () => {
    const fake = new FakeOpenSearch();
    const { handler } = setup({ bulkMaxBytes: 64 * 1024 }, fake);
    const batch = records(20, 50);
    let calls = 0;
    const blocking: BulkSink = {
      bulk: (body) => {
        if (++calls === 3) fake.faults = { outage: "write-block" };
        return Promise.resolve(fake.bulk(body));
      },
    };
    const blocked = setup({ sink: blocking, bulkMaxBytes: 64 * 1024 }, fake);
    const response = await blocked.handler(event(batch));
    const reported = response.batchItemFailures[0]?.itemIdentifier;
    const at = batch.findIndex((r) => r.kinesis.sequenceNumber === reported);
    assert.equal(response.batchItemFailures.length, 1);
    assert.ok(at > 0, `reported record ${reported} is after the first`);
    // Lambda checkpoints before the reported record: everything before it must be in the index.
    for (const id of lineIds(batch.slice(0, at)))
      assert.equal(fake.writes.get(docKey(LOGS_INDEX, id)), 1, id);
    fake.faults = {};
    assert.deepEqual(await handler(event(batch.slice(at))), { batchItemFailures: [] });
    assertExactlyOnce(fake, lineIds(batch));
  });

  it("whichever chunk is refused, retrying from the reported record leaves every line indexed once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 8 }),
        async (recordCount, perRecord, refusedCall) => {
          const fake = new FakeOpenSearch();
          let calls = 0;
          const sink: BulkSink = {
            bulk: (body) =>
              Promise.resolve(
                ++calls === refusedCall ? { statusCode: 403, body: '{"Message":"denied"}' } : fake.bulk(body),
              ),
          };
          const { handler } = setup({ sink, bulkMaxBytes: 8 * 1024 }, fake);
          const batch = records(recordCount, perRecord);
          const first = await handler(event(batch));
          const reported = first.batchItemFailures[0]?.itemIdentifier;
          const at =
            reported === undefined
              ? batch.length
              : batch.findIndex((r) => r.kinesis.sequenceNumber === reported);
          assert.ok(at >= 0);
          for (const id of lineIds(batch.slice(0, at)))
            assert.equal(fake.writes.get(docKey(LOGS_INDEX, id)), 1);
          assert.deepEqual((await handler(event(batch.slice(at)))).batchItemFailures, []);
          assertExactlyOnce(fake, lineIds(batch));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("files a document OpenSearch rejects in logs-failed/ with its line and reason; the batch succeeds", async () => {
    const batch = records(2, 3);
    const fake = new FakeOpenSearch({ reject: new Set(["line-4"]) });
    const { writer, figures, handler } = setup({}, fake);
    assert.deepEqual(await handler(event(batch)), { batchItemFailures: [] });
    const key = failedObjectKey(
      "logs-failed/",
      new Date(ARRIVED_AT_SECONDS * 1000),
      `${SHARD}-${batch[0]?.kinesis.sequenceNumber}`,
    );
    assert.deepEqual(writer.lines(key), [
      {
        reason: "mapper_parsing_exception: failed to parse field [eventTime] of type [date]",
        status: 400,
        index: LOGS_INDEX,
        id: "line-4",
        source: {
          shardId: SHARD,
          sequenceNumber: batch[1]?.kinesis.sequenceNumber,
          lineIndex: 1,
          source: "office-pcs",
        },
        line: envelope(4).message,
      },
    ]);
    assert.deepEqual(figures, [{ indexed: 5, failedRecords: 1, retriedItems: 0 }]);
    // The same batch again rewrites the same object, not a second one.
    assert.deepEqual(await handler(event(batch)), { batchItemFailures: [] });
    assert.deepEqual([...writer.objects.keys()], [key]);
    assert.equal(writer.puts, 2);
  });

  it("keeps a rejected JSON line as the JSON the sender sent", async () => {
    const batch = records(1, 2);
    const fake = new FakeOpenSearch({ reject: new Set(["line-1"]) });
    const { writer, handler } = setup({}, fake);
    await handler(event(batch));
    const [entry] = writer.lines([...writer.objects.keys()][0] as string) as { line: string }[];
    assert.deepEqual(JSON.parse(entry?.line ?? ""), envelope(1).event);
  });

  it("retries the whole batch when the failed-lines object cannot be written", async () => {
    const batch = records(2, 3);
    const fake = new FakeOpenSearch({ reject: new Set(["line-4"]) });
    const { writer, handler } = setup({}, fake);
    writer.failWith = new Error("SlowDown");
    assert.deepEqual(await handler(event(batch)), {
      batchItemFailures: [{ itemIdentifier: batch[0]?.kinesis.sequenceNumber }],
    });
    writer.failWith = undefined;
    assert.deepEqual(await handler(event(batch)), { batchItemFailures: [] });
    assert.equal(writer.objects.size, 1);
    assert.equal(fake.writes.size, 5);
  });

  it("indexes nothing and reports the first record when the bootstrap fails", async () => {
    const { fake, handler, figures } = setup({
      bootstrap: () => Promise.reject(new Error("403 on _index_template")),
    });
    const batch = records(3, 2);
    assert.deepEqual(await handler(event(batch)), {
      batchItemFailures: [{ itemIdentifier: batch[0]?.kinesis.sequenceNumber }],
    });
    assert.equal(fake.requestSizes.length, 0);
    assert.deepEqual(figures, [{ indexed: 0, failedRecords: 0, retriedItems: 3 }]);
  });

  it("reports one record per shard when an event mixes shards", async () => {
    const fake = new FakeOpenSearch({ outage: 403 });
    const { handler } = setup({}, fake);
    const a = records(2, 2);
    const b = records(2, 2, 10).map((r) => ({
      ...r,
      eventID: `shardId-000000000001:${r.kinesis.sequenceNumber}`,
    }));
    const response = await handler(event([a[0]!, b[0]!, a[1]!, b[1]!]));
    assert.deepEqual(response.batchItemFailures, [
      { itemIdentifier: a[0]?.kinesis.sequenceNumber },
      { itemIdentifier: b[0]?.kinesis.sequenceNumber },
    ]);
  });

  it("indexes an access-log source's lines into access-* too, under the same id", async () => {
    const { fake, handler } = setup({ lines: { accessLogSources: new Set(["nginx"]) } });
    const line = '203.0.113.9 - - [10/Mar/2024:06:01:02 +0000] "GET /a HTTP/1.1" 200 12 "-" "curl/8.5.0"';
    const data = Buffer.from(
      JSON.stringify({
        id: "acc-1",
        receivedAt: RECEIVED_AT,
        receiver: "r",
        client: "c",
        source: "nginx",
        message: line,
      }),
    );
    assert.deepEqual(await handler(event([kinesisRecord(data, "77")])), { batchItemFailures: [] });
    assert.deepEqual([...fake.writes.keys()].sort(), [
      "access-2024.03.10/acc-1",
      "logs-nginx-2024.03.10/acc-1",
    ]);
    assert.equal(fake.documents.get("access-2024.03.10/acc-1")?.source.statuscode, 200);
  });

  it("indexes non-envelope records (fluentd) with <sequenceNumber>-<line> ids", async () => {
    const { fake, handler } = setup();
    const data = Buffer.from(`${JSON.stringify({ log: "plain fluentd line" })}\n`);
    assert.deepEqual(await handler(event([kinesisRecord(data, "4242")])), { batchItemFailures: [] });
    const keys = [...fake.writes.keys()];
    assert.equal(keys.length, 1);
    assert.match(keys[0] ?? "", /^logs-kinesis-\d{4}\.\d{2}\.\d{2}\/4242-0$/);
  });

  it("without OpenSearch, the preview sink writes the documents under opensearch-preview/<index>/", async () => {
    const writer = new FakeWriter();
    const handler = createHandler({
      sink: previewBulkSink(writer, BUCKET, "opensearch-preview/"),
      s3: writer,
      archiveBucket: BUCKET,
      lines: { accessLogSources: "none" },
    });
    const batch = records(2, 5);
    assert.deepEqual(await handler(event(batch)), { batchItemFailures: [] });
    const keys = [...writer.objects.keys()];
    assert.ok(keys.length > 0);
    for (const key of keys)
      assert.match(key, new RegExp(`^opensearch-preview/${LOGS_INDEX}/[0-9a-f]+\\.ndjson$`));
    const docs = keys.flatMap((key) => writer.lines(key)) as {
      _id: string;
      _op: string;
      _source: { message: string };
    }[];
    assert.deepEqual(docs.map((d) => d._id).sort(), lineIds(batch).sort());
    assert.ok(docs.every((d) => d._op === "create"));
    assert.equal(docs.find((d) => d._id === "line-1")?._source.message, "json line 1");
  });

  describe("logIndexerConfig", () => {
    it("reads the defaults", () => {
      const config = logIndexerConfig({ AWS_REGION: "eu-west-1", ARCHIVE_BUCKET: "archive-1" });
      assert.equal(config.failedPrefix, "logs-failed/");
      assert.equal(config.openSearch, undefined);
      assert.deepEqual(
        [config.logsRetentionDays, config.accessRetentionDays, config.lines],
        [14, 14, { accessLogSources: "all", maxFields: 200, maxMessageBytes: 32768 }],
      );
    });

    it("reads every variable of the Kinesis handler", () => {
      const config = logIndexerConfig({
        AWS_REGION: "eu-west-1",
        ARCHIVE_BUCKET: "archive-1",
        OPENSEARCH_ENDPOINT: "search-x.eu-west-1.es.amazonaws.com",
        LOGS_RETENTION_DAYS: "90",
        ACCESS_RETENTION_DAYS: "30",
        ACCESS_LOG_SOURCES: "nginx, Web_Front",
        MAX_FIELDS: "50",
        MAX_MESSAGE_BYTES: "4096",
        FAILED_PREFIX: "failed/logs/",
      });
      assert.equal(config.openSearch?.endpoint, "https://search-x.eu-west-1.es.amazonaws.com");
      assert.deepEqual(
        [config.logsRetentionDays, config.accessRetentionDays, config.failedPrefix],
        [90, 30, "failed/logs/"],
      );
      assert.deepEqual(config.lines, {
        accessLogSources: new Set(["nginx", "web-front"]),
        maxFields: 50,
        maxMessageBytes: 4096,
      });
    });

    it("lists every problem at once", () => {
      assert.throws(
        () => logIndexerConfig({ AWS_REGION: "eu-west-1", MAX_FIELDS: "0", LOGS_RETENTION_DAYS: "x" }),
        (error: Error) =>
          /ARCHIVE_BUCKET/.test(error.message) &&
          /MAX_FIELDS/.test(error.message) &&
          /LOGS_RETENTION_DAYS/.test(error.message),
      );
    });
  });
});
