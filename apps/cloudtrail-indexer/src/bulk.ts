/**
 * CloudTrail's part of `_bulk` indexing: one raw record → one bulk item. The
 * generic pieces (batching, bodies, reading responses) live in
 * apps/lib/opensearch/bulk.ts and are re-exported here for this app's callers.
 */
import type { BulkItem as GenericBulkItem, EventDay } from "../../lib/opensearch/bulk";
import { BulkBatcher as GenericBulkBatcher, bulkItem, indexName, utcDay } from "../../lib/opensearch/bulk";
import type { RawCloudTrailRecord } from "./split";

export {
  bulkBody,
  DEFAULT_BULK_MAX_BYTES,
  DOCUMENT_ERROR_TYPES,
  indexName,
  isRetryableStatus,
  itemOutcome,
  parseBulkItems,
  utcDay,
} from "../../lib/opensearch/bulk";
export type { BulkResponse, BulkSink, EventDay, ItemOutcome } from "../../lib/opensearch/bulk";

/** Default index prefix: events go to `cloudtrail-YYYY.MM.DD`. */
export const DEFAULT_INDEX_PREFIX = "cloudtrail";

/** One CloudTrail event ready for `_bulk`: `id` is its eventID, `payload` the raw record. */
export interface BulkItem extends GenericBulkItem<RawCloudTrailRecord> {
  /** The UTC day of `eventTime` (the archive's partition). */
  readonly day: EventDay;
}

/** A {@link GenericBulkBatcher} of CloudTrail records. */
export class BulkBatcher extends GenericBulkBatcher<RawCloudTrailRecord> {}

/** Why a record cannot be indexed (it is written to the failed prefix with this reason). */
export interface Unindexable {
  readonly reason: string;
  readonly record: RawCloudTrailRecord;
}

/**
 * Turns a raw record into a bulk item: `create` (a retry of an indexed event
 * answers 409 instead of rewriting it), `_id` = `eventID`, index from the
 * `eventTime` day, `@timestamp` = `eventTime` spliced into the raw JSON (no
 * parse/serialise round trip).
 *
 * Events of a file share a handful of days: the day, index name and the
 * action line up to the id are kept from the previous record of the same day
 * instead of being rebuilt (a profile of files of small events showed the
 * per-record strings and the day regex). {@link prepareRecordReference} is
 * the plain version; a property test holds the two equal.
 */
export function prepareRecord(record: RawCloudTrailRecord, prefix: string): BulkItem | Unindexable {
  const time = record.eventTime;
  const cached = lastDay;
  if (
    cached === undefined ||
    cached.prefix !== prefix ||
    time === undefined ||
    !time.startsWith(cached.dayText) ||
    !isUtcTime(time) ||
    record.invalid !== undefined ||
    !record.isObject ||
    record.eventID === undefined ||
    record.eventID === ""
  ) {
    const prepared = prepareRecordReference(record, prefix);
    if (isBulkItem(prepared) && time !== undefined && isUtcTime(time)) {
      lastDay = {
        prefix,
        dayText: time.slice(0, 10),
        day: prepared.day,
        index: prepared.index,
        actionStart: `{"create":{"_index":${JSON.stringify(prepared.index)},"_id":`,
      };
    }
    return prepared;
  }
  const timestamp = `{"@timestamp":${JSON.stringify(time)},`;
  const rest = record.json.slice(1);
  const documentBytes = Buffer.byteLength(timestamp) + record.bytes - 1;
  const action = `${cached.actionStart}${JSON.stringify(record.eventID)}}}`;
  return {
    id: record.eventID,
    index: cached.index,
    op: "create",
    action,
    document: timestamp + rest,
    documentParts: [timestamp, rest],
    bytes: Buffer.byteLength(action) + documentBytes + 2,
    payload: record,
    day: cached.day,
  };
}

/** What {@link prepareRecord} keeps from the previous record's day. */
let lastDay:
  | {
      readonly prefix: string;
      /** `YYYY-MM-DD` of a `…Z` time. */
      readonly dayText: string;
      readonly day: EventDay;
      readonly index: string;
      /** `{"create":{"_index":"<index>","_id":`. */
      readonly actionStart: string;
    }
  | undefined;

/** `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, the form whose day is its first ten characters (utcDay's direct case). */
function isUtcTime(time: string): boolean {
  const length = time.length;
  if (length < 20 || time.charCodeAt(length - 1) !== 0x5a) return false;
  for (let i = 0; i < 19; i++) {
    const code = time.charCodeAt(i);
    const expected = i === 4 || i === 7 ? 0x2d : i === 10 ? 0x54 : i === 13 || i === 16 ? 0x3a : -1;
    if (expected < 0 ? code < 0x30 || code > 0x39 : code !== expected) return false;
  }
  if (length === 20) return true;
  if (time.charCodeAt(19) !== 0x2e || length === 21) return false;
  for (let i = 20; i < length - 1; i++) {
    const code = time.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/** {@link prepareRecord} without the per-day cache: every record built from scratch (the reference). */
export function prepareRecordReference(record: RawCloudTrailRecord, prefix: string): BulkItem | Unindexable {
  if (record.invalid !== undefined) return { reason: record.invalid, record };
  if (!record.isObject) return { reason: "record is not a JSON object", record };
  if (record.eventID === undefined || record.eventID === "") {
    return { reason: "record has no eventID string", record };
  }
  if (record.eventTime === undefined) return { reason: "record has no eventTime string", record };
  const day = utcDay(record.eventTime);
  if (day === undefined) {
    return { reason: `eventTime is not an ISO-8601 time: ${JSON.stringify(record.eventTime)}`, record };
  }
  // An object element always has at least `eventID`, so `{` is followed by a key and needs a comma.
  const timestamp = `{"@timestamp":${JSON.stringify(record.eventTime)},`;
  const rest = record.json.slice(1);
  // The record's size is known from the scanner: no second pass over large events.
  const documentBytes = Buffer.byteLength(timestamp) + record.bytes - 1;
  return {
    ...bulkItem("create", indexName(prefix, day), record.eventID, timestamp + rest, record, documentBytes),
    documentParts: [timestamp, rest],
    day,
  };
}

/** Whether {@link prepareRecord} produced a bulk item. */
export function isBulkItem(prepared: BulkItem | Unindexable): prepared is BulkItem {
  return "action" in prepared;
}
