/**
 * S3 object keys of the transformer's output. Keys are a pure function of the
 * partition hour, the shard and the first record that contributed to the
 * object (not of the batch, which Lambda splits differently on each retry),
 * so a retry overwrites the objects of its earlier attempt instead of adding
 * duplicates, and shards never collide (the source's
 * `YYYY/MM/DD/HH/nginx_access_log_MMSS.json` did both).
 */

import { normalizePrefix } from "../../lib/s3-keys";

/** Re-exported: tests and callers of this module use it with the key builders. */
export { normalizePrefix };

/** Default prefix of parsed access-log objects. */
export const DEFAULT_ACCESS_PREFIX = "access/";
/** Default prefix of rejected-line objects. */
export const DEFAULT_ERROR_PREFIX = "access-errors/";

/** What identifies one output object. */
export interface ObjectKeyParts {
  /** Key prefix, e.g. `access/`; a missing trailing `/` is added. */
  readonly prefix: string;
  /** Any ISO-8601 UTC time (`YYYY-MM-DDTHH…`) inside the partition hour. */
  readonly time: string;
  /** Kinesis shard id, e.g. `shardId-000000000000`. */
  readonly shardId: string;
  /** Sequence number of the first record that contributed to the object. */
  readonly firstSequenceNumber: string;
}

const HOUR = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})/;
const SHARD_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const SEQUENCE_NUMBER = /^\d{1,128}$/;

/**
 * `<prefix>year=YYYY/month=MM/day=DD/hour=HH/<shardId>-<firstSequenceNumber>.json.gz`
 * — Hive-style partitions that Athena and Glue pick up as columns.
 *
 * @throws Error when the time is not ISO-8601 or the shard id / sequence number would not make a safe key.
 */
export function objectKey(parts: ObjectKeyParts): string {
  const hour = HOUR.exec(parts.time);
  if (hour === null) throw new Error(`not an ISO-8601 time: ${JSON.stringify(parts.time)}`);
  if (!SHARD_ID.test(parts.shardId)) throw new Error(`invalid shard id: ${JSON.stringify(parts.shardId)}`);
  if (!SEQUENCE_NUMBER.test(parts.firstSequenceNumber)) {
    throw new Error(`invalid sequence number: ${JSON.stringify(parts.firstSequenceNumber)}`);
  }
  const [, year, month, day, hh] = hour;
  return (
    `${normalizePrefix(parts.prefix)}year=${year}/month=${month}/day=${day}/hour=${hh}/` +
    `${parts.shardId}-${parts.firstSequenceNumber}.json.gz`
  );
}

/**
 * The shard of a Kinesis event record: its `eventID` is `<shardId>:<sequenceNumber>`.
 *
 * @throws Error when the event id has no shard part.
 */
export function shardIdOf(eventID: string): string {
  const colon = eventID.indexOf(":");
  if (colon <= 0) throw new Error(`Kinesis eventID without a shard id: ${JSON.stringify(eventID)}`);
  return eventID.slice(0, colon);
}

/**
 * Orders Kinesis sequence numbers, which are decimal strings longer than a
 * double can hold exactly: shorter is smaller, equal lengths compare as text.
 */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
