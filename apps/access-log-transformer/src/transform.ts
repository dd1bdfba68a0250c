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

/** Key prefixes of the two outputs, and which receiver sources carry access logs. */
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
  /** Lowest sequence number of the batch; in every key, and the checkpoint to report if a write fails. */
  readonly firstSequenceNumber: string;
  /** Access objects (one per request hour) sorted by key, then the error object if any line was rejected. */
  readonly objects: readonly OutputObject[];
  readonly records: number;
  readonly parsedLines: number;
  readonly rejectedLines: number;
  /** Lines from sources that do not send access logs. */
  readonly skippedLines: number;
}

/**
 * Parses every line of one shard's records and groups the results into
 * objects: one per hour of request time under the access prefix, and one for
 * rejected lines under the error prefix. Error objects are partitioned by the
 * Kinesis arrival time of the batch's first record, not by processing time,
 * so that a retried batch computes the same key and overwrites its earlier
 * attempt. The same batch always gives the same keys and bytes.
 *
 * @param records the records of one shard, in any order; must not be empty.
 */
export function transformShardBatch(
  shardId: string,
  records: readonly KinesisStreamRecord[],
  prefixes: OutputPrefixes,
): ShardOutput {
  const first = records.reduce((lowest, record) =>
    compareSequenceNumbers(record.kinesis.sequenceNumber, lowest.kinesis.sequenceNumber) < 0
      ? record
      : lowest,
  );
  const firstSequenceNumber = first.kinesis.sequenceNumber;
  const byHour = new Map<string, JsonLinesBuffer>();
  // JSON lines are under twice the size of the log lines, and twice the
  // base64 length is over 2.6 times the raw bytes; one hour usually holds the
  // whole batch, so sizing for that avoids regrowing.
  const capacity = 2 * records.reduce((sum, record) => sum + record.kinesis.data.length, 0);
  const rejected = new JsonLinesBuffer();
  const fields = new AccessLogFields();
  // Lines of a batch mostly share an hour; the scanner hands back the same
  // time string for the same second, so an identity check skips the map.
  let lastTime = "";
  let lastOutput: JsonLinesBuffer | undefined;
  let parsedLines = 0;
  let skippedLines = 0;
  const sources = prefixes.accessLogSources;

  records.forEach((record, recordIndex) => {
    const { sequenceNumber, data } = record.kinesis;
    for (const line of decodeRecordData(Buffer.from(data, "base64"), recordIndex)) {
      if (sources !== undefined && line.source !== undefined && !sources.has(line.source)) {
        skippedLines++;
        continue;
      }
      const reason = line.error ?? scanAccessLogLine(line.bytes, line.start, line.end, fields);
      if (reason !== undefined) {
        rejected.appendRejected({
          reason,
          line: lineText(line),
          shardId,
          sequenceNumber,
          lineIndex: line.lineIndex,
          ...(line.id === undefined ? {} : { id: line.id }),
        });
        continue;
      }
      if (lastOutput === undefined || fields.time !== lastTime) {
        const hour = fields.time.slice(0, 13);
        let output = byHour.get(hour);
        if (output === undefined) {
          output = new JsonLinesBuffer(capacity);
          byHour.set(hour, output);
        }
        lastTime = fields.time;
        lastOutput = output;
      }
      lastOutput.appendAccessLog(line.bytes, line.start, line.end, fields);
      parsedLines++;
    }
  });

  const objects: OutputObject[] = [...byHour]
    .map(([hour, output]) => ({
      key: objectKey({ prefix: prefixes.accessPrefix, time: hour, shardId, firstSequenceNumber }),
      body: output.contents(),
      lines: output.lines,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (rejected.lines > 0) {
    const arrival = new Date(first.kinesis.approximateArrivalTimestamp * 1000).toISOString();
    objects.push({
      key: objectKey({ prefix: prefixes.errorPrefix, time: arrival, shardId, firstSequenceNumber }),
      body: rejected.contents(),
      lines: rejected.lines,
    });
  }
  return {
    shardId,
    firstSequenceNumber,
    objects,
    records: records.length,
    parsedLines,
    rejectedLines: rejected.lines,
    skippedLines,
  };
}
