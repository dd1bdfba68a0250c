/**
 * Re-drive of the CloudTrail pipeline's leftovers, once their cause is fixed:
 *
 *   npm run redrive -- dlq --from <DLQ url> --to <queue url> [--via move-task|receive] [--max N] [--dry-run]
 *   npm run redrive -- failed --bucket <archive bucket> --opensearch <endpoint> [--prefix cloudtrail-failed/]
 *                              [--index-prefix cloudtrail] [--service es|aoss] [--prune] [--dry-run]
 *
 * `dlq` moves the dead-lettered trail-file messages back to the indexer's
 * queue: with SQS's own StartMessageMoveTask (`--via move-task`, the default
 * on AWS; progress from ListMessageMoveTasks), or by receive → send → delete
 * (`--via receive`, for SQS stand-ins without move tasks). A crash between a
 * send and its delete leaves the message in both queues; that is harmless,
 * since the indexer is idempotent (S3 keys per source file, `_id` = eventID).
 *
 * `failed` re-indexes the records of the failed prefix (`cloudtrail-failed/`)
 * into OpenSearch with `create` by eventID, so records indexed meanwhile
 * answer 409 and nothing is duplicated; records still refused as documents are
 * reported and kept. With `--prune`, an object all of whose records are now
 * indexed is deleted. Records without an eventID cannot be indexed by id and
 * are left (and reported).
 *
 * `--dry-run` changes nothing: `dlq` lists the files the messages announce
 * (it receives them all, then makes them visible again at once),
 * `failed` lists the objects and their records. `--endpoint` points the SQS or
 * S3 client elsewhere (local stand-ins).
 *
 *   npm run redrive -- transformer --queue <failure queue url> --bucket <archive bucket>
 *                              [--access-prefix access/] [--error-prefix access-errors/]
 *                              [--access-log-sources a,b] [--max N] [--dry-run]
 *
 * `transformer` re-runs the access-log transformer on the batches its Kinesis
 * event source mapping discarded. Lambda's on-failure record names a range
 * (`KinesisBatchInfo`: shard, start and end sequence numbers), not the data,
 * so the records are read back from the stream (AT_SEQUENCE_NUMBER start,
 * up to the end) and handed, in the event shape Lambda builds, to the
 * transformer's own handler: the objects get the keys and bytes the failed
 * invocation would have written, so a re-drive (or a second one) overwrites
 * instead of duplicating. A message is deleted only once every object of its
 * batch is in S3. A range past the stream's retention cannot be read any more:
 * it is reported and kept; its lines are in the archive's `raw/` prefix
 * (Firehose). Its settings must match the transformer's (`ACCESS_PREFIX`,
 * `ERROR_PREFIX`, `ACCESS_LOG_SOURCES`); `--dry-run` lists the ranges and
 * their record counts. `--sqs-endpoint`, `--kinesis-endpoint` and
 * `--s3-endpoint` point its clients at stand-ins.
 */
import type { _Record as KinesisRecord, KinesisClient } from "@aws-sdk/client-kinesis";
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-kinesis";
import type { S3Client } from "@aws-sdk/client-s3";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import type { ObjectWriter } from "../apps/access-log-transformer/src/handler";
import { createHandler } from "../apps/access-log-transformer/src/handler";
import {
  compareSequenceNumbers,
  DEFAULT_ACCESS_PREFIX,
  DEFAULT_ERROR_PREFIX,
} from "../apps/access-log-transformer/src/keys";
import { transformShardBatch } from "../apps/access-log-transformer/src/transform";
import { DEFAULT_FAILED_PREFIX } from "../apps/cloudtrail-indexer/src/archive";
import type { BulkItem, BulkSink } from "../apps/cloudtrail-indexer/src/bulk";
import { DEFAULT_INDEX_PREFIX, isBulkItem, prepareRecord } from "../apps/cloudtrail-indexer/src/bulk";
import type { RetryPolicy } from "../apps/cloudtrail-indexer/src/indexer";
import { DEFAULT_RETRY_POLICY, indexItems } from "../apps/cloudtrail-indexer/src/indexer";
import { unwrapMessage } from "../apps/cloudtrail-indexer/src/notifications";
import { CloudTrailScanner } from "../apps/cloudtrail-indexer/src/split";
import { lambdaKinesisEvent } from "./local/kinesis-event-source";

/** Progress lines go here (stdout by default). */
export type Progress = (line: string) => void;

/** What a DLQ re-drive did. */
export interface DeadLetterReport {
  /** Messages moved (or, in a dry run, found). */
  moved: number;
  /** Trail files the moved messages announce. */
  readonly files: string[];
}

/** Options of {@link redriveDeadLetters}. */
export interface DeadLetterOptions {
  readonly sqs: SQSClient;
  /** The dead-letter queue's URL. */
  readonly from: string;
  /** The indexer's queue URL. */
  readonly to: string;
  /** `move-task` (SQS StartMessageMoveTask) or `receive` (receive → send → delete). Default: move-task. */
  readonly via?: "move-task" | "receive";
  /** Messages at most (receive only). Default: all. */
  readonly max?: number;
  /** Default: false. */
  readonly dryRun?: boolean;
  /** Default: stdout. */
  readonly progress?: Progress;
  /** Between move-task status polls, ms. Default: 2000. */
  readonly pollMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stdout: Progress = (line) => process.stdout.write(`${line}\n`);

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  if (Attributes?.QueueArn === undefined) throw new Error(`queue ${url} has no QueueArn`);
  return Attributes.QueueArn;
}

/** The `s3://bucket/key` of every file a message announces (none for test events and the like). */
function announced(body: string): string[] {
  try {
    return unwrapMessage(body).objects.map((o) => `s3://${o.bucket}/${o.key}`);
  } catch {
    return ["(unreadable notification)"];
  }
}

/** Makes received messages visible again at once (after a dry run, or the messages a run keeps). */
async function release(sqs: SQSClient, queueUrl: string, handles: readonly string[]): Promise<void> {
  for (let i = 0; i < handles.length; i += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: handles
          .slice(i, i + 10)
          .map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: 0 })),
      }),
    );
  }
}

/** Moves the DLQ's messages back to the indexer's queue (see the module comment). */
export async function redriveDeadLetters(options: DeadLetterOptions): Promise<DeadLetterReport> {
  const { sqs, from, to } = options;
  const progress = options.progress ?? stdout;
  const report: DeadLetterReport = { moved: 0, files: [] };
  const via = options.via ?? "move-task";
  if (via === "move-task" && options.dryRun !== true) {
    const [sourceArn, destinationArn] = await Promise.all([queueArn(sqs, from), queueArn(sqs, to)]);
    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }),
    );
    progress(`move task ${TaskHandle ?? "?"} started: ${sourceArn} → ${destinationArn}`);
    for (;;) {
      const { Results = [] } = await sqs.send(
        new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }),
      );
      const task = Results[0];
      const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
      progress(
        `  ${task?.Status ?? "?"}: ${moved} of ${task?.ApproximateNumberOfMessagesToMove ?? "?"} moved`,
      );
      if (task === undefined || ["COMPLETED", "FAILED", "CANCELLED"].includes(task.Status ?? "")) {
        report.moved = moved;
        if (task?.Status === "FAILED")
          throw new Error(`move task failed: ${task.FailureReason ?? "unknown"}`);
        return report;
      }
      await sleep(options.pollMs ?? 2000);
    }
  }
  const max = options.max ?? Number.POSITIVE_INFINITY;
  // A dry run keeps what it has seen hidden (so it sees each message once), then releases it all.
  const held: string[] = [];
  while (report.moved < max) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: from,
        MaxNumberOfMessages: Math.min(10, max - report.moved),
        WaitTimeSeconds: 1,
        // Long enough to send and delete them; a dry run leaves them hidden this long.
        VisibilityTimeout: 60,
        MessageAttributeNames: ["All"],
      }),
    );
    if (messages.length === 0) break;
    const files = messages.flatMap((m) => announced(m.Body ?? ""));
    report.files.push(...files);
    if (options.dryRun === true) {
      held.push(...messages.map((m) => m.ReceiptHandle ?? ""));
      report.moved += messages.length;
      progress(`would move ${messages.length} (${report.moved} so far): ${files.join(" ")}`);
      continue;
    }
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: to,
        Entries: messages.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? "",
          ...(m.MessageAttributes === undefined ? {} : { MessageAttributes: m.MessageAttributes }),
        })),
      }),
    );
    // Only what reached the queue leaves the DLQ; a failed send stays for the next run.
    const ok = (sent.Successful ?? []).map((s) => messages[Number(s.Id)]);
    if (ok.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: from,
          Entries: ok.map((m, i) => ({ Id: String(i), ReceiptHandle: m?.ReceiptHandle ?? "" })),
        }),
      );
    }
    report.moved += ok.length;
    progress(
      `moved ${ok.length} (${report.moved} so far)${(sent.Failed ?? []).length > 0 ? `, ${sent.Failed?.length} failed to send` : ""}`,
    );
  }
  await release(sqs, from, held);
  progress(
    `${options.dryRun === true ? "would move" : "moved"} ${report.moved} message(s) from ${from} to ${to}`,
  );
  return report;
}

/** What a re-index of the failed prefix did. */
export interface ReindexReport {
  objects: number;
  records: number;
  indexed: number;
  /** Already indexed (409). */
  duplicates: number;
  /** Refused again as documents. */
  rejected: number;
  /** Without an event or eventID: cannot be indexed by id. */
  skipped: number;
  /** Objects deleted by `prune`. */
  pruned: number;
}

/** Options of {@link reindexFailed}. */
export interface ReindexOptions {
  readonly s3: S3Client;
  /** Absent only in a dry run. */
  readonly sink?: BulkSink;
  readonly bucket: string;
  /** Default `cloudtrail-failed/`. */
  readonly prefix?: string;
  /** Default `cloudtrail`. */
  readonly indexPrefix?: string;
  /** Delete objects whose records are all indexed now. Default: false. */
  readonly prune?: boolean;
  /** Default: false. */
  readonly dryRun?: boolean;
  readonly retry?: Partial<RetryPolicy>;
  /** Default: stdout. */
  readonly progress?: Progress;
}

interface FailedLineJson {
  readonly eventID?: string;
  readonly event?: unknown;
}

/** The records of one failed object that can be indexed by id, and how many cannot. */
function indexable(
  text: string,
  indexPrefix: string,
): { items: BulkItem[]; records: number; skipped: number } {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const events: string[] = [];
  let skipped = 0;
  for (const line of lines) {
    const parsed = JSON.parse(line) as FailedLineJson;
    if (parsed.event === undefined || typeof parsed.eventID !== "string") skipped++;
    else events.push(JSON.stringify(parsed.event));
  }
  // The indexer's own splitter and bulk items, so documents are exactly what the indexer would send.
  const scanner = new CloudTrailScanner();
  const raw = scanner.write(Buffer.from(`{"Records":[${events.join(",")}]}`));
  scanner.end();
  const items: BulkItem[] = [];
  for (const record of raw) {
    const prepared = prepareRecord(record, indexPrefix);
    if (isBulkItem(prepared)) items.push(prepared);
    else skipped++;
  }
  return { items, records: lines.length, skipped };
}

/** Re-indexes the failed prefix (see the module comment). */
export async function reindexFailed(options: ReindexOptions): Promise<ReindexReport> {
  const { s3, bucket } = options;
  const prefix = options.prefix ?? DEFAULT_FAILED_PREFIX;
  const indexPrefix = options.indexPrefix ?? DEFAULT_INDEX_PREFIX;
  const progress = options.progress ?? stdout;
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  if (options.sink === undefined && options.dryRun !== true)
    throw new Error("an OpenSearch sink is required");
  const report: ReindexReport = {
    objects: 0,
    records: 0,
    indexed: 0,
    duplicates: 0,
    rejected: 0,
    skipped: 0,
    pruned: 0,
  };
  let token: string | undefined;
  do {
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token === undefined ? {} : { ContinuationToken: token }),
      }),
    );
    token = listed.IsTruncated === true ? listed.NextContinuationToken : undefined;
    for (const { Key: key } of listed.Contents ?? []) {
      if (key === undefined || !key.endsWith(".failed.json.gz")) continue;
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = await (
        object.Body as { transformToByteArray(): Promise<Uint8Array> }
      ).transformToByteArray();
      const { items, records, skipped } = indexable(gunzipSync(bytes).toString("utf8"), indexPrefix);
      report.objects++;
      report.records += records;
      report.skipped += skipped;
      if (options.dryRun === true || options.sink === undefined) {
        progress(`would re-index ${items.length} of ${records} record(s) of s3://${bucket}/${key}`);
        continue;
      }
      const result = await indexItems(options.sink, items, retry);
      report.indexed += result.indexed;
      report.duplicates += result.duplicates;
      report.rejected += result.rejected.length;
      const done = result.rejected.length === 0 && skipped === 0;
      if (done && options.prune === true) {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        report.pruned++;
      }
      progress(
        `s3://${bucket}/${key}: ${result.indexed} indexed, ${result.duplicates} already indexed, ` +
          `${result.rejected.length} rejected again, ${skipped} without eventID${done && options.prune === true ? ", pruned" : ""}`,
      );
    }
  } while (token !== undefined);
  progress(
    `${options.dryRun === true ? "dry run: " : ""}${report.objects} object(s), ${report.records} record(s): ` +
      `${report.indexed} indexed, ${report.duplicates} already indexed, ${report.rejected} rejected, ` +
      `${report.skipped} without eventID, ${report.pruned} pruned`,
  );
  return report;
}

/** The `KinesisBatchInfo` of Lambda's on-failure invocation record: which records were discarded. */
export interface FailedBatchInfo {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
  readonly streamArn: string;
  /** ISO-8601; absent only from hand-made messages. */
  readonly approximateArrivalOfFirstRecord?: string;
  readonly approximateArrivalOfLastRecord?: string;
}

/**
 * Reads an on-failure message: Lambda's invocation record
 * (`{ requestContext, responseContext, version, timestamp, KinesisBatchInfo }`),
 * also when it came through an SNS topic (an SNS envelope around it). Shape:
 * https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
 *
 * @throws Error when the body holds no usable `KinesisBatchInfo`.
 */
export function parseFailedBatch(body: string): FailedBatchInfo {
  let parsed = JSON.parse(body) as { Type?: unknown; Message?: unknown; KinesisBatchInfo?: unknown };
  if (parsed.Type === "Notification" && typeof parsed.Message === "string") {
    parsed = JSON.parse(parsed.Message) as typeof parsed;
  }
  const info = parsed.KinesisBatchInfo as Partial<Record<keyof FailedBatchInfo, unknown>> | undefined;
  const text = (name: keyof FailedBatchInfo): string => {
    const value = info?.[name];
    if (typeof value !== "string" || value === "") throw new Error(`KinesisBatchInfo.${name} is missing`);
    return value;
  };
  if (info === undefined || info === null || typeof info !== "object") {
    throw new Error("not a Kinesis on-failure record: no KinesisBatchInfo");
  }
  const optional = (name: keyof FailedBatchInfo) => {
    const value = info[name];
    return typeof value === "string" ? { [name]: value } : {};
  };
  if (typeof info.batchSize !== "number") throw new Error("KinesisBatchInfo.batchSize is missing");
  return {
    shardId: text("shardId"),
    startSequenceNumber: text("startSequenceNumber"),
    endSequenceNumber: text("endSequenceNumber"),
    batchSize: info.batchSize,
    streamArn: text("streamArn"),
    ...optional("approximateArrivalOfFirstRecord"),
    ...optional("approximateArrivalOfLastRecord"),
  };
}

/** Stream name and region of `arn:aws:kinesis:<region>:<account>:stream/<name>`. */
export function parseStreamArn(arn: string): { name: string; region: string } {
  const match = /^arn:[\w-]+:kinesis:([\w-]+):\d*:stream\/([\w.-]+)$/.exec(arn);
  if (match === null) throw new Error(`not a Kinesis stream ARN: ${JSON.stringify(arn)}`);
  return { region: match[1]!, name: match[2]! };
}

/** The range can no longer be read from the stream; its lines are only in the raw archive. */
export class PastRetentionError extends Error {
  override readonly name = "PastRetentionError";
}

const describeRange = (info: FailedBatchInfo) =>
  `${info.shardId} ${info.startSequenceNumber}…${info.endSequenceNumber} (${info.batchSize} records)`;

function pastRetention(
  info: FailedBatchInfo,
  retentionHours: number | undefined,
  why: string,
): PastRetentionError {
  const { name } = parseStreamArn(info.streamArn);
  return new PastRetentionError(
    `records ${describeRange(info)} of stream ${name} can no longer be read: ${why}` +
      `${retentionHours === undefined ? "" : ` (the stream keeps records ${retentionHours} h)`}. ` +
      `Their lines are still in the archive bucket under raw/ (Firehose's copy of the stream, by arrival hour` +
      `${info.approximateArrivalOfFirstRecord === undefined ? "" : ` from ${info.approximateArrivalOfFirstRecord}`}); ` +
      `re-process them from there. The message stays in the queue until you delete it.`,
  );
}

/** GetShardIterator errors that mean the position is gone (trimmed, expired, or the shard deleted). */
const UNREADABLE = new Set([
  "InvalidArgumentException",
  "ResourceNotFoundException",
  "ExpiredIteratorException",
  "TrimmedDataAccessException",
]);

/** Pages in a row without records before the range's end counts as not found (Kinesis can return empty pages). */
const MAX_EMPTY_PAGES = 20;

/**
 * The stream records of a discarded batch, in order: from `startSequenceNumber`
 * (AT_SEQUENCE_NUMBER) up to and including `endSequenceNumber`.
 *
 * What Kinesis does with a position past retention is not pinned down by its
 * documentation (GetShardIterator may refuse it, or the reads start at the
 * trim horizon), so all of these are reported as {@link PastRetentionError}:
 * a first arrival older than the retention, a refused iterator, a first record
 * that is not the range's start, and the shard's tip reached before the end.
 */
export async function readFailedRange(
  kinesis: KinesisClient,
  info: FailedBatchInfo,
  now: number = Date.now(),
): Promise<KinesisRecord[]> {
  const { name } = parseStreamArn(info.streamArn);
  const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
  const retentionHours = summary.StreamDescriptionSummary?.RetentionPeriodHours;
  const firstArrival =
    info.approximateArrivalOfFirstRecord === undefined
      ? Number.NaN
      : Date.parse(info.approximateArrivalOfFirstRecord);
  if (retentionHours !== undefined && firstArrival < now - retentionHours * 3_600_000) {
    throw pastRetention(
      info,
      retentionHours,
      `its first record arrived ${info.approximateArrivalOfFirstRecord}`,
    );
  }
  let iterator: string | undefined;
  try {
    iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: name,
          ShardId: info.shardId,
          ShardIteratorType: "AT_SEQUENCE_NUMBER",
          StartingSequenceNumber: info.startSequenceNumber,
        }),
      )
    ).ShardIterator;
  } catch (error) {
    const errorName = (error as { name?: string }).name ?? "";
    if (!UNREADABLE.has(errorName)) throw error;
    throw pastRetention(
      info,
      retentionHours,
      `GetShardIterator refused: ${errorName}: ${(error as Error).message}`,
    );
  }
  const records: KinesisRecord[] = [];
  let emptyPages = 0;
  while (iterator !== undefined) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    const got = page.Records ?? [];
    for (const record of got) {
      const sequenceNumber = record.SequenceNumber ?? "";
      if (records.length === 0 && sequenceNumber !== info.startSequenceNumber) {
        throw pastRetention(info, retentionHours, `the shard's oldest record now is ${sequenceNumber}`);
      }
      if (compareSequenceNumbers(sequenceNumber, info.endSequenceNumber) > 0) return records;
      records.push(record);
      if (sequenceNumber === info.endSequenceNumber) return records;
    }
    emptyPages = got.length === 0 ? emptyPages + 1 : 0;
    // At the tip (nothing behind) or the end of a closed shard, the range cannot come any more.
    if (got.length === 0 && (page.MillisBehindLatest === 0 || emptyPages >= MAX_EMPTY_PAGES)) break;
    // A shard serves 5 reads a second, shared with Lambda's own polling.
    if (got.length === 0) await sleep(200);
    iterator = page.NextShardIterator;
  }
  throw pastRetention(
    info,
    retentionHours,
    records.length === 0
      ? "the shard has no record at its start"
      : `the shard ends after ${records.length} of its records`,
  );
}

/** What a transformer re-drive did. */
export interface TransformerRedriveReport {
  /** Messages read (in a dry run: found). */
  messages: number;
  /** Messages whose batch is now in S3 and which were deleted. */
  redriven: number;
  records: number;
  /** Objects written (in a dry run: that would be written). */
  objects: number;
  /** One line per range: `shardId start…end (n records)`. */
  readonly ranges: string[];
  /** Messages kept, and why (unreadable, past retention, writes failed). */
  readonly failures: { readonly range: string; readonly error: string }[];
}

/** Options of {@link redriveTransformerFailures}. */
export interface TransformerRedriveOptions {
  readonly sqs: SQSClient;
  readonly kinesis: KinesisClient;
  /** Where the objects go (an `S3Client` fits). */
  readonly s3: ObjectWriter;
  /** The AccessLogPipeline's failure queue URL. */
  readonly queue: string;
  /** The archive bucket (the transformer's `ARCHIVE_BUCKET`). */
  readonly bucket: string;
  /** The transformer's `ACCESS_PREFIX`. Default `access/`. */
  readonly accessPrefix?: string;
  /** The transformer's `ERROR_PREFIX`. Default `access-errors/`. */
  readonly errorPrefix?: string;
  /** The transformer's `ACCESS_LOG_SOURCES`. Default: every source. */
  readonly accessLogSources?: readonly string[];
  /** Messages at most. Default: all. */
  readonly max?: number;
  /** Default: false. */
  readonly dryRun?: boolean;
  /** Default: stdout. */
  readonly progress?: Progress;
  /** Clock for the retention check, ms. Default: Date.now. */
  readonly now?: () => number;
}

/**
 * Re-runs the access-log transformer on the batches named in its failure
 * queue (see the module comment).
 */
export async function redriveTransformerFailures(
  options: TransformerRedriveOptions,
): Promise<TransformerRedriveReport> {
  const { sqs, kinesis, queue } = options;
  const progress = options.progress ?? stdout;
  const now = options.now ?? Date.now;
  const prefixes = {
    accessPrefix: options.accessPrefix ?? DEFAULT_ACCESS_PREFIX,
    errorPrefix: options.errorPrefix ?? DEFAULT_ERROR_PREFIX,
  };
  const sources = options.accessLogSources;
  const report: TransformerRedriveReport = {
    messages: 0,
    redriven: 0,
    records: 0,
    objects: 0,
    ranges: [],
    failures: [],
  };
  // The transformer's own log lines become the progress of the write.
  let written: { objects?: number; parsedLines?: number; rejectedLines?: number; skippedLines?: number } = {};
  let writeErrors: unknown[] = [];
  const transformer = createHandler({
    s3: options.s3,
    bucket: options.bucket,
    ...prefixes,
    ...(sources === undefined ? {} : { accessLogSources: sources }),
    logger: {
      info: (fields) => (written = fields),
      error: (fields) => (writeErrors = (fields as { errors?: unknown[] }).errors ?? [fields]),
    },
  });
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const held: string[] = [];
  while (report.messages < max) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue,
        MaxNumberOfMessages: Math.min(10, max - report.messages),
        WaitTimeSeconds: 1,
        // Long enough to read a batch of up to 10 000 records and write its objects, one message after another.
        VisibilityTimeout: 900,
      }),
    );
    if (messages.length === 0) break;
    for (const message of messages) {
      report.messages++;
      const handle = message.ReceiptHandle ?? "";
      if (options.dryRun === true) held.push(handle);
      let range = `message ${message.MessageId ?? "?"}`;
      try {
        const info = parseFailedBatch(message.Body ?? "");
        range = describeRange(info);
        report.ranges.push(range);
        const records = await readFailedRange(kinesis, info, now());
        report.records += records.length;
        const event = lambdaKinesisEvent(
          records,
          info.shardId,
          info.streamArn,
          parseStreamArn(info.streamArn).region,
        );
        if (options.dryRun === true) {
          const output = transformShardBatch(info.shardId, event.Records, {
            ...prefixes,
            ...(sources === undefined ? {} : { accessLogSources: new Set(sources) }),
          });
          report.objects += output.objects.length;
          progress(
            `would re-drive ${range}: ${records.length} record(s) read → ${output.objects.length} object(s), ` +
              `${output.parsedLines} parsed, ${output.rejectedLines} rejected line(s)`,
          );
          continue;
        }
        written = {};
        writeErrors = [];
        const response = await transformer(event);
        if (response.batchItemFailures.length > 0) {
          throw new Error(`objects not written: ${JSON.stringify(writeErrors)}`);
        }
        // Every object is in S3: only now may the message go.
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: handle }));
        report.redriven++;
        report.objects += written.objects ?? 0;
        progress(
          `re-drove ${range}: ${records.length} record(s) → ${written.objects ?? 0} object(s), ` +
            `${written.parsedLines ?? 0} parsed, ${written.rejectedLines ?? 0} rejected, ` +
            `${written.skippedLines ?? 0} skipped line(s); message deleted`,
        );
        if (records.length !== info.batchSize) {
          progress(
            `  note: the message announced ${info.batchSize} record(s), the stream held ${records.length}`,
          );
        }
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        report.failures.push({ range, error: text });
        // Hidden for the rest of this run (so it is not read again), visible again at its end.
        if (options.dryRun !== true) held.push(handle);
        progress(`kept ${range}: ${text}`);
      }
    }
  }
  await release(sqs, queue, held);
  progress(
    `${options.dryRun === true ? "dry run: " : ""}${report.messages} message(s), ${report.records} record(s), ` +
      `${report.objects} object(s)${options.dryRun === true ? " would be written" : ` written, ${report.redriven} message(s) deleted`}, ` +
      `${report.failures.length} kept`,
  );
  return report;
}

/** Parsed command line. */
export type RedriveCommand =
  | {
      readonly kind: "dlq";
      readonly from: string;
      readonly to: string;
      readonly via: "move-task" | "receive";
      readonly max?: number;
      readonly dryRun: boolean;
      readonly endpoint?: string;
      readonly region?: string;
    }
  | {
      readonly kind: "failed";
      readonly bucket: string;
      readonly prefix: string;
      readonly openSearch?: string;
      readonly service: string;
      readonly indexPrefix: string;
      readonly prune: boolean;
      readonly dryRun: boolean;
      readonly endpoint?: string;
      readonly region?: string;
    }
  | {
      readonly kind: "transformer";
      readonly queue: string;
      readonly bucket: string;
      readonly accessPrefix: string;
      readonly errorPrefix: string;
      readonly accessLogSources?: readonly string[];
      readonly max?: number;
      readonly dryRun: boolean;
      readonly sqsEndpoint?: string;
      readonly kinesisEndpoint?: string;
      readonly s3Endpoint?: string;
      readonly region?: string;
    };

const USAGE = `usage:
  npm run redrive -- dlq --from <DLQ url> --to <queue url> [--via move-task|receive] [--max N] [--dry-run]
  npm run redrive -- failed --bucket <archive bucket> --opensearch <endpoint> [--prefix cloudtrail-failed/]
                             [--index-prefix cloudtrail] [--service es|aoss] [--prune] [--dry-run]
  (both: [--region R] [--endpoint URL of SQS or S3])
  npm run redrive -- transformer --queue <failure queue url> --bucket <archive bucket>
                             [--access-prefix access/] [--error-prefix access-errors/]
                             [--access-log-sources a,b] [--max N] [--dry-run]
                             [--region R] [--sqs-endpoint URL] [--kinesis-endpoint URL] [--s3-endpoint URL]`;

/**
 * Reads the arguments after `npm run redrive --`.
 *
 * @throws Error with the usage when they do not make a command.
 */
export function parseRedriveArgs(argv: readonly string[]): RedriveCommand {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      from: { type: "string" },
      to: { type: "string" },
      via: { type: "string", default: "move-task" },
      max: { type: "string" },
      bucket: { type: "string" },
      prefix: { type: "string", default: DEFAULT_FAILED_PREFIX },
      opensearch: { type: "string" },
      service: { type: "string", default: "es" },
      "index-prefix": { type: "string", default: DEFAULT_INDEX_PREFIX },
      prune: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      endpoint: { type: "string" },
      region: { type: "string" },
      queue: { type: "string" },
      "access-prefix": { type: "string", default: DEFAULT_ACCESS_PREFIX },
      "error-prefix": { type: "string", default: DEFAULT_ERROR_PREFIX },
      "access-log-sources": { type: "string" },
      "sqs-endpoint": { type: "string" },
      "kinesis-endpoint": { type: "string" },
      "s3-endpoint": { type: "string" },
    },
  });
  const common = {
    dryRun: values["dry-run"] === true,
    ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
    ...(values.region === undefined ? {} : { region: values.region }),
  };
  const fail = (why: string): never => {
    throw new Error(`${why}\n${USAGE}`);
  };
  const max = values.max === undefined ? undefined : Number(values.max);
  if (max !== undefined && !(Number.isInteger(max) && max > 0)) fail("--max is a positive integer");
  if (positionals[0] === "dlq") {
    if (values.from === undefined || values.to === undefined) fail("dlq needs --from and --to");
    if (values.via !== "move-task" && values.via !== "receive") fail("--via is move-task or receive");
    return {
      kind: "dlq",
      from: values.from as string,
      to: values.to as string,
      via: values.via as "move-task" | "receive",
      ...(max === undefined ? {} : { max }),
      ...common,
    };
  }
  if (positionals[0] === "failed") {
    if (values.bucket === undefined) fail("failed needs --bucket");
    if (values.opensearch === undefined && !common.dryRun) fail("failed needs --opensearch (or --dry-run)");
    return {
      kind: "failed",
      bucket: values.bucket as string,
      prefix: values.prefix,
      ...(values.opensearch === undefined ? {} : { openSearch: values.opensearch }),
      service: values.service,
      indexPrefix: values["index-prefix"],
      prune: values.prune === true,
      ...common,
    };
  }
  if (positionals[0] === "transformer") {
    if (values.queue === undefined || values.bucket === undefined)
      fail("transformer needs --queue and --bucket");
    const sources = values["access-log-sources"]
      ?.split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "");
    const endpoints = {
      ...(values["sqs-endpoint"] === undefined ? {} : { sqsEndpoint: values["sqs-endpoint"] }),
      ...(values["kinesis-endpoint"] === undefined ? {} : { kinesisEndpoint: values["kinesis-endpoint"] }),
      ...(values["s3-endpoint"] === undefined ? {} : { s3Endpoint: values["s3-endpoint"] }),
    };
    return {
      kind: "transformer",
      queue: values.queue as string,
      bucket: values.bucket as string,
      accessPrefix: values["access-prefix"],
      errorPrefix: values["error-prefix"],
      // As the transformer reads ACCESS_LOG_SOURCES: empty means every source.
      ...(sources === undefined || sources.length === 0 ? {} : { accessLogSources: sources }),
      ...(max === undefined ? {} : { max }),
      dryRun: common.dryRun,
      ...endpoints,
      ...(values.region === undefined ? {} : { region: values.region }),
    };
  }
  return fail(`unknown command ${JSON.stringify(positionals[0] ?? "")}`);
}

async function runTransformerRedrive(
  command: Extract<RedriveCommand, { kind: "transformer" }>,
  region: string | undefined,
): Promise<void> {
  const [{ SQSClient }, { KinesisClient }, { S3Client }, { NodeHttpHandler }] = await Promise.all([
    import("@aws-sdk/client-sqs"),
    import("@aws-sdk/client-kinesis"),
    import("@aws-sdk/client-s3"),
    import("@smithy/node-http-handler"),
  ]);
  const base = region === undefined ? {} : { region };
  const at = (endpoint: string | undefined) => (endpoint === undefined ? {} : { endpoint });
  const sqs = new SQSClient({ ...base, ...at(command.sqsEndpoint) });
  // HTTP/1.1: GetRecords needs no HTTP/2, and kinesalite speaks only HTTP/1.1.
  const kinesis = new KinesisClient({
    ...base,
    ...at(command.kinesisEndpoint),
    requestHandler: new NodeHttpHandler(),
  });
  const s3 = new S3Client({
    ...base,
    ...at(command.s3Endpoint),
    ...(command.s3Endpoint === undefined ? {} : { forcePathStyle: true }),
  });
  try {
    const report = await redriveTransformerFailures({ sqs, kinesis, s3, ...command });
    if (report.failures.length > 0) {
      process.stderr.write(
        `${report.failures.length} message(s) kept:\n${report.failures.map((f) => `  ${f.range}: ${f.error}`).join("\n")}\n`,
      );
      process.exitCode = 1;
    }
  } finally {
    sqs.destroy();
    kinesis.destroy();
    s3.destroy();
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const command = parseRedriveArgs(argv);
  const region = command.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (command.kind === "transformer") {
    await runTransformerRedrive(command, region);
    return;
  }
  const client = {
    ...(region === undefined ? {} : { region }),
    ...(command.endpoint === undefined ? {} : { endpoint: command.endpoint }),
  };
  if (command.kind === "dlq") {
    const { SQSClient } = await import("@aws-sdk/client-sqs");
    const sqs = new SQSClient(client);
    try {
      await redriveDeadLetters({ sqs, ...command });
    } finally {
      sqs.destroy();
    }
    return;
  }
  const { S3Client } = await import("@aws-sdk/client-s3");
  const s3 = new S3Client({ ...client, ...(command.endpoint === undefined ? {} : { forcePathStyle: true }) });
  const { createOpenSearchTransport, openSearchBulkSink } =
    await import("../apps/cloudtrail-indexer/src/opensearch");
  const transport =
    command.openSearch === undefined
      ? undefined
      : createOpenSearchTransport({
          endpoint: /^https?:\/\//.test(command.openSearch)
            ? command.openSearch
            : `https://${command.openSearch}`,
          service: command.service,
          region: region ?? "us-east-1",
          credentials: s3.config.credentials,
        });
  try {
    await reindexFailed({
      s3,
      ...(transport === undefined ? {} : { sink: openSearchBulkSink(transport) }),
      bucket: command.bucket,
      prefix: command.prefix,
      indexPrefix: command.indexPrefix,
      prune: command.prune,
      dryRun: command.dryRun,
    });
  } finally {
    transport?.close();
    s3.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
