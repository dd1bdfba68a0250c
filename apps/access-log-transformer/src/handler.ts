/**
 * Lambda entry point of the AccessLogPipeline: Kinesis batch → parsed access
 * logs (gzip JSON lines) and rejected lines in S3, with partial-batch failure
 * reporting.
 *
 * Failure reporting: Lambda (ReportBatchItemFailures on a Kinesis source)
 * checkpoints just before the lowest reported sequence number and retries
 * from there. Objects are named after the first record that contributed to
 * them (see `transformShardBatch`), and an object of small records can hold
 * records from anywhere in the batch, so the only retry that rewrites every
 * object it repeats is one that starts at the batch's first record. So when
 * any write of a shard's batch fails, that first record is reported; the
 * objects that did succeed are rewritten with identical content by the retry.
 */
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import type { Span } from "@opentelemetry/api";
import { SpanKind } from "@opentelemetry/api";
import pino from "pino";
import { tracingConfigFromEnv } from "../../lib/tracing/config";
import { traceInvocation } from "../../lib/tracing/lambda";
import { traceLogFields } from "../../lib/tracing/log-fields";
import { startTracing } from "../../lib/tracing/start";
import type { Tracing } from "../../lib/tracing/tracing";
import { NOOP_TRACING, markError } from "../../lib/tracing/tracing";
import { DEFAULT_ACCESS_PREFIX, DEFAULT_ERROR_PREFIX, shardIdOf } from "./keys";
import { type BatchFigures, type MetricsSink, powertoolsMetricsSink } from "./metrics";
import { type OutputObject, transformShardBatch } from "./transform";

const gzip = promisify(gzipCallback);

/** The part of an S3 client the handler uses (an `S3Client` fits; tests pass a fake). */
export interface ObjectWriter {
  send(command: PutObjectCommand): Promise<unknown>;
}

/** Structured logger (a pino logger fits). Never given raw log lines. */
export interface Logger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** What {@link createHandler} needs. */
export interface HandlerOptions {
  readonly s3: ObjectWriter;
  /** Archive bucket name. */
  readonly bucket: string;
  /** Prefix of parsed access logs; default `access/`. */
  readonly accessPrefix?: string;
  /** Prefix of rejected lines; default `access-errors/`. */
  readonly errorPrefix?: string;
  /** Ingest token names whose lines are access logs; default: every source (see `OutputPrefixes`). */
  readonly accessLogSources?: readonly string[];
  /** Default: pino to stdout (CloudWatch Logs in Lambda). */
  readonly logger?: Logger;
  /**
   * Receives parsed and rejected line counts per shard batch after each
   * invocation. Default: none (the Lambda entry point passes Powertools EMF
   * metrics; local runs stay quiet).
   */
  readonly metrics?: MetricsSink;
  /**
   * Spans per invocation: "transform batch" → "transform" (per shard) and
   * "S3 PutObject" (per object), flushed before the handler returns; trace
   * ids in the batch's log lines. Default: off.
   */
  readonly tracing?: Tracing;
}

/** `service.name` of the transformer's spans unless `OTEL_SERVICE_NAME` says otherwise. */
export const SERVICE_NAME = "access-log-transformer";

/** A Kinesis-triggered handler. */
export type KinesisHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

/**
 * Objects are stored gzip-compressed under keys ending in `.json.gz` with no
 * `Content-Encoding` header: Athena and Glue pick the codec from the
 * extension, and a `Content-Encoding: gzip` header makes HTTP clients
 * (including the S3 console) hand back decompressed bytes under a `.gz` name.
 */
const CONTENT_TYPE = "application/gzip";

/**
 * Builds a handler around injected clients. Each shard's records (an event
 * normally holds one shard) are transformed and written independently; the
 * response lists, for each shard with a failed write, the first sequence
 * number of its batch. A thrown error or a timeout instead makes Lambda
 * bisect the batch; the keys are chosen so that the halves rewrite what the
 * failed attempt wrote.
 */
export function createHandler(options: HandlerOptions): KinesisHandler {
  const prefixes = {
    accessPrefix: options.accessPrefix ?? DEFAULT_ACCESS_PREFIX,
    errorPrefix: options.errorPrefix ?? DEFAULT_ERROR_PREFIX,
    ...(options.accessLogSources !== undefined
      ? { accessLogSources: new Set(options.accessLogSources) }
      : {}),
  };
  const logger = options.logger ?? pino({ base: undefined });
  const tracing = options.tracing ?? NOOP_TRACING;

  const write = (object: OutputObject, parent: Span): Promise<void> =>
    tracing.withSpan(
      "S3 PutObject",
      {
        parent,
        kind: SpanKind.CLIENT,
        attributes: {
          // What ADOT's X-Ray exporter turns into an AWS "S3" subsegment.
          "rpc.system": "aws-api",
          "rpc.service": "S3",
          "rpc.method": "PutObject",
          "aws.s3.bucket": options.bucket,
          "aws.s3.key": object.key,
          "s3.key_prefix": object.key.startsWith(prefixes.errorPrefix)
            ? prefixes.errorPrefix
            : prefixes.accessPrefix,
          "s3.lines": object.lines,
          "s3.uncompressed_bytes": object.body.length,
        },
      },
      async (span) => {
        const body = await gzip(object.body);
        span.setAttribute("s3.bytes", body.length);
        await options.s3.send(
          new PutObjectCommand({
            Bucket: options.bucket,
            Key: object.key,
            Body: body,
            ContentType: CONTENT_TYPE,
          }),
        );
      },
    );

  const transform = (shardId: string, records: readonly KinesisStreamRecord[], parent: Span) =>
    tracing.withSpan(
      "transform",
      { parent, attributes: { "kinesis.shard_id": shardId, "kinesis.records": records.length } },
      (span) => {
        const output = transformShardBatch(shardId, records, prefixes);
        span.setAttributes({
          "access_log.parsed_lines": output.parsedLines,
          "access_log.rejected_lines": output.rejectedLines,
          "access_log.skipped_lines": output.skippedLines,
          "access_log.objects": output.objects.length,
        });
        return output;
      },
    );

  return (event) =>
    traceInvocation(
      tracing,
      "transform batch",
      { "kinesis.records": event.Records.length },
      async (batchSpan) => {
        const response = await handleBatch(event, batchSpan);
        batchSpan.setAttribute("kinesis.failed_shards", response.batchItemFailures.length);
        if (response.batchItemFailures.length > 0) {
          markError(
            batchSpan,
            `${response.batchItemFailures.length} shard batch(es) not written; reported for retry`,
          );
        }
        return response;
      },
    );

  async function handleBatch(
    event: KinesisStreamEvent,
    batchSpan: Span,
  ): Promise<KinesisStreamBatchResponse> {
    const trace = traceLogFields(batchSpan);
    const batchItemFailures: KinesisStreamBatchResponse["batchItemFailures"] = [];
    const figures: BatchFigures[] = [];
    for (const [shardId, records] of groupByShard(event.Records)) {
      const output = transform(shardId, records, batchSpan);
      // Counted whether or not the writes succeed: a retry counts the same
      // lines again on both sides, which leaves the rejected share as it is.
      figures.push({ parsedLines: output.parsedLines, rejectedLines: output.rejectedLines });
      const results = await Promise.allSettled(output.objects.map((object) => write(object, batchSpan)));
      const failed = output.objects.filter((_, i) => results[i]?.status === "rejected");
      const counts = {
        ...trace,
        shardId,
        firstSequenceNumber: output.firstSequenceNumber,
        records: output.records,
        parsedLines: output.parsedLines,
        rejectedLines: output.rejectedLines,
        skippedLines: output.skippedLines,
        objects: output.objects.length,
        failedObjects: failed.length,
      };
      if (failed.length === 0) {
        logger.info(counts, "batch written");
        continue;
      }
      const errors = results.flatMap((result, i) =>
        result.status === "rejected" ? [{ key: output.objects[i]?.key, error: String(result.reason) }] : [],
      );
      logger.error({ ...counts, errors }, "batch not written; reporting its first record for retry");
      batchItemFailures.push({ itemIdentifier: output.firstSequenceNumber });
    }
    options.metrics?.(figures);
    return { batchItemFailures };
  }
}

/** Records grouped by shard, in order of first appearance. */
function groupByShard(records: readonly KinesisStreamRecord[]): Map<string, KinesisStreamRecord[]> {
  const groups = new Map<string, KinesisStreamRecord[]>();
  for (const record of records) {
    const shardId = shardIdOf(record.eventID);
    const group = groups.get(shardId);
    if (group === undefined) groups.set(shardId, [record]);
    else group.push(record);
  }
  return groups;
}

/** Handler settings read from the Lambda environment. */
export interface EnvironmentSettings {
  readonly bucket: string;
  readonly accessPrefix: string;
  readonly errorPrefix: string;
  readonly accessLogSources?: readonly string[];
  /** The `service` dimension of the metrics. */
  readonly serviceName?: string;
}

/**
 * Reads `ARCHIVE_BUCKET` (required), `ACCESS_PREFIX`, `ERROR_PREFIX`,
 * `ACCESS_LOG_SOURCES` (comma-separated ingest token names whose lines are
 * access logs; unset or empty: every source) and `POWERTOOLS_SERVICE_NAME`
 * (the metrics' `service` dimension).
 *
 * @throws Error naming the missing variable.
 */
export function settingsFromEnvironment(env: NodeJS.ProcessEnv): EnvironmentSettings {
  const bucket = env.ARCHIVE_BUCKET;
  if (bucket === undefined || bucket === "") {
    throw new Error("ARCHIVE_BUCKET is not set: it must name the S3 bucket the transformer writes to");
  }
  const sources = (env.ACCESS_LOG_SOURCES ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  return {
    bucket,
    accessPrefix: env.ACCESS_PREFIX || DEFAULT_ACCESS_PREFIX,
    errorPrefix: env.ERROR_PREFIX || DEFAULT_ERROR_PREFIX,
    ...(sources.length > 0 ? { accessLogSources: sources } : {}),
    ...(env.POWERTOOLS_SERVICE_NAME ? { serviceName: env.POWERTOOLS_SERVICE_NAME } : {}),
  };
}

let environmentHandler: KinesisHandler | undefined;

/**
 * The Lambda handler. Its S3 client and settings are built on the first
 * invocation (not at import), so importing this module has no side effects
 * and a missing variable fails the invocation with a clear message.
 */
export const handler: KinesisHandler = async (event) => {
  if (environmentHandler === undefined) {
    const settings = settingsFromEnvironment(process.env);
    const logger = pino({ base: undefined });
    environmentHandler = createHandler({
      s3: new S3Client({}),
      ...settings,
      logger,
      metrics: powertoolsMetricsSink(settings.serviceName),
      tracing: startTracing(tracingConfigFromEnv(process.env, SERVICE_NAME), {
        onExportError: (error) => logger.error({ error: String(error) }, "spans not exported"),
      }),
    });
  }
  return environmentHandler(event);
};
