/**
 * The pure entry of the Kinesis handler (and of the benchmark): the data of
 * one Kinesis record → bulk items for the `logs` family (every line) and the
 * `access` family (lines of access-log sources that parse as nginx
 * `combined`). The same line keeps the same `_id` in both families (they
 * are different indices) and across retries, so `create` makes re-sent
 * records answer 409 instead of duplicating.
 */
import {
  BufferedBulkItem,
  bulkItem,
  indexName,
  utcDay,
  writeAction,
  type BulkItem,
} from "../../../lib/opensearch/bulk";
import { PairWriter } from "../../../lib/opensearch/pair-writer";
import { accessDocument, mayBeAccessLine, mayBeAccessLiteral, type AccessResult } from "./access";
import { lineParts, literalText, logsDocument, writeLogsDocument } from "./document";
import { ACCESS_PREFIX, LOGS_PREFIX } from "./family";
import { lineText, recordLineText, sourceName, visitRecordLines, type LogLine } from "./lines";

/** How lines are mapped. */
export interface LineOptions {
  /**
   * Sources (sanitized token names, see {@link sourceName}; `kinesis` for
   * non-envelope records) whose lines are also parsed into `access`: a set,
   * `"all"` or `"none"`.
   */
  readonly accessLogSources: ReadonlySet<string> | "all" | "none";
  /** Leaves of a JSON line mapped into `fields` (`MAX_FIELDS`). */
  readonly maxFields: number;
  /** Longest `message` in UTF-8 bytes (`MAX_MESSAGE_BYTES`). */
  readonly maxMessageBytes: number;
  /** Prefix of the logs indices (`<logsPrefix>-<source>-YYYY.MM.DD`); default `logs`, as logsFamily's. */
  readonly logsPrefix?: string;
}

/** Default `MAX_FIELDS`. */
export const DEFAULT_MAX_FIELDS = 200;
/** Default `MAX_MESSAGE_BYTES`. */
export const DEFAULT_MAX_MESSAGE_BYTES = 32_768;

/** What a bulk item was built from: enough to file a rejected document with its original line. */
export interface LinePayload {
  readonly id: string;
  readonly source: string;
  /**
   * The original line text, or base64 when it is not UTF-8. Items carry a
   * class instance whose `line` is a getter (decoded when read): read
   * `payload.line` or `JSON.stringify(payload)` (it has `toJSON`); a spread
   * `{ ...payload }` does not copy `line`.
   */
  readonly line: string;
  readonly lineIndex: number;
  /** `base64` when {@link line} holds the bytes of a line that is not UTF-8. */
  readonly encoding?: "base64";
}

/** The items of one record, and the lines that could not be mapped at all. */
export interface RecordItems {
  readonly items: BulkItem<LinePayload>[];
  readonly unindexable: { payload: LinePayload; reason: string }[];
}

/** `ACCESS_LOG_SOURCES` (comma-separated token names; empty = every source, as in the transformer). */
export function accessLogSourcesOption(csv: string | undefined): ReadonlySet<string> | "all" {
  const names = (csv ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  return names.length === 0 ? "all" : new Set(names.map(sourceName));
}

/** What the payloads of one record share: its bytes and what its lines are decoded with. */
interface RecordSource {
  readonly data: Buffer;
  readonly sequenceNumber: string;
  readonly arrivedAtMs: number;
}

/**
 * The payload of a line's items. `line` is a getter on the class, so the
 * text is decoded only when a rejection needs it (rare), not for every line:
 * an own accessor per object (an object literal with `get line()`) made
 * mapping several times slower (measured). The payload keeps the record's
 * bytes and the line's offsets rather than the line's strings (or the
 * {@link LogLine}, whose strings are slices of the line): retained strings
 * are copied by every young-generation GC until the items are sent, which
 * cost more than the mapping itself (measured). `toJSON` keeps
 * `JSON.stringify` complete.
 */
class Payload implements LinePayload {
  readonly id: string;
  readonly source: string;
  readonly lineIndex: number;
  /** The line itself, when it is not a slice of the record's bytes (a KPL record). */
  readonly #line: LogLine | undefined;
  readonly #record: RecordSource | undefined;
  readonly #start: number;
  readonly #end: number;

  constructor(line: LogLine, record: RecordSource | undefined, start: number, end: number) {
    this.id = line.id;
    this.source = line.source;
    this.lineIndex = line.lineIndex;
    this.#line = record === undefined ? line : undefined;
    this.#record = record;
    this.#start = start;
    this.#end = end;
  }

  #decoded(): { readonly text: string; readonly base64: boolean } {
    const line = this.#line;
    if (line !== undefined) return { text: lineText(line), base64: line.invalidBytes !== undefined };
    const record = this.#record as RecordSource;
    return recordLineText(
      record.data,
      record.sequenceNumber,
      record.arrivedAtMs,
      this.lineIndex,
      this.#start,
      this.#end,
    );
  }

  get line(): string {
    return this.#decoded().text;
  }

  get encoding(): "base64" | undefined {
    return this.#decoded().base64 ? "base64" : undefined;
  }

  toJSON(): LinePayload {
    const { text, base64 } = this.#decoded();
    return {
      id: this.id,
      source: this.source,
      line: text,
      lineIndex: this.lineIndex,
      ...(base64 ? { encoding: "base64" as const } : {}),
    };
  }
}

const indexNames = new Map<string, string>();
let lastIndexKey = "";
let lastIndexDay = "";
let lastIndex: string | undefined;

let lastLogs = { prefix: "", source: "", indexPrefix: "" };

/** `<logsPrefix>-<source>`, the same string for a run of lines of one source (no concatenation per line). */
function logsIndexPrefix(prefix: string, source: string): string {
  const last = lastLogs;
  if (source === last.source && prefix === last.prefix) return last.indexPrefix;
  lastLogs = { prefix, source, indexPrefix: `${prefix}-${source}` };
  return lastLogs.indexPrefix;
}

/** `<prefix>-YYYY.MM.DD` of a `toISOString` time, remembered per prefix and day. */
function dailyIndex(prefix: string, timestamp: string): string | undefined {
  if (prefix === lastIndexKey && timestamp.startsWith(lastIndexDay)) return lastIndex;
  const dayText = timestamp.slice(0, 10);
  const key = `${prefix}/${dayText}`;
  let name = indexNames.get(key);
  if (name === undefined) {
    const day = utcDay(timestamp);
    if (day === undefined) return undefined;
    name = indexName(prefix, day);
    if (indexNames.size > 10_000) indexNames.clear();
    indexNames.set(key, name);
  }
  lastIndexKey = prefix;
  lastIndexDay = dayText;
  lastIndex = name;
  return name;
}

/** Where the logs pairs are written (one writer: calls never overlap; its chunks are shared by the items). */
const PAIRS = new PairWriter();

/** What a line that {@link mayBeAccessLine} rules out gets (its reason is never written). */
const NOT_ACCESS: AccessResult = { error: "not an nginx combined line" };

function isAccessSource(sources: LineOptions["accessLogSources"], source: string): boolean {
  return sources === "all" || (sources !== "none" && sources.has(source));
}

/**
 * Maps the data of one Kinesis record into bulk items (`create`).
 *
 * @param data the record's data, base64-decoded.
 * @param sequenceNumber the record's sequence number (ids of non-envelope lines: `<sequenceNumber>-<lineIndex>`).
 * @param arrivedAtSeconds `approximateArrivalTimestamp` as the Kinesis event gives it (epoch seconds,
 *   fractional): the `receivedAt` of non-envelope lines.
 */
export function recordItems(
  data: Buffer,
  sequenceNumber: string,
  arrivedAtSeconds: number,
  options: LineOptions,
): RecordItems {
  const items: BulkItem<LinePayload>[] = [];
  const unindexable: { payload: LinePayload; reason: string }[] = [];
  const arrivedAtMs = Math.floor(arrivedAtSeconds * 1000);
  if (!Number.isFinite(arrivedAtMs)) {
    throw new Error(`approximateArrivalTimestamp ${String(arrivedAtSeconds)} is not a number of seconds`);
  }
  const record: RecordSource = { data, sequenceNumber, arrivedAtMs };
  const logsPrefix = options.logsPrefix ?? LOGS_PREFIX;
  const limits = { maxFields: options.maxFields, maxMessageBytes: options.maxMessageBytes };
  // Each line is mapped as soon as it is decoded (see visitRecordLines); `ascii` is the line's:
  // then its message's length is its size (no measuring before a cut).
  visitRecordLines(data, sequenceNumber, arrivedAtMs, (line, ascii, start, end) => {
    const payload = new Payload(line, start < 0 ? undefined : record, start, end);
    const parts = lineParts(line, options.maxFields, data);
    let accessError: string | undefined;
    // Why a line is not an access-log line is only written for text lines of listed sources;
    // otherwise lines that certainly are not one skip the parser (most lines, when every source is tried).
    const reasonWanted = line.kind === "text" && options.accessLogSources !== "all";
    if (
      parts.message !== undefined &&
      isAccessSource(options.accessLogSources, line.source) &&
      (reasonWanted || mayBeAccessLiteral(parts.message))
    ) {
      const text = literalText(parts.message);
      const access = reasonWanted || mayBeAccessLine(text) ? accessDocument(text, line) : NOT_ACCESS;
      const index = access.document === undefined ? undefined : dailyIndex(ACCESS_PREFIX, access.timestamp);
      if (access.document !== undefined && index !== undefined) {
        items.push(bulkItem("create", index, line.id, access.document, payload));
      } else if (reasonWanted) {
        // Only a source declared as an access-log source makes a non-parsing line worth a note.
        accessError = `not an access-log line: ${access.error ?? "time outside 0000-9999"}`;
      }
    }
    const logs = logsDocument(line, parts, limits, ascii, accessError);
    const index = dailyIndex(logsIndexPrefix(logsPrefix, line.source), logs.timestamp);
    if (index === undefined) {
      unindexable.push({ payload, reason: `no usable time (@timestamp ${logs.timestamp})` });
      return;
    }
    PAIRS.begin();
    writeAction(PAIRS, "create", index, line.id);
    writeLogsDocument(PAIRS, line, logs);
    items.push(new BufferedBulkItem("create", index, line.id, PAIRS.finish(), payload));
  });
  return { items, unindexable };
}
