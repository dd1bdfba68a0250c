/**
 * Search end to end on loopback: log-sender → log-receiver (TLS) →
 * kinesalite → the local stand-in for Lambda's Kinesis event source mapping
 * (bisecting on function errors, as the LogIndexer's mapping is configured)
 * → the log indexer's Kinesis handler → `_bulk` of a fake OpenSearch behind a
 * real HTTP server on 127.0.0.1 (SigV4-signed requests, as in AWS).
 *
 * A file of JSON and text lines is sent, then sent again from the start (the
 * sender re-reads the same byte ranges, so the receiver gives the lines the
 * same ids: a re-sent batch); one `_bulk` request of the first delivery never
 * answers, so that invocation times out after part of its batch was indexed
 * and the event source bisects it. At the end every line is in its
 * `logs-office-pcs-*` index exactly once, by id.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import selfsigned from "selfsigned";

import { FakeOpenSearch, startFakeServer } from "../../../apps/cloudtrail-indexer/test/fake-opensearch";
import type { FakeServer } from "../../../apps/cloudtrail-indexer/test/fake-opensearch";
import type { BulkSink } from "../../../apps/lib/opensearch/bulk";
import { ensureIndexFamily, once } from "../../../apps/lib/opensearch/index-family";
import { openSearchBulkSink } from "../../../apps/lib/opensearch/sink";
import type { ClosableTransport } from "../../../apps/lib/signed-http";
import { createOpenSearchTransport } from "../../../apps/lib/signed-http";
import { createHandler } from "../../../apps/log-indexer/src/handler";
import { accessFamily, logsFamily } from "../../../apps/log-indexer/src/logs/family";
import { FakeWriter } from "../../../apps/log-indexer/test/common/fake-writer";
import type { LocalKinesis } from "../../../apps/log-receiver/test/kinesalite";
import { startKinesalite } from "../../../apps/log-receiver/test/kinesalite";
import type { Receiver } from "../../../apps/log-receiver/src/server";
import { startReceiver } from "../../../apps/log-receiver/src/server";
import { sendFiles } from "../../../apps/log-sender/src";
import type { KinesisEventSource } from "../../../scripts/local/kinesis-event-source";
import { startKinesisEventSource } from "../../../scripts/local/kinesis-event-source";

const TOKEN = { name: "office-pcs", token: "search-e2e-token-0123456789abcdef" };
const STREAM = "ingest";
const REGION = "us-east-1";
const LINES = 3000;
const LINE_TIME = "2024-03-10T06:07:08.000Z";

/** Line `n` of the input: even lines are text, odd lines JSON with their own time; each names its number. */
function inputLine(n: number): string {
  return n % 2 === 0
    ? `text line ${n}: user alice logged in from 198.51.100.${n % 250}`
    : JSON.stringify({
        time: LINE_TIME,
        level: "info",
        msg: `json line ${n}`,
        n,
        http: { status: 200 + (n % 5) },
      });
}

describe("search end to end: sender → receiver → kinesalite → log indexer → _bulk", function () {
  this.timeout(120_000);

  let tmp = "";
  let kinesis: LocalKinesis | undefined;
  let receiver: Receiver | undefined;
  let server: FakeServer | undefined;
  let transport: ClosableTransport | undefined;
  let source: KinesisEventSource | undefined;

  after(async () => {
    await source?.stop();
    await receiver?.close();
    transport?.close();
    await server?.close();
    await kinesis?.close();
    if (tmp !== "") fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("indexes every JSON and text line exactly once by id, across a re-sent batch and a bisected retry", async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "search-e2e-"));
    const pems = await selfsigned.generate([{ name: "commonName", value: "127.0.0.1" }], {
      keyType: "ec",
      curve: "P-256",
      algorithm: "sha256",
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
    });
    const caFile = path.join(tmp, "ca.pem");
    fs.writeFileSync(caFile, pems.cert);

    kinesis = await startKinesalite();
    await kinesis.createStream(STREAM, 2);
    receiver = await startReceiver({
      host: "127.0.0.1",
      port: 0,
      tokens: [TOKEN],
      kinesis: kinesis.client,
      streamName: STREAM,
      tls: { cert: pems.cert, key: pems.private },
      retry: { baseDelayMs: 5, maxDelayMs: 50, retryAfterSeconds: 1 },
    });

    const fake = new FakeOpenSearch();
    server = await startFakeServer(fake);
    transport = createOpenSearchTransport({
      endpoint: server.url,
      region: REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const realSink = openSearchBulkSink(transport);
    // The first delivery's third `_bulk` request never answers: its invocation times out mid-batch.
    let requests = 0;
    let stalled = false;
    const sink: BulkSink = {
      bulk: (body) => {
        if (++requests === 3) {
          stalled = true;
          return new Promise(() => undefined);
        }
        return realSink.bulk(body);
      },
    };
    const families = [logsFamily(14), accessFamily(14)];
    const bootstrap = once(async () => {
      for (const family of families) await ensureIndexFamily(transport!, family, 0);
    });
    const failed = new FakeWriter();
    const handler = createHandler({
      sink,
      bootstrap,
      s3: failed,
      archiveBucket: "archive",
      // Small bodies, so one batch is several requests and the stall lands in the middle of one.
      bulkMaxBytes: 64 * 1024,
      retry: { sleep: async () => {}, maxAttempts: 3 },
    });

    const file = path.join(tmp, "mixed.log");
    const expected = Array.from({ length: LINES }, (_, n) => inputLine(n));
    fs.writeFileSync(file, `${expected.join("\n")}\n`);
    const senderOptions = {
      url: receiver.url,
      token: TOKEN.token,
      caFile,
      spoolDir: path.join(tmp, "spool"),
      batchLines: 100,
      retry: { baseMs: 20, maxMs: 200 },
      progressIntervalMs: 0,
    };
    const first = await sendFiles([file], senderOptions);
    assert.equal(first.lines, LINES);

    // The whole first send waits on the stream, so the first invocation gets a batch of many records.
    const deadLetters: unknown[] = [];
    source = await startKinesisEventSource({
      kinesis: kinesis.client,
      streamName: STREAM,
      region: REGION,
      handler,
      functionTimeoutMs: 3_000,
      maxRetryDelayMs: 10,
      idleMs: 50,
      onDeadLetter: (...args) => deadLetters.push(args),
    });
    await source.caughtUp();
    assert.ok(stalled, "a request stalled");
    assert.equal(source.stats.timeouts, 1, "the stalled request timed its invocation out");
    assert.ok(source.stats.bisections >= 1, "the timed-out batch was bisected");
    const afterFirst = fake.itemStatuses.get(409) ?? 0;
    assert.ok(afterFirst > 0, "the halves met documents the timed-out attempt had indexed (409)");

    // The same file again from its first byte: the same batches, so the same line ids, on new records.
    const again = await sendFiles([file], { ...senderOptions, fromStart: true });
    assert.equal(again.lines, LINES);
    await source.caughtUp();
    assert.equal((fake.itemStatuses.get(409) ?? 0) - afterFirst, LINES, "every re-sent line answered 409");

    // Exactly once: one write per (index, id), one document per line, each line's content there.
    const writes = [...fake.writes];
    assert.equal(writes.length, LINES);
    assert.ok(
      writes.every(([, count]) => count === 1),
      "no document written twice",
    );
    const ids = new Set(writes.map(([key]) => key.slice(key.indexOf("/") + 1)));
    assert.equal(ids.size, LINES, "one id per line");
    const messages: string[] = [];
    for (const [key] of writes) {
      const doc = fake.documents.get(key);
      assert.ok(doc !== undefined);
      assert.match(doc.index, /^logs-office-pcs-\d{4}\.\d{2}\.\d{2}$/);
      assert.equal(doc.source.source, "office-pcs");
      assert.equal(doc.source.client, "127.0.0.1");
      messages.push(String(doc.source.message));
    }
    const expectedMessages = expected.map((line, n) => (n % 2 === 0 ? line : `json line ${n}`));
    assert.deepEqual(messages.sort(), expectedMessages.sort());

    // JSON lines keep their own time and their fields; text lines are messages at receivedAt.
    const json = [...fake.documents.values()].find((doc) => doc.source.message === "json line 1");
    assert.equal(json?.source["@timestamp"], LINE_TIME);
    assert.equal(json?.index, "logs-office-pcs-2024.03.10");
    assert.equal(json?.source.time_source, "line");
    assert.equal(JSON.stringify(json?.source.fields).includes("201"), true);
    const text = [...fake.documents.values()].find((doc) => doc.source.message === expected[0]);
    assert.equal(text?.source.time_source, "receivedAt");
    assert.equal(text?.source["@timestamp"], text?.source.receivedAt);

    assert.deepEqual(deadLetters, []);
    assert.equal(failed.objects.size, 0, "no line was filed as failed");
    assert.ok(fake.templates.has("logs") && fake.templates.has("access"), "the families were bootstrapped");
    console.log(
      `      lines ${LINES} ×2 sends, documents ${fake.documents.size}, 409s ${fake.itemStatuses.get(409) ?? 0}, ` +
        `invocations ${source.stats.invocations}, timeouts ${source.stats.timeouts}, bisections ${source.stats.bisections}, ` +
        `_bulk requests ${fake.requestSizes.length}`,
    );
  });
});
