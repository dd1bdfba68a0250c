import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import type { OtlpStandIn } from "../otlp-stand-in";
import { parseExport, renderTrees, startOtlpStandIn } from "../otlp-stand-in";

const TRACE = "6b123c9e7cb229e9fc2b7214e1804ec2";
const exportBody = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: "service.name", value: { stringValue: "log-receiver" } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: TRACE,
              spanId: "aaaaaaaaaaaaaaaa",
              name: "receive",
              kind: 2,
              startTimeUnixNano: "1000000",
              endTimeUnixNano: "3000000",
              attributes: [
                { key: "http.response.status_code", value: { intValue: 503 } },
                { key: "ok", value: { boolValue: false } },
              ],
              status: { code: 2, message: "503 throttled" },
              events: [{ name: "retry", attributes: [{ key: "kinesis.attempt", value: { intValue: "2" } }] }],
            },
            {
              traceId: TRACE,
              spanId: "bbbbbbbbbbbbbbbb",
              parentSpanId: "aaaaaaaaaaaaaaaa",
              name: "PutRecords",
              kind: 3,
              startTimeUnixNano: 1500000,
              endTimeUnixNano: 2500000,
              attributes: [{ key: "kinesis.records", value: { intValue: 4 } }],
            },
          ],
        },
      ],
    },
  ],
};

async function post(
  url: string,
  body: Buffer | string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: "POST", body, headers });
  return { status: response.status, text: await response.text() };
}

describe("scripts/local/otlp-stand-in", () => {
  let standIn: OtlpStandIn;
  before(async () => (standIn = await startOtlpStandIn()));
  after(() => standIn.close());
  beforeEach(() => standIn.clear());

  it("records the spans of an OTLP JSON export (plain or gzip) and answers 200 {}", async () => {
    const json = JSON.stringify(exportBody);
    assert.deepEqual(await post(standIn.tracesUrl, json, { "content-type": "application/json" }), {
      status: 200,
      text: "{}",
    });
    const gzip = await post(standIn.tracesUrl, gzipSync(json), {
      "content-type": "application/json; charset=utf-8",
      "content-encoding": "gzip",
    });
    assert.equal(gzip.status, 200);
    assert.equal(standIn.spans.length, 4);
    const [receive, put] = standIn.spans;
    assert.deepEqual(receive, {
      service: "log-receiver",
      traceId: TRACE,
      spanId: "aaaaaaaaaaaaaaaa",
      name: "receive",
      kind: "SERVER",
      startNs: 1_000_000n,
      endNs: 3_000_000n,
      attributes: { "http.response.status_code": 503, ok: false },
      status: { code: "ERROR", message: "503 throttled" },
      events: [{ name: "retry", attributes: { "kinesis.attempt": 2 } }],
    });
    assert.equal(put?.parentSpanId, "aaaaaaaaaaaaaaaa");
    assert.equal(put?.kind, "CLIENT");
    assert.equal(put?.status.code, "UNSET");
    assert.equal(standIn.summary(), "4 spans (log-receiver 4), 2 with ERROR status");
  });

  it("refuses protobuf with 415 naming the setting, other paths 404, GET 405, bad JSON 400", async () => {
    const protobuf = await post(standIn.tracesUrl, Buffer.from([0x0a, 0x00]), {
      "content-type": "application/x-protobuf",
    });
    assert.equal(protobuf.status, 415);
    assert.match(protobuf.text, /OTEL_EXPORTER_OTLP_PROTOCOL=http\/json/);
    assert.equal(
      (await post(`${standIn.url}/v1/metrics`, "{}", { "content-type": "application/json" })).status,
      404,
    );
    assert.equal((await fetch(standIn.tracesUrl)).status, 405);
    assert.equal(
      (await post(standIn.tracesUrl, "{nope", { "content-type": "application/json" })).status,
      400,
    );
    assert.equal((await post(standIn.tracesUrl, "{}", { "content-type": "application/json" })).status, 400);
    assert.deepEqual(standIn.spans, []);
  });

  it("waitFor resolves once the spans arrive and rejects with what it got after the timeout", async () => {
    const waiting = standIn.waitFor((spans) => spans.length === 2);
    await post(standIn.tracesUrl, JSON.stringify(exportBody), { "content-type": "application/json" });
    assert.equal((await waiting).length, 2);
    await assert.rejects(
      standIn.waitFor(() => false, 50),
      /spans not as expected after 50 ms; got:\nlog-receiver trace/,
    );
  });

  it("prints a tree: roots with service and trace id, children indented under their parent", () => {
    assert.equal(
      renderTrees(parseExport(exportBody)),
      [
        `log-receiver trace ${TRACE} receive [SERVER] 2.0 ms ERROR (503 throttled) http.response.status_code=503 ok=false`,
        "  PutRecords [CLIENT] 1.0 ms kinesis.records=4",
      ].join("\n"),
    );
  });
});
