import assert from "node:assert/strict";
import type { SQSEvent } from "aws-lambda";
import type { OtlpStandIn, RecordedSpan } from "../../../scripts/local/otlp-stand-in";
import { startOtlpStandIn } from "../../../scripts/local/otlp-stand-in";
import { testTracing } from "../../lib/tracing/test/support";
import type { Tracing } from "../../lib/tracing/tracing";
import type { Logger } from "../src/handler";
import { createHandler } from "../src/handler";
import { FakeOpenSearch } from "./fake-opensearch";
import { CONSOLE_LOGIN, logFile, REAL_RECORDS, trailKey } from "./fixtures";
import type { LocalS3 } from "./local-s3";
import { startLocalS3 } from "./local-s3";

const TRAIL = "trail-bucket";
const ARCHIVE = "archive-bucket";
const NO_SLEEP = { sleep: () => Promise.resolve(), random: () => 0 };

/** One SQS message announcing `key` in the trail bucket (S3 → SQS, no SNS). */
function event(key: string): SQSEvent {
  const body = JSON.stringify({
    Records: [
      {
        eventSource: "aws:s3",
        eventName: "ObjectCreated:Put",
        s3: {
          bucket: { name: TRAIL },
          object: { key: encodeURIComponent(key).replace(/%2F/g, "/"), size: 1 },
        },
      },
    ],
  });
  return {
    Records: [
      {
        messageId: "m1",
        receiptHandle: "h",
        body,
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: "1",
          SenderId: "s",
          ApproximateFirstReceiveTimestamp: "1",
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:111122223333:q",
        awsRegion: "us-east-1",
      },
    ],
  };
}

const named = (spans: readonly RecordedSpan[], name: string): RecordedSpan[] =>
  spans.filter((s) => s.name === name);

describe("apps/cloudtrail-indexer tracing (spans through the local OTLP stand-in)", () => {
  let local: LocalS3;
  let standIn: OtlpStandIn;
  let tracing: Tracing;
  const logged: Record<string, unknown>[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: (fields, msg) => void logged.push({ ...fields, msg }),
    warn: (fields, msg) => void logged.push({ ...fields, msg }),
    error: (fields, msg) => void logged.push({ ...fields, msg }),
  };
  before(async () => {
    local = await startLocalS3([TRAIL, ARCHIVE]);
    standIn = await startOtlpStandIn();
  });
  after(async () => {
    await local.close();
    await standIn.close();
  });
  beforeEach(() => {
    standIn.clear();
    logged.length = 0;
    tracing = testTracing(standIn, "cloudtrail-indexer");
  });
  afterEach(() => tracing.shutdown());

  it("cloudtrail batch → object → split and bulk; a 503 then success is two requests in one bulk span", async () => {
    await local.put(TRAIL, trailKey("traced"), logFile(REAL_RECORDS));
    const fake = new FakeOpenSearch({ requests: [503] });
    const handler = createHandler({
      s3: local.s3,
      sink: fake.sink(),
      archiveBucket: ARCHIVE,
      retry: NO_SLEEP,
      logger,
      tracing,
    });
    assert.deepEqual(await handler(event(trailKey("traced"))), { batchItemFailures: [] });
    const spans = standIn.spans; // flushed before the handler returned
    const [batch] = named(spans, "cloudtrail batch");
    const [object] = named(spans, "object");
    const [split] = named(spans, "split");
    const [bulk] = named(spans, "bulk");
    assert.ok(batch && object && split && bulk, standIn.tree());
    assert.equal(batch.kind, "SERVER");
    assert.equal(batch.attributes["messaging.batch.message_count"], 1);
    assert.equal(object.parentSpanId, batch.spanId);
    assert.equal(object.attributes["aws.s3.key"], trailKey("traced"));
    assert.equal(split.parentSpanId, object.spanId);
    assert.equal(split.attributes["cloudtrail.records"], REAL_RECORDS.length);
    assert.equal(bulk.parentSpanId, object.spanId);
    assert.equal(bulk.kind, "CLIENT");
    assert.deepEqual(
      {
        requests: bulk.attributes["opensearch.requests"],
        r5xx: bulk.attributes["opensearch.requests_5xx"],
        r429: bulk.attributes["opensearch.requests_429"],
        indexed: bulk.attributes["opensearch.items_indexed"],
        retried: bulk.attributes["opensearch.items_retried"],
        rejected: bulk.attributes["opensearch.items_rejected"],
      },
      {
        requests: 2,
        r5xx: 1,
        r429: 0,
        indexed: REAL_RECORDS.length,
        retried: REAL_RECORDS.length,
        rejected: 0,
      },
    );
    assert.deepEqual(
      bulk.events.map((e) => [
        e.name,
        e.attributes["opensearch.attempt"],
        e.attributes["http.response.status_code"],
      ]),
      [
        ["request", 1, 503],
        ["request", 2, 200],
      ],
    );
    assert.equal(bulk.status.code, "UNSET");
    assert.equal(batch.status.code, "UNSET");
    const done = logged.find((line) => line.msg === "batch done");
    assert.equal(done?.trace_id, batch.traceId);
  });

  it("throttling past the retry budget: bulk, object and batch spans are ERROR", async () => {
    await local.put(TRAIL, trailKey("throttled"), logFile([CONSOLE_LOGIN]));
    const fake = new FakeOpenSearch({ throttle: new Map([[String(CONSOLE_LOGIN.eventID), 10]]) });
    const handler = createHandler({
      s3: local.s3,
      sink: fake.sink(),
      archiveBucket: ARCHIVE,
      retry: { ...NO_SLEEP, maxAttempts: 3 },
      logger,
      tracing,
    });
    assert.deepEqual(await handler(event(trailKey("throttled"))), {
      batchItemFailures: [{ itemIdentifier: "m1" }],
    });
    const spans = standIn.spans;
    const [bulk] = named(spans, "bulk");
    assert.equal(bulk?.status.code, "ERROR");
    assert.match(bulk?.status.message ?? "", /RetriesExhaustedError/);
    assert.equal(bulk?.attributes["opensearch.requests"], 3);
    assert.equal(bulk?.attributes["opensearch.items_retried"], 2);
    assert.equal(named(spans, "object")[0]?.status.code, "ERROR");
    assert.equal(named(spans, "cloudtrail batch")[0]?.status.code, "ERROR");
    const failed = logged.find((line) => line.msg === "message failed");
    assert.equal(failed?.trace_id, named(spans, "cloudtrail batch")[0]?.traceId);
  });
});
