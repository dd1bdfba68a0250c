/**
 * The logs document of one line (the `logs` family of docs/architecture.md):
 * `@timestamp` (the line's own time, else `receivedAt`), the envelope's
 * metadata, `message`, `level`, `host`, the flattened `fields` and their
 * overflow, `time_source`, `truncated` and `error`.
 *
 * The document is assembled as a string from pieces that are already JSON:
 * the message stays the escaped literal it arrived as (decoded only when it
 * must be cut), field values are slices of the line's JSON, and only short
 * derived strings go through `JSON.stringify`. That is what makes the indexer
 * faster than parsing and re-serializing every line.
 */
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_KEY_LENGTH, flattenJson, type FlatFields } from "./fields";
import type { LogLine } from "./lines";
import { isoOf, textStart, valueTime } from "./time";

/** Mapping bounds of a logs document. */
export interface DocumentLimits {
  /** Leaves of a JSON line mapped into `fields` (the rest: `fields_overflow`). */
  readonly maxFields: number;
  /** Longest `message` in UTF-8 bytes; a longer one is cut on a character boundary and `truncated` set. */
  readonly maxMessageBytes: number;
}

/** A built logs document. */
export interface LogsDocument {
  /** The document source, one line of JSON. */
  readonly document: string;
  /** `@timestamp` (toISOString form), for the daily index. */
  readonly timestamp: string;
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
  readonly flat?: FlatFields;
  readonly error?: string;
}

/** Reads a line into {@link LineParts}: flattens JSON lines, takes their message. */
export function lineParts(line: LogLine, maxFields: number): LineParts {
  if (line.kind === "text") {
    return { message: line.body, ...(line.error === undefined ? {} : { error: line.error }) };
  }
  const flat = flattenJson(line.body, {
    maxFields,
    maxKeyLength: DEFAULT_MAX_KEY_LENGTH,
    maxDepth: DEFAULT_MAX_DEPTH,
  });
  if (flat === undefined) {
    return { message: JSON.stringify(line.body), error: line.error ?? "invalid JSON: kept as text" };
  }
  return {
    flat,
    ...(flat.message === undefined ? {} : { message: withoutLineEnd(flat.message) }),
    ...(line.error === undefined ? {} : { error: line.error }),
  };
}

/**
 * Builds the logs document of a line.
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
  const timestamp = own ? isoOf(ms) : line.receivedAt;
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
  // One join: a flat string, where += would leave a tree of pieces that lives as long as the item.
  const out: string[] = ['{"@timestamp":"', timestamp, '","receivedAt":"', line.receivedAt, '"'];
  if (line.receiver !== undefined) out.push(',"receiver":', line.receiver);
  if (line.client !== undefined) out.push(',"client":', line.client);
  out.push(',"source":"', line.source, '"');
  if (message !== undefined) out.push(',"message":', message);
  if (level !== undefined) out.push(',"level":', JSON.stringify(level));
  if (host !== undefined) out.push(',"host":', JSON.stringify(host));
  if (flat !== undefined && flat.count > 0) out.push(',"fields":{', flat.pairs, "}");
  if (flat?.overflow !== undefined) out.push(',"fields_overflow":', JSON.stringify(flat.overflow));
  out.push(own ? ',"time_source":"line"' : ',"time_source":"receivedAt"');
  if (truncated) out.push(',"truncated":true');
  if (error !== undefined) out.push(',"error":', JSON.stringify(error));
  out.push("}");
  return { document: out.join(""), timestamp };
}
