import { createHash, randomUUID } from "node:crypto";
import os from "node:os";
import { promisify } from "node:util";
import zlib from "node:zlib";

const gzip = promisify(zlib.gzip);

/**
 * Which file a batch was read from: the device and inode, plus a fingerprint
 * of its first bytes (an inode number is reused once a file is deleted, so
 * dev+ino alone cannot tell a new file from the one read before).
 */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  /** How many leading bytes the fingerprint covers (the file may have been shorter than FINGERPRINT_BYTES). */
  readonly fingerprintBytes: number;
  /** sha256 hex of those bytes. */
  readonly fingerprint: string;
}

/** Where a batch's lines came from in a file, so a restart can tell what is already spooled. */
export interface Origin {
  readonly path: string;
  /** Device of the file; absent in batches spooled by versions before it was recorded. */
  readonly dev?: number;
  readonly ino: number;
  readonly fingerprintBytes?: number;
  readonly fingerprint?: string;
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

/**
 * The Idempotency-Key of a batch read from a file: a hash of the host, the
 * file (device, inode), the byte range and the bytes sent. Reading the same
 * range again — after a crash lost the saved offset of a batch that had
 * already been delivered, or after --from-start — yields the same key, and
 * the receiver derives line ids from the key and the line's position, so the
 * same lines get the same ids. The host keeps two machines sending identical
 * files apart; the content hash keeps a file rewritten in place (same inode,
 * same offsets, other lines) from reusing ids of lines it no longer holds.
 */
export function batchIdFor(
  origin: Pick<Origin, "ino" | "start" | "end"> & { readonly dev?: number },
  raw: Buffer,
  host: string = os.hostname(),
): string {
  const hash = createHash("sha256")
    .update(
      `log-sender/batch/v1\0${host}\0${origin.dev ?? ""}\0${origin.ino}\0${origin.start}\0${origin.end}\0`,
    )
    .update(raw)
    .digest("hex");
  return `f-${hash.slice(0, 40)}`;
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

  /**
   * Gzips the held lines into a batch and empties the holder; undefined when
   * nothing is held. With an origin (a file) the id is derived from it
   * ({@link batchIdFor}); without (a stream) it is random.
   */
  async take(origin?: Omit<Origin, "start" | "end">): Promise<Batch | undefined> {
    if (this.lines.length === 0) {
      // Offsets may still have moved past empty lines: keep them moving.
      this.start = this.end;
      return undefined;
    }
    const parts: Buffer[] = [];
    for (const line of this.lines) parts.push(line, NEWLINE);
    const raw = Buffer.concat(parts, this.bytes);
    const range = { start: this.start, end: this.end };
    const batch: Batch = {
      id: origin === undefined ? randomUUID() : batchIdFor({ ...origin, ...range }, raw),
      body: await gzip(raw),
      lines: this.lines.length,
      bytes: this.bytes,
      ...(origin === undefined ? {} : { origin: { ...origin, ...range } }),
    };
    this.lines = [];
    this.bytes = 0;
    this.start = this.end;
    return batch;
  }
}

const NEWLINE = Buffer.from("\n");
