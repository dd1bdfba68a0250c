/**
 * JSON-lines output, written as UTF-8 bytes straight from the byte ranges the
 * scanner found (parse.ts): no per-line strings, so no string concatenation,
 * flattening or garbage on the hot path (measured: building each line as a
 * string cost more than parsing it). The output is byte-for-byte what
 * `JSON.stringify(parseAccessLogLine(line)) + "\n"` gives, key order
 * included; a property test holds it to that.
 */
import type { AccessLogFields } from "./parse";

/** One line of the error output: a line that could not be decoded or parsed, and where it came from. */
export interface RejectedLine {
  readonly reason: string;
  /** The raw line (for a KPL record, its data in base64). */
  readonly line: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly lineIndex: number;
  /** The ingest envelope's id, when the line came in one. */
  readonly id?: string;
}

const ascii = (text: string): Uint8Array => Buffer.from(text, "latin1");
const K_REMOTEADDR = ascii('{"remoteaddr":');
const K_REMOTEUSER = ascii(',"remoteuser":');
const K_URL = ascii(',"url":');
const K_PROTOCOL = ascii(',"protocol":');
/** `,"statuscode":NNN,"bytessent":` for every 3-digit status, built once. */
const STATUS_JSON = Array.from({ length: 1000 }, (_, status) =>
  ascii(`,"statuscode":${status},"bytessent":`),
);
const K_REFERRER = ascii(',"referrer":');
const K_USERAGENT = ascii(',"useragent":');
const K_EXTRA = ascii(',"extra":[');
const NULL = ascii("null");
/** Bytes one line needs besides its own fields: keys, quotes, time, numbers and the extra fields' commas and nulls. */
const LINE_OVERHEAD = 512;
/** An input byte becomes at most 6 output bytes (`\u00XX`). */
const MAX_EXPANSION = 6;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const HEX = ascii("0123456789abcdef");

/** A growing buffer of JSON lines (each ends with "\n"). */
export class JsonLinesBuffer {
  private bytes: Buffer;
  private length = 0;
  /** Number of lines appended. */
  lines = 0;

  /**
   * @param capacity initial size in bytes; a good guess (about twice the
   *   input: JSON keys roughly double a line) saves copying while growing.
   */
  constructor(capacity = 64 * 1024) {
    this.bytes = Buffer.allocUnsafe(capacity);
  }

  /**
   * Appends the JSON of an access-log line that {@link scanAccessLogLine}
   * accepted; `fields` must describe `src[start, end)`.
   */
  appendAccessLog(src: Uint8Array, start: number, end: number, fields: AccessLogFields): void {
    this.reserve(MAX_EXPANSION * (end - start) + LINE_OVERHEAD);
    const dst = this.bytes;
    // The address and times were validated by the scanner, and the request,
    // referrer and user agent need no escaping on most lines (the scanner
    // checked), so those are copied without looking at each byte.
    const quoted = fields.plainQuotedFields ? writePlainString : writeString;
    let o = writeBytes(dst, this.length, K_REMOTEADDR);
    o = writePlainString(dst, o, src, fields.addrStart, fields.addrEnd);
    if (fields.userStart < 0) {
      o = writeBytes(dst, o, fields.nullUserTimeJson);
    } else {
      o = writeBytes(dst, o, K_REMOTEUSER);
      o = writeString(dst, o, src, fields.userStart, fields.userEnd);
      o = writeBytes(dst, o, fields.timeJson);
    }
    o = quoted(dst, o, src, fields.methodStart, fields.methodEnd);
    o = writeBytes(dst, o, K_URL);
    o = quoted(dst, o, src, fields.urlStart, fields.urlEnd);
    o = writeBytes(dst, o, K_PROTOCOL);
    o = quoted(dst, o, src, fields.protocolStart, fields.protocolEnd);
    o = writeBytes(dst, o, STATUS_JSON[fields.statuscode] as Uint8Array);
    o = writeInteger(dst, o, fields.bytessent);
    o = writeBytes(dst, o, K_REFERRER);
    o = quoted(dst, o, src, fields.referrerStart, fields.referrerEnd);
    o = writeBytes(dst, o, K_USERAGENT);
    o = quoted(dst, o, src, fields.useragentStart, fields.useragentEnd);
    if (fields.extraCount > 0) {
      o = writeBytes(dst, o, K_EXTRA);
      for (let i = 0; i < fields.extraCount; i++) {
        if (i > 0) dst[o++] = COMMA;
        o = quoted(dst, o, src, fields.extraStarts[i] as number, fields.extraEnds[i] as number);
      }
      dst[o++] = CLOSE_BRACKET;
    }
    dst[o++] = 0x7d;
    dst[o++] = NEWLINE;
    this.length = o;
    this.lines++;
  }

  /** Appends a rejected line as JSON, keys in the order of {@link RejectedLine}. */
  appendRejected(rejected: RejectedLine): void {
    const { reason, line, shardId, sequenceNumber, lineIndex, id } = rejected;
    const json = JSON.stringify(
      id === undefined
        ? { reason, line, shardId, sequenceNumber, lineIndex }
        : { reason, line, shardId, sequenceNumber, lineIndex, id },
    );
    this.reserve(Buffer.byteLength(json) + 1);
    this.length += this.bytes.write(json, this.length, "utf8");
    this.bytes[this.length++] = NEWLINE;
    this.lines++;
  }

  /** The lines written so far (a view: valid until the next append). */
  contents(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + extra));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}

function writeBytes(dst: Uint8Array, o: number, bytes: Uint8Array): number {
  if (bytes.length >= NATIVE_COPY_MIN) dst.set(bytes, o);
  else for (let i = 0; i < bytes.length; i++) dst[o + i] = bytes[i] as number;
  return o + bytes.length;
}

/**
 * Writes `src[start, end)` as a JSON string (or `null` when start is -1),
 * escaping exactly as JSON.stringify does. Printable ASCII is copied byte by
 * byte; a field with any non-ASCII byte is decoded and handed to
 * JSON.stringify, which keeps UTF-8 decoding rules (U+FFFD for invalid
 * sequences) identical to the string API.
 */
function writeString(dst: Buffer, o: number, src: Uint8Array, start: number, end: number): number {
  if (start < 0) return writeBytes(dst, o, NULL);
  const first = o;
  dst[o++] = QUOTE;
  for (let i = start; i < end; i++) {
    const c = src[i] as number;
    if (c >= 0x20 && c < 0x80 && c !== QUOTE && c !== BACKSLASH) {
      dst[o++] = c;
    } else if (c >= 0x80) {
      const text = Buffer.from(src.buffer, src.byteOffset + start, end - start).toString("utf8");
      return first + dst.write(JSON.stringify(text), first, "utf8");
    } else {
      o = writeEscape(dst, o, c);
    }
  }
  dst[o++] = QUOTE;
  return o;
}

/** Below this length a byte loop beats the call into native code that copies a range. */
const NATIVE_COPY_MIN = 48;

/** Writes `src[start, end)`, known to need no escaping, as a JSON string (or `null` when start is -1). */
function writePlainString(dst: Buffer, o: number, src: Uint8Array, start: number, end: number): number {
  if (start < 0) return writeBytes(dst, o, NULL);
  dst[o++] = QUOTE;
  if (end - start >= NATIVE_COPY_MIN) {
    dst.set(new Uint8Array(src.buffer, src.byteOffset + start, end - start), o);
    o += end - start;
  } else {
    for (let i = start; i < end; i++) dst[o++] = src[i] as number;
  }
  dst[o++] = QUOTE;
  return o;
}

/** JSON.stringify's escapes: the short forms where JSON has one, else `\u00xx` in lower-case hex. */
function writeEscape(dst: Uint8Array, o: number, c: number): number {
  dst[o++] = BACKSLASH;
  const short =
    c === QUOTE || c === BACKSLASH
      ? c
      : c === 0x08
        ? 0x62
        : c === 0x09
          ? 0x74
          : c === NEWLINE
            ? 0x6e
            : c === 0x0c
              ? 0x66
              : c === 0x0d
                ? 0x72
                : 0;
  if (short !== 0) {
    dst[o++] = short;
    return o;
  }
  dst[o++] = 0x75;
  dst[o++] = 0x30;
  dst[o++] = 0x30;
  dst[o++] = HEX[c >> 4] as number;
  dst[o++] = HEX[c & 15] as number;
  return o;
}

/** A non-negative integer in decimal, as JSON.stringify writes it (no leading zeros). */
function writeInteger(dst: Uint8Array, o: number, value: number): number {
  let digits = 1;
  for (let rest = Math.floor(value / 10); rest > 0; rest = Math.floor(rest / 10)) digits++;
  let rest = value;
  for (let i = digits - 1; i >= 0; i--) {
    dst[o + i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return o + digits;
}
