/**
 * Turns the data of one Kinesis record into log lines for indexing. The
 * producers are the same as for apps/access-log-transformer/src/records.ts,
 * and a record is read line by line so they can mix:
 *
 * - the log-receiver: NDJSON ingest envelopes (apps/lib/ingest-record.ts),
 *   several per record; each is one line with the envelope's id, time,
 *   receiver, client and token name;
 * - fluentd's fluent-plugin-kinesis: one JSON object per record such as
 *   `{"log":"<line>", …}`;
 * - raw `PutRecord` producers: one or more plain text lines.
 *
 * Unlike the transformer, which only needs the text, the indexer keeps the
 * envelope's metadata and the JSON structure of a line. For speed it reads
 * the receiver's own envelope layout (`{"id":…,"receivedAt":…,"receiver":…,
 * "client":…,"source":…,"message"|"event":…}`, apps/log-receiver/src/envelope.ts)
 * directly and keeps the message as the escaped JSON string it already is,
 * so a text line is never decoded and re-encoded; any other shape goes
 * through `JSON.parse` and {@link isIngestEnvelope}.
 *
 * Nothing is dropped: invalid UTF-8 and invalid JSON lines come back as text
 * lines with an `error`, with their original bytes for the failed-records
 * output.
 */
import { isUtf8 } from "node:buffer";
import { isIngestEnvelope } from "../../../lib/ingest-record";
import { isoOf, parseIso } from "./time";

/** One line of a record, ready to be mapped. */
export interface LogLine {
  /** `_id`: the envelope id, or `<sequenceNumber>-<lineIndex>` for other producers' lines. */
  readonly id: string;
  /** Index name part: the ingest token name sanitized ({@link sourceName}), `kinesis` for other producers. */
  readonly source: string;
  /** When the receiver accepted the line (other producers: the record's Kinesis arrival), `toISOString` form. */
  readonly receivedAt: string;
  readonly receivedAtMs: number;
  /** The receiver's host name as a JSON string literal (envelopes only). */
  readonly receiver?: string;
  /** The client address as a JSON string literal (envelopes only). */
  readonly client?: string;
  /** Index of the line in the record's data (0-based, blank lines counted). */
  readonly lineIndex: number;
  /** `text`: {@link body} is the line as a JSON string literal; `json`: {@link body} is the line's JSON object text. */
  readonly kind: "text" | "json";
  readonly body: string;
  /**
   * Where {@link body} starts in the record's data when it is those very
   * bytes (an ASCII line in the receiver's layout), so it can be read as
   * bytes without encoding it again; -1 or absent otherwise.
   */
  readonly bodyStart?: number;
  /** Why the line could only be read as text. */
  readonly error?: string;
  /** The line's bytes when they are not valid UTF-8. */
  readonly invalidBytes?: Buffer;
}

/** Source of the lines of records that are not receiver envelopes. */
export const KINESIS_SOURCE = "kinesis";
/** Source of envelopes without a token name. */
export const UNKNOWN_SOURCE = "unknown";
/** Longest source kept in index names (OpenSearch allows 255 bytes per index name). */
const MAX_SOURCE_LENGTH = 100;

const sourceNames = new Map<string, string>();

/**
 * The index-name form of an ingest token name: lowercased, characters outside
 * `[a-z0-9-]` replaced by `-`, at most 100 characters; absent or empty →
 * `unknown`.
 */
export function sourceName(token: string | undefined): string {
  if (token === undefined || token === "") return UNKNOWN_SOURCE;
  let name = sourceNames.get(token);
  if (name === undefined) {
    name = token
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, "-")
      .slice(0, MAX_SOURCE_LENGTH);
    if (sourceNames.size > 10_000) sourceNames.clear();
    sourceNames.set(token, name);
  }
  return name;
}

/** The decoded lines of one record. */
export interface DecodedRecord {
  readonly lines: LogLine[];
  /** True when the record is pure ASCII: every string taken from it has as many UTF-8 bytes as characters. */
  readonly ascii: boolean;
  /**
   * Where each line lies in the data: bytes `[spans[2k], spans[2k+1])` are
   * `lines[k]` (without its line end), for {@link recordLineText}. Empty when
   * the lines are not slices of the data (a KPL record).
   */
  readonly spans: number[];
}

/** First bytes of a KPL-aggregated record (fluent-plugin-kinesis `kinesis_streams_aggregated`). */
const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

/**
 * Decodes the data of one Kinesis record (already base64-decoded) into lines.
 * Blank lines are skipped (but counted in `lineIndex`); a trailing "\r" is removed.
 *
 * @param sequenceNumber the record's sequence number, for the ids of non-envelope lines.
 * @param arrivedAtMs the record's Kinesis arrival time (epoch ms): `receivedAt` of non-envelope lines.
 */
export function decodeRecordLines(data: Buffer, sequenceNumber: string, arrivedAtMs: number): DecodedRecord {
  const lines: LogLine[] = [];
  const spans: number[] = [];
  let all = true;
  visitRecordLines(data, sequenceNumber, arrivedAtMs, (line, ascii, start, end) => {
    lines.push(line);
    if (start >= 0) spans.push(start, end);
    if (!ascii) all = false;
  });
  return { lines, ascii: all, spans };
}

/**
 * Decodes the lines of one record as {@link decodeRecordLines} does, handing
 * each to `visit` as soon as it is decoded: mapping a line before the next
 * is decoded lets its strings die young instead of a whole record's lines
 * being kept through every young-generation GC of the record.
 *
 * @param visit gets the line, whether it is ASCII (its strings have as many UTF-8 bytes as characters),
 *   and its bytes `[start, end)` in `data` (-1, -1 when the line is not a slice of the data: a KPL record).
 */
export function visitRecordLines(
  data: Buffer,
  sequenceNumber: string,
  arrivedAtMs: number,
  visit: (line: LogLine, ascii: boolean, start: number, end: number) => void,
): void {
  const context: RecordContext = { sequenceNumber, arrivedAt: isoOf(arrivedAtMs), arrivedAtMs };
  if (data.length >= KPL_MAGIC.length && data.subarray(0, KPL_MAGIC.length).equals(KPL_MAGIC)) {
    // Lambda does not de-aggregate KPL records; keep the bytes so they can be replayed.
    const line = {
      ...plainLine(context, 0, data.toString("base64")),
      error: "KPL-aggregated record (not supported); message holds the record data in base64",
    };
    visit(line, true, -1, -1);
    return;
  }
  // Line by line: decoding a whole record into one large string costs over
  // ten times more than decoding its lines (measured, Node 20).
  const valid = isUtf8(data);
  for (let start = 0, lineIndex = 0; start < data.length; lineIndex++) {
    let next = data.indexOf(0x0a, start);
    if (next < 0) next = data.length;
    const end = next > start && data[next - 1] === 0x0d ? next - 1 : next;
    if (end > start) {
      if (valid || isUtf8(data.subarray(start, end))) {
        const text = data.toString("utf8", start, end);
        const ascii = text.length === end - start;
        visit(decodeLine(context, lineIndex, text, ascii ? data : undefined, start), ascii, start, end);
      } else {
        const bytes = data.subarray(start, end);
        const line = {
          ...plainLine(context, lineIndex, bytes.toString("utf8")),
          error: "invalid UTF-8: the message shows U+FFFD for the bytes that are not",
          invalidBytes: Buffer.from(bytes),
        };
        visit(line, false, start, end);
      }
    }
    start = next + 1;
  }
}

/**
 * {@link lineText} of the line at bytes `[start, end)` of a record's data
 * (a span of {@link decodeRecordLines}), decoded again: items keep the
 * record's bytes and these offsets instead of each line's strings, which
 * would otherwise live in the heap until the items are sent (measured: that
 * retention doubled the cost of mapping).
 *
 * @returns the text, and whether it is base64 of bytes that are not UTF-8.
 */
export function recordLineText(
  data: Buffer,
  sequenceNumber: string,
  arrivedAtMs: number,
  lineIndex: number,
  start: number,
  end: number,
): { readonly text: string; readonly base64: boolean } {
  const bytes = data.subarray(start, end);
  if (!isUtf8(bytes)) return { text: bytes.toString("base64"), base64: true };
  const context: RecordContext = { sequenceNumber, arrivedAt: isoOf(arrivedAtMs), arrivedAtMs };
  return { text: lineText(decodeLine(context, lineIndex, bytes.toString("utf8"))), base64: false };
}

/**
 * The original text of a line (what the failed-records output keeps): the
 * text line, the JSON line as received, or base64 of bytes that are not UTF-8.
 */
export function lineText(line: LogLine): string {
  if (line.invalidBytes !== undefined) return line.invalidBytes.toString("base64");
  return line.kind === "json" ? line.body : (JSON.parse(line.body) as string);
}

interface RecordContext {
  readonly sequenceNumber: string;
  readonly arrivedAt: string;
  readonly arrivedAtMs: number;
}

function plainLine(context: RecordContext, lineIndex: number, text: string): LogLine {
  return {
    id: `${context.sequenceNumber}-${lineIndex}`,
    source: KINESIS_SOURCE,
    receivedAt: context.arrivedAt,
    receivedAtMs: context.arrivedAtMs,
    lineIndex,
    kind: "text",
    body: JSON.stringify(text),
  };
}

/**
 * @param ascii the record's data when `text` is ASCII (then its characters are its bytes from `start`),
 *   so the id can be copied out of it instead of sliced from `text`.
 */
function decodeLine(
  context: RecordContext,
  lineIndex: number,
  text: string,
  ascii?: Buffer,
  start = 0,
): LogLine {
  // An access-log or other text line never starts with "{": only JSON producers write that.
  if (text.charCodeAt(0) !== 0x7b) return plainLine(context, lineIndex, text);
  return receiverEnvelope(text, lineIndex, ascii, start) ?? jsonLine(context, lineIndex, text);
}

const ID_HEAD = '{"id":"';
const RECEIVED_AT = '","receivedAt":"';
const RECEIVER = '","receiver":"';
const CLIENT = '","client":"';
const SOURCE = '","source":"';
const MESSAGE = '","message":"';
const EVENT = '","event":';

/**
 * Reads an envelope in the exact layout the receiver writes. Undefined when
 * the line has any other layout, or when a metadata value has escapes (then
 * the general path decodes it).
 */
function receiverEnvelope(
  text: string,
  lineIndex: number,
  ascii: Buffer | undefined,
  start: number,
): LogLine | undefined {
  if (!text.startsWith(ID_HEAD)) return undefined;
  const idEnd = text.indexOf('"', ID_HEAD.length);
  if (idEnd < 0) return undefined;
  // A backslash in the id means an escape: leave it to JSON.parse (the metadata is checked below).
  if (text.lastIndexOf("\\", idEnd) >= 0) return undefined;
  const metadata = envelopeMetadata(text, idEnd, ascii, start);
  if (metadata === undefined) return undefined;
  const sourceEnd = idEnd + metadata.text.length - 1;
  let kind: LogLine["kind"];
  let body: string;
  let bodyStart = -1;
  if (text.startsWith(MESSAGE, sourceEnd)) {
    const open = sourceEnd + MESSAGE.length - 1;
    // The message must end the envelope: `"…"}` with the closing quote not escaped.
    if (text.charCodeAt(text.length - 1) !== 0x7d || stringEnd(text, open) !== text.length - 1)
      return undefined;
    kind = "text";
    body = text.slice(open, text.length - 1);
    bodyStart = open;
  } else if (text.startsWith(EVENT, sourceEnd)) {
    if (text.charCodeAt(text.length - 1) !== 0x7d) return undefined;
    const event = text.slice(sourceEnd + EVENT.length, text.length - 1);
    const first = event.charCodeAt(0);
    if (first === 0x7b) {
      kind = "json";
      body = event;
      bodyStart = sourceEnd + EVENT.length;
    } else if (first === 0x22) {
      // A JSON string event is a text line.
      kind = "text";
      body = event;
    } else {
      kind = "text";
      body = JSON.stringify(event);
    }
  } else {
    return undefined;
  }
  return {
    // A slice of `text` would keep the whole line alive as long as the item (and its id) lives;
    // a copy from the bytes is a string of its own.
    id:
      ascii === undefined
        ? text.slice(ID_HEAD.length, idEnd)
        : ascii.toString("latin1", start + ID_HEAD.length, start + idEnd),
    source: metadata.source,
    receivedAt: metadata.receivedAt,
    receivedAtMs: metadata.receivedAtMs,
    receiver: metadata.receiver,
    client: metadata.client,
    lineIndex,
    kind,
    body,
    bodyStart: ascii === undefined || bodyStart < 0 ? -1 : start + bodyStart,
  };
}

/** What an envelope says of its line besides the id and the line itself. */
interface EnvelopeMetadata {
  /** `","receivedAt":"…","receiver":"…","client":"…","source":"…"` as the line spells it. */
  readonly text: string;
  /** {@link text} as UTF-8. */
  readonly bytes: Buffer;
  readonly receivedAt: string;
  readonly receivedAtMs: number;
  /** JSON string literals. */
  readonly receiver: string;
  readonly client: string;
  /** {@link sourceName} of the token name. */
  readonly source: string;
}

/** The last envelope's metadata: the lines of one request share it, so most lines only compare it. */
let lastMetadata: EnvelopeMetadata | undefined;

/**
 * The metadata following the id that closes at `idEnd`, in the receiver's
 * layout, without escapes; undefined otherwise (JSON.parse then decides).
 */
function envelopeMetadata(
  text: string,
  idEnd: number,
  ascii: Buffer | undefined,
  start: number,
): EnvelopeMetadata | undefined {
  const last = lastMetadata;
  if (last !== undefined) {
    // An ASCII line's characters are its bytes: compared there (native), which is several times
    // faster than String#startsWith with a sliced string.
    const at = start + idEnd;
    const same =
      ascii === undefined
        ? text.startsWith(last.text, idEnd)
        : at + last.bytes.length <= ascii.length &&
          last.bytes.compare(ascii, at, at + last.bytes.length) === 0;
    if (same) return last;
  }
  if (!text.startsWith(RECEIVED_AT, idEnd)) return undefined;
  const receivedAtStart = idEnd + RECEIVED_AT.length;
  const receivedAtEnd = text.indexOf('"', receivedAtStart);
  if (receivedAtEnd < 0 || !text.startsWith(RECEIVER, receivedAtEnd)) return undefined;
  const receiverStart = receivedAtEnd + RECEIVER.length;
  const receiverEnd = text.indexOf('"', receiverStart);
  if (receiverEnd < 0 || !text.startsWith(CLIENT, receiverEnd)) return undefined;
  const clientStart = receiverEnd + CLIENT.length;
  const clientEnd = text.indexOf('"', clientStart);
  if (clientEnd < 0 || !text.startsWith(SOURCE, clientEnd)) return undefined;
  const sourceStart = clientEnd + SOURCE.length;
  const sourceEnd = text.indexOf('"', sourceStart);
  if (sourceEnd < 0) return undefined;
  // A backslash anywhere in the metadata means an escape: leave it to JSON.parse.
  if (text.lastIndexOf("\\", sourceEnd) > idEnd) return undefined;
  const receivedAt = text.slice(receivedAtStart, receivedAtEnd);
  const receivedAtMs = parseIso(receivedAt);
  if (Number.isNaN(receivedAtMs)) return undefined;
  // Through the source's closing quote, so a longer source in the next line does not match.
  const metadataText = text.slice(idEnd, sourceEnd + 1);
  lastMetadata = {
    text: metadataText,
    bytes: Buffer.from(metadataText, "utf8"),
    receivedAt: receivedAt.length === 24 && receivedAt.endsWith("Z") ? receivedAt : isoOf(receivedAtMs),
    receivedAtMs,
    receiver: text.slice(receiverStart - 1, receiverEnd + 1),
    client: text.slice(clientStart - 1, clientEnd + 1),
    source: sourceName(text.slice(sourceStart, sourceEnd)),
  };
  return lastMetadata;
}

/** A line starting with "{" that is not in the receiver's layout. */
function jsonLine(context: RecordContext, lineIndex: number, text: string): LogLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ...plainLine(context, lineIndex, text), error: `invalid JSON: ${(error as Error).message}` };
  }
  if (!isIngestEnvelope(value)) {
    // fluentd and other JSON producers: the object is the line.
    return isObject(value)
      ? { ...plainLine(context, lineIndex, text), kind: "json", body: text }
      : plainLine(context, lineIndex, text);
  }
  let receivedAtMs = parseIso(value.receivedAt);
  let error: string | undefined;
  if (Number.isNaN(receivedAtMs)) {
    receivedAtMs = context.arrivedAtMs;
    error = `envelope receivedAt ${JSON.stringify(value.receivedAt.slice(0, 40))} is not an ISO-8601 time; the record's arrival time is used`;
  }
  const base = {
    id: value.id,
    source: sourceName(value.source),
    receivedAt: isoOf(receivedAtMs),
    receivedAtMs,
    receiver: JSON.stringify(value.receiver),
    ...(typeof value.client === "string" ? { client: JSON.stringify(value.client) } : {}),
    lineIndex,
  };
  let line: LogLine;
  if (typeof value.message === "string")
    line = { ...base, kind: "text", body: JSON.stringify(value.message) };
  else if (isObject(value.event)) line = { ...base, kind: "json", body: JSON.stringify(value.event) };
  else if (typeof value.event === "string")
    line = { ...base, kind: "text", body: JSON.stringify(value.event) };
  else if (value.event !== undefined) {
    line = { ...base, kind: "text", body: JSON.stringify(JSON.stringify(value.event)) };
  } else {
    line = {
      ...base,
      kind: "text",
      body: JSON.stringify(text),
      error: "envelope has no text message or JSON event; message holds the whole envelope",
    };
  }
  return error === undefined || line.error !== undefined ? line : { ...line, error };
}

/** Index just past the JSON string literal opening at `open`, or -1 when it does not close. */
export function stringEnd(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
