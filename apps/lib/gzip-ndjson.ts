/**
 * Gzip-compressed NDJSON built in memory, for the objects the apps write to
 * the archive bucket (split events, failed records, index previews).
 */
import { once } from "node:events";
import type { Gzip } from "node:zlib";
import { constants, createGzip } from "node:zlib";

/**
 * One gzip NDJSON object being built in memory. Only the compressed bytes are
 * held (CloudTrail JSON compresses about 10:1), and writers wait for the
 * compressor (`drain`) so uncompressed text never piles up.
 */
export class GzipNdjson {
  private readonly gzip: Gzip;
  private readonly chunks: Buffer[] = [];
  private closed: Promise<Buffer> | undefined;
  /** Lines written. */
  lines = 0;

  constructor(level = constants.Z_BEST_SPEED) {
    this.gzip = createGzip({ level });
    this.gzip.on("data", (chunk: Buffer) => this.chunks.push(chunk));
  }

  /** Appends one line (which must not contain a line break); resolves when the compressor can take more. */
  async write(line: string): Promise<void> {
    this.lines++;
    if (!this.gzip.write(`${line}\n`)) await once(this.gzip, "drain");
  }

  /** Finishes the stream; returns the whole gzip object. */
  finish(): Promise<Buffer> {
    this.closed ??= (async () => {
      const ended = once(this.gzip, "end");
      this.gzip.end();
      await ended;
      return Buffer.concat(this.chunks);
    })();
    return this.closed;
  }

  /** Drops the stream without output (on failure). */
  discard(): void {
    this.gzip.destroy();
  }
}
