/**
 * Traces of `npm start` end to end: the platform with every app tracing to
 * the local OTLP stand-in (as scripts/start.ts wires it), one request to the
 * receiver, and the spans it causes — the receiver's request, then the
 * transformer's and the log indexer's batches reading it from the stream —
 * each a tree of the expected names under its own service name.
 */
import * as assert from "node:assert/strict";
import https from "node:https";

import type { OtlpStandIn, RecordedSpan } from "../../../scripts/local/otlp-stand-in";
import { startOtlpStandIn } from "../../../scripts/local/otlp-stand-in";
import type { LocalPlatform } from "../../../scripts/local/platform";
import { startLocalPlatform } from "../../../scripts/local/platform";

function post(p: LocalPlatform, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      p.receiverUrl,
      {
        method: "POST",
        ca: p.caPem,
        headers: { authorization: `Bearer ${p.token}`, "content-type": "text/plain" },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The children of `parent` among `spans`, by name. */
const childNames = (spans: readonly RecordedSpan[], parent: RecordedSpan): string[] =>
  spans
    .filter((s) => s.parentSpanId === parent.spanId)
    .map((s) => s.name)
    .sort();

describe("local platform traces: one request → receiver, transformer and log indexer span trees", function () {
  this.timeout(60_000);
  let standIn: OtlpStandIn;
  let platform: LocalPlatform | undefined;

  before(async () => {
    standIn = await startOtlpStandIn();
  });
  after(async () => {
    await platform?.close();
    await standIn.close();
  });

  it("records the spans of every app through the stand-in, each under its service name", async () => {
    platform = await startLocalPlatform({
      logLevel: "silent",
      shards: 1,
      tracingEnv: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: standIn.tracesUrl, OTEL_SERVICE_NAME: "ignored" },
    });
    const p = platform;
    const line = '198.51.100.4 - - [10/Mar/2024:06:10:00 +0000] "GET / HTTP/1.1" 200 10 "-" "curl/8.4.0"';
    assert.equal(await post(p, `${line}\nnot an access line`), 200);
    await p.eventSource.caughtUp();
    await p.logIndexerEventSource.caughtUp();
    await p.flushTraces();
    const spans = await standIn.waitFor(
      (all) =>
        ["receive", "transform batch", "index batch"].every((name) => all.some((s) => s.name === name)) &&
        all.some((s) => s.name === "bulk"),
      10_000,
    );

    const receive = spans.find((s) => s.name === "receive") as RecordedSpan;
    assert.equal(receive.service, "log-receiver");
    assert.equal(receive.attributes["http.response.status_code"], 200);
    assert.equal(receive.attributes["log_receiver.lines"], 2);
    assert.deepEqual(childNames(spans, receive), ["PutRecords", "decode"]);
    const put = spans.find((s) => s.name === "PutRecords" && s.parentSpanId === receive.spanId);
    assert.equal(put?.attributes["kinesis.failed_records"], 0);
    assert.equal(put?.status.code, "UNSET");

    // The transformer's batches (an empty poll is no invocation; the one with the record is).
    const batch = spans.find((s) => s.name === "transform batch" && s.attributes["kinesis.records"] === 1);
    assert.ok(batch, standIn.tree());
    assert.equal(batch.service, "access-log-transformer");
    assert.deepEqual(childNames(spans, batch), ["S3 PutObject", "S3 PutObject", "transform"]);
    assert.deepEqual(
      spans
        .filter((s) => s.name === "S3 PutObject" && s.parentSpanId === batch.spanId)
        .map((s) => s.attributes["s3.key_prefix"])
        .sort(),
      ["access-errors/", "access/"],
    );

    const index = spans.find((s) => s.name === "index batch" && s.attributes["kinesis.records"] === 1);
    assert.ok(index, standIn.tree());
    assert.equal(index.service, "log-indexer-logs");
    assert.deepEqual(childNames(spans, index), ["bulk"]);
    assert.match(standIn.summary(), /log-receiver \d+/);
    assert.ok(
      spans.every((s) => s.service !== "ignored"),
      "OTEL_SERVICE_NAME does not rename every app",
    );
  });
});
