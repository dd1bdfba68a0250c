import { HttpError } from "./errors";

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
 * Splits a decoded body into lines according to its format and enforces the
 * line limits. Blank lines are skipped (they carry nothing), a trailing `\r`
 * is dropped (CRLF files), and a leading byte order mark is ignored.
 * @throws HttpError 400 for a malformed JSON array, 413 when a limit is exceeded.
 */
export function parseBody(text: string, format: BodyFormat, limits: LineLimits): LogLine[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (format === "json" && body.trimStart().startsWith("[")) return parseJsonArray(body, limits);
  return parseLines(body, format === "text", limits);
}

function parseLines(body: string, plainText: boolean, limits: LineLimits): LogLine[] {
  const out: LogLine[] = [];
  const parts = body.split("\n");
  for (let index = 0; index < parts.length; index++) {
    let line = parts[index] as string;
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (isBlank(line)) continue;
    checkLineLength(line, index, limits.maxLineBytes);
    if (out.length === limits.maxLines) throw tooManyLines(limits.maxLines);
    if (!plainText && mayBeJson(line)) {
      try {
        JSON.parse(line);
        // The original text is embedded as-is: it is valid JSON (just checked),
        // keeps big integers exact, and avoids a re-serialisation per line.
        out.push({ index, field: "event", json: line });
        continue;
      } catch {
        // Not JSON after all: kept below as a plain message.
      }
    }
    out.push({ index, field: "message", json: JSON.stringify(line) });
  }
  return out;
}

function parseJsonArray(body: string, limits: LineLimits): LogLine[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, "bad_json_array", `Body is not a valid JSON array: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) {
    throw new HttpError(400, "bad_json_array", "Body starts with [ but is not a JSON array");
  }
  if (parsed.length > limits.maxLines) throw tooManyLines(limits.maxLines);
  return parsed.map((element: unknown, index) => {
    // JSON.stringify(undefined) cannot happen: JSON.parse never yields undefined.
    const json = JSON.stringify(element);
    checkLineLength(json, index, limits.maxLineBytes);
    return { index, field: "event", json };
  });
}

function isBlank(line: string): boolean {
  return line.length === 0 || line.trim().length === 0;
}

const NUMBER = /^\s*-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?\s*$/;
const LITERAL = /^\s*(?:true|false|null)\s*$/;

/**
 * Cheap shape check so plain-text lines skip JSON.parse: a failing parse
 * throws, and an exception costs several microseconds — most of the budget
 * of a line. Syslog and access-log lines often start with a digit, so a
 * leading digit alone is not enough: the whole line must look like a number.
 */
function mayBeJson(line: string): boolean {
  const trimmed = line.trim();
  const first = trimmed.charCodeAt(0);
  const last = trimmed.charCodeAt(trimmed.length - 1);
  if (first === 123 /* { */) return last === 125; /* } */
  if (first === 91 /* [ */) return last === 93; /* ] */
  if (first === 34 /* " */) return last === 34 && trimmed.length > 1;
  if (first === 45 /* - */ || (first >= 48 && first <= 57)) return NUMBER.test(trimmed);
  if (first === 116 /* t */ || first === 102 /* f */ || first === 110 /* n */) return LITERAL.test(trimmed);
  return false;
}

function checkLineLength(line: string, index: number, maxLineBytes: number): void {
  // A UTF-16 code unit encodes to 1–3 UTF-8 bytes, so only lines in the
  // uncertain band need the exact (native, but O(n)) byte count.
  if (line.length * 3 <= maxLineBytes) return;
  const bytes = line.length > maxLineBytes ? line.length : Buffer.byteLength(line, "utf8");
  if (bytes > maxLineBytes) {
    throw new HttpError(
      413,
      "line_too_long",
      `Line ${index} is longer than the limit of ${maxLineBytes} bytes; split it or raise MAX_LINE_BYTES`,
    );
  }
}

function tooManyLines(maxLines: number): HttpError {
  return new HttpError(
    413,
    "too_many_lines",
    `Request has more than ${maxLines} lines; send smaller batches`,
  );
}
