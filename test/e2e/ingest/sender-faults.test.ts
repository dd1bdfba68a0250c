import type { PutRecordsCommand, PutRecordsCommandOutput } from "@aws-sdk/client-kinesis";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { IngestEnvelope } from "../../../apps/lib/ingest-record";
import type { PutRecordsClient, Receiver } from "../../../apps/log-receiver/src/server";
import { startReceiver } from "../../../apps/log-receiver/src/server";
import type { LocalKinesis } from "../../../apps/log-receiver/test/kinesalite";
import { startKinesalite } from "../../../apps/log-receiver/test/kinesalite";
import { syntheticLine } from "../../../apps/log-sender/src";
import { prng } from "../../lib/prng";

const ROOT = path.resolve(__dirname, "../../..");
const TOKEN = { name: "office-pcs", token: "faults-token-0123456789abcdef" };
/** Lines in the file; every one is unique (each synthetic line carries its sequence number). */
const LINES = 20_000;
const KILLS = 3;
/** The whole scenario (kills and the final run) must end within this; a stuck sender fails the test. */
const BUDGET_MS = 90_000;

/**
 * Slows every PutRecords call down a little, so a batch spends time between
 * "body received" and "200 sent" and a kill often lands there: the receiver
 * stores the lines, the sender never hears the 200 and sends the batch again.
 */
class SlowKinesis implements PutRecordsClient {
  constructor(
    private readonly inner: PutRecordsClient,
    private readonly delayMs: number,
  ) {}

  async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    return this.inner.send(command);
  }
}

/** Counts of one scenario, printed by the test. */
interface Tally {
  readonly sent: number;
  readonly found: number;
  readonly records: number;
  /** Envelopes beyond the first with the same id (a batch resent after a lost 200: allowed). */
  readonly duplicatedById: number;
  /** Lines stored under more than one id (a resend under a new batch id): must be 0. */
  readonly underTwoIds: number;
  /** Ids that carry more than one different line: must be 0. */
  readonly idsWithTwoLines: number;
}

/** Matches stored envelopes to the sent lines by content and counts ids per line. */
function tally(sent: readonly string[], envelopes: readonly IngestEnvelope[]): Tally {
  const idsByLine = new Map<string, Set<string>>();
  const lineById = new Map<string, Set<string>>();
  for (const envelope of envelopes) {
    const text = envelope.message !== undefined ? envelope.message : JSON.stringify(envelope.event);
    idsByLine.set(text, (idsByLine.get(text) ?? new Set()).add(envelope.id));
    lineById.set(envelope.id, (lineById.get(envelope.id) ?? new Set()).add(text));
  }
  return {
    sent: sent.length,
    found: sent.filter((line) => idsByLine.has(line)).length,
    records: envelopes.length,
    duplicatedById: envelopes.length - lineById.size,
    underTwoIds: [...idsByLine.values()].filter((ids) => ids.size > 1).length,
    idsWithTwoLines: [...lineById.values()].filter((lines) => lines.size > 1).length,
  };
}

describe("ingest end to end: log-sender killed with SIGKILL mid-run, then restarted", function () {
  this.timeout(BUDGET_MS + 30_000);
  let tmp = "";
  let kinesis: LocalKinesis | undefined;
  let receiver: Receiver | undefined;
  const children = new Set<ChildProcess>();

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sender-faults-"));
    kinesis = await startKinesalite();
  });
  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    await receiver?.close();
    await kinesis?.close();
    if (tmp !== "") fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** The sender CLI as a real child process (the same command each time). */
  function startSender(file: string, url: string, spool: string): ChildProcess {
    const child = spawn(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        "apps/log-sender/src/cli.ts",
        "send",
        file,
        "--url",
        url,
        "--spool",
        spool,
        "--batch-lines",
        "200",
        "--concurrency",
        "4",
        "--quiet",
      ],
      {
        cwd: ROOT,
        env: { ...process.env, LOG_SENDER_TOKEN: TOKEN.token },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    children.add(child);
    child.once("exit", () => children.delete(child));
    return child;
  }

  function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null)
        resolve({ code: child.exitCode, signal: child.signalCode });
      else child.once("exit", (code, signal) => resolve({ code, signal }));
    });
  }

  async function storedLines(): Promise<number> {
    const metric = await receiver?.metrics.getSingleMetric("log_receiver_lines_total")?.get();
    return metric?.values[0]?.value ?? 0;
  }

  it("finds every line by id and none under two ids after 3 kills at random points", async () => {
    assert.ok(kinesis !== undefined);
    const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    await kinesis.createStream("faults", 2);
    receiver = await startReceiver({
      tokens: [TOKEN],
      kinesis: new SlowKinesis(kinesis.client, 5),
      streamName: "faults",
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
    });
    const lines = Array.from({ length: LINES }, (_, i) => syntheticLine(i, prng(i + 1)));
    const file = path.join(tmp, "access.log");
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const spool = path.join(tmp, "spool");
    const deadline = Date.now() + BUDGET_MS;

    // Kill points: random amounts of stored lines, spread over the run, plus a random delay
    // after reaching each, so the kill lands anywhere: reading, spooling, mid-request.
    const killAt = Array.from({ length: KILLS }, (_, k) =>
      Math.floor(((k + 0.2 + 0.6 * random()) / (KILLS + 1)) * LINES),
    );
    const kills: { atLines: number; storedWhenKilled: number }[] = [];
    for (const target of killAt) {
      const child = startSender(file, receiver.url, spool);
      let stderr = "";
      child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
      const ended = exited(child);
      let done = false;
      void ended.then(() => (done = true));
      while (!done && (await storedLines()) < target) {
        assert.ok(Date.now() < deadline, `sender made no progress to ${target} lines in time`);
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.ok(!done, `the sender ended before the kill point (${target} lines): ${stderr}`);
      await new Promise((r) => setTimeout(r, Math.floor(random() * 40)));
      child.kill("SIGKILL");
      const { signal } = await ended;
      assert.equal(signal, "SIGKILL", stderr);
      kills.push({ atLines: target, storedWhenKilled: await storedLines() });
    }

    // The same command again, to the end: it takes over the dead process's lock and resumes.
    const last = startSender(file, receiver.url, spool);
    let stderr = "";
    last.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => last.kill("SIGKILL"), Math.max(0, deadline - Date.now()));
    const { code } = await exited(last);
    clearTimeout(timer);
    assert.equal(code, 0, `the last run did not finish within the time budget: ${stderr}`);

    const records = await kinesis.readAll("faults");
    const envelopes = records.flatMap((data) =>
      data
        .toString("utf8")
        .split("\n")
        .map((line) => JSON.parse(line) as IngestEnvelope),
    );
    const counts = tally(lines, envelopes);
    console.log(
      `      seed ${seed}; kills after ${kills.map((k) => k.storedWhenKilled).join(", ")} stored lines; ` +
        `lines sent ${counts.sent}, found ${counts.found}, records ${counts.records}, ` +
        `duplicated by id ${counts.duplicatedById}, lines under two ids ${counts.underTwoIds}, ` +
        `ids with two lines ${counts.idsWithTwoLines}`,
    );
    assert.equal(counts.found, counts.sent, "every line is stored");
    assert.equal(counts.underTwoIds, 0, "no line under two different ids");
    assert.equal(counts.idsWithTwoLines, 0, "no id shared by two lines");
    assert.ok(!fs.existsSync(path.join(spool, "lock")), "the finished run released the lock");
  });
});
