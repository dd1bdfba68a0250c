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
 * A line longer than `maxLineBytes` is cut into pieces of at most that size
 * rather than buffered without bound (a binary file, a runaway writer): every
 * byte is still sent, and the receiver's per-line limit is never hit. A cut
 * falls on a UTF-8 character boundary (up to 3 bytes earlier), so each piece
 * is valid text when the line was.
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
        // `pending` is full and chunk[start] comes next (start < stop here).
        const full = this.joined();
        const cut = utf8CutLength(full, chunk[start] as number);
        this.pending = [full.subarray(0, cut)];
        this.pendingBytes = cut;
        lines.push(this.emit(this.offset + start - (full.length - cut)));
        // The bytes of the character that did not fit open the next piece.
        this.append(full.subarray(cut));
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

  private joined(): Buffer {
    return this.pending.length === 1
      ? (this.pending[0] as Buffer)
      : Buffer.concat(this.pending, this.pendingBytes);
  }

  private emit(end: number): SplitLine {
    const line = this.joined();
    this.pending = [];
    this.pendingBytes = 0;
    return { line, end };
  }
}

/**
 * How many bytes of `piece` to cut off as a line when byte `next` follows
 * it: all of them unless `next` continues a UTF-8 character begun in the
 * last 3 bytes, in which case the cut moves to that character's first byte.
 * Bytes that are not UTF-8 (no lead byte within reach) are cut where they
 * are; a piece is never cut to nothing.
 */
export function utf8CutLength(piece: Buffer, next: number): number {
  if (!isContinuation(next)) return piece.length;
  for (let i = piece.length - 1; i >= Math.max(0, piece.length - 3); i--) {
    const byte = piece[i] as number;
    if (isContinuation(byte)) continue;
    // A lead byte (11xxxxxx) starts the character `next` belongs to; ASCII there means not UTF-8.
    return byte >= 0xc0 && i > 0 ? i : piece.length;
  }
  return piece.length;
}

function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}
