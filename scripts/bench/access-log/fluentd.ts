/**
 * Kinesis events as the source pipeline delivers them to Lambda: nginx →
 * fluentd (fluent-plugin-kinesis) or fluent-bit → one Kinesis record per log
 * line, the line wrapped in the forwarder's JSON, the data base64-encoded.
 */
import type { KinesisStreamRecord } from "aws-lambda";

/** Kinesis records per event in the benchmark (Lambda's default batch is 100, its maximum 10,000). */
export const RECORDS_PER_EVENT = 500;

/**
 * The record forms:
 * - `fluentd`: fluent-plugin-kinesis with the json formatter and its default
 *   `append_new_line`: `{"log":"<line>"}\n`;
 * - `fluent-bit`: fluent-bit's tail input with the docker parser, then the
 *   kinesis_streams output with `time_key`: the line keeps its "\n" inside
 *   `log`, next to `stream` and `time`.
 */
export type ForwarderForm = "fluentd" | "fluent-bit";

/** The data of one Kinesis record carrying `line` in `form`. */
export function forwarderRecordData(line: string, form: ForwarderForm, index: number): string {
  if (form === "fluentd") return `${JSON.stringify({ log: line })}\n`;
  const time = new Date(Date.UTC(2024, 2, 10, 5, 0, 0) + index * 25).toISOString();
  return JSON.stringify({ log: `${line}\n`, stream: "stdout", time: `${time.slice(0, -1)}123456Z` });
}

/** Kinesis sequence numbers are 56-digit decimals, increasing within a shard. */
function sequenceNumber(index: number): string {
  return `49590338271490256608559692538361571095921575989136588898${String(index).padStart(8, "0")}`.slice(
    -56,
  );
}

/** The lines as Lambda events of {@link RECORDS_PER_EVENT} records each, one line per record. */
export function forwarderEvents(lines: readonly string[], form: ForwarderForm): KinesisStreamRecord[][] {
  const events: KinesisStreamRecord[][] = [];
  for (let first = 0; first < lines.length; first += RECORDS_PER_EVENT) {
    const records: KinesisStreamRecord[] = [];
    for (let i = first; i < Math.min(first + RECORDS_PER_EVENT, lines.length); i++) {
      const seq = sequenceNumber(i);
      records.push({
        kinesis: {
          kinesisSchemaVersion: "1.0",
          partitionKey: `nginx-${i % 8}`,
          sequenceNumber: seq,
          data: Buffer.from(forwarderRecordData(lines[i] as string, form, i)).toString("base64"),
          approximateArrivalTimestamp: 1_710_046_800 + i / 40,
        },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `shardId-000000000000:${seq}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: "arn:aws:iam::123456789012:role/transformer",
        awsRegion: "us-east-1",
        eventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/nginx-accesslog-stream",
      });
    }
    events.push(records);
  }
  return events;
}
