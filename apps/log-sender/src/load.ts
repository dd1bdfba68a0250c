import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { createTarget, postBatch } from "./http-client";
import type { Reporter } from "./pipeline";
import { retryDelay, sleep } from "./pipeline";

const gzip = promisify(zlib.gzip);

const HOSTS = ["pc-0142", "pc-0187", "pc-0311", "srv-web-01", "srv-db-02", "laptop-ana", "laptop-bo"];
const APPS = ["outlook", "teams", "chrome", "backup-agent", "vpn-client", "defender", "explorer"];
const LEVELS = ["INFO", "INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"];
const PATHS = [
  "/api/v1/orders",
  "/login",
  "/static/app.js",
  "/api/v1/users/42",
  "/healthz",
  "/search?q=printer",
];
const WORDS = [
  "connection",
  "timeout",
  "user",
  "session",
  "printer",
  "sync",
  "update",
  "policy",
  "disk",
  "network",
];

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

/**
 * A realistic office/server log line (~150–350 bytes): a mix of JSON events
 * (as agents emit), syslog lines and nginx access lines, so benchmarks and
 * load tests exercise both the JSON and the plain-text paths.
 */
export function syntheticLine(
  sequence: number,
  random: () => number = Math.random,
  now: Date = new Date(),
): string {
  const host = pick(HOSTS, random);
  const kind = sequence % 3;
  if (kind === 0) {
    return JSON.stringify({
      ts: now.toISOString(),
      host,
      app: pick(APPS, random),
      level: pick(LEVELS, random),
      pid: 1000 + Math.floor(random() * 60000),
      seq: sequence,
      msg: `${pick(WORDS, random)} ${pick(WORDS, random)} ${pick(WORDS, random)} completed in ${Math.floor(random() * 5000)} ms`,
      user: `CORP\\user${Math.floor(random() * 500)}`,
    });
  }
  if (kind === 1) {
    const stamp = now.toUTCString().slice(5, 25);
    return `${stamp} ${host} ${pick(APPS, random)}[${Math.floor(random() * 60000)}]: ${pick(LEVELS, random)} seq=${sequence} ${pick(WORDS, random)} ${pick(WORDS, random)} failed for user${Math.floor(random() * 500)}: error 0x${Math.floor(random() * 0xffffff).toString(16)}`;
  }
  const ip = `10.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}`;
  return `${ip} - - [${now.toUTCString()}] "GET ${pick(PATHS, random)} HTTP/1.1" ${pick([200, 200, 200, 304, 404, 500], random)} ${Math.floor(random() * 50000)} "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) seq=${sequence}"`;
}

/** `load` settings. */
export interface LoadOptions {
  readonly url: string;
  readonly token: string;
  /** Lines per second to offer. */
  readonly rate: number;
  readonly durationSeconds: number;
  readonly batchLines: number;
  readonly concurrency: number;
  readonly insecure?: boolean;
  readonly caFile?: string;
  /** Attempts per batch before it counts as failed. */
  readonly maxAttempts?: number;
  readonly reporter?: Reporter;
  readonly signal?: AbortSignal;
}

/** What a load run achieved. */
export interface LoadSummary {
  readonly linesOffered: number;
  readonly linesAccepted: number;
  readonly batchesFailed: number;
  readonly seconds: number;
  readonly linesPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Nearest-rank percentile of ascending-sorted values; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/**
 * Offers `rate` synthetic lines per second for `durationSeconds` (no spool:
 * generated data has nothing to lose) and reports what the receiver took.
 * When the receiver cannot keep up, at most `concurrency` batches are in
 * flight and the achieved rate falls below the offered one.
 */
export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const target = createTarget({
    url: options.url,
    token: options.token,
    ...(options.insecure === undefined ? {} : { insecure: options.insecure }),
    ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
  });
  const latencies: number[] = [];
  let offered = 0;
  let accepted = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const sendOne = async (lines: string[]): Promise<void> => {
    const body = await gzip(Buffer.from(lines.join("\n") + "\n"));
    const id = randomUUID();
    for (let attempt = 1; attempt <= (options.maxAttempts ?? 5); attempt++) {
      const started = performance.now();
      const outcome = await postBatch(target, id, body, options.signal);
      latencies.push(performance.now() - started);
      if (outcome.kind === "accepted") {
        accepted += outcome.accepted;
        return;
      }
      if (outcome.kind === "rejected" || options.signal?.aborted === true) break;
      await sleep(retryDelay(attempt, { baseMs: 100, maxMs: 2000 }, outcome.retryAfterMs), options.signal);
    }
    failed++;
  };
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;
  let lastReport = started;
  while (performance.now() < deadline && options.signal?.aborted !== true) {
    const due = Math.floor(((performance.now() - started) / 1000) * options.rate) - offered;
    for (let remaining = due; remaining > 0; remaining -= options.batchLines) {
      const lines = Array.from({ length: Math.min(remaining, options.batchLines) }, () =>
        syntheticLine(offered++),
      );
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      const task = sendOne(lines).finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
    if (performance.now() - lastReport >= 5000) {
      lastReport = performance.now();
      options.reporter?.info(`${accepted} lines accepted, ${offered} offered, ${failed} batch(es) failed`);
    }
    await sleep(50, options.signal);
  }
  await Promise.all(inFlight);
  target.agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    linesOffered: offered,
    linesAccepted: accepted,
    batchesFailed: failed,
    seconds,
    linesPerSecond: accepted / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}
