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
 */
export function prepareRecord(record: RawCloudTrailRecord, prefix: string): BulkItem | Unindexable {
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
  const timestamp = `{"@timestamp":${JSON.stringify(record.eventTime)}`;
  // An object element always has at least `eventID`, so `{` is followed by a key and needs a comma.
  const document = `${timestamp},${record.json.slice(1)}`;
  // The record's size is known from the scanner: no second pass over large events.
  const documentBytes = Buffer.byteLength(timestamp) + 1 + record.bytes - 1;
  return {
    ...bulkItem("create", indexName(prefix, day), record.eventID, document, record, documentBytes),
    day,
  };
}

/** Whether {@link prepareRecord} produced a bulk item. */
export function isBulkItem(prepared: BulkItem | Unindexable): prepared is BulkItem {
  return "action" in prepared;
}
