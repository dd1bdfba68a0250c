import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { LineBatch } from "../src/batch";
import { intakeUrl, postBatch, createTarget } from "../src/http-client";
import { snapshot } from "../src/identity";
import { FatalSendError } from "../src/pipeline";
import type { SenderOptions } from "../src/sources";
import { defaultSpoolDir, sendFiles, sendStream, tailFile } from "../src/sources";
import { Spool } from "../src/spool";
import type { StubReceiver } from "./stub-receiver";
import { startStubReceiver } from "./stub-receiver";

const TOKEN = "test-token-0123456789";

function numbered(from: number, count: number, prefix = "line"): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix} ${from + i}`);
}

/** Every accepted line exactly once and nothing else. */
function assertExactlyOnce(stub: StubReceiver, expected: readonly string[]): void {
  const got = stub.lines();
  assert.equal(new Set(got).size, got.length, "a line was accepted twice");
  assert.deepEqual([...got].sort(), [...expected].sort());
}

describe("log-sender delivery", () => {
  let dir = "";
  let stub: StubReceiver | undefined;
  const messages: string[] = [];
  const options = (extra: Partial<SenderOptions> = {}): SenderOptions => ({
    url: stub?.url ?? "http://127.0.0.1:9",
    token: TOKEN,
    spoolDir: path.join(dir, "spool"),
    batchLines: 10,
    retry: { baseMs: 5, maxMs: 20 },
    progressIntervalMs: 0,
    reporter: { info: (m) => messages.push(m), warn: (m) => messages.push(m) },
    ...extra,
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "log-sender-"));
    messages.length = 0;
  });
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("sends a file in gzip batches with ids and the token, then resumes only new lines", async () => {
    stub = await startStubReceiver();
    const file = path.join(dir, "app.log");
    fs.writeFileSync(file, numbered(0, 25).join("\n") + "\n");
    const first = await sendFiles([file], options());
    assert.equal(first.lines, 25);
    assert.equal(first.batches, 3);
    assert.equal(first.spoolDepth, 0);
    assert.ok(stub.requests.every((r) => r.authorization === `Bearer ${TOKEN}` && r.lines <= 10));
    assert.equal(new Set(stub.requests.map((r) => r.id)).size, 3);
    const again = await sendFiles([file], options());
    assert.equal(again.lines, 0, "nothing new to send");
    fs.appendFileSync(file, numbered(25, 5).join("\n")); // last line without newline
    assert.equal((await sendFiles([file], options())).lines, 5);
    assertExactlyOnce(stub, numbered(0, 30));
    assert.deepEqual(fs.readdirSync(path.join(dir, "spool", "batches")), []);
  });

  it("retries 503 honouring Retry-After, with the same batch id", async () => {
    stub = await startStubReceiver((n) =>
      n < 2 ? { status: 503, headers: { "Retry-After": "0" } } : undefined,
    );
    const file = path.join(dir, "a.log");
    fs.writeFileSync(file, numbered(0, 5).join("\n"));
    const summary = await sendFiles([file], options({ concurrency: 1 }));
    assert.equal(summary.retries, 2);
    assert.deepEqual(
      stub.requests.map((r) => r.id),
      Array(3).fill(stub.requests[0]?.id),
    );
    assertExactlyOnce(stub, numbered(0, 5));
    assert.ok(messages.some((m) => /HTTP 503/.test(m)));
  });

  it("splits a batch the receiver finds too large, and keeps a refused single line with its reason", async () => {
    stub = await startStubReceiver((_, lines) =>
      lines.length > 2 || lines.some((l) => l.includes("HUGE")) ? { status: 413 } : undefined,
    );
    const file = path.join(dir, "a.log");
    const lines = [...numbered(0, 7), "HUGE line", ...numbered(7, 2)];
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const summary = await sendFiles([file], options());
    assert.equal(summary.rejectedBatches, 1);
    assertExactlyOnce(
      stub,
      lines.filter((l) => !l.includes("HUGE")),
    );
    const kept = summary.rejectedFiles[0] ?? "";
    assert.match(kept, /rejected/);
    const reason = JSON.parse(fs.readFileSync(kept.replace(".ndjson.gz", ".reason.json"), "utf8")) as {
      status: number;
      message: string;
    };
    assert.equal(reason.status, 413);
    assert.match(reason.message, /HTTP 413/);
  });

  it("moves a batch refused with 400 aside and goes on with the others", async () => {
    stub = await startStubReceiver((_, lines) => (lines.includes("line 3") ? { status: 400 } : undefined));
    const file = path.join(dir, "a.log");
    fs.writeFileSync(file, numbered(0, 30).join("\n"));
    const summary = await sendFiles([file], options());
    assert.equal(summary.rejectedBatches, 1);
    assert.equal(summary.lines, 20);
    assert.ok(messages.some((m) => /refused: HTTP 400/.test(m)));
    assert.equal(fs.readdirSync(path.join(dir, "spool", "rejected")).length, 2);
  });

  it("without a grace period, stops at the first 401 keeping every batch spooled; a later run with a good token delivers them", async () => {
    stub = await startStubReceiver((_, __) => undefined);
    const bad = await startStubReceiver(() => ({ status: 401 }));
    const file = path.join(dir, "a.log");
    fs.writeFileSync(file, numbered(0, 15).join("\n"));
    await assert.rejects(
      sendFiles([file], options({ url: bad.url, authGraceSeconds: 0 })),
      (e: unknown) => e instanceof FatalSendError && e.status === 401 && !e.message.includes(TOKEN),
    );
    await bad.close();
    assert.ok(fs.readdirSync(path.join(dir, "spool", "batches")).length >= 1);
    await sendFiles([file], options());
    assertExactlyOnce(stub, numbered(0, 15));
  });

  it("retries 401 while the new token reaches the receiver tasks, then delivers every line once", async () => {
    // Token rotation: the receiver's tasks restart one by one with the new
    // tokens, so for a while the sender's (new) token is refused.
    const refuseUntil = Date.now() + 300;
    stub = await startStubReceiver(() => (Date.now() < refuseUntil ? { status: 401 } : undefined));
    const file = path.join(dir, "a.log");
    fs.writeFileSync(file, numbered(0, 25).join("\n"));
    const summary = await sendFiles([file], options({ authGraceSeconds: 10 }));
    assert.ok(stub.requests.length > 3, `only ${stub.requests.length} requests`);
    assert.ok(summary.retries >= 1);
    assert.equal(summary.spoolDepth, 0);
    assertExactlyOnce(stub, numbered(0, 25));
    assert.ok(
      messages.some((m) => /refused the token \(HTTP 401\); retrying for up to 10 s .*rotated/.test(m)),
      messages.join("\n"),
    );
    assert.ok(!messages.some((m) => m.includes(TOKEN)), "the token is never printed");
  });

  it("gives up when 401 lasts past the grace period: a clear fatal error, every batch kept in the spool", async () => {
    const bad = await startStubReceiver(() => ({ status: 401 }));
    const file = path.join(dir, "a.log");
    fs.writeFileSync(file, numbered(0, 15).join("\n"));
    const started = Date.now();
    await assert.rejects(
      sendFiles([file], options({ url: bad.url, authGraceSeconds: 0.2 })),
      (e: unknown) => {
        assert.ok(e instanceof FatalSendError && e.status === 401);
        assert.match(e.message, /refused the connection for 0\.2 s \(--auth-grace-seconds\): HTTP 401/);
        assert.match(e.message, /2 batch\(es\) kept in /);
        assert.ok(!e.message.includes(TOKEN));
        return true;
      },
    );
    assert.ok(Date.now() - started >= 200, "gave up before the grace period ended");
    assert.ok(bad.requests.length > 2, "retried within the grace period");
    await bad.close();
    assert.equal(fs.readdirSync(path.join(dir, "spool", "batches")).length, 2);
    stub = await startStubReceiver();
    await sendFiles([file], options());
    assertExactlyOnce(stub, numbered(0, 15));
  });

  it("after an interrupted run, resumes from the spool and saved offsets: every line once", async () => {
    let accepted = 0;
    stub = await startStubReceiver(() =>
      accepted++ < 3 ? undefined : { status: 503, headers: { "Retry-After": "0" } },
    );
    const file = path.join(dir, "a.log");
    fs.writeFileSync(file, numbered(0, 200).join("\n") + "\n");
    const controller = new AbortController();
    const interrupted = sendFiles([file], options({ signal: controller.signal, maxSpoolBatches: 5 }));
    while (stub.requests.length < 6) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const partial = await interrupted;
    assert.ok(partial.spoolDepth > 0);
    assert.equal(partial.lines, 30);
    accepted = -1e9; // the receiver is healthy again
    const rest = await sendFiles([file], options());
    assert.equal(rest.lines, 170);
    assertExactlyOnce(stub, numbered(0, 200));
  });

  it("does not resend lines of a batch spooled just before a crash (offset not yet saved)", async () => {
    stub = await startStubReceiver();
    const file = path.join(dir, "a.log");
    const text = numbered(0, 12).join("\n") + "\n";
    fs.writeFileSync(file, text);
    // Simulate the crash window: the first 5 lines are spooled, offsets.json never written.
    await spoolFirstLines(file, 5, stub.url);
    await sendFiles([file], options());
    assertExactlyOnce(stub, numbered(0, 12));
  });

  /** Spools the first `count` lines of `file` as one batch for `url`, as a run would, and closes the spool. */
  async function spoolFirstLines(file: string, count: number, url: string): Promise<Spool> {
    const spool = await Spool.open(path.join(dir, "spool"), intakeUrl(url));
    const handle = await fs.promises.open(file, "r");
    const { identity } = await snapshot(handle);
    await handle.close();
    const batch = new LineBatch({ batchLines: 100, batchBytes: 1e6 });
    let end = 0;
    for (const line of fs.readFileSync(file, "utf8").split("\n").slice(0, count))
      batch.add(Buffer.from(line), (end += line.length + 1));
    const taken = await batch.take({ path: file, ...identity });
    assert.ok(taken !== undefined);
    await spool.add(taken);
    await spool.close();
    return spool;
  }

  it("gives lines read again after a crash lost their saved offsets the same ids (the batch id comes from file and range)", async () => {
    // The crash window: commit() spools a batch, a worker delivers and removes it, and the
    // process dies before the offset is saved. Reproduced by putting back the offsets of an
    // earlier moment after delivery: the next run reads those lines again.
    stub = await startStubReceiver();
    const file = path.join(dir, "a.log");
    fs.writeFileSync(file, numbered(0, 10).join("\n") + "\n");
    await sendFiles([file], options());
    const offsets = path.join(dir, "spool", "offsets.json");
    const before = fs.readFileSync(offsets);
    fs.appendFileSync(file, numbered(10, 15).join("\n") + "\n");
    await sendFiles([file], options());
    const ids = stub.requests.map((r) => r.id);
    fs.writeFileSync(offsets, before); // the offset saves of the last run are lost
    const again = await sendFiles([file], options());
    assert.equal(again.lines, 15, "the lines were read and sent again");
    assert.deepEqual(
      stub.requests.slice(ids.length).map((r) => r.id),
      ids.slice(-2),
      "resent under the ids they were first sent with",
    );
    // The stub keeps lines per batch id, as the receiver derives line ids: still one id per line.
    assertExactlyOnce(stub, numbered(0, 25));
  });

  it("moves the saved offset past a delivered batch before deleting it, so a crash right after does not resend it", async () => {
    stub = await startStubReceiver();
    const file = path.join(dir, "a.log");
    fs.writeFileSync(file, numbered(0, 12).join("\n") + "\n");
    await spoolFirstLines(file, 5, stub.url);
    // Deliver it the way a worker does (200, then remove); the run "crashes" before saving the offset.
    const spool = await Spool.open(path.join(dir, "spool"), intakeUrl(stub.url));
    const [entry] = spool.entries();
    assert.ok(entry !== undefined);
    const target = createTarget({ url: stub.url, token: TOKEN });
    assert.equal((await postBatch(target, entry.id, await spool.body(entry))).kind, "accepted");
    target.agent.destroy();
    await spool.remove(entry);
    await spool.close();
    const rest = await sendFiles([file], options());
    assert.equal(rest.lines, 7, "only the lines after the delivered batch");
    assertExactlyOnce(stub, numbered(0, 12));
  });

  it("locks the spool: a second sender gets an error naming the live process; a dead holder's lock is taken over", async () => {
    stub = await startStubReceiver();
    const file = path.join(dir, "a.log");
    fs.writeFileSync(file, numbered(0, 5).join("\n") + "\n");
    const held = await Spool.open(path.join(dir, "spool"), intakeUrl(stub.url));
    await assert.rejects(
      sendFiles([file], options()),
      new RegExp(`spool .* is in use by log-sender process ${process.pid} on .*another --spool DIR`),
    );
    assert.equal(stub.requests.length, 0, "nothing sent through a spool in use");
    await held.close();
    // A sender killed with SIGKILL leaves its lock behind: a process id that no longer exists.
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const lock = path.join(dir, "spool", "lock");
    fs.writeFileSync(lock, JSON.stringify({ pid: dead, host: os.hostname(), startedAt: "earlier" }));
    assert.equal((await sendFiles([file], options())).lines, 5);
    assert.ok(!fs.existsSync(lock), "the lock is released at the end of the run");
  });

  it("keeps resume state per receiver URL: the same file goes in full to a new receiver, and a skipped file says so", async () => {
    stub = await startStubReceiver();
    const other = await startStubReceiver();
    try {
      const file = path.join(dir, "access.log");
      const text = numbered(0, 12).join("\n") + "\n";
      fs.writeFileSync(file, text);
      assert.equal((await sendFiles([file], options())).lines, 12);
      assert.equal(
        (await sendFiles([file], options({ url: other.url }))).lines,
        12,
        "a new receiver gets it all",
      );
      assertExactlyOnce(other, numbered(0, 12));
      messages.length = 0;
      assert.equal((await sendFiles([file], options())).lines, 0);
      assert.ok(
        messages.includes(`${file}: already sent up to byte ${text.length}; --from-start to send again`),
        messages.join("\n"),
      );
      // --from-start sends it again, under the same ids (the receiver's copies are replaced, not doubled).
      const ids = new Set(stub.requests.map((r) => r.id));
      assert.equal((await sendFiles([file], options({ fromStart: true }))).lines, 12);
      assert.deepEqual(new Set(stub.requests.map((r) => r.id)), ids);
      assertExactlyOnce(stub, numbered(0, 12));
    } finally {
      await other.close();
    }
  });

  it("sends a run's own batches only: batches spooled for another receiver stay in the spool", async () => {
    const down = await startStubReceiver(() => ({ status: 503, headers: { "Retry-After": "0" } }));
    stub = await startStubReceiver();
    try {
      const a = path.join(dir, "a.log");
      const b = path.join(dir, "b.log");
      fs.writeFileSync(a, numbered(0, 20, "a").join("\n") + "\n");
      fs.writeFileSync(b, numbered(0, 5, "b").join("\n") + "\n");
      const controller = new AbortController();
      const stuck = sendFiles([a], options({ url: down.url, signal: controller.signal }));
      // Two distinct batches spooled (a 503 retry of the first one must not count as the second).
      while (new Set(down.requests.map((r) => r.id)).size < 2) await new Promise((r) => setTimeout(r, 5));
      controller.abort();
      assert.equal((await stuck).spoolDepth, 2);
      const summary = await sendFiles([b], options());
      assertExactlyOnce(stub, numbered(0, 5, "b"));
      assert.equal(summary.spoolDepth, 0);
      assert.ok(messages.some((m) => /2 batch\(es\) in .* are for other receivers/.test(m)));
      assert.equal(
        fs.readdirSync(path.join(dir, "spool", "batches")).length,
        2,
        "a's batches wait for a's receiver",
      );
    } finally {
      await down.close();
    }
  });

  it("reads a file replaced in place (same inode, other first bytes) from its start", async () => {
    stub = await startStubReceiver();
    const file = path.join(dir, "a.log");
    fs.writeFileSync(file, numbered(0, 5, "old").join("\n") + "\n");
    await sendFiles([file], options());
    // Rewritten in place and longer than before: the inode alone would say "resume at byte N".
    fs.writeFileSync(file, numbered(0, 9, "new").join("\n") + "\n");
    assert.equal((await sendFiles([file], options())).lines, 9);
    assertExactlyOnce(stub, [...numbered(0, 5, "old"), ...numbered(0, 9, "new")]);
  });

  it("resumes from offsets saved by the previous version (path and inode, no receiver URL)", async () => {
    stub = await startStubReceiver();
    const file = path.join(dir, "a.log");
    fs.writeFileSync(file, numbered(0, 10).join("\n") + "\n");
    const sentBefore = numbered(0, 4).join("\n").length + 1;
    fs.mkdirSync(path.join(dir, "spool"), { recursive: true });
    fs.writeFileSync(
      path.join(dir, "spool", "offsets.json"),
      JSON.stringify({ [file]: { ino: fs.statSync(file).ino, offset: sentBefore } }),
    );
    assert.equal((await sendFiles([file], options())).lines, 6);
    assertExactlyOnce(stub, numbered(4, 6));
  });

  it("uses one default spool per receiver URL", () => {
    assert.notEqual(defaultSpoolDir("https://a.example.com"), defaultSpoolDir("https://b.example.com"));
    assert.notEqual(defaultSpoolDir("https://a.example.com"), defaultSpoolDir("https://a.example.com:8443"));
    assert.equal(defaultSpoolDir("https://a.example.com"), defaultSpoolDir("https://a.example.com/v1/logs"));
    assert.match(
      defaultSpoolDir("https://a.example.com"),
      /\.log-sender[/\\]spool[/\\]a\.example\.com_443-[0-9a-f]{8}$/,
    );
  });

  for (const status of [404, 405, 415]) {
    it(`stops at HTTP ${status} (a wrong --url) with a clear message, keeping the batches spooled`, async () => {
      stub = await startStubReceiver(() => ({ status, body: "<html>Not Found</html>" }));
      const file = path.join(dir, "a.log");
      fs.writeFileSync(file, numbered(0, 25).join("\n") + "\n");
      await assert.rejects(sendFiles([file], options()), (e: unknown) => {
        assert.ok(e instanceof FatalSendError && e.status === status);
        assert.match(
          e.message,
          new RegExp(`${stub?.url}/v1/logs is not a log-receiver intake endpoint \\(HTTP ${status}`),
        );
        assert.match(e.message, /check --url/);
        return true;
      });
      assert.deepEqual(fs.readdirSync(path.join(dir, "spool", "rejected")), [], "no batch moved aside");
      assert.ok(fs.readdirSync(path.join(dir, "spool", "batches")).length >= 1);
    });
  }

  it("keeps retrying while the receiver is unreachable and delivers once it is back", async () => {
    const probe = await startStubReceiver();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const file = path.join(dir, "a.log");
    fs.writeFileSync(file, numbered(0, 5).join("\n"));
    const sending = sendFiles([file], options({ url: probe.url }));
    while (!messages.some((m) => /ECONNREFUSED/.test(m))) await new Promise((r) => setTimeout(r, 5));
    stub = await startStubReceiver(undefined, port);
    const summary = await sending;
    assert.ok(summary.retries >= 1);
    assertExactlyOnce(stub, numbered(0, 5));
  });

  it("sends a stream (stdin)", async () => {
    stub = await startStubReceiver();
    const summary = await sendStream(Readable.from([Buffer.from("a\nb"), Buffer.from("c\nd")]), options());
    assert.equal(summary.lines, 3);
    assertExactlyOnce(stub, ["a", "bc", "d"]);
  });

  it("tails a file across appends, rename-and-recreate rotation and truncation", async () => {
    stub = await startStubReceiver();
    const file = path.join(dir, "tail.log");
    const controller = new AbortController();
    const tailing = tailFile(file, options({ signal: controller.signal, pollMs: 10, flushMs: 20 }));
    const expected: string[] = [];
    const write = async (lines: string[]): Promise<void> => {
      fs.appendFileSync(file, lines.map((l) => `${l}\n`).join(""));
      expected.push(...lines);
      while (stub !== undefined && stub.lines().length < expected.length)
        await new Promise((r) => setTimeout(r, 10));
    };
    await new Promise((r) => setTimeout(r, 30)); // the file does not exist yet: tail waits for it
    await write(numbered(0, 25, "first"));
    // Rotation: lines written to the old file after the rename are still read.
    fs.renameSync(file, `${file}.1`);
    fs.appendFileSync(`${file}.1`, "late old line\n");
    expected.push("late old line");
    await write(numbered(0, 3, "second"));
    // Truncation in place (copytruncate).
    fs.truncateSync(file, 0);
    await new Promise((r) => setTimeout(r, 50));
    await write(numbered(0, 4, "third"));
    // The stub has every line; wait for the sender to have processed the answers too.
    while (fs.readdirSync(path.join(dir, "spool", "batches")).length > 0)
      await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const summary = await tailing;
    assert.equal(summary.lines, expected.length);
    assertExactlyOnce(stub, expected);
    assert.ok(messages.some((m) => /rotated/.test(m)));
    assert.ok(messages.some((m) => /truncated/.test(m)));
  });
});
