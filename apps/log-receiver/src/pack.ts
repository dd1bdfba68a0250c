import { MAX_RECORD_BYTES } from "../../lib/ingest-record";

/** One Kinesis record: NDJSON envelopes joined by `\n`. */
export interface PackedRecord {
  readonly data: Buffer;
  readonly partitionKey: string;
  /** Number of envelopes inside, for metrics and tests. */
  readonly lines: number;
}

/** Kinesis PutRecords limits (per call) and the record size to pack to. */
export interface PackLimits {
  /** Data plus partition key of one record, at most {@link MAX_RECORD_BYTES}. */
  readonly maxRecordBytes: number;
  /** Records per PutRecords call (Kinesis: 500). */
  readonly maxRecordsPerCall: number;
  /** Data plus partition keys per PutRecords call (Kinesis: 5 MiB). */
  readonly maxBytesPerCall: number;
}

/** The limits Kinesis enforces. */
export const KINESIS_LIMITS: PackLimits = {
  maxRecordBytes: MAX_RECORD_BYTES,
  maxRecordsPerCall: 500,
  maxBytesPerCall: 5 * 1024 * 1024,
};

/** An envelope that cannot fit in any record (escaping can grow a line up to 6×). */
export class EnvelopeTooLargeError extends Error {
  constructor(
    readonly position: number,
    readonly bytes: number,
  ) {
    super(`Envelope ${position} is ${bytes} bytes, more than one Kinesis record can carry`);
    this.name = "EnvelopeTooLargeError";
  }
}

/**
 * Packs envelopes, in order, into as few records as fit under
 * `maxRecordBytes` (data + partition key). The partition key of a record is
 * the key of its first envelope (the line id), which spreads records over the
 * shards because Kinesis hashes it.
 *
 * Envelopes are JSON and never contain a raw `\n`, so the whole batch is
 * encoded once and cut at newline bytes: no per-envelope byte counting, and
 * the usual batch (well under 1 MiB) becomes one record without copying.
 * @throws EnvelopeTooLargeError when one envelope alone does not fit.
 */
export function packRecords(
  envelopes: readonly string[],
  keyOf: (position: number) => string,
  maxRecordBytes: number,
): PackedRecord[] {
  if (envelopes.length === 0) return [];
  const all = Buffer.from(envelopes.join("\n"), "utf8");
  const records: PackedRecord[] = [];
  let start = 0; // byte offset of envelope `first`
  let first = 0;
  while (first < envelopes.length) {
    const partitionKey = keyOf(first);
    const room = maxRecordBytes - Buffer.byteLength(partitionKey, "utf8");
    let end: number; // exclusive; `all[end]` is the separator (or the end)
    if (all.length - start <= room) {
      end = all.length;
    } else {
      end = all.lastIndexOf(10, start + room);
      if (end < start) {
        const size = (all.indexOf(10, start) === -1 ? all.length : all.indexOf(10, start)) - start;
        throw new EnvelopeTooLargeError(first, size);
      }
    }
    let lines = envelopes.length - first; // the rest fits: no need to count separators
    if (end < all.length) {
      lines = 1;
      for (let i = all.indexOf(10, start); i !== -1 && i < end; i = all.indexOf(10, i + 1)) lines++;
    }
    records.push({ data: all.subarray(start, end), partitionKey, lines });
    first += lines;
    start = end + 1;
  }
  return records;
}

/** Size of a record as Kinesis counts it against the limits. */
export function recordBytes(record: PackedRecord): number {
  return record.data.length + Buffer.byteLength(record.partitionKey, "utf8");
}

/**
 * Groups records, in order, into PutRecords calls within the per-call record
 * count and byte limits. Records are assumed to respect `maxRecordBytes`
 * (which is below `maxBytesPerCall`), so each fits in some call.
 */
export function groupIntoCalls(records: readonly PackedRecord[], limits: PackLimits): PackedRecord[][] {
  const calls: PackedRecord[][] = [];
  let current: PackedRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record);
    if (
      current.length > 0 &&
      (current.length === limits.maxRecordsPerCall || bytes + size > limits.maxBytesPerCall)
    ) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}
