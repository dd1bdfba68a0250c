/**
 * Splits CloudTrail log files (`{"Records":[{…},{…}]}`, gzip) into single
 * events without parsing them.
 *
 * The source design's splitter crashed on large files because it gunzipped
 * and `JSON.parse`d the whole file. Here an incremental scanner walks the
 * decompressed bytes once: it tracks only string boundaries and bracket
 * nesting, finds the top-level `Records` array, and hands out the raw text of
 * each element together with its `eventID` and `eventTime`. Memory is bounded
 * by the largest single event plus one gunzip chunk, and the indexer never
 * pays for a parse/serialise round trip per event.
 *
 * The scanner checks structure (balanced brackets, strings closed, the
 * document complete), not the JSON grammar inside an event: an event whose
 * text is balanced but not JSON is caught downstream (OpenSearch rejects it
 * with a 400 and it lands in the failed prefix; {@link splitCloudTrail}'s
 * `JSON.parse` throws).
 */
import type { Readable } from "node:stream";
import { pipeline } from "node:stream";
import { createGunzip, gunzipSync } from "node:zlib";

/** One CloudTrail event, as found in a log file's `Records` array. */
export interface CloudTrailEvent {
  readonly eventVersion?: string;
  readonly eventID?: string;
  readonly eventTime?: string;
  readonly eventName?: string;
  readonly eventSource?: string;
  readonly [field: string]: unknown;
}

/** One element of the `Records` array, unparsed. */
export interface RawCloudTrailRecord {
  /** The element's JSON text on a single line (never contains `\n` or `\r`). */
  readonly json: string;
  /** UTF-8 size of {@link json}, so batchers need not measure it again. */
  readonly bytes: number;
  /** The element is a JSON object (anything else is not an event). */
  readonly isObject: boolean;
  /** The element's top-level `eventID` string, when it has one. */
  readonly eventID: string | undefined;
  /** The element's top-level `eventTime` string, when it has one. */
  readonly eventTime: string | undefined;
  /** Set when the element contained raw line breaks and could not be re-serialised as JSON. */
  readonly invalid?: string;
}

/** The file is not a complete CloudTrail log document (truncated, not JSON, no `Records` array). */
export class CloudTrailFormatError extends Error {
  override readonly name = "CloudTrailFormatError";
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

const RECORDS = Buffer.from("Records", "latin1");
const EVENT_ID = Buffer.from("eventID", "latin1");
const EVENT_TIME = Buffer.from("eventTime", "latin1");

/** Nesting depth of an event's own keys: outer object, `Records` array, the event object. */
const EVENT_KEY_DEPTH = 3;
const INITIAL_CAPACITY = 256 * 1024;
/** Bytes of a string scanned in JS before switching to `indexOf`. */
const SHORT_STRING = 64;

const enum Phase {
  /** Before the outer `{`. */
  Start,
  /** Inside the outer object, expecting a key or `}`. */
  OuterKey,
  /** After an outer key, expecting `:`. */
  OuterColon,
  /** After `:`, expecting the value of an outer key. */
  OuterValue,
  /** Skipping the composite value of a key other than `Records`. */
  OuterSkip,
  /** Skipping a scalar value of a key other than `Records`. */
  OuterScalar,
  /** After an outer value, expecting `,` or `}`. */
  OuterComma,
  /** Inside `Records`, expecting an element (or `]` when no comma is pending). */
  RecordsNext,
  /** After an element, expecting `,` or `]`. */
  RecordsComma,
  /** Inside an object or array element. */
  Element,
  /** Inside a scalar element (number, literal). */
  ScalarElement,
  /** After the outer `}`: only whitespace may follow. */
  Done,
}

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === LF || byte === CR || byte === 0x09;
}

function bytesEqual(buf: Buffer, start: number, end: number, expected: Buffer): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (buf[start + i] !== expected[i]) return false;
  return true;
}

/**
 * Incremental scanner over the decompressed bytes of one CloudTrail log file.
 * Feed chunks with {@link write}; each call returns the elements of `Records`
 * completed by that chunk. Call {@link end} after the last chunk: it throws when
 * the document is incomplete or has no `Records` array.
 */
export class CloudTrailScanner {
  /** Growable storage; `buf` is its valid prefix. */
  /** Allocated on the first chunk boundary inside an event (a single write never needs it). */
  private store: Buffer = Buffer.alloc(0);
  private buf: Buffer = this.store.subarray(0, 0);
  /** `buf` is the caller's chunk, not a prefix of `store`. */
  private borrowed = false;
  /** Next byte to scan. */
  private pos = 0;
  /** Open containers (`{` or `[`), outermost first. */
  private readonly stack: number[] = [];
  private phase = Phase.Start;
  /** Inside a string that started at `stringStart`; the closing quote is searched from `searchFrom`. */
  private inString = false;
  private stringStart = 0;
  private searchFrom = 0;
  /** Absolute offset of `buf[0]` in the document, for error messages. */
  private consumed = 0;
  private recordsKey = false;
  private sawRecords = false;
  /** A `,` was read in `Records` and an element must follow. */
  private commaPending = false;
  private elementStart = 0;
  /** Offsets from `elementStart` just past the `"eventID"` / `"eventTime"` keys of the current element (-1: not seen). */
  private eventIdKeyEnd = -1;
  private eventTimeKeyEnd = -1;
  private sawBom = false;

  /**
   * Scans one more chunk of the document.
   *
   * @returns the `Records` elements completed by this chunk, in order.
   * @throws CloudTrailFormatError when the bytes cannot be part of a CloudTrail log document.
   */
  write(chunk: Buffer): RawCloudTrailRecord[] {
    this.append(chunk);
    const out: RawCloudTrailRecord[] = [];
    this.scan(out);
    return out;
  }

  /**
   * Declares the end of the document.
   *
   * @throws CloudTrailFormatError when the document is truncated or has no `Records` array.
   */
  end(): void {
    if (this.phase !== Phase.Done) {
      const where = this.phase === Phase.Start ? "empty document" : "document ends before its closing brace";
      throw new CloudTrailFormatError(`truncated CloudTrail log file: ${where}`);
    }
    if (!this.sawRecords) throw new CloudTrailFormatError("not a CloudTrail log file: no Records array");
  }

  /**
   * Appends a chunk, keeping only the bytes a later scan still needs. When
   * nothing is pending the chunk is scanned in place (no copy); it is copied
   * only if part of it must outlive this call, so callers must not reuse a
   * buffer after passing it (Node streams never do).
   */
  private append(chunk: Buffer): void {
    const keepFrom =
      this.phase === Phase.Element || this.phase === Phase.ScalarElement
        ? this.elementStart
        : this.inString
          ? this.stringStart
          : this.pos;
    const live = this.buf.length - keepFrom;
    if (live === 0) {
      this.rebase(keepFrom);
      this.buf = chunk;
      this.borrowed = true;
      return;
    }
    const needed = live + chunk.length;
    if (!this.borrowed && this.buf.length + chunk.length <= this.store.length) {
      chunk.copy(this.store, this.buf.length);
      this.buf = this.store.subarray(0, this.buf.length + chunk.length);
      return;
    }
    // Move the live bytes to the front of the store, doubling it only when
    // they do not fit: copying stays amortised linear even for one huge event
    // spanning many chunks.
    if (needed > this.store.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.store.length * 2, INITIAL_CAPACITY));
      this.buf.copy(grown, 0, keepFrom);
      this.store = grown;
    } else if (this.borrowed) {
      this.buf.copy(this.store, 0, keepFrom);
    } else {
      this.store.copyWithin(0, keepFrom, this.buf.length);
    }
    this.borrowed = false;
    this.rebase(keepFrom);
    chunk.copy(this.store, live);
    this.buf = this.store.subarray(0, needed);
  }

  private rebase(by: number): void {
    this.consumed += by;
    this.pos -= by;
    this.elementStart -= by;
    this.stringStart -= by;
    this.searchFrom -= by;
  }

  private fail(message: string, at: number): never {
    throw new CloudTrailFormatError(`${message} at byte ${this.consumed + at}`);
  }

  /**
   * Finds the closing quote of the string opened at `stringStart`, searching
   * from `searchFrom` (always a character boundary, never the middle of an
   * escape). Most CloudTrail strings are short: a JS loop finds their end
   * faster than a native call; long ones (policies, user agents) use memchr.
   *
   * @returns the index just past it, or -1 when the buffer ends first (state kept for the next chunk).
   */
  private closeString(): number {
    const buf = this.buf;
    const length = buf.length;
    let at = this.searchFrom;
    const shortEnd = Math.min(length, at + SHORT_STRING);
    while (at < shortEnd) {
      const byte = buf[at];
      if (byte === QUOTE) {
        this.inString = false;
        return at + 1;
      }
      at += byte === BACKSLASH ? 2 : 1;
    }
    for (;;) {
      const quote = at < length ? buf.indexOf(QUOTE, at) : -1;
      if (quote < 0) {
        // Resume after any escape the chunk boundary cut in two.
        let slash = length - 1;
        while (slash > this.stringStart && buf[slash] === BACKSLASH) slash--;
        this.inString = true;
        this.searchFrom = Math.max(at, length + ((length - 1 - slash) % 2));
        return -1;
      }
      // A quote preceded by an odd number of backslashes is escaped.
      let slash = quote - 1;
      while (buf[slash] === BACKSLASH) slash--;
      if ((quote - 1 - slash) % 2 === 0) {
        this.inString = false;
        return quote + 1;
      }
      at = quote + 1;
    }
  }

  private openString(at: number): number {
    this.stringStart = at;
    this.searchFrom = at + 1;
    return this.closeString();
  }

  private scan(out: RawCloudTrailRecord[]): void {
    const buf = this.buf;
    const stack = this.stack;
    let pos = this.pos;
    if (this.inString) {
      const end = this.closeString();
      if (end < 0) return;
      pos = this.afterString(end);
    }
    while (pos < buf.length) {
      const byte = buf[pos] as number;
      switch (this.phase) {
        case Phase.Element: {
          // The hot loop: everything inside an event, until it ends or the chunk does.
          const length = buf.length;
          const keys = buf[this.elementStart] === OPEN_OBJECT;
          for (;;) {
            if (pos >= length) {
              this.pos = pos;
              return;
            }
            const b = buf[pos];
            if (b === QUOTE) {
              const end = this.openString(pos);
              if (end < 0) {
                this.pos = pos;
                return;
              }
              if (keys && stack.length === EVENT_KEY_DEPTH) this.noteKey(end);
              pos = end;
              continue;
            }
            if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
              stack.push(b);
            } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
              this.pop(b, pos);
              if (stack.length === 2) {
                out.push(this.emit(pos + 1, buf[this.elementStart] === OPEN_OBJECT));
                this.phase = Phase.RecordsComma;
                pos++;
                break;
              }
            }
            pos++;
          }
          continue;
        }
        case Phase.ScalarElement:
        case Phase.OuterScalar: {
          if (byte === COMMA || isWhitespace(byte) || byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
            if (this.phase === Phase.ScalarElement) {
              out.push(this.emit(pos, false));
              this.phase = Phase.RecordsComma;
            } else {
              this.phase = Phase.OuterComma;
            }
            continue; // the delimiter is handled by the next phase
          }
          pos++;
          continue;
        }
        case Phase.OuterSkip: {
          if (byte === QUOTE) {
            const end = this.openString(pos);
            if (end < 0) {
              this.pos = pos;
              return;
            }
            pos = end;
            continue;
          }
          if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) stack.push(byte);
          else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
            this.pop(byte, pos);
            if (stack.length === 1) this.phase = Phase.OuterComma;
          }
          pos++;
          continue;
        }
        default:
          break;
      }
      if (isWhitespace(byte)) {
        pos++;
        continue;
      }
      pos = this.structural(byte, pos);
      if (pos < 0) return;
    }
    this.pos = pos;
  }

  /** Handles one non-whitespace byte outside events. Returns the next position, or -1 to wait for more data. */
  private structural(byte: number, pos: number): number {
    switch (this.phase) {
      case Phase.Start:
        if (pos === 0 && this.consumed === 0 && !this.sawBom && byte === 0xef) {
          // A UTF-8 byte order mark, as some tools write.
          if (this.buf.length < 3) return this.wait(pos);
          if (this.buf[1] !== 0xbb || this.buf[2] !== 0xbf) this.fail("not JSON", pos);
          this.sawBom = true;
          return pos + 3;
        }
        if (byte !== OPEN_OBJECT) this.fail("not a CloudTrail log file: expected '{'", pos);
        this.stack.push(byte);
        this.phase = Phase.OuterKey;
        return pos + 1;
      case Phase.OuterKey: {
        if (byte === CLOSE_OBJECT) return this.closeOuter(byte, pos);
        if (byte !== QUOTE) this.fail("expected a key", pos);
        const end = this.openString(pos);
        if (end < 0) return this.wait(pos);
        return this.afterString(end);
      }
      case Phase.OuterColon:
        if (byte !== COLON) this.fail("expected ':'", pos);
        this.phase = Phase.OuterValue;
        return pos + 1;
      case Phase.OuterValue:
        if (this.recordsKey) {
          if (byte !== OPEN_ARRAY) this.fail("Records is not an array", pos);
          if (this.sawRecords) this.fail("duplicate Records key", pos);
          this.sawRecords = true;
          this.stack.push(byte);
          this.commaPending = false;
          this.phase = Phase.RecordsNext;
          return pos + 1;
        }
        if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
          this.stack.push(byte);
          this.phase = Phase.OuterSkip;
          return pos + 1;
        }
        if (byte === QUOTE) {
          const end = this.openString(pos);
          if (end < 0) return this.wait(pos);
          return this.afterString(end);
        }
        this.phase = Phase.OuterScalar;
        return pos;
      case Phase.OuterComma:
        if (byte === COMMA) {
          this.phase = Phase.OuterKey;
          return pos + 1;
        }
        return this.closeOuter(byte, pos);
      case Phase.RecordsNext:
        if (byte === CLOSE_ARRAY && !this.commaPending) return this.closeRecords(byte, pos);
        this.commaPending = false;
        this.elementStart = pos;
        this.eventIdKeyEnd = -1;
        this.eventTimeKeyEnd = -1;
        if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
          this.stack.push(byte);
          this.phase = Phase.Element;
          return pos + 1;
        }
        if (byte === QUOTE) {
          this.phase = Phase.ScalarElement;
          const end = this.openString(pos);
          if (end < 0) return this.wait(pos);
          return this.afterString(end);
        }
        if (byte === COMMA || byte === CLOSE_ARRAY || byte === CLOSE_OBJECT || byte === COLON) {
          this.fail("expected a Records element", pos);
        }
        this.phase = Phase.ScalarElement;
        return pos;
      case Phase.RecordsComma:
        if (byte === COMMA) {
          this.commaPending = true;
          this.phase = Phase.RecordsNext;
          return pos + 1;
        }
        if (byte === CLOSE_ARRAY) return this.closeRecords(byte, pos);
        return this.fail("expected ',' or ']' in Records", pos);
      case Phase.Done:
        return this.fail("unexpected data after the end of the document", pos);
      default:
        return this.fail("scanner state error", pos);
    }
  }

  private wait(pos: number): number {
    this.pos = pos;
    return -1;
  }

  private closeRecords(byte: number, pos: number): number {
    this.pop(byte, pos);
    this.phase = Phase.OuterComma;
    return pos + 1;
  }

  private closeOuter(byte: number, pos: number): number {
    if (byte !== CLOSE_OBJECT) this.fail("expected ',' or '}'", pos);
    this.pop(byte, pos);
    this.phase = Phase.Done;
    return pos + 1;
  }

  /** State change after a string that ended just before `end`. */
  private afterString(end: number): number {
    switch (this.phase) {
      case Phase.Element:
        if (this.stack.length === EVENT_KEY_DEPTH && this.stack[2] === OPEN_OBJECT) this.noteKey(end);
        return end;
      case Phase.OuterKey:
        this.recordsKey = bytesEqual(this.buf, this.stringStart + 1, end - 1, RECORDS);
        this.phase = Phase.OuterColon;
        return end;
      case Phase.OuterValue:
        this.phase = Phase.OuterComma;
        return end;
      default:
        // Skipped values, and string elements (which end at the next delimiter).
        return end;
    }
  }

  /**
   * Remembers where the event's own `eventID` / `eventTime` keys end. A string
   * with that text in value position (`"eventType":"eventID"`) looks the same
   * until its next byte, which may still be in the next chunk; so a candidate
   * is replaced by a later one once it turns out not to be followed by `:`.
   */
  private noteKey(end: number): void {
    const start = this.stringStart + 1;
    const length = end - 1 - start;
    if (length === EVENT_ID.length && bytesEqual(this.buf, start, end - 1, EVENT_ID)) {
      if (!this.isKeyAt(this.eventIdKeyEnd)) this.eventIdKeyEnd = end - this.elementStart;
    } else if (length === EVENT_TIME.length && bytesEqual(this.buf, start, end - 1, EVENT_TIME)) {
      if (!this.isKeyAt(this.eventTimeKeyEnd)) this.eventTimeKeyEnd = end - this.elementStart;
    }
  }

  /** Whether the string ending at `elementStart + keyEnd` is followed by `:` (false for no candidate). */
  private isKeyAt(keyEnd: number): boolean {
    if (keyEnd < 0) return false;
    let i = this.elementStart + keyEnd;
    while (i < this.buf.length && isWhitespace(this.buf[i] as number)) i++;
    return this.buf[i] === COLON;
  }

  private pop(byte: number, pos: number): void {
    const open = this.stack.pop();
    const expected = byte === CLOSE_OBJECT ? OPEN_OBJECT : OPEN_ARRAY;
    if (open !== expected) this.fail(`unbalanced '${String.fromCharCode(byte)}'`, pos);
  }

  /** Builds the record for the element `[elementStart, end)`. */
  private emit(end: number, isObject: boolean): RawCloudTrailRecord {
    const buf = this.buf;
    const start = this.elementStart;
    const eventID = this.stringValueAfter(start, end, this.eventIdKeyEnd);
    const eventTime = this.stringValueAfter(start, end, this.eventTimeKeyEnd);
    const element = buf.subarray(start, end);
    if (element.indexOf(LF) < 0 && element.indexOf(CR) < 0) {
      return { json: element.toString("utf8"), bytes: end - start, isObject, eventID, eventTime };
    }
    // Pretty-printed input: the NDJSON consumers need one line per event.
    // Outside strings a line break is whitespace; inside one it is invalid
    // JSON, so re-serialising (not blanking) is the only faithful fix.
    const text = element.toString("utf8");
    try {
      const json = JSON.stringify(JSON.parse(text));
      return { json, bytes: Buffer.byteLength(json), isObject, eventID, eventTime };
    } catch (error) {
      const json = JSON.stringify(text);
      const invalid = `invalid JSON in record: ${(error as Error).message}`;
      return { json, bytes: Buffer.byteLength(json), isObject, eventID, eventTime, invalid };
    }
  }

  /** Reads the JSON string value after the key ending at `start + keyEnd`, if the key is followed by `:` and a string. */
  private stringValueAfter(start: number, end: number, keyEnd: number): string | undefined {
    if (keyEnd < 0) return undefined;
    const buf = this.buf;
    let i = start + keyEnd;
    while (i < end && isWhitespace(buf[i] as number)) i++;
    if (buf[i] !== COLON) return undefined;
    i++;
    while (i < end && isWhitespace(buf[i] as number)) i++;
    if (buf[i] !== QUOTE) return undefined;
    let close = i + 1;
    let escaped = false;
    for (; close < end; close++) {
      const b = buf[close];
      if (b === BACKSLASH) {
        escaped = true;
        close++;
      } else if (b === QUOTE) break;
    }
    if (close >= end) return undefined;
    if (!escaped) return buf.toString("utf8", i + 1, close);
    try {
      return JSON.parse(buf.toString("utf8", i, close + 1)) as string;
    } catch {
      return undefined;
    }
  }
}

/** Parses a raw record into an event object; throws for anything that is not a JSON object. */
export function parseRecord(record: RawCloudTrailRecord, index: number): CloudTrailEvent {
  if (record.invalid !== undefined) throw new CloudTrailFormatError(`record ${index}: ${record.invalid}`);
  if (!record.isObject) throw new CloudTrailFormatError(`record ${index} is not a JSON object`);
  try {
    return JSON.parse(record.json) as CloudTrailEvent;
  } catch (error) {
    throw new CloudTrailFormatError(`record ${index} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Splits one gzipped CloudTrail log file already in memory into its events
 * (the convenience form for tools and tests; the Lambda streams with
 * {@link splitCloudTrailStream} instead).
 *
 * @throws CloudTrailFormatError for a corrupt or truncated file or a record that is not a JSON object;
 *   zlib errors for data that is not gzip.
 */
export function* splitCloudTrail(gzipped: Buffer): Generator<CloudTrailEvent> {
  const scanner = new CloudTrailScanner();
  const records = scanner.write(gunzipSync(gzipped));
  scanner.end();
  for (let i = 0; i < records.length; i++) yield parseRecord(records[i] as RawCloudTrailRecord, i);
}

/** Size of the chunks gunzip hands to the scanner: fewer, larger chunks are faster. */
const GUNZIP_CHUNK = 256 * 1024;

/**
 * Streams a gzipped CloudTrail log file: gunzip → scan → raw records, with
 * backpressure (the source is read only as fast as the consumer iterates).
 * Breaking out of the loop or throwing destroys the source.
 *
 * @throws CloudTrailFormatError when the document is malformed or truncated;
 *   the zlib error (`Z_DATA_ERROR`, `unexpected end of file`) for corrupt or truncated gzip;
 *   the source's own error when reading fails.
 */
export async function* splitCloudTrailStream(source: Readable): AsyncGenerator<RawCloudTrailRecord> {
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
  // pipeline() propagates source errors into gunzip (and so into the loop),
  // and destroys the source when gunzip is destroyed early.
  pipeline(source, gunzip, () => undefined);
  const scanner = new CloudTrailScanner();
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      for (const record of scanner.write(chunk)) yield record;
    }
    scanner.end();
  } finally {
    gunzip.destroy();
  }
}
