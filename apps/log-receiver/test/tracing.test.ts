import assert from "node:assert/strict";
import pino from "pino";
import type { OtlpStandIn, RecordedSpan } from "../../../scripts/local/otlp-stand-in";
import { startOtlpStandIn } from "../../../scripts/local/otlp-stand-in";
import { testTracing } from "../../lib/tracing/test/support";
import type { Tracing } from "../../lib/tracing/tracing";
import { FakeKinesis, auth, receiverStarter, request } from "./helpers";

/** A pino logger whose lines land in `lines`, parsed. */
function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

const one = (spans: readonly RecordedSpan[], name: string): RecordedSpan => {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `one ${name} span in ${spans.map((s) => s.name).join(", ")}`);
  return found[0] as RecordedSpan;
};

describe("apps/log-receiver tracing (spans through the local OTLP stand-in)", () => {
  const start = receiverStarter({});
  let standIn: OtlpStandIn;
  let tracing: Tracing;
  before(async () => (standIn = await startOtlpStandIn()));
  after(() => standIn.close());
  beforeEach(() => {
    standIn.clear();
    tracing = testTracing(standIn, "log-receiver");
  });
  afterEach(() => tracing.shutdown());

  it("one request: receive → decode, receive → PutRecords, with attributes; its log lines carry the trace id", async () => {
    const { logger, lines } = capturingLogger();
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis, { tracing, logger });
    const body = "first line\nsecond line\nthird line";
    const reply = await request(url, { headers: auth(), body });
    assert.equal(reply.status, 200, reply.text);
    await tracing.flush();
    const spans = await standIn.waitFor((all) => all.length === 3);

    const receive = one(spans, "receive");
    const decode = one(spans, "decode");
    const put = one(spans, "PutRecords");
    assert.equal(receive.service, "log-receiver");
    assert.equal(receive.kind, "SERVER");
    assert.equal(receive.parentSpanId, undefined);
    assert.deepEqual(receive.attributes, {
      "http.request.method": "POST",
      "http.route": "/v1/logs",
      "url.path": "/v1/logs",
      "log_receiver.source": "office-pcs",
      "log_receiver.format": "ndjson",
      "log_receiver.content_encoding": "identity",
      "http.request.body.size": Buffer.byteLength(body),
      "log_receiver.records": 1,
      "log_receiver.lines": 3,
      "http.response.status_code": 200,
    });
    assert.equal(receive.status.code, "UNSET");
    assert.equal(decode.parentSpanId, receive.spanId);
    assert.equal(decode.attributes["log_receiver.lines"], 3);
    assert.equal(put.parentSpanId, receive.spanId);
    assert.equal(put.traceId, receive.traceId);
    assert.equal(put.kind, "CLIENT");
    assert.deepEqual(put.attributes, {
      "rpc.system": "aws-api",
      "rpc.service": "Kinesis",
      "rpc.method": "PutRecords",
      "aws.kinesis.stream_name": "ingest",
      "kinesis.attempt": 1,
      "kinesis.records": 1,
      "kinesis.bytes": kinesis.calls[0]?.[0]?.data.length,
      "kinesis.failed_records": 0,
      "kinesis.throttled_records": 0,
    });
    assert.equal(put.status.code, "UNSET");
    // X-Ray trace id: 1-<8 hex of the start time>-<24 hex>.
    const stored = lines.find((line) => line.msg === "batch stored");
    assert.ok(stored, "the debug line of the request");
    assert.equal(stored.trace_id, receive.traceId);
    assert.equal(stored.span_id, receive.spanId);
    assert.equal(stored.xray_trace_id, `1-${receive.traceId.slice(0, 8)}-${receive.traceId.slice(8)}`);
  });

  it("a throttled first attempt: that PutRecords span is ERROR with its failed and throttled counts, the retry succeeds", async () => {
    // Every second entry of the first call is throttled.
    const kinesis = new FakeKinesis((call, entry) =>
      call === 0 && entry % 2 === 1 ? "ProvisionedThroughputExceededException" : undefined,
    );
    const { url } = await start(kinesis, {
      tracing,
      limits: { maxRecordBytes: 400 },
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
    });
    const lines = Array.from({ length: 20 }, (_, i) => `line number ${i} ${"x".repeat(50)}`);
    const reply = await request(url, { headers: auth(), body: lines.join("\n") });
    assert.equal(reply.status, 200, reply.text);
    await tracing.flush();
    const spans = await standIn.waitFor((all) => all.some((s) => s.name === "receive"));
    const receive = one(spans, "receive");
    const puts = spans.filter((s) => s.name === "PutRecords");
    assert.deepEqual(
      puts.map((s) => [s.attributes["kinesis.attempt"], s.status.code, s.parentSpanId === receive.spanId]),
      [
        [1, "ERROR", true],
        [2, "UNSET", true],
      ],
    );
    const [first, second] = puts;
    const records = first?.attributes["kinesis.records"] as number;
    assert.equal(records, kinesis.calls[0]?.length);
    assert.equal(first?.attributes["kinesis.failed_records"], Math.floor(records / 2));
    assert.equal(first?.attributes["kinesis.throttled_records"], Math.floor(records / 2));
    assert.equal(first?.attributes["error.type"], "ProvisionedThroughputExceededException");
    assert.match(
      first?.status.message ?? "",
      /record\(s\) not stored: ProvisionedThroughputExceededException/,
    );
    assert.equal(second?.attributes["kinesis.records"], Math.floor(records / 2));
    assert.deepEqual(
      receive.events.map((e) => [e.name, e.attributes["kinesis.attempt"], e.attributes["kinesis.records"]]),
      [["retry", 2, Math.floor(records / 2)]],
    );
    assert.equal(receive.status.code, "UNSET");
    assert.equal(receive.attributes["http.response.status_code"], 200);
  });

  it("PutRecords failing for good: every attempt visible and ERROR, receive ERROR with the 503 and its reason in the logs", async () => {
    const { logger, lines } = capturingLogger();
    const kinesis = new FakeKinesis(() => "ProvisionedThroughputExceededException");
    const { url } = await start(kinesis, {
      tracing,
      logger,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });
    const reply = await request(url, { headers: auth(), body: "a\nb" });
    assert.equal(reply.status, 503);
    await tracing.flush();
    const spans = await standIn.waitFor((all) => all.some((s) => s.name === "receive"));
    const receive = one(spans, "receive");
    const puts = spans.filter((s) => s.name === "PutRecords");
    assert.deepEqual(
      puts.map((s) => [
        s.attributes["kinesis.attempt"],
        s.status.code,
        s.attributes["kinesis.throttled_records"],
      ]),
      [
        [1, "ERROR", 1],
        [2, "ERROR", 1],
        [3, "ERROR", 1],
      ],
    );
    assert.equal(receive.status.code, "ERROR");
    assert.match(receive.status.message ?? "", /^503 throttled: /);
    assert.equal(receive.attributes["error.type"], "throttled");
    assert.equal(receive.attributes["http.response.status_code"], 503);
    assert.equal(receive.events.filter((e) => e.name === "retry").length, 2);
    const warning = lines.find((line) => line.level === 40);
    assert.equal(warning?.trace_id, receive.traceId);
    assert.equal(warning?.reason, "throttled");
  });

  it("a client error (401) is not an ERROR span but names its reason; health checks get no span", async () => {
    const { url } = await start(new FakeKinesis(), { tracing });
    assert.equal(
      (await request(url, { headers: auth({}, "wrong-token-0123456789"), body: "x" })).status,
      401,
    );
    assert.equal((await request(url, { method: "GET", path: "/healthz" })).status, 200);
    await tracing.flush();
    const spans = await standIn.waitFor((all) => all.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(
      spans.map((s) => [
        s.name,
        s.status.code,
        s.attributes["error.type"],
        s.attributes["http.response.status_code"],
      ]),
      [["receive", "UNSET", "bad_token", 401]],
    );
  });

  it("tracing off (the default): no spans sent, no trace ids in the logs", async () => {
    const { logger, lines } = capturingLogger();
    const { url } = await start(new FakeKinesis(), { logger });
    assert.equal((await request(url, { headers: auth(), body: "x" })).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(standIn.spans, []);
    const stored = lines.find((line) => line.msg === "batch stored");
    assert.ok(stored);
    assert.equal(stored.trace_id, undefined);
  });
});
