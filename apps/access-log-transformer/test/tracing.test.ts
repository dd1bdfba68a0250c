import assert from "node:assert/strict";
import type { OtlpStandIn, RecordedSpan } from "../../../scripts/local/otlp-stand-in";
import { startOtlpStandIn } from "../../../scripts/local/otlp-stand-in";
import { testTracing } from "../../lib/tracing/test/support";
import type { Tracing } from "../../lib/tracing/tracing";
import type { Logger } from "../src/handler";
import { createHandler } from "../src/handler";
import { FakeS3, kinesisEvent, kinesisRecord } from "./helpers";

const at = (time: string): string => `198.51.100.4 - - [${time}] "GET / HTTP/1.1" 200 10 "-" "curl/8.4.0"`;
const HOUR_A = at("10/Mar/2024:06:10:00 +0000");
const HOUR_B = at("10/Mar/2024:07:10:00 +0000");
const event = () =>
  kinesisEvent([
    kinesisRecord({ sequenceNumber: "100", data: `${HOUR_A}\n${HOUR_B}` }),
    kinesisRecord({ sequenceNumber: "101", data: `${HOUR_A}\nbroken line` }),
  ]);

const logged: { fields: Record<string, unknown>; message: string }[] = [];
const logger: Logger = {
  info: (fields, message) => void logged.push({ fields: fields as Record<string, unknown>, message }),
  error: (fields, message) => void logged.push({ fields: fields as Record<string, unknown>, message }),
};

describe("apps/access-log-transformer tracing (spans through the local OTLP stand-in)", () => {
  let standIn: OtlpStandIn;
  let tracing: Tracing;
  before(async () => (standIn = await startOtlpStandIn()));
  after(() => standIn.close());
  beforeEach(() => {
    standIn.clear();
    logged.length = 0;
    // The spans arrive only because the handler flushes before it returns (see testTracing).
    tracing = testTracing(standIn, "access-log-transformer");
  });
  afterEach(() => tracing.shutdown());

  it("one batch: transform batch → transform and one S3 PutObject per object, flushed before the handler returns", async () => {
    const s3 = new FakeS3();
    const handler = createHandler({ s3, bucket: "archive", logger, tracing });
    assert.deepEqual(await handler(event()), { batchItemFailures: [] });
    const spans = standIn.spans; // no waiting: the flush already happened
    assert.equal(spans.length, 5, standIn.tree());
    const batch = spans.find((s) => s.name === "transform batch") as RecordedSpan;
    assert.equal(batch.service, "access-log-transformer");
    assert.equal(batch.kind, "SERVER");
    assert.equal(batch.parentSpanId, undefined);
    assert.deepEqual(batch.attributes, { "kinesis.records": 2, "kinesis.failed_shards": 0 });
    assert.equal(batch.status.code, "UNSET");
    const transform = spans.find((s) => s.name === "transform") as RecordedSpan;
    assert.equal(transform.parentSpanId, batch.spanId);
    assert.deepEqual(transform.attributes, {
      "kinesis.shard_id": "shardId-000000000000",
      "kinesis.records": 2,
      "access_log.parsed_lines": 3,
      "access_log.rejected_lines": 1,
      "access_log.skipped_lines": 0,
      "access_log.objects": 3,
    });
    const puts = spans.filter((s) => s.name === "S3 PutObject");
    assert.deepEqual(
      puts
        .map((s) => [
          s.parentSpanId === batch.spanId,
          s.kind,
          s.attributes["s3.key_prefix"],
          s.attributes["s3.lines"],
        ])
        .sort(),
      [
        [true, "CLIENT", "access-errors/", 1],
        [true, "CLIENT", "access/", 1],
        [true, "CLIENT", "access/", 2],
      ],
    );
    for (const put of puts) {
      assert.equal(put.attributes["rpc.service"], "S3");
      assert.equal(put.attributes["aws.s3.bucket"], "archive");
      assert.ok(s3.puts.some((p) => p.key === put.attributes["aws.s3.key"]));
      assert.ok((put.attributes["s3.bytes"] as number) > 0);
      assert.ok((put.attributes["s3.uncompressed_bytes"] as number) > 0);
    }
    assert.equal(logged[0]?.message, "batch written");
    assert.equal(logged[0]?.fields.trace_id, batch.traceId);
    assert.equal(logged[0]?.fields.xray_trace_id, `1-${batch.traceId.slice(0, 8)}-${batch.traceId.slice(8)}`);
  });

  it("a failed write: its S3 PutObject span and the batch span are ERROR; the error log carries the trace id", async () => {
    const s3 = new FakeS3();
    s3.failKey = /hour=07/;
    const handler = createHandler({ s3, bucket: "archive", logger, tracing });
    assert.deepEqual(await handler(event()), { batchItemFailures: [{ itemIdentifier: "100" }] });
    const spans = standIn.spans;
    const batch = spans.find((s) => s.name === "transform batch") as RecordedSpan;
    assert.equal(batch.status.code, "ERROR");
    assert.equal(batch.attributes["kinesis.failed_shards"], 1);
    const failed = spans.filter((s) => s.name === "S3 PutObject" && s.status.code === "ERROR");
    assert.equal(failed.length, 1);
    assert.match(String(failed[0]?.attributes["aws.s3.key"]), /hour=07/);
    assert.match(failed[0]?.status.message ?? "", /SlowDown/);
    assert.deepEqual(
      failed[0]?.events.map((e) => e.name),
      ["exception"],
    );
    const error = logged.find((entry) => entry.message.startsWith("batch not written"));
    assert.equal(error?.fields.trace_id, batch.traceId);
  });

  it("nests under Lambda's sampled X-Ray segment (_X_AMZN_TRACE_ID)", async () => {
    const previous = process.env._X_AMZN_TRACE_ID;
    process.env._X_AMZN_TRACE_ID =
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    try {
      await createHandler({ s3: new FakeS3(), bucket: "archive", logger, tracing })(event());
    } finally {
      if (previous === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = previous;
    }
    const batch = standIn.spans.find((s) => s.name === "transform batch");
    assert.equal(batch?.traceId, "5759e988bd862e3fe1be46a994272793");
    assert.equal(batch?.parentSpanId, "53995c3f42cd8ad8");
  });

  it("tracing off (the default): no spans and no trace fields in the logs", async () => {
    await createHandler({ s3: new FakeS3(), bucket: "archive", logger })(event());
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(standIn.spans, []);
    assert.equal(logged[0]?.fields.trace_id, undefined);
  });
});
