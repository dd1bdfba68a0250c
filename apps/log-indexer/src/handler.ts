/**
 * The log indexer's Kinesis entry point: every line the receiver (or fluentd,
 * or any other producer) put on the ingest stream, indexed into
 * `logs-<source>-YYYY.MM.DD` (and, for access-log sources, parsed into
 * `access-YYYY.MM.DD`) with the line's stable id as `_id` and the `create`
 * action.
 *
 * Per shard of the event (Lambda's Kinesis source sends one shard per
 * invocation; the handler does not rely on it), records are mapped in order
 * (`recordItems`, pure) and sent in chunks of whole records, each chunk at
 * most `BULK_MAX_BYTES` of `_bulk` body (`indexBatch`: 409 done, 429/5xx
 * retried, a 413 halved):
 *
 * - a document OpenSearch rejects (mapping/parsing errors) and a line that
 *   cannot be mapped at all are not failures of the batch: they go to
 *   `FAILED_PREFIX` in the archive bucket with the line and the reason, in one
 *   gzip NDJSON object per shard batch whose key is built from the shard and
 *   the batch's first sequence number, so a retry of the same batch
 *   overwrites it instead of adding a copy;
 * - a refusal (401/403/404, write blocks) or retries exhausted (throttling or
 *   5xx that outlast the retry budget) stop the shard at the chunk that
 *   failed, and the FIRST record of that chunk is reported in
 *   `batchItemFailures`. See {@link createHandler} for why that is safe;
 * - anything else thrown (a bug, a body that is not JSON) is thrown on, so
 *   Lambda bisects the batch (BisectBatchOnFunctionError), as it does on a
 *   timeout.
 */
import { S3Client } from "@aws-sdk/client-s3";
import type { Span } from "@opentelemetry/api";
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import type { MetricsSink } from "../../lib/metrics";
import type { BulkItem, BulkSink } from "../../lib/opensearch/bulk";
import type { Rejection, RetryPolicy } from "../../lib/opensearch/indexer";
import { IndexingRefusedError, RetriesExhaustedError } from "../../lib/opensearch/indexer";
import { tracingConfigFromEnv } from "../../lib/tracing/config";
import { traceInvocation } from "../../lib/tracing/lambda";
import { traceLogFields } from "../../lib/tracing/log-fields";
import { startTracing } from "../../lib/tracing/start";
import type { Tracing } from "../../lib/tracing/tracing";
import { NOOP_TRACING, markError } from "../../lib/tracing/tracing";
import type { CommonConfig, FailedEntry, Logger, ObjectWriter, SearchFigures } from "./common";
import {
  createLogger,
  EnvReader,
  errorText,
  FailedObject,
  failedObjectKey,
  indexBatch,
  readCommonConfig,
  readRetentionDays,
  retryPolicy,
  searchMetricsSink,
  searchOutput,
  SILENT,
} from "./common";
import { accessFamily, logsFamily } from "./logs/family";
import type { LineOptions, LinePayload } from "./logs/items";
import {
  accessLogSourcesOption,
  DEFAULT_MAX_FIELDS,
  DEFAULT_MAX_MESSAGE_BYTES,
  recordItems,
} from "./logs/items";

/** Default prefix of lines that could not be indexed. */
export const DEFAULT_LOGS_FAILED_PREFIX = "logs-failed/";
/** Default days of `logs-*` and `access-*` indices. */
export const DEFAULT_LOGS_RETENTION_DAYS = 14;

/** A Kinesis-triggered handler with partial batch responses. */
export type KinesisHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

/** Dependencies and settings of {@link createHandler}. */
export interface LogHandlerOptions {
  /** OpenSearch `_bulk` (or the preview sink). */
  readonly sink: BulkSink;
  /** Installs the index families; called before every batch, so it must be cached (`once`). */
  readonly bootstrap?: () => Promise<unknown>;
  /** Writes failed-records objects to the archive bucket. */
  readonly s3: ObjectWriter;
  readonly archiveBucket: string;
  /** Default {@link DEFAULT_LOGS_FAILED_PREFIX}. */
  readonly failedPrefix?: string;
  /** How lines are mapped (defaults: every source is an access-log source, 200 fields, 32 KiB messages). */
  readonly lines?: Partial<LineOptions>;
  /** Bound of one `_bulk` body (default 5 MiB). */
  readonly bulkMaxBytes?: number;
  /** Overrides of the shared retry policy (tests: no sleeping). */
  readonly retry?: Partial<RetryPolicy>;
  /** Default: silent. Never given log lines. */
  readonly logger?: Logger;
  /** Receives each invocation's figures (default: none). */
  readonly metrics?: MetricsSink<SearchFigures>;
  /**
   * Spans per invocation: "index batch" → "bulk" (per `_bulk` body, with its
   * retries), flushed before the handler returns; trace ids in the log lines.
   * Default: off.
   */
  readonly tracing?: Tracing;
}

/** `service.name` of the log indexer's spans unless `OTEL_SERVICE_NAME` says otherwise. */
export const SERVICE_NAME = "log-indexer-logs";

/** What happened to one shard's records in one invocation. */
interface ShardOutcome {
  readonly records: number;
  readonly items: number;
  readonly indexed: number;
  readonly duplicates: number;
  readonly retries: number;
  readonly failedRecords: number;
  /** Index of the first record to retry, when the shard stopped early. */
  readonly failedAt?: number;
  readonly failedObject?: string;
}

/** A line kept for the failed prefix, with the record it came from (to drop it when that record is retried). */
interface KeptLine {
  readonly recordIndex: number;
  readonly entry: FailedEntry;
}

/** One record of a chunk. */
interface ChunkPart {
  /** Position of the record in its shard's batch. */
  readonly index: number;
  readonly record: KinesisStreamRecord;
  readonly items: readonly BulkItem<LinePayload>[];
}

/** The items of a chunk's records, in order. */
function* chunkItems(parts: readonly ChunkPart[]): Generator<BulkItem<LinePayload>> {
  for (const part of parts) yield* part.items;
}

/** The shard id of a Kinesis record's `eventID` (`shardId-000000000000:<sequenceNumber>`). */
function shardIdOf(record: KinesisStreamRecord): string {
  const colon = record.eventID.indexOf(":");
  if (colon <= 0) throw new Error(`Kinesis eventID without a shard id: ${JSON.stringify(record.eventID)}`);
  return record.eventID.slice(0, colon);
}

/** Records grouped by shard, in order of first appearance, each group in stream order. */
function groupByShard(records: readonly KinesisStreamRecord[]): Map<string, KinesisStreamRecord[]> {
  const groups = new Map<string, KinesisStreamRecord[]>();
  for (const record of records) {
    const shardId = shardIdOf(record);
    const group = groups.get(shardId);
    if (group === undefined) groups.set(shardId, [record]);
    else group.push(record);
  }
  return groups;
}

/** The failed-records entry of a line (the payload's `line` may be a lazy getter: read, never spread). */
function failedEntry(
  payload: LinePayload,
  reason: string,
  record: KinesisStreamRecord,
  shardId: string,
  extra: { status?: number; index?: string } = {},
): FailedEntry {
  const encoding = (payload as { readonly encoding?: string }).encoding;
  return {
    reason,
    ...extra,
    id: payload.id,
    source: {
      shardId,
      sequenceNumber: record.kinesis.sequenceNumber,
      lineIndex: payload.lineIndex,
      source: payload.source,
    },
    line: payload.line,
    ...(encoding === "base64" ? { encoding } : {}),
  };
}

/**
 * Builds the handler over injected clients.
 *
 * Why reporting the first record of the failed chunk is right, and safe:
 * Lambda checkpoints the shard just before the lowest sequence number in
 * `batchItemFailures` and delivers everything from there again, in order
 * (Kinesis is ordered per shard; later records cannot be checkpointed while
 * an earlier one is pending). Chunks before the failed one are completely
 * done (indexed, already there, or filed as failed), so they are not
 * reported. The failed chunk may be partly indexed, and the records after it
 * were not attempted; all of them come again. They are sent again with the
 * same `_id`s and the `create` action, so whatever the failed attempt did
 * index answers 409 (counted as done) instead of being stored twice: each
 * line is in the index exactly once. The same holds for a thrown error or a
 * timeout, after which Lambda bisects the batch: each half is mapped to the
 * same ids and the failed-records object of a half that starts where the
 * batch started is rewritten under the same key.
 */
export function createHandler(options: LogHandlerOptions): KinesisHandler {
  const { sink, bootstrap, s3, archiveBucket } = options;
  const failedPrefix = options.failedPrefix ?? DEFAULT_LOGS_FAILED_PREFIX;
  const lineOptions: LineOptions = {
    accessLogSources: options.lines?.accessLogSources ?? "all",
    maxFields: options.lines?.maxFields ?? DEFAULT_MAX_FIELDS,
    maxMessageBytes: options.lines?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  };
  const batchOptions = {
    maxBytes: options.bulkMaxBytes ?? 5 * 1024 * 1024,
    retry: retryPolicy(options.retry),
  };
  const logger = options.logger ?? SILENT;
  const tracing = options.tracing ?? NOOP_TRACING;

  async function processShard(
    shardId: string,
    records: readonly KinesisStreamRecord[],
    span: Span,
  ): Promise<ShardOutcome> {
    const shardOptions = tracing.enabled
      ? { ...batchOptions, trace: { tracing, parent: span } }
      : batchOptions;
    const first = records[0] as KinesisStreamRecord;
    const kept: KeptLine[] = [];
    /** The chunk: whole records and their items, at most `maxBytes` of body unless one record alone is more. */
    let chunk: ChunkPart[] = [];
    let chunkBytes = 0;
    let items = 0;
    let indexed = 0;
    let duplicates = 0;
    let retries = 0;
    let failedAt: number | undefined;

    /** Sends the chunk; on a refusal or exhausted retries, marks its first record as the one to retry from. */
    const flush = async (): Promise<void> => {
      const parts = chunk;
      if (parts.length === 0) return;
      chunk = [];
      chunkBytes = 0;
      const onRejected = ({ item, status, reason }: Rejection<LinePayload>): Promise<void> => {
        // Rejections are rare: finding the item's record by search keeps the hot path free of bookkeeping.
        const part = parts.find((candidate) => candidate.items.includes(item)) ?? parts[0]!;
        kept.push({
          recordIndex: part.index,
          entry: failedEntry(item.payload, reason, part.record, shardId, { status, index: item.index }),
        });
        return Promise.resolve();
      };
      try {
        const result = await indexBatch(sink, chunkItems(parts), shardOptions, onRejected);
        indexed += result.indexed;
        duplicates += result.duplicates;
        retries += result.retries;
      } catch (error) {
        if (!(error instanceof IndexingRefusedError || error instanceof RetriesExhaustedError)) throw error;
        failedAt = (parts[0] as ChunkPart).index;
        logger.warn(
          {
            ...traceLogFields(span),
            shardId,
            sequenceNumber: (parts[0] as ChunkPart).record.kinesis.sequenceNumber,
            retriedRecords: records.length - failedAt,
            error: errorText(error),
          },
          "indexing failed; reporting the chunk's first record for retry",
        );
      }
    };

    for (let i = 0; i < records.length && failedAt === undefined; i++) {
      const record = records[i] as KinesisStreamRecord;
      const data = Buffer.from(record.kinesis.data, "base64");
      const mapped = recordItems(
        data,
        record.kinesis.sequenceNumber,
        record.kinesis.approximateArrivalTimestamp,
        lineOptions,
      );
      for (const { payload, reason } of mapped.unindexable) {
        kept.push({ recordIndex: i, entry: failedEntry(payload, reason, record, shardId) });
      }
      let bytes = 0;
      for (const item of mapped.items) bytes += item.bytes;
      // Whole records per chunk, so a failed chunk names the first record that may not be indexed.
      if (chunk.length > 0 && chunkBytes + bytes > batchOptions.maxBytes) await flush();
      if (failedAt !== undefined) break;
      chunk.push({ index: i, record, items: mapped.items });
      chunkBytes += bytes;
      items += mapped.items.length;
    }
    if (failedAt === undefined) await flush();

    // Lines of records that will be retried are left to the retry (which files them under its own key).
    const entries = kept.filter((line) => failedAt === undefined || line.recordIndex < failedAt);
    let failedObject: string | undefined;
    if (entries.length > 0) {
      const arrived = new Date(first.kinesis.approximateArrivalTimestamp * 1000);
      const key = failedObjectKey(failedPrefix, arrived, `${shardId}-${first.kinesis.sequenceNumber}`);
      const failed = new FailedObject(s3, archiveBucket, key);
      for (const { entry } of entries) await failed.keep(entry);
      try {
        failedObject = await failed.put();
      } catch (error) {
        // The lines must not be lost: retry the whole batch (the key is the same, the index answers 409).
        logger.error(
          { shardId, key, lines: entries.length, error: errorText(error) },
          "failed lines not written",
        );
        failedAt = 0;
      }
    }
    return {
      records: records.length,
      items,
      indexed,
      duplicates,
      retries,
      failedRecords: failedAt === 0 ? 0 : entries.length,
      ...(failedAt === undefined ? {} : { failedAt }),
      ...(failedObject === undefined ? {} : { failedObject }),
    };
  }

  return (event) =>
    traceInvocation(tracing, "index batch", { "kinesis.records": event.Records.length }, async (span) => {
      const response = await handleBatch(event, span);
      span.setAttribute("kinesis.failed_shards", response.batchItemFailures.length);
      if (response.batchItemFailures.length > 0) {
        markError(span, `${response.batchItemFailures.length} shard batch(es) reported for retry`);
      }
      return response;
    });

  async function handleBatch(event: KinesisStreamEvent, span: Span): Promise<KinesisStreamBatchResponse> {
    const trace = traceLogFields(span);
    const batchItemFailures: KinesisStreamBatchResponse["batchItemFailures"] = [];
    const shards = groupByShard(event.Records);
    let figures = { indexed: 0, failedRecords: 0, retriedItems: 0 };
    let ready = true;
    if (bootstrap !== undefined) {
      try {
        await bootstrap();
      } catch (error) {
        // Without the templates, new indices would get dynamic mappings that reject lines later:
        // nothing is indexed, and every shard's batch comes again (counting toward its retries).
        logger.error(
          { ...trace, error: errorText(error), records: event.Records.length },
          "bootstrap failed",
        );
        ready = false;
      }
    }
    for (const [shardId, records] of shards) {
      if (!ready) {
        batchItemFailures.push({
          itemIdentifier: (records[0] as KinesisStreamRecord).kinesis.sequenceNumber,
        });
        figures.retriedItems += records.length;
        continue;
      }
      const outcome = await processShard(shardId, records, span);
      const failed = outcome.failedAt === undefined ? undefined : records[outcome.failedAt];
      if (failed !== undefined) batchItemFailures.push({ itemIdentifier: failed.kinesis.sequenceNumber });
      figures = {
        indexed: figures.indexed + outcome.indexed + outcome.duplicates,
        failedRecords: figures.failedRecords + outcome.failedRecords,
        retriedItems:
          figures.retriedItems + (outcome.failedAt === undefined ? 0 : records.length - outcome.failedAt),
      };
      logger.info(
        {
          ...trace,
          shardId,
          firstSequenceNumber: records[0]?.kinesis.sequenceNumber,
          ...outcome,
        },
        failed === undefined ? "batch indexed" : "batch partly indexed",
      );
    }
    options.metrics?.(figures);
    span.setAttributes({
      "log_indexer.indexed": figures.indexed,
      "log_indexer.failed_records": figures.failedRecords,
      "log_indexer.retried_items": figures.retriedItems,
    });
    return { batchItemFailures };
  }
}

/** The Kinesis handler's settings: the shared ones plus its own (see the README's "Search every log"). */
export interface LogIndexerConfig extends CommonConfig {
  /** `LOGS_RETENTION_DAYS` (default 14). */
  readonly logsRetentionDays: number;
  /** `ACCESS_RETENTION_DAYS` (default 14). */
  readonly accessRetentionDays: number;
  /** `ACCESS_LOG_SOURCES` (comma list of ingest token names; empty: every source), `MAX_FIELDS`, `MAX_MESSAGE_BYTES`. */
  readonly lines: LineOptions;
}

/**
 * Reads the environment of the Kinesis handler.
 *
 * @throws Error listing every missing or invalid variable.
 */
export function logIndexerConfig(env: NodeJS.ProcessEnv): LogIndexerConfig {
  const read = new EnvReader(env, "log-indexer");
  const common = readCommonConfig(read, {
    failedPrefix: DEFAULT_LOGS_FAILED_PREFIX,
    serviceName: "log-indexer",
  });
  const logsRetentionDays = readRetentionDays(read, "LOGS_RETENTION_DAYS", DEFAULT_LOGS_RETENTION_DAYS);
  const accessRetentionDays = readRetentionDays(read, "ACCESS_RETENTION_DAYS", DEFAULT_LOGS_RETENTION_DAYS);
  const lines: LineOptions = {
    accessLogSources: accessLogSourcesOption(read.optional("ACCESS_LOG_SOURCES")),
    maxFields: read.integer("MAX_FIELDS", DEFAULT_MAX_FIELDS, 1, 10_000),
    maxMessageBytes: read.integer("MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES, 256, 1024 * 1024),
  };
  return read.finish({ ...common, logsRetentionDays, accessRetentionDays, lines });
}

/**
 * Builds the handler from the Lambda environment: the default credential
 * chain for S3 and (SigV4) OpenSearch, the `logs` and `access` families
 * installed once per container; without `OPENSEARCH_ENDPOINT` the documents
 * go to the preview prefix of the archive bucket.
 */
export function logHandlerFromEnv(env: NodeJS.ProcessEnv): KinesisHandler {
  const config = logIndexerConfig(env);
  const logger = createLogger(config.logLevel, "log-indexer");
  const s3 = new S3Client({ region: config.region });
  const families = [logsFamily(config.logsRetentionDays), accessFamily(config.accessRetentionDays)];
  const output = searchOutput(config, families, s3, logger);
  logger.info({ preview: output.preview, families: families.map((f) => f.prefix) }, "log indexer ready");
  return createHandler({
    sink: output.sink,
    ...(output.bootstrap === undefined ? {} : { bootstrap: output.bootstrap }),
    s3,
    archiveBucket: config.archiveBucket,
    failedPrefix: config.failedPrefix,
    lines: config.lines,
    bulkMaxBytes: config.bulkMaxBytes,
    retry: { maxAttempts: config.maxAttempts },
    logger,
    metrics: searchMetricsSink(config.serviceName),
    tracing: startTracing(tracingConfigFromEnv(env, SERVICE_NAME), {
      onExportError: (error) => logger.warn({ error: errorText(error) }, "spans not exported"),
    }),
  });
}

let fromEnv: KinesisHandler | undefined;

/** The Lambda entry point; reads the environment on first invocation (importing this module has no side effects). */
export const handler = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
  fromEnv ??= logHandlerFromEnv(process.env);
  return await fromEnv(event);
};
