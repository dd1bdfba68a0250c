import type { PutRecordsCommandOutput, PutRecordsResultEntry } from "@aws-sdk/client-kinesis";
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { IngestEnvelope } from "../../../apps/lib/ingest-record";
import type { LocalKinesis } from "../../../apps/log-receiver/test/kinesalite";
import { startKinesalite } from "../../../apps/log-receiver/test/kinesalite";
import type { PutRecordsClient, Receiver, ReceiverOptions } from "../../../apps/log-receiver/src/server";
import { startReceiver } from "../../../apps/log-receiver/src/server";
import { FatalSendError, sendFiles, syntheticLine } from "../../../apps/log-sender/src";
import type { SenderOptions } from "../../../apps/log-sender/src";
import { requireTool } from "../../lib/tools";
import { prng } from "../../lib/prng";

const TOKENS = [{ name: "office-pcs", token: "e2e-token-0123456789abcdef" }];

/**
 * Sits in front of kinesalite and makes a share of the entries of every
 * PutRecords call come back as ProvisionedThroughputExceededException (those
 * entries never reach the stream), the way a hot shard answers.
 */
class ThrottlingKinesis implements PutRecordsClient {
  injected = 0;
  constructor(
    private readonly inner: PutRecordsClient,
    private readonly share: number,
    private readonly random: () => number,
  ) {}

  async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
    const records = command.input.Records ?? [];
    const fail = records.map(() => this.random() < this.share);
    const passing = records.filter((_, i) => fail[i] !== true);
    const stored =
      passing.length === 0
        ? []
        : ((await this.inner.send(new PutRecordsCommand({ ...command.input, Records: passing }))).Records ??
          []);
    let next = 0;
    const entries: PutRecordsResultEntry[] = records.map((_, i) => {
      if (fail[i] !== true)
        return stored[next++] ?? { ErrorCode: "InternalFailure", ErrorMessage: "missing result" };
      this.injected++;
      return {
        ErrorCode: "ProvisionedThroughputExceededException",
        ErrorMessage: "Rate exceeded for shard (injected)",
      };
    });
    return {
      FailedRecordCount: entries.filter((e) => e.ErrorCode !== undefined).length,
      Records: entries,
      $metadata: {},
    };
  }
}

describe("ingest end to end: log-sender → log-receiver (TLS) → kinesalite", function () {
  let tmp = "";
  let certFile = "";
  let tls: { cert: Buffer; key: Buffer } | undefined;
  let kinesis: LocalKinesis | undefined;
  let streams = 0;
  const receivers: Receiver[] = [];

  before(async function () {
    const openssl = requireTool(this, "openssl");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ingest-e2e-"));
    certFile = path.join(tmp, "cert.pem");
    const keyFile = path.join(tmp, "key.pem");
    await promisify(execFile)(openssl, [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ]);
    tls = { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
    kinesis = await startKinesalite();
  });
  after(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    await kinesis?.close();
    if (tmp !== "") fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function newStream(shards = 2): Promise<string> {
    assert.ok(kinesis !== undefined);
    const name = `ingest-${++streams}`;
    await kinesis.createStream(name, shards);
    return name;
  }

  async function receiver(stream: string, extra: Partial<ReceiverOptions> = {}): Promise<Receiver> {
    assert.ok(kinesis !== undefined && tls !== undefined);
    const started = await startReceiver({
      tokens: TOKENS,
      kinesis: kinesis.client,
      streamName: stream,
      tls,
      retry: { baseDelayMs: 5, maxDelayMs: 50, retryAfterSeconds: 1 },
      ...extra,
    });
    receivers.push(started);
    return started;
  }

  async function stop(target: Receiver): Promise<void> {
    receivers.splice(receivers.indexOf(target), 1);
    await target.close();
  }

  function senderOptions(url: string, extra: Partial<SenderOptions> = {}): SenderOptions {
    return {
      url,
      token: TOKENS[0]?.token ?? "",
      caFile: certFile, // verified TLS against the test's self-signed certificate
      spoolDir: path.join(tmp, `spool-${streams}`),
      batchLines: 500,
      retry: { baseMs: 20, maxMs: 200 },
      progressIntervalMs: 0,
      ...extra,
    };
  }

  function logFile(lines: number): { file: string; lines: string[] } {
    const random = prng(lines);
    const content = Array.from({ length: lines }, (_, i) => syntheticLine(i, random));
    const file = path.join(tmp, `input-${streams}.log`);
    fs.writeFileSync(file, content.join("\n") + "\n");
    return { file, lines: content };
  }

  async function storedLines(target: Receiver): Promise<number> {
    const metric = await target.metrics.getSingleMetric("log_receiver_lines_total")?.get();
    return metric?.values[0]?.value ?? 0;
  }

  async function readEnvelopes(stream: string): Promise<IngestEnvelope[]> {
    assert.ok(kinesis !== undefined);
    const records = await kinesis.readAll(stream);
    return records.flatMap((data) =>
      data
        .toString("utf8")
        .split("\n")
        .map((line) => JSON.parse(line) as IngestEnvelope),
    );
  }

  /**
   * Every sent line is in the stream under exactly one id. An id may appear
   * more than once only as a retry of the same line (same content and
   * source); the count of distinct ids equals the count of lines sent.
   */
  function assertEveryLineOnce(envelopes: readonly IngestEnvelope[], sent: readonly string[]): void {
    const byId = new Map<string, IngestEnvelope>();
    for (const envelope of envelopes) {
      const seen = byId.get(envelope.id);
      if (seen === undefined) {
        byId.set(envelope.id, envelope);
      } else {
        assert.deepEqual(
          [envelope.message, envelope.event, envelope.source],
          [seen.message, seen.event, seen.source],
        );
      }
    }
    assert.equal(byId.size, sent.length, "distinct ids == lines sent");
    const text = [...byId.values()].map((e) =>
      e.message !== undefined ? e.message : JSON.stringify(e.event),
    );
    assert.deepEqual(text.sort(), [...sent].sort());
    for (const envelope of byId.values()) assert.equal(envelope.source, "office-pcs");
  }

  it("stores every line once by id, across a receiver restart in the middle of the run", async () => {
    const stream = await newStream(4);
    const { file, lines } = logFile(20_000);
    const first = await receiver(stream);
    const port = Number(new URL(first.url).port);
    const sending = sendFiles([file], senderOptions(first.url));
    while ((await storedLines(first)) < 4_000) await new Promise((r) => setTimeout(r, 10));
    await stop(first);
    await new Promise((r) => setTimeout(r, 200)); // the sender hits a closed port meanwhile
    await receiver(stream, { port });
    const summary = await sending;
    assert.equal(summary.lines, lines.length);
    assert.equal(summary.spoolDepth, 0);
    assert.ok(summary.retries > 0, "the outage was noticed and retried");
    assertEveryLineOnce(await readEnvelopes(stream), lines);
  });

  it("stores every line once by id when the sender is interrupted and run again", async () => {
    const stream = await newStream();
    const { file, lines } = logFile(10_000);
    const target = await receiver(stream);
    const controller = new AbortController();
    const interrupted = sendFiles(
      [file],
      senderOptions(target.url, { signal: controller.signal, batchLines: 200 }),
    );
    while ((await storedLines(target)) < 2_000) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const partial = await interrupted;
    assert.ok(partial.lines < lines.length, "the first run was cut short");
    const rest = await sendFiles([file], senderOptions(target.url, { batchLines: 200 }));
    assert.ok(partial.lines + rest.lines >= lines.length);
    assertEveryLineOnce(await readEnvelopes(stream), lines);
  });

  it("retries the entries Kinesis throttles until every line is stored", async () => {
    assert.ok(kinesis !== undefined);
    const stream = await newStream();
    const { file, lines } = logFile(5_000);
    const throttling = new ThrottlingKinesis(kinesis.client, 0.3, prng(7));
    // Small records, so each request is many PutRecords entries and partial failures are the norm.
    const target = await receiver(stream, { kinesis: throttling, limits: { maxRecordBytes: 16 * 1024 } });
    const summary = await sendFiles([file], senderOptions(target.url));
    assert.equal(summary.lines, lines.length);
    assert.ok(throttling.injected > 20, `injected ${throttling.injected} failures`);
    const retried = await target.metrics.getSingleMetric("log_receiver_kinesis_retried_records_total")?.get();
    assert.ok((retried?.values[0]?.value ?? 0) >= throttling.injected - 10);
    assertEveryLineOnce(await readEnvelopes(stream), lines);
  });

  it("answers bad tokens, oversized bodies and corrupt gzip with 401/413/400 and stores nothing", async () => {
    const stream = await newStream(1);
    const target = await receiver(stream, { limits: { maxBodyBytes: 64 * 1024 } });
    const post = (
      headers: Record<string, string>,
      body: Buffer,
    ): Promise<{ status: number; error: string }> =>
      new Promise((resolve, reject) => {
        const req = https.request(
          new URL("/v1/logs", target.url),
          { method: "POST", ca: fs.readFileSync(certFile), headers, agent: false },
          (res) => {
            let text = "";
            res.on("data", (c: Buffer) => (text += c.toString()));
            res.on("end", () =>
              resolve({
                status: res.statusCode ?? 0,
                error: String((JSON.parse(text) as { error: unknown }).error),
              }),
            );
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    const good = { authorization: `Bearer ${TOKENS[0]?.token}`, "content-encoding": "gzip" };
    const gz = zlib.gzipSync("a line\n");
    assert.deepEqual(await post({ ...good, authorization: "Bearer not-the-token-000000" }, gz), {
      status: 401,
      error: "bad_token",
    });
    assert.deepEqual(await post({ "content-encoding": "gzip" }, gz), { status: 401, error: "missing_token" });
    assert.deepEqual(await post(good, zlib.gzipSync(Buffer.alloc(200 * 1024, "x"), { level: 0 })), {
      status: 413,
      error: "body_too_large",
    });
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x41, 10, 14);
    assert.deepEqual(await post(good, corrupt), { status: 400, error: "bad_gzip" });
    // Through the sender: a wrong token stops it with its batches kept (no grace period for
    // token rotation here: the sender would otherwise retry the 401 for 120 s).
    const { file } = logFile(10);
    await assert.rejects(
      sendFiles([file], senderOptions(target.url, { token: "not-the-token-000000", authGraceSeconds: 0 })),
      (e: unknown) => e instanceof FatalSendError && e.status === 401,
    );
    assert.deepEqual(await readEnvelopes(stream), []);
  });
});
