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
 * S3 client elsewhere (local stand-ins). The access-log transformer's failure
 * queue is not handled here.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { DEFAULT_FAILED_PREFIX } from "../apps/cloudtrail-indexer/src/archive";
import type { BulkItem, BulkSink } from "../apps/cloudtrail-indexer/src/bulk";
import { DEFAULT_INDEX_PREFIX, isBulkItem, prepareRecord } from "../apps/cloudtrail-indexer/src/bulk";
import type { RetryPolicy } from "../apps/cloudtrail-indexer/src/indexer";
import { DEFAULT_RETRY_POLICY, indexItems } from "../apps/cloudtrail-indexer/src/indexer";
import { unwrapMessage } from "../apps/cloudtrail-indexer/src/notifications";
import { CloudTrailScanner } from "../apps/cloudtrail-indexer/src/split";

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
  for (let i = 0; i < held.length; i += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: from,
        Entries: held
          .slice(i, i + 10)
          .map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: 0 })),
      }),
    );
  }
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
    };

const USAGE = `usage:
  npm run redrive -- dlq --from <DLQ url> --to <queue url> [--via move-task|receive] [--max N] [--dry-run]
  npm run redrive -- failed --bucket <archive bucket> --opensearch <endpoint> [--prefix cloudtrail-failed/]
                             [--index-prefix cloudtrail] [--service es|aoss] [--prune] [--dry-run]
  (both: [--region R] [--endpoint URL of SQS or S3])`;

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
  if (positionals[0] === "dlq") {
    if (values.from === undefined || values.to === undefined) fail("dlq needs --from and --to");
    if (values.via !== "move-task" && values.via !== "receive") fail("--via is move-task or receive");
    const max = values.max === undefined ? undefined : Number(values.max);
    if (max !== undefined && !(Number.isInteger(max) && max > 0)) fail("--max is a positive integer");
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
  return fail(`unknown command ${JSON.stringify(positionals[0] ?? "")}`);
}

async function main(argv: readonly string[]): Promise<void> {
  const command = parseRedriveArgs(argv);
  const region = command.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
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
