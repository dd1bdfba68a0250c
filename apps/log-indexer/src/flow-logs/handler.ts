/**
 * The flow-logs entry point of the log indexer: a Lambda that the VPC
 * flow-log group's subscription filter invokes (asynchronously) with batches
 * of flow log records, indexed into `vpcflow-YYYY.MM.DD` with `_id` = the log
 * event id, so a redelivered batch meets 409 instead of duplicating.
 *
 * Nothing is dropped: record lines that do not parse, documents OpenSearch
 * rejects and payloads that cannot be decoded go to `FAILED_PREFIX`
 * (default `vpcflow-failed/`) with their reason. Anything a retry can fix
 * (OpenSearch unreachable, refusing writes, throttling past the retry budget,
 * bootstrap or S3 failures) throws, so Lambda's asynchronous retries and the
 * function's on-failure destination take over.
 */
import type { Span } from "@opentelemetry/api";
import { tracingConfigFromEnv } from "../../../lib/tracing/config";
import { traceInvocation } from "../../../lib/tracing/lambda";
import { traceLogFields } from "../../../lib/tracing/log-fields";
import { startTracing } from "../../../lib/tracing/start";
import type { Tracing } from "../../../lib/tracing/tracing";
import { NOOP_TRACING } from "../../../lib/tracing/tracing";
import { createHash } from "node:crypto";
import { S3Client } from "@aws-sdk/client-s3";
import type { CloudWatchLogsEvent } from "aws-lambda";
import type { BulkSink } from "../../../lib/opensearch/bulk";
import type { IndexResult, Rejection, RetryPolicy } from "../../../lib/opensearch/indexer";
import type { MetricsSink } from "../../../lib/metrics";
import type { CommonConfig, Logger, ObjectWriter, SearchFigures } from "../common";
import {
  EnvReader,
  FailedObject,
  SILENT,
  createLogger,
  errorText,
  failedObjectKey,
  indexBatch,
  readCommonConfig,
  readRetentionDays,
  retryPolicy,
  searchMetricsSink,
  searchOutput,
} from "../common";
import type { FlowLinePayload, SubscriptionPayload } from "./decode";
import { SubscriptionDecodeError, decodeSubscriptionData, flowLogItems } from "./decode";
import { vpcflowFamily } from "./family";
import type { FlowLogFormat } from "./format";
import { DEFAULT_FLOW_LOG_FORMAT, FlowLogFormatError, parseLogFormat } from "./format";

/** Default of `FAILED_PREFIX` for this handler. */
export const DEFAULT_VPCFLOW_FAILED_PREFIX = "vpcflow-failed/";
/** Default of `RETENTION_DAYS`. */
export const DEFAULT_VPCFLOW_RETENTION_DAYS = 14;
/** `service.name` of the spans unless `OTEL_SERVICE_NAME` says otherwise (also the metrics' default). */
export const SERVICE_NAME = "log-indexer-flow";

/** What {@link createFlowLogHandler} needs; everything with I/O is injectable. */
export interface FlowLogHandlerOptions {
  /** Writes failed-records objects (an `S3Client` fits). */
  readonly writer: ObjectWriter;
  /** `_bulk` of the domain, or the preview sink. */
  readonly sink: BulkSink;
  /** Installs the `vpcflow` template and ISM policy; awaited before each batch (callers cache it). */
  readonly bootstrap?: () => Promise<unknown>;
  readonly archiveBucket: string;
  /** Prefix of the failed-records objects (`vpcflow-failed/`). */
  readonly failedPrefix: string;
  /** The flow log's format (`FLOW_LOG_FORMAT`, parsed). */
  readonly format: FlowLogFormat;
  readonly retry: RetryPolicy;
  /** Bound of one `_bulk` body in bytes. */
  readonly bulkMaxBytes: number;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink<SearchFigures>;
  /** Spans per invocation ("flow log batch" → "bulk"), flushed before the handler returns. Default: off. */
  readonly tracing?: Tracing;
}

/** The handler: resolves when every record is indexed or kept in the failed prefix, throws for a retry. */
export type FlowLogHandler = (event: CloudWatchLogsEvent) => Promise<void>;

/** Where a failed line came from, as recorded with it. */
const sourceOf = (payload: FlowLinePayload): Record<string, unknown> => ({
  logGroup: payload.logGroup,
  logStream: payload.logStream,
  timestamp: payload.timestamp,
});

/** File-name-safe, deterministic name of a payload's failed object: its first event id is unique to it. */
function batchName(payload: SubscriptionPayload): string {
  const first = payload.logEvents[0]?.id ?? "empty";
  return first.replace(/[^A-Za-z0-9_-]/g, "_");
}

/** Partition time of a payload's failed object: its first event's (deterministic across redeliveries). */
function batchTime(timestamp: number | undefined): Date {
  const time = new Date(timestamp ?? 0);
  // An event timestamp out of Date's range must not turn a kept line into a retry loop.
  return Number.isNaN(time.getTime()) ? new Date(0) : time;
}

/** Builds the handler over injected clients. */
export function createFlowLogHandler(options: FlowLogHandlerOptions): FlowLogHandler {
  const logger = options.logger ?? SILENT;
  const batchOptions = { maxBytes: options.bulkMaxBytes, retry: options.retry };
  const tracing = options.tracing ?? NOOP_TRACING;

  /** Keeps a payload that cannot be decoded (retrying will not change it) with the reason. */
  async function keepUndecodable(data: string, error: SubscriptionDecodeError): Promise<void> {
    const name = createHash("sha256").update(data).digest("hex");
    const failed = new FailedObject(
      options.writer,
      options.archiveBucket,
      failedObjectKey(options.failedPrefix, new Date(), `undecodable-${name}`),
    );
    // awslogs.data is base64 of the raw (gzip) bytes: kept as received.
    await failed.keep({ reason: error.message, line: data, encoding: "base64" });
    const key = await failed.put();
    logger.warn({ key, reason: error.message }, "subscription payload kept in the failed prefix");
    options.metrics?.({ indexed: 0, failedRecords: 1, retriedItems: 0 });
  }

  return (event) => traceInvocation(tracing, "flow log batch", {}, (span) => handleEvent(event, span));

  async function handleEvent(event: CloudWatchLogsEvent, span: Span): Promise<void> {
    const trace = traceLogFields(span);
    const data = event.awslogs?.data ?? "";
    let payload: SubscriptionPayload;
    try {
      payload = decodeSubscriptionData(data);
    } catch (error) {
      if (!(error instanceof SubscriptionDecodeError)) throw error;
      await keepUndecodable(data, error);
      return;
    }
    if (payload.messageType !== "DATA_MESSAGE") {
      logger.info(
        { ...trace, logGroup: payload.logGroup, messageType: payload.messageType },
        "nothing to index",
      );
      return;
    }

    const { items, unparseable } = flowLogItems(payload, options.format);
    span.setAttributes({
      "cloudwatch.log_group": payload.logGroup,
      "cloudwatch.log_events": payload.logEvents.length,
    });
    const first = payload.logEvents[0];
    const failed = new FailedObject(
      options.writer,
      options.archiveBucket,
      failedObjectKey(options.failedPrefix, batchTime(first?.timestamp), batchName(payload)),
    );
    for (const { payload: line, reason } of unparseable) {
      await failed.keep({ reason, id: line.id, source: sourceOf(line), line: line.line });
    }
    const onRejected = (rejection: Rejection<FlowLinePayload>): Promise<void> =>
      failed.keep({
        reason: rejection.reason,
        status: rejection.status,
        index: rejection.item.index,
        id: rejection.item.id,
        source: sourceOf(rejection.item.payload),
        line: rejection.item.payload.line,
      });

    let result: IndexResult<FlowLinePayload>;
    try {
      if (items.length > 0) await options.bootstrap?.();
      result = await indexBatch(
        options.sink,
        items,
        tracing.enabled ? { ...batchOptions, trace: { tracing, parent: span } } : batchOptions,
        onRejected,
      );
    } catch (error) {
      // The whole event comes again; its failed object is rebuilt then.
      failed.discard();
      logger.error(
        { ...trace, logGroup: payload.logGroup, events: payload.logEvents.length, error: errorText(error) },
        "flow log batch failed; left for a retry",
      );
      options.metrics?.({ indexed: 0, failedRecords: 0, retriedItems: payload.logEvents.length });
      throw error;
    }
    const key = await failed.put();
    const figures: SearchFigures = {
      indexed: result.indexed + result.duplicates,
      failedRecords: failed.count,
      retriedItems: 0,
    };
    logger.info(
      {
        ...trace,
        logGroup: payload.logGroup,
        logStream: payload.logStream,
        events: payload.logEvents.length,
        ...figures,
        duplicates: result.duplicates,
        retries: result.retries,
        splits: result.splits,
        ...(key === undefined ? {} : { failedKey: key }),
      },
      "flow log batch done",
    );
    options.metrics?.(figures);
  }
}

/** The handler's settings from the environment (see the README's "Search every log" section). */
export interface FlowLogEnvConfig {
  readonly retentionDays: number;
  readonly format: FlowLogFormat;
}

/**
 * Reads the environment: the common variables plus `RETENTION_DAYS` and
 * `FLOW_LOG_FORMAT` (default AWS's v2 format).
 *
 * @throws Error listing every problem (an unknown flow log field among them).
 */
export function readFlowLogEnv(env: NodeJS.ProcessEnv): CommonConfig & FlowLogEnvConfig {
  const read = new EnvReader(env, "log-indexer flow-logs");
  const common = readCommonConfig(read, {
    failedPrefix: DEFAULT_VPCFLOW_FAILED_PREFIX,
    serviceName: SERVICE_NAME,
  });
  const retentionDays = readRetentionDays(read, "RETENTION_DAYS", DEFAULT_VPCFLOW_RETENTION_DAYS);
  let format: FlowLogFormat = parseLogFormat(DEFAULT_FLOW_LOG_FORMAT);
  try {
    format = parseLogFormat(read.text("FLOW_LOG_FORMAT", DEFAULT_FLOW_LOG_FORMAT));
  } catch (error) {
    if (!(error instanceof FlowLogFormatError)) throw error;
    read.problem(`FLOW_LOG_FORMAT: ${error.problems.join("; ")}`);
  }
  return read.finish({ ...common, retentionDays, format });
}

/** The handler over real clients, configured from `env`. */
export function flowLogHandlerFromEnv(env: NodeJS.ProcessEnv): FlowLogHandler {
  const config = readFlowLogEnv(env);
  const s3 = new S3Client({ region: config.region });
  const logger = createLogger(config.logLevel, SERVICE_NAME);
  // Every known field is mapped, not only the configured ones: the template
  // is replaced only on a version bump, so a later format change must not
  // find its new fields unmapped.
  const output = searchOutput(config, [vpcflowFamily(config.retentionDays)], s3, logger);
  if (output.preview)
    logger.info({ bucket: config.archiveBucket, prefix: config.previewPrefix }, "preview sink");
  return createFlowLogHandler({
    writer: s3,
    sink: output.sink,
    ...(output.bootstrap === undefined ? {} : { bootstrap: output.bootstrap }),
    archiveBucket: config.archiveBucket,
    failedPrefix: config.failedPrefix,
    format: config.format,
    retry: retryPolicy({ maxAttempts: config.maxAttempts }),
    bulkMaxBytes: config.bulkMaxBytes,
    logger,
    metrics: searchMetricsSink(config.serviceName),
    tracing: startTracing(tracingConfigFromEnv(env, SERVICE_NAME), {
      onExportError: (error) => logger.warn({ error: errorText(error) }, "spans not exported"),
    }),
  });
}

let fromEnv: FlowLogHandler | undefined;

/** The Lambda entry point (configured from `process.env` on the first call, so a bad env fails invocations, not imports). */
export const handler: FlowLogHandler = async (event) =>
  (fromEnv ??= flowLogHandlerFromEnv(process.env))(event);
