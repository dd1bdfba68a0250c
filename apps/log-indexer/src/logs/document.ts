/**
 * The logs document of one line (the `logs` family of docs/architecture.md):
 * `@timestamp` (the line's own time, else `receivedAt`), the envelope's
 * metadata, `message`, `level`, `host`, the flattened `fields` and their
 * overflow, `time_source`, `truncated` and `error`.
 *
 * The document is written as UTF-8 bytes, straight into the bulk pair
 * (apps/lib/opensearch/pair-writer.ts), from pieces that are already JSON:
 * the message stays the escaped literal it arrived as (decoded only when it
 * must be cut), the `fields` are the bytes fields.ts wrote from the line's
 * own bytes, the envelope fields that the lines of one request share are
 * encoded once, and only short derived strings go through `JSON.stringify`.
 * That is what makes the indexer faster than parsing and re-serializing
 * every line.
 */
import {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_KEY_LENGTH,
  flattenJsonBytes,
  type FieldLimits,
  type FlatScan,
} from "./fields";
import type { PairWriter } from "../../../lib/opensearch/pair-writer";
import type { LogLine } from "./lines";
import { isoOf, textStart, valueTime } from "./time";

/** Mapping bounds of a logs document. */
export interface DocumentLimits {
  /** Leaves of a JSON line mapped into `fields` (the rest: `fields_overflow`). */
  readonly maxFields: number;
  /** Longest `message` in UTF-8 bytes; a longer one is cut on a character boundary and `truncated` set. */
  readonly maxMessageBytes: number;
}

/** How many characters of a message the time and syslog header are looked for in. */
const HEAD_CHARS = 200;

/** The start of the text of a JSON string literal, up to the first escape (time forms have none). */
export function literalHead(literal: string): string {
  const end = Math.min(literal.length - 1, HEAD_CHARS + 1);
  const head = literal.slice(1, end);
  const escape = head.indexOf("\\");
  return escape < 0 ? head : head.slice(0, escape);
}

/** The text of a JSON string literal. */
export function literalText(literal: string): string {
  return literal.includes("\\") ? (JSON.parse(literal) as string) : literal.slice(1, -1);
}

/** Drops the line end Docker and fluent-bit keep inside `log` (`…\n"` as an escaped literal). */
function withoutLineEnd(literal: string): string {
  let end = literal.length - 1;
  for (;;) {
    if (literal.charCodeAt(end - 2) !== 0x5c) break;
    const c = literal.charCodeAt(end - 1);
    if (c !== 0x6e && c !== 0x72) break;
    let backslashes = 0;
    while (literal.charCodeAt(end - 2 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) break;
    end -= 2;
  }
  return end === literal.length - 1 ? literal : `${literal.slice(0, end)}"`;
}

/**
 * Cuts `literal` to at most `maxBytes` UTF-8 bytes of text, on a character
 * boundary. Undefined when it fits.
 *
 * @param ascii true when the literal is ASCII (its length bounds the text's size).
 */
function cut(literal: string, maxBytes: number, ascii: boolean): string | undefined {
  // A UTF-16 unit is at most 3 UTF-8 bytes; ASCII escapes only lengthen the literal.
  if ((ascii ? literal.length - 2 : literal.length * 3) <= maxBytes) return undefined;
  const text = literalText(literal);
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return undefined;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return JSON.stringify(bytes.toString("utf8", 0, end));
}

/** The parts of a line a logs document is made of. */
export interface LineParts {
  /** The message as a JSON string literal (undefined: a JSON line without message/msg/log). */
  readonly message?: string;
  readonly flat?: FlatScan;
  readonly error?: string;
}

/**
 * Reads a line into {@link LineParts}: flattens JSON lines, takes their message.
 *
 * @param data the record's data, where a line's `bodyStart` points.
 */
export function lineParts(line: LogLine, maxFields: number, data: Buffer): LineParts {
  if (line.kind === "text") {
    return { message: line.body, ...(line.error === undefined ? {} : { error: line.error }) };
  }
  const limits = { maxFields, maxKeyLength: DEFAULT_MAX_KEY_LENGTH, maxDepth: DEFAULT_MAX_DEPTH };
  const bodyStart = line.bodyStart ?? -1;
  // The body's own bytes when they are in the record; a line that is not, encoded once more.
  const flat =
    bodyStart >= 0
      ? flattenJsonBytes(data, bodyStart, bodyStart + line.body.length, limits)
      : flattenBody(line.body, limits);
  if (flat === undefined) {
    return { message: JSON.stringify(line.body), error: line.error ?? "invalid JSON: kept as text" };
  }
  return {
    flat,
    ...(flat.message === undefined ? {} : { message: withoutLineEnd(flat.message) }),
    ...(line.error === undefined ? {} : { error: line.error }),
  };
}

function flattenBody(body: string, limits: FieldLimits): FlatScan | undefined {
  const bytes = Buffer.from(body, "utf8");
  return flattenJsonBytes(bytes, 0, bytes.length, limits);
}

/** A logs document decided but not yet written: its time (which picks the daily index) and its parts. */
export interface LogsDocument {
  /** `@timestamp` (toISOString form), for the daily index. */
  readonly timestamp: string;
  /** Whether {@link timestamp} is the line's own time (else `receivedAt`). */
  readonly own: boolean;
  /** The message literal as written (cut to `maxMessageBytes`). */
  readonly message: string | undefined;
  readonly level: string | undefined;
  readonly host: string | undefined;
  readonly flat: FlatScan | undefined;
  readonly truncated: boolean;
  readonly error: string | undefined;
}

/**
 * Decides the logs document of a line: its time, level, host and the
 * message as it will be written.
 *
 * @param ascii true when the line's record is ASCII (sizes need no measuring).
 * @param extraError a further reason to record in `error` (e.g. why an access-log line did not parse).
 */
export function logsDocument(
  line: LogLine,
  parts: LineParts,
  limits: DocumentLimits,
  ascii: boolean,
  extraError?: string,
): LogsDocument {
  const { flat } = parts;
  let message = parts.message;
  let ms = NaN;
  let level = flat?.level;
  let host = flat?.host;
  if (flat?.time !== undefined) ms = valueTime(flat.time, line.receivedAtMs);
  if (message !== undefined && (Number.isNaN(ms) || flat === undefined)) {
    const start = textStart(literalHead(message), line.receivedAtMs);
    if (Number.isNaN(ms)) ms = start.ms;
    level ??= start.level;
    host ??= start.host;
  }
  const own = !Number.isNaN(ms);
  let truncated = false;
  if (message !== undefined) {
    const shorter = cut(message, limits.maxMessageBytes, ascii);
    if (shorter !== undefined) {
      message = shorter;
      truncated = true;
    }
  }
  const error =
    parts.error === undefined
      ? extraError
      : extraError === undefined
        ? parts.error
        : `${parts.error}; ${extraError}`;
  return { timestamp: own ? isoOf(ms) : line.receivedAt, own, message, level, host, flat, truncated, error };
}

/** The envelope fields of the last line written, as bytes: the lines of one request share them. */
let lastEnvelope = { receivedAt: "", receiver: "", client: "", source: "", bytes: Buffer.alloc(0) };

/** `","receivedAt":…,"receiver":…,"client":…,"source":"…"` of a line (receiver and client when present). */
function envelopeBytes(line: LogLine): Buffer {
  const receiver = line.receiver ?? "";
  const client = line.client ?? "";
  const last = lastEnvelope;
  if (
    line.receivedAt === last.receivedAt &&
    line.source === last.source &&
    receiver === last.receiver &&
    client === last.client
  ) {
    return last.bytes;
  }
  const text =
    `","receivedAt":"${line.receivedAt}"` +
    (receiver === "" ? "" : `,"receiver":${receiver}`) +
    (client === "" ? "" : `,"client":${client}`) +
    `,"source":"${line.source}"`;
  lastEnvelope = {
    receivedAt: line.receivedAt,
    receiver,
    client,
    source: line.source,
    bytes: Buffer.from(text),
  };
  return lastEnvelope.bytes;
}

/** Writes `document` of `line` as the document line of the pair `writer` is writing. */
export function writeLogsDocument(writer: PairWriter, line: LogLine, document: LogsDocument): void {
  const { message, level, host, flat, error } = document;
  writer.ascii('{"@timestamp":"');
  writer.ascii(document.timestamp);
  const envelope = envelopeBytes(line);
  writer.bytes(envelope, 0, envelope.length);
  if (message !== undefined) {
    writer.ascii(',"message":');
    writer.utf8(message);
  }
  if (level !== undefined) {
    writer.ascii(',"level":');
    writer.utf8(JSON.stringify(level));
  }
  if (host !== undefined) {
    writer.ascii(',"host":');
    writer.utf8(JSON.stringify(host));
  }
  if (flat !== undefined && flat.count > 0) {
    writer.ascii(',"fields":{');
    writer.bytes(flat.pairs, 0, flat.pairsLength);
    writer.ascii("}");
  }
  if (flat?.overflow !== undefined) {
    writer.ascii(',"fields_overflow":');
    writer.utf8(JSON.stringify(flat.overflow));
  }
  writer.ascii(document.own ? ',"time_source":"line"' : ',"time_source":"receivedAt"');
  if (document.truncated) writer.ascii(',"truncated":true');
  if (error !== undefined) {
    writer.ascii(',"error":');
    writer.utf8(JSON.stringify(error));
  }
  writer.ascii("}");
}
