/**
 * Writes `_bulk` action/document pairs as UTF-8 bytes into shared chunks,
 * for indexers that assemble documents from pieces (the log indexer).
 *
 * Assembling a document as a string (a join of pieces) and then encoding it
 * into the body copied every document twice, and the strings, kept until
 * their body was full, were copied again by every young-generation GC: most
 * of the log indexer's time went there (measured). Written here, a pair is
 * encoded once, lives off the JavaScript heap in a chunk that several pairs
 * share, and goes into the body with one `copy` ({@link BufferedBulkItem}).
 */

/** Size of a chunk: pairs are written one after the other into it; a chunk lives as long as its last pair's item. */
const CHUNK_BYTES = 1024 * 1024;
/** Up to this many characters a string is copied by a loop; longer ones by one native write (whose call costs as much as ~60 characters of loop). */
const SHORT_STRING = 64;
/** Up to this many bytes are copied by a loop; more by `Buffer#copy` (whose call costs as much as ~100 bytes of loop). */
const SHORT_BYTES = 128;

/** A pair written by {@link PairWriter}: `buffer[start, end)` is `action\ndocument\n`. */
export interface WrittenPair {
  readonly buffer: Buffer;
  readonly start: number;
  /** Where the document starts (just past the action's `\n`). */
  readonly documentStart: number;
  readonly end: number;
}

/**
 * One pair at a time: {@link begin}, the action's and the document's pieces,
 * {@link endAction} between them, {@link finish}. A pair that does not fit
 * in the rest of the chunk moves, as written so far, to a new chunk.
 */
export class PairWriter {
  private buffer = Buffer.allocUnsafe(0);
  private start = 0;
  private documentStart = 0;
  /** Next byte to write. */
  private pos = 0;

  /** Starts a pair. */
  begin(): void {
    this.start = this.pos;
  }

  /** Room for `bytes` more bytes of the current pair. */
  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    const written = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, 2 * (written + bytes)));
    this.buffer.copy(next, 0, this.start, this.pos);
    this.documentStart -= this.start;
    this.buffer = next;
    this.start = 0;
    this.pos = written;
  }

  /** A string known to be ASCII (our own constants, times, sanitized names). */
  ascii(text: string): void {
    const length = text.length;
    this.reserve(length);
    const buffer = this.buffer;
    if (length > SHORT_STRING) {
      this.pos += buffer.write(text, this.pos, "latin1");
      return;
    }
    let pos = this.pos;
    for (let i = 0; i < length; i++) buffer[pos++] = text.charCodeAt(i);
    this.pos = pos;
  }

  /**
   * `text` as a JSON string (`"text"`) when it is printable ASCII without
   * `"` or `\\` (then quoting is all it needs); otherwise writes nothing and
   * returns false.
   */
  plainString(text: string): boolean {
    const length = text.length;
    this.reserve(length + 2);
    const buffer = this.buffer;
    let pos = this.pos;
    buffer[pos++] = QUOTE;
    for (let i = 0; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) return false;
      buffer[pos++] = c;
    }
    buffer[pos++] = QUOTE;
    this.pos = pos;
    return true;
  }

  /** Any string, as UTF-8. */
  utf8(text: string): void {
    // A UTF-16 unit is at most 3 UTF-8 bytes (a pair of them: 4).
    this.reserve(text.length * 3);
    this.pos += this.buffer.write(text, this.pos);
  }

  /** Bytes `source[from, to)`, already UTF-8. */
  bytes(source: Buffer, from: number, to: number): void {
    this.reserve(to - from);
    if (to - from > SHORT_BYTES) {
      this.pos += source.copy(this.buffer, this.pos, from, to);
      return;
    }
    const buffer = this.buffer;
    let pos = this.pos;
    for (let i = from; i < to; i++) buffer[pos++] = source[i] as number;
    this.pos = pos;
  }

  /** Ends the action line (writes its `\n`); the document follows. */
  endAction(): void {
    this.reserve(1);
    this.buffer[this.pos++] = NEWLINE;
    this.documentStart = this.pos;
  }

  /** Ends the document line and the pair. */
  finish(): WrittenPair {
    this.reserve(1);
    this.buffer[this.pos++] = NEWLINE;
    return { buffer: this.buffer, start: this.start, documentStart: this.documentStart, end: this.pos };
  }
}

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
