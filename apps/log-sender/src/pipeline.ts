import { promisify } from "node:util";
import zlib from "node:zlib";
import type { Batch } from "./batch";
import type { Outcome, Target } from "./http-client";
import { postBatch } from "./http-client";
import type { Spool, SpoolEntry } from "./spool";

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/** Where human-readable messages go (stderr in the CLI). */
export interface Reporter {
  /** Progress and retries; silenced by --quiet. */
  info(message: string): void;
  /** Refused batches and fatal errors; always shown. */
  warn(message: string): void;
}

/** Backoff between attempts at one batch, in ms. */
export interface RetryPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Counters of one run. */
export interface SendStats {
  lines: number;
  bytes: number;
  batches: number;
  retries: number;
  rejectedBatches: number;
  /** Where refused batches were kept. */
  readonly rejectedFiles: string[];
}

/**
 * The receiver refused the credentials or the TLS identity, or the URL is not
 * a receiver's intake endpoint: nothing can be sent until a person fixes it.
 */
export class FatalSendError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "FatalSendError";
  }
}

/**
 * Delay before attempt `attempt + 1` of a batch: full-jitter exponential
 * backoff, added to the server's Retry-After when it gave one. Retry-After is
 * a minimum, not a meeting time: senders that all wait exactly that long come
 * back at the same moment (a receiver restarting tells every client "1 s").
 * Retry-After: https://www.rfc-editor.org/rfc/rfc9110#field.retry-after;
 * full jitter: https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function retryDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const jitter = Math.floor(random() * Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1)));
  return (retryAfterMs ?? 0) + jitter;
}

/**
 * Answers that mean the URL does not lead to a log-receiver intake endpoint
 * (a wrong path, a web server or proxy in the way): no batch can succeed
 * there, so they stop the run instead of moving batch after batch aside.
 */
export const CONFIGURATION_STATUSES: ReadonlySet<number> = new Set([404, 405, 415]);

/**
 * Moves batches from the spool to the receiver with `concurrency` workers.
 * A batch leaves the spool only after a 200; retryable failures are retried
 * forever (the spool is the buffer), 413 splits a batch in two, 404/405/415
 * (a wrong URL) stop the run, other refusals move it to `rejected/`, 401 is retried for `authGraceMs` (tokens being
 * rotated: receiver tasks roll one by one, so for a while some know the new
 * token and some only the old) and then stops the run like 403 and TLS
 * errors do, leaving every batch spooled.
 */
export class Pipeline {
  readonly stats: SendStats = {
    lines: 0,
    bytes: 0,
    batches: 0,
    retries: 0,
    rejectedBatches: 0,
    rejectedFiles: [],
  };
  private readonly claimed = new Set<SpoolEntry>();
  private waiters: (() => void)[] = [];
  private workers: Promise<void>[] = [];
  private closed = false;
  private fatal: FatalSendError | undefined;
  /** When the receiver started refusing the token (reset by any 200); undefined while it accepts it. */
  private authRefusedSince: number | undefined;

  constructor(
    private readonly spool: Spool,
    private readonly target: Target,
    private readonly options: {
      readonly concurrency: number;
      readonly retry: RetryPolicy;
      readonly maxSpoolBatches: number;
      readonly reporter: Reporter;
      /** How long 401 answers are retried before they stop the run; 0: stop at the first. */
      readonly authGraceMs: number;
      readonly signal?: AbortSignal;
    },
  ) {
    options.signal?.addEventListener("abort", () => this.notify(), { once: true });
  }

  /** Starts the workers; batches left by an earlier run go first. */
  start(): void {
    for (let i = 0; i < this.options.concurrency; i++) this.workers.push(this.work());
  }

  /** True once the run was aborted or hit a fatal error: producers should stop. */
  get stopped(): boolean {
    return this.fatal !== undefined || this.options.signal?.aborted === true;
  }

  /** Batches in the spool. */
  get depth(): number {
    return this.spool.depth;
  }

  /** Spools a batch (waiting while the spool is full); false when the run stopped instead. */
  async enqueue(batch: Batch): Promise<boolean> {
    while (!this.stopped && this.spool.depth >= this.options.maxSpoolBatches) await this.wait();
    if (this.stopped) return false;
    await this.spool.add(batch);
    this.notify();
    return true;
  }

  /**
   * No more batches will be enqueued: resolves when the spool is empty (or
   * the run was aborted, leaving the rest spooled).
   * @throws FatalSendError when the receiver refused the credentials.
   */
  async finish(): Promise<void> {
    this.closed = true;
    this.notify();
    await Promise.all(this.workers);
    if (this.fatal !== undefined) throw this.fatal;
  }

  private async work(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const entry = this.spool.entries().find((e) => !this.claimed.has(e));
      if (entry === undefined) {
        if (this.closed && this.claimed.size === 0) {
          this.notify(); // let sibling workers see the end too
          return;
        }
        await this.wait();
        continue;
      }
      this.claimed.add(entry);
      try {
        await this.deliver(entry);
      } finally {
        this.claimed.delete(entry);
        this.notify();
      }
    }
  }

  private async deliver(entry: SpoolEntry): Promise<void> {
    const body = await this.spool.body(entry);
    for (let attempt = 1; !this.stopped; attempt++) {
      const outcome: Outcome = await postBatch(this.target, entry.id, body, this.options.signal);
      if (outcome.kind === "accepted") {
        this.authRefusedSince = undefined;
        await this.spool.remove(entry);
        this.stats.lines += entry.lines;
        this.stats.bytes += entry.bytes;
        this.stats.batches++;
        return;
      }
      let retryAfterMs: number | undefined;
      if (outcome.kind === "rejected") {
        if (outcome.status !== 401 || this.authGraceLeftMs() <= 0)
          return this.refused(entry, outcome.status, outcome.reason);
      } else {
        retryAfterMs = outcome.retryAfterMs;
      }
      if (this.stopped) return;
      const delay = retryDelay(attempt, this.options.retry, retryAfterMs);
      this.stats.retries++;
      this.options.reporter.info(
        `batch ${entry.id} not delivered (${outcome.reason}); retry ${attempt} in ${(delay / 1000).toFixed(1)} s`,
      );
      await sleep(delay, this.options.signal);
    }
  }

  /**
   * Time left to retry 401s, starting the clock at the first one. A token just
   * added reaches the receiver tasks one deployment at a time, so a 401 may
   * mean "not yet" rather than "never": say so once, then keep retrying.
   */
  private authGraceLeftMs(): number {
    const now = Date.now();
    if (this.authRefusedSince === undefined) {
      this.authRefusedSince = now;
      if (this.options.authGraceMs > 0) {
        this.options.reporter.warn(
          `receiver refused the token (HTTP 401); retrying for up to ${this.options.authGraceMs / 1000} s ` +
            `in case the tokens are being rotated across its tasks (--auth-grace-seconds); batches stay spooled`,
        );
      }
    }
    return this.options.authGraceMs - (now - this.authRefusedSince);
  }

  private async refused(entry: SpoolEntry, status: number, reason: string): Promise<void> {
    if (CONFIGURATION_STATUSES.has(status)) {
      this.fatal ??= new FatalSendError(
        status,
        `${this.target.url.href} is not a log-receiver intake endpoint (${reason}); check --url ` +
          `(a receiver takes POST https://HOST/v1/logs); ${this.spool.depth} batch(es) kept in ${this.spool.dir}`,
      );
      this.notify();
      return;
    }
    if (status === 401 || status === 403 || status === 0) {
      const waited =
        status === 401 && this.options.authGraceMs > 0
          ? ` for ${this.options.authGraceMs / 1000} s (--auth-grace-seconds)`
          : "";
      this.fatal ??= new FatalSendError(
        status,
        `receiver refused the connection${waited}: ${reason}; ${this.spool.depth} batch(es) kept in ${this.spool.dir}`,
      );
      this.notify();
      return;
    }
    if (status === 413 && entry.lines > 1) {
      await this.split(entry);
      return;
    }
    const kept = await this.spool.reject(entry, { status, message: reason });
    this.stats.rejectedBatches++;
    this.stats.rejectedFiles.push(kept);
    this.options.reporter.warn(
      `batch ${entry.id} (${entry.lines} lines) refused: ${reason}; kept in ${kept}`,
    );
  }

  /**
   * Too large for the receiver: spool both halves (ids derived from the
   * original, so a crash mid-split re-derives the same ids), then drop the
   * original.
   */
  private async split(entry: SpoolEntry): Promise<void> {
    const raw = await gunzip(await this.spool.body(entry));
    // Split on bytes, not decoded text: the lines go out exactly as read.
    const ends: number[] = [];
    for (let i = raw.indexOf(10); i !== -1; i = raw.indexOf(10, i + 1)) ends.push(i + 1);
    // Batches end every line with \n, so `ends` has one entry per line.
    const first = Math.ceil(ends.length / 2);
    const cut = ends[first - 1] ?? raw.length;
    const halves = [
      { body: raw.subarray(0, cut), lines: first },
      { body: raw.subarray(cut), lines: ends.length - first },
    ];
    for (const [i, half] of halves.entries()) {
      await this.spool.add({
        id: `${entry.id}.${i + 1}`,
        body: await gzip(half.body),
        lines: half.lines,
        bytes: half.body.length,
        ...(entry.origin === undefined ? {} : { origin: entry.origin }),
      });
    }
    await this.spool.remove(entry);
    this.options.reporter.info(`batch ${entry.id} too large for the receiver; split in two`);
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const waiting = this.waiters;
    this.waiters = [];
    waiting.forEach((wake) => wake());
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
