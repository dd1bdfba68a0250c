import assert from "node:assert/strict";
import http from "node:http";
import zlib from "node:zlib";
import { isIngestEnvelope } from "../../lib/ingest-record";
import { startReceiver } from "../src/server";
import { FakeKinesis, TOKENS, auth, receiverStarter, request, serviceError } from "./helpers";

describe("log-receiver HTTP API", () => {
  const start = receiverStarter({ hostname: "receiver-1", retry: { baseDelayMs: 1, maxDelayMs: 2 } });

  it("stores NDJSON lines as envelopes and answers 200 with the count", async () => {
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis);
    const body = '{"level":"info","msg":"hello"}\nplain text line\n\n{not json\r\n42\n';
    const reply = await request(url, { headers: auth(), body });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.json(), { accepted: 4 });
    const envelopes = kinesis.envelopes();
    assert.equal(envelopes.length, 4);
    assert.ok(envelopes.every(isIngestEnvelope));
    assert.deepEqual(
      envelopes.map((e) => [e.event, e.message]),
      [
        [{ level: "info", msg: "hello" }, undefined],
        [undefined, "plain text line"],
        [undefined, "{not json"],
        [42, undefined],
      ],
    );
    const first = envelopes[0];
    assert.ok(first !== undefined);
    assert.equal(first.receiver, "receiver-1");
    assert.equal(first.client, "127.0.0.1");
    assert.equal(first.source, "office-pcs");
    assert.ok(!Number.isNaN(Date.parse(first.receivedAt)));
    // Ids carry the line position in the body (the blank line keeps its index).
    assert.deepEqual(
      envelopes.map((e) => e.id.split("-")[1]),
      ["0", "1", "3", "4"],
    );
  });

  it("keeps JSON-looking lines as messages for text/plain", async () => {
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis);
    const reply = await request(url, {
      headers: auth({ "content-type": "text/plain" }),
      body: '{"a":1}\nline',
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(
      kinesis.envelopes().map((e) => e.message),
      ['{"a":1}', "line"],
    );
  });

  it("accepts a JSON array as events and rejects a malformed one with 400", async () => {
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis);
    const ok = await request(url, {
      headers: auth({ "content-type": "application/json" }),
      body: '[{"a":1},"x",null]',
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(
      kinesis.envelopes().map((e) => e.event),
      [{ a: 1 }, "x", null],
    );
    const bad = await request(url, {
      headers: auth({ "content-type": "application/json" }),
      body: '[{"a":1},',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().error, "bad_json_array");
    assert.equal(kinesis.envelopes().length, 3);
  });

  it("decompresses gzip and rejects corrupt gzip with 400 storing nothing", async () => {
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis);
    const ok = await request(url, {
      headers: auth({ "content-encoding": "gzip" }),
      body: zlib.gzipSync("a\nb\n"),
    });
    assert.equal(ok.status, 200);
    const corrupt = zlib.gzipSync("c\nd\n");
    corrupt[corrupt.length - 6] = (corrupt[corrupt.length - 6] ?? 0) ^ 0xff; // break the CRC
    const bad = await request(url, { headers: auth({ "content-encoding": "gzip" }), body: corrupt });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().error, "bad_gzip");
    assert.match(String(bad.json().message), /not valid gzip/);
    assert.deepEqual(
      kinesis.envelopes().map((e) => e.message),
      ["a", "b"],
    );
  });

  it("rejects a gzip bomb with 413 without inflating it", async () => {
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis, { limits: { maxDecompressedBytes: 1024 * 1024 } });
    const bomb = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024, "a"));
    assert.ok(bomb.length < 50_000);
    const reply = await request(url, { headers: auth({ "content-encoding": "gzip" }), body: bomb });
    assert.equal(reply.status, 413);
    assert.equal(reply.json().error, "decompressed_too_large");
    assert.equal(kinesis.calls.length, 0);
  });

  it("rejects bodies over the limit with 413, declared or streamed", async () => {
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis, { limits: { maxBodyBytes: 1000 } });
    const declared = await request(url, { headers: auth(), body: "x".repeat(1001) });
    assert.equal(declared.status, 413);
    assert.equal(declared.json().error, "body_too_large");
    // Chunked: no Content-Length, so the limit trips while reading.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        new URL("/v1/logs", url),
        { method: "POST", headers: auth(), agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      for (let i = 0; i < 20; i++) req.write("y".repeat(100) + "\n");
      req.end();
    });
    assert.equal(streamed, 413);
    assert.equal(kinesis.calls.length, 0);
  });

  it("rejects a too long line and too many lines with 413", async () => {
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis, { limits: { maxLineBytes: 10, maxLines: 3 } });
    const long = await request(url, { headers: auth(), body: "short\n" + "é".repeat(6) });
    assert.equal(long.status, 413);
    assert.equal(long.json().error, "line_too_long");
    assert.match(String(long.json().message), /Line 1 /);
    const many = await request(url, { headers: auth(), body: "a\nb\nc\nd" });
    assert.equal(many.status, 413);
    assert.equal(many.json().error, "too_many_lines");
    assert.equal(kinesis.calls.length, 0);
  });

  it("answers 401 with WWW-Authenticate for a missing, malformed or unknown token", async () => {
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis);
    for (const [authorization, reason] of [
      [undefined, "missing_token"],
      ["Basic abc", "bad_token"],
      ["Bearer wrong-token-0123456789", "bad_token"],
    ] as const) {
      const headers: http.OutgoingHttpHeaders = { "content-type": "text/plain" };
      if (authorization !== undefined) headers.authorization = authorization;
      const reply = await request(url, { headers, body: "line" });
      assert.equal(reply.status, 401, String(authorization));
      assert.equal(reply.json().error, reason);
      assert.match(String(reply.headers["www-authenticate"]), /^Bearer/);
    }
    assert.equal(kinesis.calls.length, 0);
  });

  it("records the name of the token used as source", async () => {
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis);
    await request(url, { headers: auth({}, TOKENS[1]?.token), body: "x" });
    assert.equal(kinesis.envelopes()[0]?.source, "servers");
  });

  it("answers 415 for unsupported media types and encodings", async () => {
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis);
    const type = await request(url, { headers: auth({ "content-type": "application/xml" }), body: "<a/>" });
    assert.equal(type.status, 415);
    assert.equal(type.json().error, "unsupported_media_type");
    const encoding = await request(url, { headers: auth({ "content-encoding": "br" }), body: "x" });
    assert.equal(encoding.status, 415);
    assert.equal(encoding.json().error, "unsupported_encoding");
  });

  it("answers 404 and 405 with Allow", async () => {
    const { url } = await start(new FakeKinesis());
    const missing = await request(url, { method: "GET", path: "/nope" });
    assert.equal(missing.status, 404);
    assert.equal(missing.json().error, "not_found");
    const wrong = await request(url, { method: "GET", path: "/v1/logs" });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, "POST");
  });

  it("gives a retried batch the same ids: by Idempotency-Key, or by body without one", async () => {
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis);
    const ids = async (headers: http.OutgoingHttpHeaders, body: string): Promise<string[]> => {
      const before = kinesis.envelopes().length;
      const reply = await request(url, { headers, body });
      assert.equal(reply.status, 200);
      return kinesis
        .envelopes()
        .slice(before)
        .map((e) => e.id);
    };
    const keyed = auth({ "idempotency-key": "batch-42" });
    const a = await ids(keyed, "one\ntwo");
    assert.deepEqual(await ids(keyed, "one\ntwo"), a);
    assert.notDeepEqual(await ids(auth({ "idempotency-key": "batch-43" }), "one\ntwo"), a);
    // Another token reusing the key gets its own ids.
    assert.notDeepEqual(await ids(auth({ "idempotency-key": "batch-42" }, TOKENS[1]?.token), "one\ntwo"), a);
    const b = await ids(auth(), "three\nfour");
    assert.deepEqual(await ids(auth(), "three\nfour"), b);
    assert.notDeepEqual(await ids(auth(), "three\nfive"), b);
    const bad = await request(url, { headers: auth({ "idempotency-key": "has space" }), body: "x" });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().error, "bad_idempotency_key");
  });

  it("retries only the failed entries of a partial failure, then answers 200", async () => {
    // Every second entry of the first call is throttled.
    const kinesis = new FakeKinesis((call, entry) =>
      call === 0 && entry % 2 === 1 ? "ProvisionedThroughputExceededException" : undefined,
    );
    const { url } = await start(kinesis, { limits: { maxRecordBytes: 400 } });
    const lines = Array.from({ length: 20 }, (_, i) => `line number ${i} ${"x".repeat(50)}`);
    const reply = await request(url, { headers: auth(), body: lines.join("\n") });
    assert.equal(reply.status, 200, reply.text);
    const [first, second, third] = kinesis.calls;
    assert.ok(first !== undefined && second !== undefined && first.length > 2);
    assert.equal(third, undefined);
    assert.deepEqual(
      second.map((r) => r.partitionKey),
      first.filter((_, i) => i % 2 === 1).map((r) => r.partitionKey),
    );
    assert.deepEqual(
      kinesis
        .envelopes()
        .map((e) => e.message)
        .sort(),
      [...lines].sort(),
    );
  });

  it("answers 503 with Retry-After when the stream stays throttled, and never 200", async () => {
    const kinesis = new FakeKinesis(() => "ProvisionedThroughputExceededException");
    const receiver = await start(kinesis, {
      retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2, retryAfterSeconds: 7 },
    });
    const reply = await request(receiver.url, { headers: auth(), body: "a\nb" });
    assert.equal(reply.status, 503);
    assert.equal(reply.headers["retry-after"], "7");
    assert.equal(reply.json().error, "throttled");
    assert.equal(kinesis.calls.length, 4);
    assert.equal(kinesis.stored.length, 0);
    const metrics = await receiver.metrics.metrics();
    assert.match(metrics, /log_receiver_rejects_total\{reason="throttled"\} 1/);
    assert.doesNotMatch(metrics, /log_receiver_lines_total\{[^}]*\} [1-9]/);
  });

  it("answers 503 at once when Kinesis fails with a non-retryable error", async () => {
    const kinesis = new FakeKinesis(undefined, () => serviceError("ResourceNotFoundException", 400));
    const { url } = await start(kinesis);
    const reply = await request(url, { headers: auth(), body: "a" });
    assert.equal(reply.status, 503);
    assert.equal(reply.json().error, "unavailable");
    assert.match(String(reply.json().message), /ResourceNotFoundException/);
    assert.equal(kinesis.calls.length, 1);
  });

  it("retries a call that failed as a whole with a retryable error", async () => {
    const kinesis = new FakeKinesis(undefined, (call) =>
      call === 0 ? serviceError("InternalFailure", 500) : undefined,
    );
    const { url } = await start(kinesis);
    const reply = await request(url, { headers: auth(), body: "a" });
    assert.equal(reply.status, 200);
    assert.equal(kinesis.calls.length, 2);
    assert.equal(kinesis.stored.length, 1);
  });

  it("serves /healthz and /metrics with request, line and byte counters", async () => {
    const kinesis = new FakeKinesis();
    const { url } = await start(kinesis);
    const health = await request(url, { method: "GET", path: "/healthz" });
    assert.equal(health.status, 200);
    await request(url, { headers: auth(), body: "a\nb\nc" });
    await request(url, { headers: { "content-type": "text/plain" }, body: "a" });
    const metrics = await request(url, { method: "GET", path: "/metrics" });
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /log_receiver_lines_total\{source="office-pcs"\} 3/);
    assert.match(metrics.text, /log_receiver_requests_total\{status="200"\} 2/);
    assert.match(metrics.text, /log_receiver_requests_total\{status="401"\} 1/);
    assert.match(metrics.text, /log_receiver_rejects_total\{reason="missing_token"\} 1/);
    assert.match(metrics.text, /log_receiver_bytes_in_total\{encoding="identity"\} 5/);
    assert.match(metrics.text, /log_receiver_kinesis_put_seconds_count\{outcome="ok"\} 1/);
  });

  it("close() lets an in-flight request finish before resolving, then refuses connections", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered: () => void = () => undefined;
    const putStarted = new Promise<void>((resolve) => (entered = resolve));
    const inner = new FakeKinesis();
    const slow = {
      send: async (command: Parameters<FakeKinesis["send"]>[0]) => {
        entered();
        await gate;
        return inner.send(command);
      },
    };
    const receiver = await startReceiver({ tokens: TOKENS, kinesis: slow, streamName: "ingest" });
    const pending = request(receiver.url, { headers: auth(), body: "late line" });
    await putStarted;
    let closed = false;
    const closing = receiver.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(closed, false, "close() must wait for the in-flight request");
    release();
    const reply = await pending;
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.connection, "close");
    await closing;
    assert.deepEqual(
      inner.envelopes().map((e) => e.message),
      ["late line"],
    );
    await assert.rejects(request(receiver.url, { headers: auth(), body: "x" }), /ECONNREFUSED/);
  });

  it("refuses invalid configuration up front", async () => {
    await assert.rejects(
      startReceiver({ tokens: [], kinesis: new FakeKinesis(), streamName: "s" }),
      /at least one token/,
    );
    await assert.rejects(
      startReceiver({ tokens: [{ name: "a", token: "short" }], kinesis: new FakeKinesis(), streamName: "s" }),
      /at least 16 characters/,
    );
    await assert.rejects(
      startReceiver({
        tokens: TOKENS,
        kinesis: new FakeKinesis(),
        streamName: "s",
        limits: { maxRecordBytes: 2e6 },
      }),
      /maxRecordBytes/,
    );
  });
});
