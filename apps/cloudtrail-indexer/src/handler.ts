/**
 * The SQS-triggered Lambda: for each message, the CloudTrail log files it
 * announces are streamed from S3, split into events, written as NDJSON gzip to
 * the archive bucket and, when an OpenSearch endpoint is configured, indexed
 * with `_bulk` (`_id` = `eventID`, so redelivery never duplicates).
 *
 * A message is reported in `batchItemFailures` only when something about it
 * truly failed (unreadable or corrupt file, OpenSearch unreachable or
 * throttling past the retry budget, S3 write failed); SQS then redelivers it,
 * and after the queue's maxReceiveCount it lands in the DLQ. Other messages of
 * the batch are unaffected. Records that cannot be indexed (mapping errors,
 * no `eventID`) are not failures: they are kept in the failed prefix with
 * their reason.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { Readable } from "node:stream";
import pino from "pino";
import {
  DEFAULT_EVENTS_PREFIX,
  DEFAULT_FAILED_PREFIX,
  eventsKey,
  failedKey,
  failedLine,
  GzipNdjson,
  PartitionedWriter,
} from "./archive";
import { ensureBootstrap, once } from "./bootstrap";
import type { BulkItem, BulkSink } from "./bulk";
import { BulkBatcher, DEFAULT_BULK_MAX_BYTES, DEFAULT_INDEX_PREFIX, isBulkItem, prepareRecord } from "./bulk";
import { parseIndexerEnv } from "./config";
import type { IndexResult, RetryPolicy } from "./indexer";
import { DEFAULT_RETRY_POLICY, indexItems } from "./indexer";
import type { S3ObjectRef } from "./notifications";
import { unwrapMessage } from "./notifications";
import { createOpenSearchTransport, openSearchBulkSink } from "./opensearch";
import type { RawCloudTrailRecord } from "./split";
import { splitCloudTrailStream } from "./split";

/** The subset of a pino logger the indexer uses. */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** Dependencies and settings of {@link createHandler}. */
export interface HandlerOptions {
  /** Reads the trail bucket and writes the archive bucket. */
  readonly s3: S3Client;
  /** OpenSearch `_bulk`; absent: events go to the S3 sink only. */
  readonly sink?: BulkSink;
  /** Installs the index template and ISM policy; called before every batch, so it should be cached ({@link once}). */
  readonly bootstrap?: () => Promise<unknown>;
  /** Bucket of split events and failed records. */
  readonly archiveBucket: string;
  /** Default `cloudtrail-events/`. */
  readonly eventsPrefix?: string;
  /** Default `cloudtrail-failed/`. */
  readonly failedPrefix?: string;
  /** Default `cloudtrail`. */
  readonly indexPrefix?: string;
  /** Default 5 MiB. */
  readonly bulkMaxBytes?: number;
  /** Messages processed at once (default 2). */
  readonly messageConcurrency?: number;
  /** Overrides of {@link DEFAULT_RETRY_POLICY}. */
  readonly retry?: Partial<RetryPolicy>;
  /** Default: discards everything. */
  readonly logger?: Logger;
}

/** Counts of one object or message, as logged. */
export interface Counts {
  objects: number;
  records: number;
  indexed: number;
  duplicates: number;
  rejected: number;
  unindexable: number;
  retries: number;
  splits: number;
  archived: number;
}

function zeroCounts(): Counts {
  return {
    objects: 0,
    records: 0,
    indexed: 0,
    duplicates: 0,
    rejected: 0,
    unindexable: 0,
    retries: 0,
    splits: 0,
    archived: 0,
  };
}

function addCounts(into: Counts, from: Counts): void {
  for (const key of Object.keys(into) as (keyof Counts)[]) into[key] += from[key];
}

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Runs `work` over `items` with at most `limit` at a time. */
async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Builds the Lambda handler over injected clients.
 *
 * @returns `(SQSEvent) → { batchItemFailures }`; it never throws for a bad message.
 */
export function createHandler(options: HandlerOptions): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const { s3, sink, bootstrap, archiveBucket } = options;
  const eventsPrefix = options.eventsPrefix ?? DEFAULT_EVENTS_PREFIX;
  const failedPrefix = options.failedPrefix ?? DEFAULT_FAILED_PREFIX;
  const indexPrefix = options.indexPrefix ?? DEFAULT_INDEX_PREFIX;
  const bulkMaxBytes = options.bulkMaxBytes ?? DEFAULT_BULK_MAX_BYTES;
  const concurrency = options.messageConcurrency ?? 2;
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const logger = options.logger ?? SILENT;

  async function put(key: string, body: Buffer): Promise<void> {
    await s3.send(
      new PutObjectCommand({
        Bucket: archiveBucket,
        Key: key,
        Body: body,
        ContentType: "application/x-ndjson",
      }),
    );
  }

  async function processObject(source: S3ObjectRef): Promise<Counts> {
    const counts = zeroCounts();
    counts.objects = 1;
    const started = Date.now();
    const response = await s3.send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key }));
    if (!(response.Body instanceof Readable)) {
      throw new Error(`s3://${source.bucket}/${source.key} has no body stream`);
    }
    const events = new PartitionedWriter((day) => eventsKey(eventsPrefix, day, source));
    let failed: GzipNdjson | undefined; // rare: created on the first failed record
    const sourceRef = { bucket: source.bucket, key: source.key };
    const keepFailed = (
      record: RawCloudTrailRecord,
      reason: string,
      extra: { status?: number; index?: string },
    ) =>
      (failed ??= new GzipNdjson()).write(
        failedLine({
          reason,
          ...extra,
          ...(record.eventID === undefined ? {} : { eventID: record.eventID }),
          source: sourceRef,
          recordJson: record.json,
        }),
      );

    const batcher = new BulkBatcher(bulkMaxBytes);
    // One bulk request in flight while the next batch is being split.
    let inflight: Promise<void> = Promise.resolve();
    const send = async (bulkSink: BulkSink, items: BulkItem[]): Promise<void> => {
      await inflight;
      const request = (async () => {
        const result: IndexResult = await indexItems(bulkSink, items, retry);
        counts.indexed += result.indexed;
        counts.duplicates += result.duplicates;
        counts.retries += result.retries;
        counts.splits += result.splits;
        counts.rejected += result.rejected.length;
        for (const { item, status, reason } of result.rejected) {
          await keepFailed(item.record, reason, { status, index: item.index });
        }
      })();
      request.catch(() => undefined); // surfaced by the next `await inflight`
      inflight = request;
    };

    try {
      for await (const record of splitCloudTrailStream(response.Body)) {
        counts.records++;
        const prepared = prepareRecord(record, indexPrefix);
        if (!isBulkItem(prepared)) {
          counts.unindexable++;
          await keepFailed(record, prepared.reason, {});
          continue;
        }
        await events.write(prepared.day, record.json);
        counts.archived++;
        if (sink !== undefined) {
          const full = batcher.add(prepared);
          if (full !== undefined) await send(sink, full);
        }
      }
      const rest = batcher.take();
      if (sink !== undefined && rest.length > 0) await send(sink, rest);
      await inflight;
    } catch (error) {
      await inflight.catch(() => undefined);
      events.discard();
      failed?.discard();
      throw error;
    }
    for (const part of await events.finish()) await put(part.key, part.body);
    if (failed !== undefined) await put(failedKey(failedPrefix, source), await failed.finish());
    logger.info(
      { bucket: source.bucket, key: source.key, size: source.size, ms: Date.now() - started, ...counts },
      "object done",
    );
    return counts;
  }

  async function processMessage(message: SQSRecord): Promise<Counts> {
    const counts = zeroCounts();
    const { objects, skipped } = unwrapMessage(message.body);
    if (skipped.length > 0) logger.info({ messageId: message.messageId, skipped }, "skipped");
    for (const object of objects) addCounts(counts, await processObject(object));
    return counts;
  }

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const messages = event.Records;
    if (bootstrap !== undefined) {
      try {
        await bootstrap();
      } catch (error) {
        // Indexing without the template would create indices with exploded dynamic mappings.
        logger.error({ error: errorText(error), messages: messages.length }, "bootstrap failed");
        return { batchItemFailures: messages.map((m) => ({ itemIdentifier: m.messageId })) };
      }
    }
    const total = zeroCounts();
    const failures: string[] = [];
    await forEachLimit(messages, concurrency, async (message) => {
      try {
        addCounts(total, await processMessage(message));
      } catch (error) {
        failures.push(message.messageId);
        logger.warn(
          {
            messageId: message.messageId,
            receiveCount: message.attributes?.ApproximateReceiveCount,
            error: errorText(error),
          },
          "message failed",
        );
      }
    });
    logger.info({ messages: messages.length, failed: failures.length, ...total }, "batch done");
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}

/**
 * Builds the handler from the Lambda environment (see README): S3 client with
 * the default credential chain, and, when `OPENSEARCH_ENDPOINT` is set, a
 * SigV4 OpenSearch sink signed with the same credentials plus a once-per-container bootstrap.
 *
 * @throws Error listing every missing or invalid variable.
 */
export function handlerFromEnv(env: NodeJS.ProcessEnv): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const config = parseIndexerEnv(env);
  const logger = pino({ level: config.logLevel, base: { app: "cloudtrail-indexer" } });
  const s3 = new S3Client({ region: config.region });
  let sink: BulkSink | undefined;
  let bootstrap: (() => Promise<unknown>) | undefined;
  if (config.openSearch !== undefined) {
    const transport = createOpenSearchTransport({
      endpoint: config.openSearch.endpoint,
      service: config.openSearch.service,
      region: config.region,
      credentials: s3.config.credentials,
    });
    sink = openSearchBulkSink(transport);
    bootstrap = once(async () => {
      const report = await ensureBootstrap(
        transport,
        config.indexPrefix,
        config.retentionDays,
        config.indexReplicas,
      );
      logger.info(
        { ...report, indexPrefix: config.indexPrefix, indexReplicas: config.indexReplicas },
        "bootstrap done",
      );
    });
  }
  return createHandler({
    s3,
    ...(sink === undefined ? {} : { sink }),
    ...(bootstrap === undefined ? {} : { bootstrap }),
    archiveBucket: config.archiveBucket,
    eventsPrefix: config.eventsPrefix,
    failedPrefix: config.failedPrefix,
    indexPrefix: config.indexPrefix,
    bulkMaxBytes: config.bulkMaxBytes,
    messageConcurrency: config.messageConcurrency,
    retry: { maxAttempts: config.maxAttempts },
    logger,
  });
}

let fromEnv: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;

/** The Lambda entry point; reads the environment on first invocation (so importing this module has no side effects). */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  fromEnv ??= handlerFromEnv(process.env);
  return await fromEnv(event);
};
