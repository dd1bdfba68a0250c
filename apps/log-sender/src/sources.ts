import type { FileHandle } from "node:fs/promises";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { createHash } from "node:crypto";
import type { BatchLimits, FileIdentity } from "./batch";
import { LineBatch } from "./batch";
import { createTarget, intakeUrl } from "./http-client";
import { FINGERPRINT_BYTES, snapshot } from "./identity";
import { LineSplitter } from "./lines";
import type { Reporter, RetryPolicy, SendStats } from "./pipeline";
import { Pipeline, sleep } from "./pipeline";
import { Spool } from "./spool";

/** Options shared by `send` and `tail`. Defaults in {@link DEFAULTS}. */
export interface SenderOptions extends Partial<BatchLimits> {
  readonly url: string;
  readonly token: string;
  /** Spool directory. Default {@link defaultSpoolDir} (one per receiver URL). */
  readonly spoolDir?: string;
  /** `send`/`tail`: read the named files from their first byte, ignoring what was sent before. Default false. */
  readonly fromStart?: boolean;
  readonly insecure?: boolean;
  readonly caFile?: string;
  /** Batches in flight at once. */
  readonly concurrency?: number;
  readonly retry?: RetryPolicy;
  /** Seconds to keep retrying 401 (tokens being rotated) before stopping. Default 120. */
  readonly authGraceSeconds?: number;
  /** Producers pause while this many batches wait in the spool. */
  readonly maxSpoolBatches?: number;
  /** Longer lines are cut into pieces of this size (every byte is still sent). */
  readonly maxLineBytes?: number;
  readonly requestTimeoutMs?: number;
  /** Stops the run; what was read but not spooled is re-read next time. */
  readonly signal?: AbortSignal;
  readonly reporter?: Reporter;
  /** Progress line period; 0 turns progress off. */
  readonly progressIntervalMs?: number;
  /** `tail`: how often to look for new data and rotation. */
  readonly pollMs?: number;
  /** `tail`: send a partial batch once its first line is this old. */
  readonly flushMs?: number;
}

/** What a run did. */
export interface SendSummary extends SendStats {
  /** Batches still in the spool (sent by the next run). */
  readonly spoolDepth: number;
  readonly seconds: number;
}

export const DEFAULTS = {
  batchLines: 1000,
  batchBytes: 1024 * 1024,
  concurrency: 2,
  retry: { baseMs: 500, maxMs: 30_000 },
  authGraceSeconds: 120,
  maxSpoolBatches: 256,
  maxLineBytes: 128 * 1024,
  requestTimeoutMs: 30_000,
  progressIntervalMs: 5_000,
  pollMs: 250,
  flushMs: 1_000,
} as const;

const SILENT: Reporter = { info: () => undefined, warn: () => undefined };

/** Where versions before per-receiver spools kept theirs. */
function legacySpoolDir(): string {
  return path.join(os.homedir(), ".log-sender", "spool");
}

/**
 * The default spool directory: per user and per receiver URL
 * (`~/.log-sender/spool/<host>_<port>-<hash>`), so senders to different
 * receivers neither share a lock nor see each other's batches.
 */
export function defaultSpoolDir(url: string): string {
  const target = new URL(intakeUrl(url));
  const port = target.port === "" ? (target.protocol === "https:" ? "443" : "80") : target.port;
  const hash = createHash("sha256").update(target.href).digest("hex").slice(0, 8);
  const host = target.hostname.replace(/[^A-Za-z0-9.-]/g, "_");
  return path.join(legacySpoolDir(), `${host}_${port}-${hash}`);
}

type Producer = (pipeline: Pipeline, spool: Spool) => Promise<void>;

/** Runs a producer with a spool, a pipeline draining it, and progress output. */
async function run(options: SenderOptions, produce: Producer): Promise<SendSummary> {
  const started = Date.now();
  const reporter = options.reporter ?? SILENT;
  const url = intakeUrl(options.url);
  if (options.spoolDir === undefined) await warnAboutLegacySpool(reporter);
  const spool = await Spool.open(options.spoolDir ?? defaultSpoolDir(url), url);
  try {
    return await runWith(spool, options, reporter, started, produce);
  } finally {
    await spool.close();
  }
}

/** Batches an older version left in the shared default spool are not sent by per-receiver spools: say so. */
async function warnAboutLegacySpool(reporter: Reporter): Promise<void> {
  const batches = await fs.readdir(path.join(legacySpoolDir(), "batches")).catch(() => []);
  if (batches.some((name) => name.endsWith(".batch"))) {
    reporter.warn(
      `${legacySpoolDir()} holds batches of an older log-sender; send them with --spool ${legacySpoolDir()} and the same --url`,
    );
  }
}

async function runWith(
  spool: Spool,
  options: SenderOptions,
  reporter: Reporter,
  started: number,
  produce: Producer,
): Promise<SendSummary> {
  if (spool.depth > 0)
    reporter.info(`resuming: ${spool.depth} batch(es) left in ${spool.dir} by an earlier run`);
  if (spool.otherDepth > 0)
    reporter.info(
      `${spool.otherDepth} batch(es) in ${spool.dir} are for other receivers; left for runs sending there`,
    );
  const target = createTarget({
    url: options.url,
    token: options.token,
    timeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    ...(options.insecure === undefined ? {} : { insecure: options.insecure }),
    ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
  });
  const pipeline = new Pipeline(spool, target, {
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    retry: options.retry ?? DEFAULTS.retry,
    maxSpoolBatches: options.maxSpoolBatches ?? DEFAULTS.maxSpoolBatches,
    authGraceMs: (options.authGraceSeconds ?? DEFAULTS.authGraceSeconds) * 1000,
    reporter,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const interval = options.progressIntervalMs ?? DEFAULTS.progressIntervalMs;
  let last = { at: started, lines: 0 };
  const progress =
    interval > 0
      ? setInterval(() => {
          const now = Date.now();
          const rate = ((pipeline.stats.lines - last.lines) * 1000) / Math.max(1, now - last.at);
          last = { at: now, lines: pipeline.stats.lines };
          reporter.info(
            `${pipeline.stats.lines} lines sent (${Math.round(rate)} lines/s), ` +
              `${(pipeline.stats.bytes / 1e6).toFixed(1)} MB, spool ${pipeline.depth} batch(es)`,
          );
        }, interval)
      : undefined;
  pipeline.start();
  try {
    await produce(pipeline, spool);
    await pipeline.finish();
  } finally {
    if (progress !== undefined) clearInterval(progress);
    target.agent.destroy();
  }
  return { ...pipeline.stats, spoolDepth: spool.depth, seconds: (Date.now() - started) / 1000 };
}

function limitsOf(options: SenderOptions): BatchLimits {
  return {
    batchLines: options.batchLines ?? DEFAULTS.batchLines,
    batchBytes: options.batchBytes ?? DEFAULTS.batchBytes,
  };
}

/**
 * Reads one file from its saved position and spools its lines as batches,
 * saving the position after each spooled batch. Shared by `send` (once, to
 * EOF) and `tail` (repeatedly).
 */
class FileReader {
  private position: number;
  private splitter: LineSplitter;
  private readonly batch: LineBatch;

  private constructor(
    readonly file: string,
    private handle: FileHandle,
    private identity: FileIdentity,
    start: number,
    private readonly options: SenderOptions,
    private readonly pipeline: Pipeline,
    private readonly spool: Spool,
  ) {
    this.position = start;
    this.splitter = new LineSplitter(start, options.maxLineBytes ?? DEFAULTS.maxLineBytes);
    this.batch = new LineBatch(limitsOf(options));
    this.batch.resetAt(start);
  }

  /**
   * Opens `file` at the offset saved for this receiver (0 with `fromStart`).
   * `name` is how messages call the file (as the user gave it).
   */
  static async open(
    file: string,
    name: string,
    options: SenderOptions,
    pipeline: Pipeline,
    spool: Spool,
  ): Promise<FileReader> {
    const handle = await fs.open(file, "r");
    const reporter = options.reporter ?? SILENT;
    try {
      const current = await snapshot(handle);
      let start = options.fromStart === true ? 0 : spool.resumeOffset(file, current);
      if (start > current.size) {
        reporter.info(`${name} is shorter than when last read: reading it from the start`);
        start = 0;
      } else if (start > 0 && start === current.size) {
        reporter.info(`${name}: already sent up to byte ${start}; --from-start to send again`);
      } else if (start > 0) {
        reporter.info(`${name}: resuming at byte ${start} (already sent before)`);
      }
      return new FileReader(file, handle, current.identity, start, options, pipeline, spool);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Reads what is there now; returns false when the run stopped. */
  async readAvailable(): Promise<boolean> {
    for (;;) {
      // A fresh buffer per read: lines are slices of it until their batch is gzipped.
      const chunk = Buffer.allocUnsafe(256 * 1024);
      const { bytesRead } = await this.handle.read(chunk, 0, chunk.length, this.position);
      if (bytesRead === 0) return !this.pipeline.stopped;
      this.position += bytesRead;
      for (const { line, end } of this.splitter.push(chunk.subarray(0, bytesRead))) {
        if (this.batch.add(line, end) && !(await this.commit())) return false;
      }
    }
  }

  /** End of this file's data (EOF of `send`, or a rotated/truncated file): its last line is complete. */
  async finishFile(): Promise<boolean> {
    const last = this.splitter.flush();
    if (last !== undefined) this.batch.add(last.line, last.end);
    return this.commit();
  }

  /** Spools the partial batch if its first line has waited `flushMs`. */
  async flushIfStale(flushMs: number): Promise<boolean> {
    if (this.batch.size === 0 || Date.now() - this.batch.openedAt < flushMs) return true;
    return this.commit();
  }

  /** Checks the path for rotation (new inode) or truncation and follows it. */
  async followRotation(): Promise<boolean> {
    let current;
    try {
      current = await fs.stat(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return true; // renamed, not yet recreated
      throw error;
    }
    if (current.ino !== this.identity.ino || current.dev !== this.identity.dev) {
      // Rotated: drain the old file (still open) to its end, then switch.
      if (!(await this.readAvailable()) || !(await this.finishFile())) return false;
      await this.handle.close();
      this.handle = await fs.open(this.file, "r");
      this.identity = (await snapshot(this.handle)).identity;
      this.restartAt0();
      (this.options.reporter ?? SILENT).info(`${this.file} was rotated: following the new file`);
    } else if (current.size < this.position) {
      // Truncated in place (copytruncate): what was held is all there will be of that line.
      if (!(await this.finishFile())) return false;
      this.restartAt0();
      (this.options.reporter ?? SILENT).info(`${this.file} was truncated: reading from the start`);
    }
    return true;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private restartAt0(): void {
    this.position = 0;
    this.splitter = new LineSplitter(0, this.options.maxLineBytes ?? DEFAULTS.maxLineBytes);
    this.batch.resetAt(0);
  }

  /** Spools the held lines, then records the position (in this order, so a crash cannot skip lines). */
  private async commit(): Promise<boolean> {
    await this.refreshFingerprint();
    const batch = await this.batch.take({ path: this.file, ...this.identity });
    if (batch !== undefined && !(await this.pipeline.enqueue(batch))) return false;
    await this.spool.saveOffset(this.file, this.identity, this.batch.end);
    return true;
  }

  /**
   * A file opened while shorter than FINGERPRINT_BYTES (a log just created)
   * got a short fingerprint; widen it once more bytes are there, so a later
   * file at the same inode is told apart by more than a few bytes.
   */
  private async refreshFingerprint(): Promise<void> {
    if (
      this.identity.fingerprintBytes >= FINGERPRINT_BYTES ||
      this.position <= this.identity.fingerprintBytes
    )
      return;
    this.identity = (await snapshot(this.handle)).identity;
  }
}

/**
 * `send FILE…`: sends each file from where the last run stopped to its end
 * (its last line counts even without a trailing newline), then waits until
 * the spool is empty.
 */
export function sendFiles(files: readonly string[], options: SenderOptions): Promise<SendSummary> {
  return run(options, async (pipeline, spool) => {
    for (const file of files) {
      const reader = await FileReader.open(path.resolve(file), file, options, pipeline, spool);
      try {
        if (!(await reader.readAvailable()) || !(await reader.finishFile())) return;
      } finally {
        await reader.close();
      }
    }
  });
}

/** `send -`: sends a stream (stdin). Nothing to resume from: only spooled batches survive a restart. */
export function sendStream(input: Readable, options: SenderOptions): Promise<SendSummary> {
  return run(options, async (pipeline) => {
    const splitter = new LineSplitter(0, options.maxLineBytes ?? DEFAULTS.maxLineBytes);
    const batch = new LineBatch(limitsOf(options));
    const commit = async (): Promise<boolean> => {
      const taken = await batch.take();
      return taken === undefined || pipeline.enqueue(taken);
    };
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      for (const { line, end } of splitter.push(
        Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)),
      )) {
        if (batch.add(line, end) && !(await commit())) return;
      }
    }
    const last = splitter.flush();
    if (last !== undefined) batch.add(last.line, last.end);
    await commit();
  });
}

/**
 * `tail FILE`: follows a file until `signal` aborts, across rotation (rename
 * and recreate: the old file is read to its end first) and truncation. Waits
 * for the file to appear if it does not exist yet.
 */
export function tailFile(file: string, options: SenderOptions): Promise<SendSummary> {
  const absolute = path.resolve(file);
  const pollMs = options.pollMs ?? DEFAULTS.pollMs;
  const flushMs = options.flushMs ?? DEFAULTS.flushMs;
  return run(options, async (pipeline, spool) => {
    let reader: FileReader | undefined;
    while (reader === undefined && !pipeline.stopped) {
      try {
        reader = await FileReader.open(absolute, file, options, pipeline, spool);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        await sleep(pollMs, options.signal);
      }
    }
    if (reader === undefined) return;
    try {
      while (
        (await reader.readAvailable()) &&
        (await reader.flushIfStale(flushMs)) &&
        (await reader.followRotation())
      ) {
        await sleep(pollMs, options.signal);
      }
    } finally {
      await reader.close();
    }
  });
}
