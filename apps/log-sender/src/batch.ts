import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import zlib from "node:zlib";

const gzip = promisify(zlib.gzip);

/** Where a batch's lines came from in a file, so a restart can tell what is already spooled. */
export interface Origin {
  readonly path: string;
  readonly ino: number;
  /** Offset of the first byte of the batch. */
  readonly start: number;
  /** Offset just past the last line of the batch. */
  readonly end: number;
}

/** A batch as sent: the gzip NDJSON body and the id the receiver derives line ids from. */
export interface Batch {
  /** Sent as Idempotency-Key; fixed when the batch is made, so every retry yields the same line ids. */
  readonly id: string;
  readonly body: Buffer;
  readonly lines: number;
  /** Uncompressed bytes (lines plus newlines). */
  readonly bytes: number;
  readonly origin?: Origin;
}

/** Size of the batches to build; whichever is reached first closes a batch. */
export interface BatchLimits {
  readonly batchLines: number;
  readonly batchBytes: number;
}

/**
 * Collects lines until a batch is full. Empty lines are dropped here (the
 * receiver would skip them anyway), so line counts match what is stored.
 */
export class LineBatch {
  private lines: Buffer[] = [];
  private bytes = 0;
  /** Offset of the first byte of the first line held, for {@link Origin}. */
  start = 0;
  /** Offset just past the last line held. */
  end = 0;
  /** When the first line now held arrived (ms), for time-based flushing. */
  openedAt = 0;

  constructor(private readonly limits: BatchLimits) {}

  /** Adds a line that ends at file offset `end`; returns true when the batch is full. */
  add(line: Buffer, end: number): boolean {
    if (this.lines.length === 0) {
      this.start = this.end;
      this.openedAt = Date.now();
    }
    this.end = end;
    if (line.length > 0) {
      this.lines.push(line);
      this.bytes += line.length + 1;
    }
    return this.lines.length >= this.limits.batchLines || this.bytes >= this.limits.batchBytes;
  }

  /** Lines held. */
  get size(): number {
    return this.lines.length;
  }

  /** Starts counting offsets at `offset` (a file opened at a saved position). */
  resetAt(offset: number): void {
    this.lines = [];
    this.bytes = 0;
    this.start = offset;
    this.end = offset;
  }

  /** Gzips the held lines into a batch and empties the holder; undefined when nothing is held. */
  async take(origin?: { path: string; ino: number }): Promise<Batch | undefined> {
    if (this.lines.length === 0) {
      // Offsets may still have moved past empty lines: keep them moving.
      this.start = this.end;
      return undefined;
    }
    const parts: Buffer[] = [];
    for (const line of this.lines) parts.push(line, NEWLINE);
    const batch: Batch = {
      id: randomUUID(),
      body: await gzip(Buffer.concat(parts, this.bytes)),
      lines: this.lines.length,
      bytes: this.bytes,
      ...(origin === undefined ? {} : { origin: { ...origin, start: this.start, end: this.end } }),
    };
    this.lines = [];
    this.bytes = 0;
    this.start = this.end;
    return batch;
  }
}

const NEWLINE = Buffer.from("\n");
