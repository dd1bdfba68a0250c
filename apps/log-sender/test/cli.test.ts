import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { promisify } from "node:util";
import { runCli } from "../src/cli";
import { percentile, runLoad, syntheticLine } from "../src/load";
import type { StubReceiver } from "./stub-receiver";
import { startStubReceiver } from "./stub-receiver";

const TOKEN = "cli-token-0123456789";

async function cli(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  stdin = "",
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString()));
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  const code = await runCli(
    argv,
    env,
    { stdin: Readable.from([stdin]), stdout, stderr },
    new AbortController().signal,
  );
  return { code, out, err };
}

describe("log-sender CLI", () => {
  let dir = "";
  let stub: StubReceiver | undefined;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "log-sender-cli-"))));
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("prints help with examples from the real entry point", async () => {
    const root = path.resolve(__dirname, "../../..");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "apps/log-sender/src/cli.ts", "--help"],
      { cwd: root },
    );
    assert.match(stdout, /log-sender send FILE/);
    assert.match(stdout, /Examples:/);
  });

  it("exits 1 with a usage hint for a bad command line", async () => {
    const { code, err } = await cli(["send"], { LOG_SENDER_URL: "http://x", LOG_SENDER_TOKEN: TOKEN });
    assert.equal(code, 1);
    assert.match(err, /at least one FILE/);
  });

  it("sends stdin with the token from the environment and reports a summary", async () => {
    stub = await startStubReceiver();
    const env = { LOG_SENDER_TOKEN: TOKEN };
    const { code, err } = await cli(["send", "-", "--url", stub.url, "--spool", dir], env, "x\ny\n");
    assert.equal(code, 0, err);
    assert.deepEqual(stub.lines(), ["x", "y"]);
    assert.match(err, /done: 2 lines/);
    assert.ok(!err.includes(TOKEN));
    const quiet = await cli(["send", "-", "--url", stub.url, "--spool", dir, "--quiet"], env, "z\n");
    assert.equal(quiet.code, 0);
    assert.equal(quiet.err, "");
  });

  it("exits 2 when the receiver refuses the token past --auth-grace-seconds, without printing it", async () => {
    stub = await startStubReceiver(() => ({
      status: 401,
      body: '{"error":"bad_token","message":"Token is not valid"}',
    }));
    const { code, err } = await cli(
      ["send", "-", "--url", stub.url, "--token", TOKEN, "--spool", dir, "--auth-grace-seconds", "0.2"],
      {},
      "x\n",
    );
    assert.equal(code, 2);
    assert.match(err, /retrying for up to 0\.2 s in case the tokens are being rotated/);
    assert.match(
      err,
      /refused the connection for 0\.2 s \(--auth-grace-seconds\): HTTP 401: Token is not valid/,
    );
    assert.match(err, /kept in/);
    assert.ok(!err.includes(TOKEN));
  });

  it("exits 2 with a message about --url when the URL is not a receiver (404)", async () => {
    stub = await startStubReceiver(() => ({ status: 404, body: "Not Found" }));
    const { code, err } = await cli(
      ["send", "-", "--url", `${stub.url}/wrong`, "--token", TOKEN, "--spool", dir],
      {},
      "x\n",
    );
    assert.equal(code, 2, err);
    assert.match(err, /\/wrong is not a log-receiver intake endpoint \(HTTP 404: Not Found\); check --url/);
  });

  it("exits 1 naming the other process when the spool is in use", async () => {
    stub = await startStubReceiver();
    fs.mkdirSync(dir, { recursive: true });
    // This test process stands for the other sender: it is alive.
    fs.writeFileSync(
      path.join(dir, "lock"),
      JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: "2024-05-01T00:00:00.000Z" }),
    );
    const { code, err } = await cli(
      ["send", "-", "--url", stub.url, "--token", TOKEN, "--spool", dir],
      {},
      "x\n",
    );
    assert.equal(code, 1);
    assert.match(err, new RegExp(`in use by log-sender process ${process.pid} .*started 2024-05-01`));
    assert.equal(stub.requests.length, 0);
  });

  it("says a file was already sent, and --from-start sends it again", async () => {
    stub = await startStubReceiver();
    const file = path.join(dir, "access.log");
    fs.writeFileSync(file, "a\nb\n");
    const args = ["send", file, "--url", stub.url, "--token", TOKEN, "--spool", path.join(dir, "spool")];
    assert.equal((await cli(args)).code, 0);
    const again = await cli(args);
    assert.match(again.err, /access\.log: already sent up to byte 4; --from-start to send again/);
    const forced = await cli([...args, "--from-start"]);
    assert.match(forced.err, /done: 2 lines/);
  });

  it("exits 3 when a batch was refused for good", async () => {
    stub = await startStubReceiver(() => ({ status: 400 }));
    const { code, err } = await cli(
      ["send", "-", "--url", stub.url, "--token", TOKEN, "--spool", dir],
      {},
      "x\n",
    );
    assert.equal(code, 3);
    assert.match(err, /refused, kept in: .*rejected/);
  });
});

describe("load generator", () => {
  it("offers the requested rate of realistic lines and counts what was accepted", async () => {
    const stub = await startStubReceiver();
    try {
      const summary = await runLoad({
        url: stub.url,
        token: TOKEN,
        rate: 2000,
        durationSeconds: 1,
        batchLines: 250,
        concurrency: 4,
      });
      assert.ok(summary.linesOffered >= 1500 && summary.linesOffered <= 2100, String(summary.linesOffered));
      assert.equal(summary.linesAccepted, summary.linesOffered);
      assert.equal(stub.lines().length, summary.linesOffered);
      assert.equal(summary.batchesFailed, 0);
    } finally {
      await stub.close();
    }
  });

  it("makes a mix of JSON and plain lines of realistic size", () => {
    const lines = Array.from({ length: 300 }, (_, i) => syntheticLine(i));
    const json = lines.filter((l) => l.startsWith("{"));
    assert.equal(json.length, 100);
    for (const l of json) assert.equal(typeof JSON.parse(l), "object");
    const mean = lines.reduce((n, l) => n + l.length, 0) / lines.length;
    assert.ok(mean > 120 && mean < 400, String(mean));
  });

  it("computes nearest-rank percentiles", () => {
    assert.equal(percentile([], 50), 0);
    assert.equal(percentile([1, 2, 3, 4], 50), 2);
    assert.equal(percentile([1, 2, 3, 4], 99), 4);
  });
});
