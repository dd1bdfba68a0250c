/**
 * The SQS-triggered Lambda: for each message, the CloudTrail log files it
 * announces are streamed from S3, split into events and written as NDJSON
 * gzip to the archive bucket first — the record of truth for Athena, written
 * whatever OpenSearch does — then, when an OpenSearch endpoint is configured,
 * streamed again and indexed with `_bulk` (`_id` = `eventID`, so redelivery
 * never duplicates).
 *
 * A message is reported in `batchItemFailures` only when something about it
 * truly failed (unreadable or corrupt file, OpenSearch unreachable, refusing
 * writes or throttling past the retry budget, S3 write failed); its
 * visibility is then set to an exponential backoff by receive count
 * (`ChangeMessageVisibility`, see `backoff.ts`), so an outage of hours costs a
 * few receives, and only after the queue's maxReceiveCount does it land in the
 * DLQ. Other messages of the batch are unaffected. Records that cannot be
 * indexed as they are (document errors, no `eventID`) are not failures: they
 * are kept in the failed prefix with their reason and counted in a metric.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ChangeMessageVisibilityCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { Readable } from "node:stream";
import type { Span } from "@opentelemetry/api";
import pino from "pino";
import { tracedIndexItems } from "../../lib/opensearch/traced-indexer";
import { tracingConfigFromEnv } from "../../lib/tracing/config";
import { traceInvocation } from "../../lib/tracing/lambda";
import { traceLogFields } from "../../lib/tracing/log-fields";
import { startTracing } from "../../lib/tracing/start";
import type { Tracing } from "../../lib/tracing/tracing";
import { NOOP_TRACING, markError } from "../../lib/tracing/tracing";
import {
  DEFAULT_EVENTS_PREFIX,
  DEFAULT_FAILED_PREFIX,
  eventsKey,
  failedKey,
  failedLine,
  GzipNdjson,
  PartitionedWriter,
} from "./archive";
import type { VisibilityBackoff } from "./backoff";
import { DEFAULT_VISIBILITY_BACKOFF, queueUrlFromArn, visibilityBackoffSeconds } from "./backoff";
import { ensureBootstrap, once } from "./bootstrap";
import type { BulkItem } from "../../lib/opensearch/bulk";
import type { BulkSink } from "./bulk";
import { BulkBatcher, DEFAULT_BULK_MAX_BYTES, DEFAULT_INDEX_PREFIX, isBulkItem, prepareRecord } from "./bulk";
import { parseIndexerEnv } from "./config";
import type { IndexResult, RetryPolicy } from "./indexer";
import { DEFAULT_RETRY_POLICY } from "./indexer";
import type { S3ObjectRef } from "./notifications";
import { unwrapMessage } from "./notifications";
import type { MetricsSink } from "./metrics";
import { powertoolsMetricsSink } from "./metrics";
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

/** The one SQS call of the indexer (an `SQSClient` fits; tests pass wrappers). */
export interface VisibilityClient {
  send(command: ChangeMessageVisibilityCommand): Promise<unknown>;
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
  /** Backs failed messages off (`ChangeMessageVisibility`); absent: they return after the queue's visibility timeout. */
  readonly sqs?: VisibilityClient;
  /** Overrides of {@link DEFAULT_VISIBILITY_BACKOFF}. */
  readonly backoff?: Partial<VisibilityBackoff>;
  /** Queue URL of a record's `eventSourceARN` (default {@link queueUrlFromArn}; local queues have other URLs). */
  readonly queueUrlOf?: (queueArn: string) => string;
  /** Receives each invocation's figures (default: none). */
  readonly metrics?: MetricsSink;
  /**
   * Spans per invocation: "cloudtrail batch" → "object" (per log file) →
   * "split" (pass 1: the S3 copy) and "bulk" (pass 2, per `_bulk` set with its
   * retries), flushed before the handler returns; trace ids in the log lines.
   * Default: off.
   */
  readonly tracing?: Tracing;
}

/** `service.name` of the indexer's spans unless `OTEL_SERVICE_NAME` says otherwise. */
export const SERVICE_NAME = "cloudtrail-indexer";

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
  const backoff: VisibilityBackoff = { ...DEFAULT_VISIBILITY_BACKOFF, ...options.backoff };
  const queueUrlOf = options.queueUrlOf ?? queueUrlFromArn;
  const tracing = options.tracing ?? NOOP_TRACING;

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

  async function open(source: S3ObjectRef): Promise<Readable> {
    const response = await s3.send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key }));
    if (!(response.Body instanceof Readable)) {
      throw new Error(`s3://${source.bucket}/${source.key} has no body stream`);
    }
    return response.Body;
  }

  /** The failed-records object of one source, created on the first record (failures are rare). */
  function failedRecords(source: S3ObjectRef) {
    let out: GzipNdjson | undefined;
    const sourceRef = { bucket: source.bucket, key: source.key };
    return {
      keep: (record: RawCloudTrailRecord, reason: string, extra: { status?: number; index?: string }) =>
        (out ??= new GzipNdjson()).write(
          failedLine({
            reason,
            ...extra,
            ...(record.eventID === undefined ? {} : { eventID: record.eventID }),
            source: sourceRef,
            recordJson: record.json,
          }),
        ),
      discard: () => out?.discard(),
      put: async () => {
        if (out !== undefined) await put(failedKey(failedPrefix, source), await out.finish());
      },
    };
  }

  /**
   * Pass 1: the S3 copy. Every event to its day's NDJSON object, records that
   * cannot be indexed to the failed prefix; nothing is written for a file that
   * turns out corrupt (its retry writes it whole). Keys depend only on the
   * source, so a retry overwrites.
   */
  async function archiveObject(source: S3ObjectRef, counts: Counts): Promise<void> {
    const events = new PartitionedWriter((day) => eventsKey(eventsPrefix, day, source));
    const failed = failedRecords(source);
    try {
      for await (const record of splitCloudTrailStream(await open(source))) {
        counts.records++;
        const prepared = prepareRecord(record, indexPrefix);
        if (!isBulkItem(prepared)) {
          counts.unindexable++;
          await failed.keep(record, prepared.reason, {});
          continue;
        }
        await events.write(prepared.day, record.json);
        counts.archived++;
      }
    } catch (error) {
      events.discard();
      failed.discard();
      throw error;
    }
    for (const part of await events.finish()) await put(part.key, part.body);
    await failed.put();
  }

  /**
   * Pass 2: the file streamed again into `_bulk`, one request in flight while
   * the next batch is split. When OpenSearch rejects documents, the failed
   * object is rewritten with them and the unindexable records of pass 1.
   */
  async function indexObject(
    source: S3ObjectRef,
    bulkSink: BulkSink,
    counts: Counts,
    span: Span,
  ): Promise<void> {
    const failed = failedRecords(source);
    let rejected = 0;
    const batcher = new BulkBatcher(bulkMaxBytes);
    let inflight: Promise<void> = Promise.resolve();
    const send = async (items: readonly BulkItem<RawCloudTrailRecord>[]): Promise<void> => {
      await inflight;
      const request = (async () => {
        const result: IndexResult<RawCloudTrailRecord> = await tracedIndexItems(
          { tracing, parent: span },
          bulkSink,
          items,
          retry,
        );
        counts.indexed += result.indexed;
        counts.duplicates += result.duplicates;
        counts.retries += result.retries;
        counts.splits += result.splits;
        counts.rejected += result.rejected.length;
        rejected += result.rejected.length;
        for (const { item, status, reason } of result.rejected) {
          await failed.keep(item.payload, reason, { status, index: item.index });
        }
      })();
      request.catch(() => undefined); // surfaced by the next `await inflight`
      inflight = request;
    };
    try {
      for await (const record of splitCloudTrailStream(await open(source))) {
        const prepared = prepareRecord(record, indexPrefix);
        if (!isBulkItem(prepared)) {
          await failed.keep(record, prepared.reason, {});
          continue;
        }
        const full = batcher.add(prepared);
        if (full !== undefined) await send(full);
      }
      const rest = batcher.take();
      if (rest.length > 0) await send(rest);
      await inflight;
    } catch (error) {
      await inflight.catch(() => undefined);
      failed.discard();
      throw error;
    }
    if (rejected > 0) await failed.put();
    else failed.discard();
  }

  /** Both passes, or only the S3 copy when OpenSearch is not to be used now (`index` false). */
  async function processObject(source: S3ObjectRef, index: boolean, parent: Span): Promise<Counts> {
    return tracing.withSpan(
      "object",
      {
        parent,
        attributes: {
          "aws.s3.bucket": source.bucket,
          "aws.s3.key": source.key,
          ...(source.size === undefined ? {} : { "cloudtrail.file_bytes": source.size }),
        },
      },
      async (span) => {
        const counts = zeroCounts();
        counts.objects = 1;
        const started = Date.now();
        try {
          await tracing.withSpan("split", { parent: span }, async (splitSpan) => {
            try {
              await archiveObject(source, counts);
            } finally {
              splitSpan.setAttributes({
                "cloudtrail.records": counts.records,
                "cloudtrail.archived": counts.archived,
                "cloudtrail.unindexable": counts.unindexable,
              });
            }
          });
          if (sink !== undefined && index) await indexObject(source, sink, counts, span);
        } finally {
          span.setAttributes(
            Object.fromEntries(Object.entries(counts).map(([k, v]) => [`cloudtrail.${k}`, v])),
          );
        }
        logger.info(
          {
            ...traceLogFields(parent),
            bucket: source.bucket,
            key: source.key,
            size: source.size,
            ms: Date.now() - started,
            ...counts,
          },
          "object done",
        );
        return counts;
      },
    );
  }

  async function processMessage(message: SQSRecord, index: boolean, parent: Span): Promise<Counts> {
    const counts = zeroCounts();
    const { objects, skipped } = unwrapMessage(message.body);
    if (skipped.length > 0) {
      logger.info({ ...traceLogFields(parent), messageId: message.messageId, skipped }, "skipped");
    }
    for (const object of objects) addCounts(counts, await processObject(object, index, parent));
    return counts;
  }

  /** Hides a failed message for its backoff; a failure here only logs (the queue's own timeout applies). */
  async function backOff(message: SQSRecord): Promise<void> {
    if (options.sqs === undefined) return;
    const receiveCount = Number(message.attributes?.ApproximateReceiveCount ?? "1");
    const seconds = visibilityBackoffSeconds(receiveCount, backoff);
    try {
      await options.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrlOf(message.eventSourceARN),
          ReceiptHandle: message.receiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
      logger.info(
        { messageId: message.messageId, receiveCount, backoffSeconds: seconds },
        "message backed off",
      );
    } catch (error) {
      logger.warn({ messageId: message.messageId, error: errorText(error) }, "backoff failed");
    }
  }

  return (event: SQSEvent): Promise<SQSBatchResponse> =>
    traceInvocation(
      tracing,
      "cloudtrail batch",
      { "messaging.batch.message_count": event.Records.length },
      (span) => handleBatch(event, span),
    );

  async function handleBatch(event: SQSEvent, span: Span): Promise<SQSBatchResponse> {
    const trace = traceLogFields(span);
    const messages = event.Records;
    let index = true;
    if (bootstrap !== undefined) {
      try {
        await bootstrap();
      } catch (error) {
        // Indexing without the template would create indices with exploded dynamic mappings:
        // the S3 copy is still written, and every message announcing a file fails for a retry.
        logger.error({ ...trace, error: errorText(error), messages: messages.length }, "bootstrap failed");
        index = false;
      }
    }
    const total = zeroCounts();
    const failures: SQSRecord[] = [];
    await forEachLimit(messages, concurrency, async (message) => {
      try {
        const counts = await processMessage(message, index, span);
        addCounts(total, counts);
        if (!index && counts.objects > 0) failures.push(message);
      } catch (error) {
        failures.push(message);
        logger.warn(
          {
            ...trace,
            messageId: message.messageId,
            receiveCount: message.attributes?.ApproximateReceiveCount,
            error: errorText(error),
          },
          "message failed",
        );
      }
    });
    await forEachLimit(failures, concurrency, backOff);
    logger.info({ ...trace, messages: messages.length, failed: failures.length, ...total }, "batch done");
    span.setAttribute("cloudtrail.failed_messages", failures.length);
    if (failures.length > 0) markError(span, `${failures.length} of ${messages.length} message(s) failed`);
    options.metrics?.({
      messages: messages.length,
      failedMessages: failures.length,
      indexed: total.indexed,
      rejected: total.rejected + total.unindexable,
    });
    return { batchItemFailures: failures.map((m) => ({ itemIdentifier: m.messageId })) };
  }
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
  const sqs = new SQSClient({ region: config.region });
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
    sqs,
    backoff: { baseSeconds: config.retryBaseSeconds },
    metrics: powertoolsMetricsSink(config.serviceName),
    tracing: startTracing(tracingConfigFromEnv(env, SERVICE_NAME), {
      onExportError: (error) => logger.warn({ error: errorText(error) }, "spans not exported"),
    }),
  });
}

let fromEnv: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;

/** The Lambda entry point; reads the environment on first invocation (so importing this module has no side effects). */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  fromEnv ??= handlerFromEnv(process.env);
  return await fromEnv(event);
};
