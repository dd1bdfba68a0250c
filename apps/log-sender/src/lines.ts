/** A complete line and the file offset just past it (past its `\n`, if it had one). */
export interface SplitLine {
  readonly line: Buffer;
  readonly end: number;
}

/**
 * Splits a byte stream into lines without decoding it (bytes go to the
 * receiver untouched). Tracks the byte offset of the end of each line so the
 * caller can persist "everything before this offset is spooled".
 *
 * A line longer than `maxLineBytes` is cut into pieces of that size rather
 * than buffered without bound (a binary file, a runaway writer): every byte is
 * still sent, and the receiver's per-line limit is never hit.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    /** Offset of the first byte that will be pushed. */
    private offset: number,
    private readonly maxLineBytes: number,
  ) {}

  /** Feeds bytes; returns the lines they complete. */
  push(chunk: Buffer): SplitLine[] {
    const lines: SplitLine[] = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(10, start);
      const stop = newline === -1 ? chunk.length : newline;
      while (this.pendingBytes + (stop - start) > this.maxLineBytes) {
        const take = this.maxLineBytes - this.pendingBytes;
        this.append(chunk.subarray(start, start + take));
        start += take;
        lines.push(this.emit(this.offset + start));
      }
      if (newline === -1) {
        this.append(chunk.subarray(start));
        break;
      }
      this.append(chunk.subarray(start, newline));
      start = newline + 1;
      lines.push(this.emit(this.offset + start));
    }
    this.offset += chunk.length;
    return lines;
  }

  /** The unterminated last line, if any (end of a file that will not grow). */
  flush(): SplitLine | undefined {
    return this.pendingBytes === 0 ? undefined : this.emit(this.offset);
  }

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    this.pending.push(piece);
    this.pendingBytes += piece.length;
  }

  private emit(end: number): SplitLine {
    const line =
      this.pending.length === 1
        ? (this.pending[0] as Buffer)
        : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return { line, end };
  }
}
