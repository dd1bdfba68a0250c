/**
 * The pure part of the Lambda: one shard's batch of Kinesis records in, the
 * objects to write out (uncompressed JSON lines and their keys). No I/O, so
 * the whole mapping from records to S3 objects is tested without mocks.
 */
import type { KinesisStreamRecord } from "aws-lambda";
import { compareSequenceNumbers, objectKey } from "./keys";
import { AccessLogFields, scanAccessLogLine } from "./parse";
import { type DecodedLine, decodeRecordData, lineText, soleForwarderLine } from "./records";
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

  /** Appends this output's objects, sorted by key, to `objects`. */
  appendObjects(objects: OutputObject[], prefix: string, shardId: string): void {
    const own: OutputObject[] = [];
    for (const { hour, sequenceNumber, buffer } of this.groups.values()) {
      own.push({
        key: objectKey({ prefix, time: hour, shardId, firstSequenceNumber: sequenceNumber }),
        body: buffer.contents(),
        lines: buffer.lines,
      });
    }
    own.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const object of own) objects.push(object);
  }
}

/** The records' data, base64-decoded into one buffer: record `i` is `bytes[starts[i], starts[i + 1])`. */
interface DecodedRecords {
  readonly bytes: Buffer;
  readonly starts: Int32Array;
}

/**
 * Upper bound of the bytes that base64 `text` decodes to (Node's own
 * estimate, without the call through Buffer.byteLength's encoding switch,
 * which showed in the profile of one-line records).
 */
function base64Bytes(text: string): number {
  let length = text.length;
  if (length > 0 && text.charCodeAt(length - 1) === 0x3d) length--;
  if (length > 0 && text.charCodeAt(length - 1) === 0x3d) length--;
  return (length * 3) >>> 2;
}

/**
 * Decodes every record's data into one buffer, with offsets instead of a
 * view per record (measured on one-line fluentd records, a Buffer per
 * record was a quarter of the time, and a view per record still a tenth).
 */
function decodeAll(records: readonly KinesisStreamRecord[]): DecodedRecords {
  let total = 0;
  for (const record of records) total += base64Bytes(record.kinesis.data);
  const bytes = Buffer.allocUnsafe(total);
  const starts = new Int32Array(records.length + 1);
  let offset = 0;
  for (let i = 0; i < records.length; i++) {
    offset += bytes.write(records[i]!.kinesis.data, offset, "base64");
    starts[i + 1] = offset;
  }
  return { bytes, starts };
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
 * Where the lines of one shard's batch go, record after record: parsed lines
 * to the access groups, the others (with their reason) to the error groups.
 */
class BatchOutput {
  readonly access = new ObjectGroups();
  readonly errors = new ObjectGroups();
  parsedLines = 0;
  rejectedLines = 0;
  skippedLines = 0;
  private readonly fields = new AccessLogFields();
  // The current record.
  private sequenceNumber = "";
  private arrivalSeconds = 0;
  private solo = false;
  private capacity = 0;
  private rejectedOutput: JsonLinesBuffer | undefined;
  // Lines of a record mostly share an hour, and the scanner hands back the
  // same time string for the same second, so an identity check skips the map.
  // Small records share their hour's group: remembered across records, as
  // one-line records (fluentd) would otherwise look it up for every line.
  private lastTime = "";
  private lastOutput: JsonLinesBuffer | undefined;
  private sharedTime = "";
  private sharedOutput: JsonLinesBuffer | undefined;

  constructor(
    private readonly shardId: string,
    private readonly sources: ReadonlySet<string> | undefined,
  ) {}

  beginRecord(kinesis: KinesisStreamRecord["kinesis"], solo: boolean, capacity: number): void {
    this.sequenceNumber = kinesis.sequenceNumber;
    this.arrivalSeconds = kinesis.approximateArrivalTimestamp;
    this.solo = solo;
    this.capacity = capacity;
    this.rejectedOutput = undefined;
    this.lastTime = solo ? "" : this.sharedTime;
    this.lastOutput = solo ? undefined : this.sharedOutput;
  }

  endRecord(): void {
    if (this.solo) return;
    this.sharedTime = this.lastTime;
    this.sharedOutput = this.lastOutput;
  }

  /** A log line of the current record, `bytes[start, end)`. */
  line(bytes: Buffer, start: number, end: number, lineIndex: number, id?: string): void {
    const fields = this.fields;
    const reason = scanAccessLogLine(bytes, start, end, fields);
    if (reason !== undefined) {
      this.reject(reason, bytes.toString("utf8", start, end), lineIndex, id);
      return;
    }
    if (this.lastOutput === undefined || fields.time !== this.lastTime) {
      this.lastTime = fields.time;
      this.lastOutput = this.access.buffer(
        fields.time.slice(0, 13),
        this.sequenceNumber,
        this.solo,
        this.capacity,
      );
    }
    this.lastOutput.appendAccessLog(bytes, start, end, fields);
    this.parsedLines++;
  }

  /** A line that decodeRecordData returned for the current record. */
  decodedLine(line: DecodedLine): void {
    if (this.sources !== undefined && line.source !== undefined && !this.sources.has(line.source)) {
      this.skippedLines++;
    } else if (line.error !== undefined) {
      this.reject(line.error, lineText(line), line.lineIndex, line.id);
    } else {
      this.line(line.bytes, line.start, line.end, line.lineIndex, line.id);
    }
  }

  private reject(reason: string, line: string, lineIndex: number, id: string | undefined): void {
    // Errors go by the record's arrival hour, which a retry does not change.
    this.rejectedOutput ??= this.errors.buffer(
      new Date(this.arrivalSeconds * 1000).toISOString().slice(0, 13),
      this.sequenceNumber,
      this.solo,
    );
    this.rejectedOutput.appendRejected({
      reason,
      line,
      shardId: this.shardId,
      sequenceNumber: this.sequenceNumber,
      lineIndex,
      ...(id === undefined ? {} : { id }),
    });
    this.rejectedLines++;
  }
}

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
  const output = new BatchOutput(shardId, prefixes.accessLogSources);
  const { bytes, starts } = decodeAll(ordered);
  let sharedBytes = 0;
  for (let i = 0; i < ordered.length; i++) {
    const length = starts[i + 1]! - starts[i]!;
    if (length < soloBytes) sharedBytes += length;
  }
  // JSON lines are under twice the size of the log lines; one hour usually
  // holds the whole group, so sizing for that avoids regrowing.
  const sharedCapacity = 2 * sharedBytes;

  for (let recordIndex = 0; recordIndex < ordered.length; recordIndex++) {
    const start = starts[recordIndex]!;
    const end = starts[recordIndex + 1]!;
    const solo = end - start >= soloBytes;
    output.beginRecord(ordered[recordIndex]!.kinesis, solo, solo ? 2 * (end - start) : sharedCapacity);
    // The source pipeline's shape, one fluentd / fluent-bit line per record,
    // is read straight from the batch's bytes; every other record is decoded
    // line by line.
    const sole = solo ? undefined : soleForwarderLine(bytes, start, end);
    if (sole !== undefined) {
      output.line(sole.bytes, sole.start, sole.end, 0);
    } else {
      for (const line of decodeRecordData(bytes.subarray(start, end), recordIndex)) output.decodedLine(line);
    }
    output.endRecord();
  }

  // One array filled in place: spreading (or concatenating) the groups'
  // arrays deoptimized the compiled function on every batch in some processes.
  const objects: OutputObject[] = [];
  output.access.appendObjects(objects, prefixes.accessPrefix, shardId);
  output.errors.appendObjects(objects, prefixes.errorPrefix, shardId);
  return {
    shardId,
    firstSequenceNumber,
    objects,
    records: records.length,
    parsedLines: output.parsedLines,
    rejectedLines: output.rejectedLines,
    skippedLines: output.skippedLines,
  };
}
