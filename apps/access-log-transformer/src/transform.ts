/**
 * The pure part of the Lambda: one shard's batch of Kinesis records in, the
 * objects to write out (uncompressed JSON lines and their keys). No I/O, so
 * the whole mapping from records to S3 objects is tested without mocks.
 */
import type { KinesisStreamRecord } from "aws-lambda";
import { compareSequenceNumbers, objectKey } from "./keys";
import { AccessLogFields, scanAccessLogLine } from "./parse";
import { decodeRecordData, lineText } from "./records";
import { JsonLinesBuffer } from "./serialize";

/**
 * A record whose data is at least this large (decoded bytes) gets objects of
 * its own (see {@link transformShardBatch}). The log-receiver packs records up
 * to 1 MiB under load, so its busy records land here; fluentd and raw
 * `PutRecord` producers write one line per record, far below it.
 */
export const DEFAULT_SOLO_RECORD_BYTES = 256 * 1024;

/** Key prefixes of the two outputs, which receiver sources carry access logs, and the grouping rule. */
export interface OutputPrefixes {
  readonly accessPrefix: string;
  readonly errorPrefix: string;
  /**
   * Ingest token names whose lines are access logs. The stream also carries
   * other logs (syslog, application logs sent to the receiver): their lines are
   * skipped here (they stay in the raw archive), not reported as unparsable.
   * Records written straight to the stream (fluentd) have no source and are
   * always parsed. Default: every source.
   */
  readonly accessLogSources?: ReadonlySet<string>;
  /** Records of at least this many decoded bytes get objects of their own. Default: {@link DEFAULT_SOLO_RECORD_BYTES}. */
  readonly soloRecordBytes?: number;
}

/** One S3 object to write. */
export interface OutputObject {
  readonly key: string;
  /** JSON lines, uncompressed. */
  readonly body: Buffer;
  readonly lines: number;
}

/** Everything one shard's batch turns into. */
export interface ShardOutput {
  readonly shardId: string;
  /** Lowest sequence number of the batch: the checkpoint to report if a write fails. */
  readonly firstSequenceNumber: string;
  /** Access objects sorted by key, then error objects sorted by key. */
  readonly objects: readonly OutputObject[];
  readonly records: number;
  readonly parsedLines: number;
  readonly rejectedLines: number;
  /** Lines from sources that do not send access logs. */
  readonly skippedLines: number;
}

/**
 * The objects of one output (access or errors): lines grouped by partition
 * hour and named after the first record that contributed to the group.
 */
class ObjectGroups {
  private readonly groups = new Map<
    string,
    { hour: string; sequenceNumber: string; buffer: JsonLinesBuffer }
  >();

  /**
   * The buffer of `hour` for a record: its own group when `solo`, else the
   * hour's group of small records, named after the first one that reaches it
   * (records come in ascending sequence order).
   */
  buffer(hour: string, sequenceNumber: string, solo: boolean, capacity?: number): JsonLinesBuffer {
    const id = solo ? `${hour} ${sequenceNumber}` : hour;
    let group = this.groups.get(id);
    if (group === undefined) {
      group = { hour, sequenceNumber, buffer: new JsonLinesBuffer(capacity) };
      this.groups.set(id, group);
    }
    return group.buffer;
  }

  objects(prefix: string, shardId: string): OutputObject[] {
    return [...this.groups.values()]
      .map(({ hour, sequenceNumber, buffer }) => ({
        key: objectKey({ prefix, time: hour, shardId, firstSequenceNumber: sequenceNumber }),
        body: buffer.contents(),
        lines: buffer.lines,
      }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

/**
 * The records' data, base64-decoded into one buffer (one allocation and
 * decoder call per record instead of a pooled buffer each: measured on
 * one-line fluentd records, Buffer.from per record was a quarter of the time).
 */
function decodeAll(records: readonly KinesisStreamRecord[]): Buffer[] {
  let total = 0;
  for (const record of records) total += Buffer.byteLength(record.kinesis.data, "base64");
  const all = Buffer.allocUnsafe(total);
  const decoded: Buffer[] = [];
  let offset = 0;
  for (const record of records) {
    const written = all.write(record.kinesis.data, offset, "base64");
    decoded.push(all.subarray(offset, offset + written));
    offset += written;
  }
  return decoded;
}

/** Whether sequence numbers ascend (a plain loop: per-record closures showed in the profile of one-line records). */
function inSequenceOrder(records: readonly KinesisStreamRecord[]): boolean {
  for (let i = 1; i < records.length; i++) {
    const previous = records[i - 1]!.kinesis.sequenceNumber;
    const next = records[i]!.kinesis.sequenceNumber;
    // compareSequenceNumbers(previous, next) < 0, with one string comparison.
    if (previous.length > next.length || (previous.length === next.length && !(previous < next)))
      return false;
  }
  return true;
}

const bySequenceNumber = (a: KinesisStreamRecord, b: KinesisStreamRecord): number =>
  compareSequenceNumbers(a.kinesis.sequenceNumber, b.kinesis.sequenceNumber);

/**
 * Parses every line of one shard's records and groups the results into
 * objects under the access prefix (by hour of request time) and the error
 * prefix (by hour of the record's Kinesis arrival time, so that a retry
 * computes the same hour, unlike processing time).
 *
 * Each object is named after the first record that contributed to it, never
 * after the batch, because Lambda does not retry the same batch: with
 * `BisectBatchOnFunctionError` a batch that timed out after some writes comes
 * back as two halves, and a partial-failure retry starts mid-batch. Grouping:
 *
 * - a record of at least `soloRecordBytes` (the receiver's packed records)
 *   gets objects of its own, keyed by its sequence number: the same record
 *   gives the same keys and bytes in whatever batch it arrives, so any split
 *   of a batch rewrites the same objects, identically, in any order;
 * - smaller records (fluentd, raw producers: one line each) share one object
 *   per hour per invocation, named after the first of them in that hour;
 *   objects per record would multiply PUTs and Athena's file count by the line
 *   rate. When a split cuts such a group, the half holding its first record
 *   rewrites the key with the lines up to the split and the other half names
 *   the rest after its own first record; a half with none of the group's
 *   records before the split rewrites the whole group under the same key.
 *   Either way each line ends up in S3 once, provided the retry's writes land
 *   after the failed attempt's (Lambda starts the retry after the attempt
 *   ended).
 *
 * The same records always give the same keys and bytes, in any order.
 *
 * @param records the records of one shard, in any order; must not be empty.
 */
export function transformShardBatch(
  shardId: string,
  records: readonly KinesisStreamRecord[],
  prefixes: OutputPrefixes,
): ShardOutput {
  // Lambda delivers a shard's records in order; sort only if they are not.
  const ordered = inSequenceOrder(records) ? records : [...records].sort(bySequenceNumber);
  const firstSequenceNumber = ordered[0]!.kinesis.sequenceNumber;
  const soloBytes = prefixes.soloRecordBytes ?? DEFAULT_SOLO_RECORD_BYTES;
  const access = new ObjectGroups();
  const errors = new ObjectGroups();
  const fields = new AccessLogFields();
  const sources = prefixes.accessLogSources;
  let parsedLines = 0;
  let rejectedLines = 0;
  let skippedLines = 0;

  const decoded = decodeAll(ordered);
  // JSON lines are under twice the size of the log lines; one hour usually
  // holds the whole group, so sizing for that avoids regrowing.
  const sharedCapacity =
    2 * decoded.reduce((sum, data) => sum + (data.length < soloBytes ? data.length : 0), 0);
  // Small records share their hour's group: remembered across records, as
  // one-line records (fluentd) would otherwise look it up for every line.
  let sharedTime = "";
  let sharedOutput: JsonLinesBuffer | undefined;

  ordered.forEach((record, recordIndex) => {
    const { sequenceNumber, approximateArrivalTimestamp } = record.kinesis;
    const data = decoded[recordIndex]!;
    const solo = data.length >= soloBytes;
    const capacity = solo ? 2 * data.length : sharedCapacity;
    // Lines of a record mostly share an hour; the scanner hands back the same
    // time string for the same second, so an identity check skips the map.
    let lastTime = solo ? "" : sharedTime;
    let lastOutput = solo ? undefined : sharedOutput;
    let rejectedOutput: JsonLinesBuffer | undefined;
    for (const line of decodeRecordData(data, recordIndex)) {
      if (sources !== undefined && line.source !== undefined && !sources.has(line.source)) {
        skippedLines++;
        continue;
      }
      const reason = line.error ?? scanAccessLogLine(line.bytes, line.start, line.end, fields);
      if (reason !== undefined) {
        rejectedOutput ??= errors.buffer(
          new Date(approximateArrivalTimestamp * 1000).toISOString().slice(0, 13),
          sequenceNumber,
          solo,
        );
        rejectedOutput.appendRejected({
          reason,
          line: lineText(line),
          shardId,
          sequenceNumber,
          lineIndex: line.lineIndex,
          ...(line.id === undefined ? {} : { id: line.id }),
        });
        rejectedLines++;
        continue;
      }
      if (lastOutput === undefined || fields.time !== lastTime) {
        lastTime = fields.time;
        lastOutput = access.buffer(fields.time.slice(0, 13), sequenceNumber, solo, capacity);
      }
      lastOutput.appendAccessLog(line.bytes, line.start, line.end, fields);
      parsedLines++;
    }
    if (!solo) {
      sharedTime = lastTime;
      sharedOutput = lastOutput;
    }
  });

  return {
    shardId,
    firstSequenceNumber,
    objects: [
      ...access.objects(prefixes.accessPrefix, shardId),
      ...errors.objects(prefixes.errorPrefix, shardId),
    ],
    records: records.length,
    parsedLines,
    rejectedLines,
    skippedLines,
  };
}
