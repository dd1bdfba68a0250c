import { isUtf8 } from "node:buffer";
import { HttpError } from "./errors";
import { copyCompact, isJsonText, scanValue, skipWhitespace } from "./json-scan";

/**
 * How a request body is split into lines:
 * - `ndjson`: one line per `\n`; a line that parses as JSON becomes `event`,
 *   any other line is kept verbatim as `message` (never rejected: a log line
 *   that happens not to be JSON is still a log line).
 * - `json-array`: the body is one JSON array, each element is an `event`.
 * - `text`: one line per `\n`, always a `message`, never parsed.
 */
export type BodyFormat = "ndjson" | "json" | "text";

/** Content encodings the receiver can undo. */
export type BodyEncoding = "gzip" | "identity";

/** One line ready to be wrapped in an envelope. */
export interface LogLine {
  /** Position of the line in the body (blank lines keep their index), part of the stable id. */
  readonly index: number;
  /** Which envelope field carries the value. */
  readonly field: "message" | "event";
  /** The value as JSON text, ready to embed (a JSON string for messages, the original JSON for events). */
  readonly json: string;
}

/** Per-request limits on the decoded body. */
export interface LineLimits {
  /** Longest accepted line, in UTF-8 bytes (JSON text of an element for arrays). */
  readonly maxLineBytes: number;
  /** Most non-blank lines (or array elements) in one request. */
  readonly maxLines: number;
}

const NDJSON_TYPES = new Set([
  "application/x-ndjson",
  "application/ndjson",
  "application/jsonl",
  "application/x-jsonlines",
  "application/json-lines",
  "application/json",
]);

/**
 * Maps a Content-Type header to a body format. A missing header means NDJSON
 * (the sender's format); `application/json` is NDJSON unless the body is an
 * array, which {@link parseBody} decides by looking at the first character.
 * @throws HttpError 415 for any other media type.
 */
export function negotiateFormat(contentType: string | undefined): BodyFormat {
  if (contentType === undefined || contentType.trim() === "") return "ndjson";
  const mediaType = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  if (mediaType === "text/plain") return "text";
  if (mediaType === "application/json") return "json";
  if (NDJSON_TYPES.has(mediaType)) return "ndjson";
  throw new HttpError(
    415,
    "unsupported_media_type",
    `Content-Type ${mediaType} is not supported; use application/x-ndjson, application/json or text/plain`,
  );
}

/**
 * Maps a Content-Encoding header to the decoding to apply.
 * @throws HttpError 415 for anything but gzip (or x-gzip) and identity.
 */
export function negotiateEncoding(contentEncoding: string | undefined): BodyEncoding {
  const value = (contentEncoding ?? "").trim().toLowerCase();
  if (value === "" || value === "identity") return "identity";
  if (value === "gzip" || value === "x-gzip") return "gzip";
  throw new HttpError(
    415,
    "unsupported_encoding",
    `Content-Encoding ${value} is not supported; use gzip or send the body uncompressed`,
  );
}

/**
 * The lines of a body as byte ranges into one buffer, the form the hot path
 * works on: a line is never decoded to a string, only validated and copied.
 */
export class LineTable {
  /** Number of lines in the table. */
  count = 0;
  /** Byte offset of line `i` in `bytes`. */
  starts: Uint32Array;
  /** Byte offset just past line `i` (a trailing CR excluded). */
  ends: Uint32Array;
  /** Position of line `i` in the body (blank lines keep their index), part of the stable id. */
  indexes: Uint32Array;
  /** 1 when line `i` is a JSON text (an `event`), 0 for a plain-text `message`. */
  events: Uint8Array;

  constructor(
    /** Valid UTF-8 the ranges point into. */
    readonly bytes: Buffer,
    capacity: number,
  ) {
    this.starts = new Uint32Array(capacity);
    this.ends = new Uint32Array(capacity);
    this.indexes = new Uint32Array(capacity);
    this.events = new Uint8Array(capacity);
  }

  /** Appends a line, growing the columns (amortised doubling) when full. */
  push(start: number, end: number, index: number, event: boolean): void {
    if (this.count === this.starts.length) this.grow();
    const i = this.count++;
    this.starts[i] = start;
    this.ends[i] = end;
    this.indexes[i] = index;
    this.events[i] = event ? 1 : 0;
  }

  private grow(): void {
    const capacity = Math.max(16, this.starts.length * 2);
    const widen = <T extends Uint32Array | Uint8Array>(column: T, next: T): T => {
      next.set(column);
      return next;
    };
    this.starts = widen(this.starts, new Uint32Array(capacity));
    this.ends = widen(this.ends, new Uint32Array(capacity));
    this.indexes = widen(this.indexes, new Uint32Array(capacity));
    this.events = widen(this.events, new Uint8Array(capacity));
  }
}

/**
 * Splits a decoded body into lines according to its format and enforces the
 * line limits. Blank lines are skipped (they carry nothing), a trailing `\r`
 * is dropped (CRLF files), and a leading byte order mark is ignored. Invalid
 * UTF-8 is replaced by U+FFFD first, exactly as decoding to a string would.
 * A line of an NDJSON body is an `event` exactly when `JSON.parse` would
 * accept it (checked by {@link isJsonText}, without parsing).
 * @throws HttpError 400 for a malformed JSON array, 413 when a limit is exceeded.
 */
export function splitBody(body: Buffer, format: BodyFormat, limits: LineLimits): LineTable {
  return splitLines(prepareBody(body, format), limits);
}

/** {@link splitBody} after {@link prepareBody}. */
export function splitLines({ bytes, from, layout }: PreparedBody, limits: LineLimits): LineTable {
  if (layout === "array") return splitJsonArray(bytes, from, limits);
  return splitIntoLines(bytes, from, layout === "text", limits);
}

/** A decoded body made ready for splitting, see {@link prepareBody}. */
export interface PreparedBody {
  /** Well-formed UTF-8. */
  readonly bytes: Buffer;
  /** Where the content starts (past a byte order mark). */
  readonly from: number;
  /** `array`: one JSON array; `ndjson`: lines that may be JSON; `text`: lines never parsed. */
  readonly layout: "array" | "ndjson" | "text";
}

/**
 * The steps before splitting, shared by {@link splitBody} and the native
 * encoder: repair invalid UTF-8, skip a byte order mark, and decide whether
 * an `application/json` body is an array or NDJSON.
 */
export function prepareBody(body: Buffer, format: BodyFormat): PreparedBody {
  // The fast path needs well-formed UTF-8; the repair is the same decoding a
  // string would get, so the rare broken body keeps its previous meaning.
  const bytes = isUtf8(body) ? body : Buffer.from(body.toString("utf8"), "utf8");
  const from = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  if (format === "text") return { bytes, from, layout: "text" };
  return { bytes, from, layout: format === "json" && startsWithBracket(bytes, from) ? "array" : "ndjson" };
}

/**
 * {@link splitBody} for a body already held as a string, with each line
 * decoded: a message's `json` is its JSON string literal, an event's `json`
 * its original text.
 */
export function parseBody(text: string, format: BodyFormat, limits: LineLimits): LogLine[] {
  const table = splitBody(Buffer.from(text, "utf8"), format, limits);
  const lines: LogLine[] = [];
  for (let i = 0; i < table.count; i++) {
    const value = table.bytes.toString("utf8", table.starts[i], table.ends[i]);
    lines.push(
      table.events[i] === 1
        ? { index: table.indexes[i] as number, field: "event", json: value }
        : { index: table.indexes[i] as number, field: "message", json: JSON.stringify(value) },
    );
  }
  return lines;
}

function splitIntoLines(bytes: Buffer, from: number, plainText: boolean, limits: LineLimits): LineTable {
  const length = bytes.length;
  // A guess from typical log lines (~150 bytes); the table grows if needed.
  const table = new LineTable(bytes, Math.min(limits.maxLines, (length >>> 7) + 16));
  for (let index = 0, start = from; start <= length; index++) {
    let eol = bytes.indexOf(10, start);
    if (eol === -1) eol = length;
    const end = eol > start && bytes[eol - 1] === 13 ? eol - 1 : eol;
    if (!isBlank(bytes, start, end)) {
      if (end - start > limits.maxLineBytes) throw lineTooLong(index, limits.maxLineBytes);
      if (table.count === limits.maxLines) throw tooManyLines(limits.maxLines);
      table.push(start, end, index, !plainText && isJsonText(bytes, start, end));
    }
    start = eol + 1;
  }
  return table;
}

/**
 * The elements of a JSON array body, each kept as the bytes the client sent
 * (only the whitespace between tokens is dropped, so a pretty-printed element
 * is one line): no parse and re-serialisation, which turned `1e400` into
 * `null`, rounded big integers and dropped duplicate keys — NDJSON lines were
 * already kept verbatim. The whole body is validated first, so a malformed
 * array is refused (400) before any limit is looked at, as `JSON.parse` did.
 */
function splitJsonArray(body: Buffer, from: number, limits: LineLimits): LineTable {
  const end = body.length;
  const starts: number[] = [];
  const ends: number[] = [];
  let i = skipWhitespace(body, from, end);
  if (body[i] !== 0x5b) throw badJsonArray("it does not start with [");
  i = skipWhitespace(body, i + 1, end);
  if (body[i] === 0x5d) {
    i++;
  } else {
    for (;;) {
      const valueEnd = scanValue(body, i, end);
      if (valueEnd < 0) throw badJsonArray(`element ${starts.length} is not valid JSON`);
      starts.push(i);
      ends.push(valueEnd);
      i = skipWhitespace(body, valueEnd, end);
      if (body[i] === 0x2c) {
        i = skipWhitespace(body, i + 1, end);
      } else if (body[i] === 0x5d) {
        i++;
        break;
      } else {
        throw badJsonArray(`expected , or ] after element ${starts.length - 1}`);
      }
    }
  }
  if (skipWhitespace(body, i, end) !== end) throw badJsonArray("there is more after the closing ]");
  if (starts.length > limits.maxLines) throw tooManyLines(limits.maxLines);
  // The elements laid end to end, one per line, as the table's bytes.
  const bytes = Buffer.allocUnsafe(Math.max(0, end - from));
  const table = new LineTable(bytes, starts.length);
  let pos = 0;
  starts.forEach((start, index) => {
    const lineStart = pos;
    pos = copyCompact(body, start, ends[index] as number, bytes, pos);
    if (pos - lineStart > limits.maxLineBytes) throw lineTooLong(index, limits.maxLineBytes);
    table.push(lineStart, pos, index, true);
    bytes[pos++] = 0x0a;
  });
  return table;
}

function badJsonArray(reason: string): HttpError {
  return new HttpError(400, "bad_json_array", `Body is not a valid JSON array: ${reason}`);
}

/** Bytes JavaScript's `trim` removes that are ASCII: tab, LF, VT, FF, CR, space. */
const ASCII_SPACE = new Uint8Array(256);
for (const c of "\t\n\v\f\r ") ASCII_SPACE[c.charCodeAt(0)] = 1;

/**
 * Whether the line holds only whitespace, with the meaning of
 * `String.prototype.trim` (which also removes Unicode spaces such as U+00A0):
 * ASCII is decided on the bytes, the rare non-ASCII rest is decoded.
 */
function isBlank(bytes: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end && ASCII_SPACE[bytes[i] as number] === 1) i++;
  if (i === end) return true;
  if ((bytes[i] as number) < 0x80) return false;
  return bytes.toString("utf8", i, end).trim().length === 0;
}

/** `trimStart().startsWith("[")` on the bytes, with the same Unicode-space fallback as {@link isBlank}. */
function startsWithBracket(bytes: Buffer, from: number): boolean {
  let i = from;
  while (i < bytes.length && ASCII_SPACE[bytes[i] as number] === 1) i++;
  if (i === bytes.length || (bytes[i] as number) < 0x80) return bytes[i] === 0x5b;
  return bytes.toString("utf8", i).trimStart().startsWith("[");
}

/** 413 for line `index` longer than `maxLineBytes`. */
export function lineTooLong(index: number, maxLineBytes: number): HttpError {
  return new HttpError(
    413,
    "line_too_long",
    `Line ${index} is longer than the limit of ${maxLineBytes} bytes; split it or raise MAX_LINE_BYTES`,
  );
}

/** 413 for a request with more than `maxLines` lines. */
export function tooManyLines(maxLines: number): HttpError {
  return new HttpError(
    413,
    "too_many_lines",
    `Request has more than ${maxLines} lines; send smaller batches`,
  );
}
