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
 * `data` holds the envelopes joined by `\n` (JSON never contains a raw
 * newline) and `ends[i]` is the offset just past envelope `i`, so a record is
 * a slice of `data` — no copying, no per-envelope byte counting — and the
 * usual batch (well under 1 MiB) is a single record.
 * @throws EnvelopeTooLargeError when one envelope alone does not fit.
 */
export function cutRecords(
  data: Buffer,
  ends: ArrayLike<number>,
  keyOf: (position: number) => string,
  maxRecordBytes: number,
): PackedRecord[] {
  const count = ends.length;
  const records: PackedRecord[] = [];
  let first = 0;
  let start = 0; // byte offset of envelope `first`
  while (first < count) {
    const partitionKey = keyOf(first);
    const room = maxRecordBytes - Buffer.byteLength(partitionKey, "utf8");
    // The last envelope that still fits: binary search over the ascending ends.
    let last = first - 1;
    for (let low = first, high = count - 1; low <= high;) {
      const middle = (low + high) >>> 1;
      if ((ends[middle] as number) - start <= room) {
        last = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    if (last < first) throw new EnvelopeTooLargeError(first, (ends[first] as number) - start);
    const end = ends[last] as number;
    records.push({ data: data.subarray(start, end), partitionKey, lines: last - first + 1 });
    first = last + 1;
    start = end + 1;
  }
  return records;
}

/** {@link cutRecords} for envelopes held as strings. */
export function packRecords(
  envelopes: readonly string[],
  keyOf: (position: number) => string,
  maxRecordBytes: number,
): PackedRecord[] {
  const ends: number[] = [];
  let end = -1;
  for (const envelope of envelopes) {
    end += 1 + Buffer.byteLength(envelope, "utf8");
    ends.push(end);
  }
  return cutRecords(Buffer.from(envelopes.join("\n"), "utf8"), ends, keyOf, maxRecordBytes);
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
