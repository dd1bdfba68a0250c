import assert from "node:assert/strict";
import http from "node:http";
import { SpanKind } from "@opentelemetry/api";
import type { OtlpStandIn } from "../../../../scripts/local/otlp-stand-in";
import { startOtlpStandIn } from "../../../../scripts/local/otlp-stand-in";
import type { TracingOn } from "../config";
import { tracingConfigFromEnv } from "../config";
import { lambdaParent, traceInvocation } from "../lambda";
import { traceLogFields, xrayTraceId } from "../log-fields";
import { startTracing } from "../start";
import { testTracingConfig } from "./support";
import { markError, NOOP_SPAN, NOOP_TRACING } from "../tracing";

const onFor = (standIn: OtlpStandIn, extra: Partial<TracingOn> = {}): TracingOn =>
  testTracingConfig(standIn, "test-app", extra);

describe("apps/lib/tracing provider (through the local OTLP stand-in)", () => {
  let standIn: OtlpStandIn;
  before(async () => (standIn = await startOtlpStandIn()));
  after(() => standIn.close());
  beforeEach(() => standIn.clear());

  it("exports parent and child spans with X-Ray trace ids, attributes, kinds and ERROR status", async () => {
    const tracing = startTracing(onFor(standIn));
    await tracing.withSpan(
      "outer",
      { kind: SpanKind.SERVER, attributes: { "app.records": 3 } },
      async (outer) => {
        tracing.withSpan("sync child", { parent: outer }, (span) => span.setAttribute("app.lines", 7));
        await tracing
          .withSpan("failing child", { parent: outer, kind: SpanKind.CLIENT }, () =>
            Promise.reject(new Error("boom")),
          )
          .catch(() => undefined);
        tracing.withSpan("handled failure", { parent: outer }, (span) => markError(span, "2 of 5 failed"));
      },
    );
    await tracing.flush();
    const spans = await standIn.waitFor((all) => all.length === 4);
    const byName = new Map(spans.map((s) => [s.name, s]));
    const outer = byName.get("outer");
    assert.ok(outer);
    assert.equal(outer.parentSpanId, undefined);
    assert.equal(outer.kind, "SERVER");
    assert.equal(outer.service, "test-app");
    assert.deepEqual(outer.attributes, { "app.records": 3 });
    // X-Ray ids: the first 8 hex digits are the epoch seconds of the start.
    const epoch = parseInt(outer.traceId.slice(0, 8), 16);
    assert.ok(Math.abs(epoch - Date.now() / 1000) < 60, `trace id ${outer.traceId} starts with the time`);
    for (const name of ["sync child", "failing child", "handled failure"]) {
      const child = byName.get(name);
      assert.equal(child?.parentSpanId, outer.spanId, name);
      assert.equal(child?.traceId, outer.traceId, name);
    }
    assert.deepEqual(byName.get("sync child")?.attributes, { "app.lines": 7 });
    assert.deepEqual(byName.get("failing child")?.status, { code: "ERROR", message: "Error: boom" });
    assert.equal(byName.get("failing child")?.kind, "CLIENT");
    assert.deepEqual(
      byName.get("failing child")?.events.map((e) => [e.name, e.attributes["exception.message"]]),
      [["exception", "boom"]],
    );
    assert.deepEqual(byName.get("handled failure")?.status, { code: "ERROR", message: "2 of 5 failed" });
    assert.equal(outer.status.code, "UNSET");
    await tracing.shutdown();
  });

  it("withSpan returns what fn returns and rethrows what it throws", async () => {
    const tracing = startTracing(onFor(standIn));
    assert.equal(
      tracing.withSpan("a", {}, () => 42),
      42,
    );
    assert.equal(await tracing.withSpan("b", {}, () => Promise.resolve("x")), "x");
    assert.throws(
      () =>
        tracing.withSpan("c", {}, () => {
          throw new TypeError("bad");
        }),
      TypeError,
    );
    await tracing.shutdown();
    const spans = await standIn.waitFor((all) => all.length === 3);
    assert.deepEqual(spans.map((s) => [s.name, s.status.code]).sort(), [
      ["a", "UNSET"],
      ["b", "UNSET"],
      ["c", "ERROR"],
    ]);
  });

  it("always_off and a 0 ratio record nothing; log fields are empty for unrecorded spans", async () => {
    for (const extra of [{ sampler: "always_off" }, { sampler: "traceidratio", ratio: 0 }] as const) {
      const tracing = startTracing(onFor(standIn, extra));
      const fields = tracing.withSpan("dropped", {}, (span) => traceLogFields(span));
      assert.deepEqual(fields, {});
      await tracing.shutdown();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(standIn.spans, []);
  });

  it("tracing off: the no-op, no exporter, nothing sent, fn still runs", async () => {
    const tracing = startTracing(tracingConfigFromEnv({}, "test-app"));
    assert.equal(tracing, NOOP_TRACING);
    assert.equal(tracing.enabled, false);
    assert.equal(
      tracing.withSpan("x", {}, (span) => span),
      NOOP_SPAN,
    );
    assert.equal(NOOP_SPAN.isRecording(), false);
    await tracing.flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(standIn.spans, []);
  });

  it("log fields: OTel hex ids and the X-Ray form of the same trace id", async () => {
    const tracing = startTracing(onFor(standIn));
    const fields = tracing.withSpan("logged", {}, (span) => traceLogFields(span));
    await tracing.shutdown();
    const [span] = await standIn.waitFor((all) => all.length === 1);
    assert.ok(span);
    assert.deepEqual(fields, {
      trace_id: span.traceId,
      span_id: span.spanId,
      xray_trace_id: `1-${span.traceId.slice(0, 8)}-${span.traceId.slice(8)}`,
    });
    assert.match(xrayTraceId(span.traceId), /^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it("a failed export is reported to onExportError and never thrown", async () => {
    const refusing = http.createServer((_req, res) => res.writeHead(500).end());
    await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
    const { port } = refusing.address() as { port: number };
    const errors: Error[] = [];
    const tracing = startTracing(onFor(standIn, { endpoint: `http://127.0.0.1:${port}/v1/traces` }), {
      onExportError: (error) => errors.push(error),
    });
    tracing.withSpan("lost", {}, () => undefined);
    await tracing.flush();
    await tracing.shutdown();
    await new Promise<void>((resolve) => refusing.close(() => resolve()));
    assert.equal(errors.length, 1);
  });
});

describe("apps/lib/tracing lambda", () => {
  const SAMPLED = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

  it("lambdaParent: Lambda's sampled segment as the parent, nothing for unsampled, malformed or unset", () => {
    const parent = lambdaParent({ _X_AMZN_TRACE_ID: SAMPLED });
    assert.deepEqual(
      { traceId: parent?.spanContext().traceId, spanId: parent?.spanContext().spanId },
      { traceId: "5759e988bd862e3fe1be46a994272793", spanId: "53995c3f42cd8ad8" },
    );
    assert.equal(lambdaParent({ _X_AMZN_TRACE_ID: SAMPLED.replace("Sampled=1", "Sampled=0") }), undefined);
    assert.equal(lambdaParent({ _X_AMZN_TRACE_ID: "Root=nonsense" }), undefined);
    assert.equal(lambdaParent({}), undefined);
  });

  it("traceInvocation: a SERVER span under Lambda's segment, flushed before it resolves, also when fn throws", async () => {
    const standIn = await startOtlpStandIn();
    try {
      // A long scheduled delay: only the flush can have sent the spans by the time the call returns.
      const tracing = startTracing(onFor(standIn), { scheduledDelayMs: 60_000 });
      const env = { _X_AMZN_TRACE_ID: SAMPLED };
      assert.equal(
        await traceInvocation(tracing, "batch", { "app.records": 2 }, () => Promise.resolve("done"), env),
        "done",
      );
      assert.equal(standIn.spans.length, 1);
      await assert.rejects(
        traceInvocation(tracing, "batch", {}, () => Promise.reject(new Error("bad batch")), env),
        /bad batch/,
      );
      assert.equal(standIn.spans.length, 2);
      const [ok, failed] = standIn.spans;
      assert.equal(ok?.kind, "SERVER");
      assert.equal(ok?.traceId, "5759e988bd862e3fe1be46a994272793");
      assert.equal(ok?.parentSpanId, "53995c3f42cd8ad8");
      assert.deepEqual(ok?.attributes, { "app.records": 2 });
      assert.equal(failed?.status.code, "ERROR");
      await tracing.shutdown();
    } finally {
      await standIn.close();
    }
  });
});
