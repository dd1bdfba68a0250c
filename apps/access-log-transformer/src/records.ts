/**
 * Turns the data of one Kinesis record into log lines. Three producers write
 * to the stream, and a record is decoded line by line so that they can mix:
 *
 * - the log-receiver: NDJSON ingest envelopes (apps/lib/ingest-record.ts),
 *   several per record; the line is `message`, or `event.log` /
 *   `event.message` when the client sent JSON;
 * - fluentd's fluent-plugin-kinesis: one JSON object per record such as
 *   `{"log":"<line>"}` (or `message`), optionally followed by "\n";
 * - raw `PutRecord` producers: one or more plain text lines.
 *
 * Nothing is evaluated as code. Raw lines stay byte ranges of the record's
 * data (the parser reads bytes, so they are never decoded). Every line that
 * cannot be turned into text is returned with an `error` and its raw bytes,
 * so it reaches the error output instead of disappearing.
 */
import { isIngestEnvelope } from "../../lib/ingest-record";
import { type ForwarderLine, forwarderLine } from "./forwarder-line";

/** Where a line came from, so a rejected line can be traced back to its record. */
export interface LineRef {
  /** Index of the record in the batch. */
  readonly recordIndex: number;
  /** Index of the line inside the record's data (0-based, blank lines counted). */
  readonly lineIndex: number;
  /** The ingest envelope's id, when the line came in an envelope. */
  readonly id?: string;
  /** The ingest token name the receiver accepted the line with (envelopes only). */
  readonly source?: string;
}

/**
 * A line extracted from a record: `bytes[start, end)`, without its line
 * terminator. When `error` is set, those bytes are the raw text that could not
 * be decoded.
 */
export interface DecodedLine extends LineRef {
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
  readonly error?: string;
}

/** First bytes of a KPL-aggregated record (fluent-plugin-kinesis `kinesis_streams_aggregated`). */
const KPL_MAGIC = [0xf3, 0x89, 0x9a, 0xc2] as const;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const OPEN_BRACE = 0x7b;

/**
 * Decodes the data of one Kinesis record (already base64-decoded) into lines.
 * Blank lines are skipped; a trailing "\r" is removed.
 *
 * fluentd / fluent-bit records (`{"log":"…"…}`) take a fast path
 * (forwarder-line.ts) that reads the line from the bytes; every other JSON
 * line, and those the fast path declines, are decoded by
 * {@link decodeRecordDataReference}'s general path. The two give equal lines.
 *
 * @param recordIndex index of the record in its batch, copied into every line's reference.
 */
export function decodeRecordData(data: Buffer, recordIndex: number): DecodedLine[] {
  return decodeLines(data, recordIndex, true);
}

/**
 * The general decoding alone, without the fluentd fast path: the reference
 * the fast path is tested against.
 */
export function decodeRecordDataReference(data: Buffer, recordIndex: number): DecodedLine[] {
  return decodeLines(data, recordIndex, false);
}

/**
 * The line of a record that holds exactly one fluentd / fluent-bit line
 * (`data[start, end)`, optionally ending in "\n" or "\r\n"), the shape the
 * source pipeline sends, or undefined when {@link decodeRecordData} must
 * decide. When it answers, decodeRecordData of those bytes gives exactly this
 * one line, with line index 0 and no id, source or error (a property test
 * holds the two equal); the caller is spared the array, the line object and
 * the view of the record that decodeRecordData costs per record.
 */
export function soleForwarderLine(data: Buffer, start: number, end: number): ForwarderLine | undefined {
  if (end > start && data[end - 1] === NEWLINE) end--;
  if (end > start && data[end - 1] === CARRIAGE_RETURN) end--;
  // forwarderLine never accepts a range with a line break inside, so an
  // answer means the record has no other line.
  return forwarderLine(data, start, end);
}

function isKplAggregated(data: Buffer): boolean {
  // Byte comparisons: a view and Buffer#equals per record showed in the profile of one-line records.
  return (
    data.length >= KPL_MAGIC.length &&
    data[0] === KPL_MAGIC[0] &&
    data[1] === KPL_MAGIC[1] &&
    data[2] === KPL_MAGIC[2] &&
    data[3] === KPL_MAGIC[3]
  );
}

function decodeLines(data: Buffer, recordIndex: number, fast: boolean): DecodedLine[] {
  if (isKplAggregated(data)) {
    // Lambda does not de-aggregate KPL records; keep the bytes (base64) so
    // they can be replayed once de-aggregation is added.
    return [
      {
        ...textLine(data.toString("base64"), recordIndex, 0),
        error: "KPL-aggregated record (not supported); line holds the record data in base64",
      },
    ];
  }
  const lines: DecodedLine[] = [];
  for (let start = 0, lineIndex = 0; start < data.length; lineIndex++) {
    let next = data.indexOf(NEWLINE, start);
    if (next < 0) next = data.length;
    const end = next > start && data[next - 1] === CARRIAGE_RETURN ? next - 1 : next;
    if (end > start) {
      // An access-log line starts with an address, never "{": only JSON producers write that.
      if (data[start] !== OPEN_BRACE) {
        lines.push({ bytes: data, start, end, recordIndex, lineIndex });
      } else {
        const line = fast ? forwarderLine(data, start, end) : undefined;
        lines.push(
          line === undefined
            ? decodeJsonLine(data.toString("utf8", start, end), recordIndex, lineIndex)
            : { bytes: line.bytes, start: line.start, end: line.end, recordIndex, lineIndex },
        );
      }
    }
    start = next + 1;
  }
  return lines;
}

/** The text of a decoded line (for the error output; the parser reads the bytes). */
export function lineText(line: DecodedLine): string {
  return line.bytes.toString("utf8", line.start, line.end);
}

function textLine(
  text: string,
  recordIndex: number,
  lineIndex: number,
  id?: string,
  source?: string,
): DecodedLine {
  const bytes = Buffer.from(text, "utf8");
  return {
    bytes,
    start: 0,
    end: bytes.length,
    recordIndex,
    lineIndex,
    ...(id === undefined ? {} : { id }),
    ...(source === undefined ? {} : { source }),
  };
}

function decodeJsonLine(raw: string, recordIndex: number, lineIndex: number): DecodedLine {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return { ...textLine(raw, recordIndex, lineIndex), error: `invalid JSON: ${(error as Error).message}` };
  }
  if (isIngestEnvelope(value)) {
    const line = typeof value.message === "string" ? value.message : logField(value.event);
    return line === undefined
      ? {
          ...textLine(raw, recordIndex, lineIndex, value.id, value.source),
          error: "envelope has no text message or event.log/event.message",
        }
      : textLine(stripLineEnd(line), recordIndex, lineIndex, value.id, value.source);
  }
  const line = logField(value);
  return line === undefined
    ? { ...textLine(raw, recordIndex, lineIndex), error: "JSON record has no string log or message field" }
    : textLine(stripLineEnd(line), recordIndex, lineIndex);
}

/** The text of a fluentd-style event: `log`, else `message`; a bare JSON string is the line itself. */
function logField(event: unknown): string | undefined {
  if (typeof event === "string") return event;
  if (typeof event !== "object" || event === null) return undefined;
  const { log, message } = event as { log?: unknown; message?: unknown };
  if (typeof log === "string") return log;
  return typeof message === "string" ? message : undefined;
}

/** Docker and fluent-bit keep the line's "\n" (and "\r") inside the `log` field. */
function stripLineEnd(line: string): string {
  const withoutNewline = line.endsWith("\n") ? line.slice(0, -1) : line;
  return withoutNewline.endsWith("\r") ? withoutNewline.slice(0, -1) : withoutNewline;
}
