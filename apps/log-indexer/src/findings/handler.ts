/**
 * The findings entry point of the log indexer: a Lambda on the findings
 * queue, which EventBridge rules fill with GuardDuty ("GuardDuty Finding")
 * and Security Hub ("Security Hub Findings - Imported") events. Each finding
 * is written to `findings-YYYY.MM.DD` (day of its creation) with `index`
 * and `_id` = its id, so an update overwrites the document of the finding;
 * findings at or above `ALERT_SEVERITY` are published to the alert topic.
 *
 * Per message (partial batch failures): events that are not findings,
 * findings without id or times, and documents OpenSearch rejects go to
 * `FAILED_PREFIX` (default `findings-failed/`) with the event and the reason,
 * and the message succeeds. The message fails (is listed in
 * `batchItemFailures`, so SQS redelivers it and finally moves it to the DLQ)
 * when OpenSearch refuses the write or the retries run out, the bootstrap
 * fails, the failed-records object cannot be written, or an alert cannot be
 * published. Each message is indexed on its own, so one refused index fails
 * only its message; a redelivered message is indexed again (harmless: same
 * ids, `index` op) and its alerts published again.
 */
import type { Span } from "@opentelemetry/api";
import { tracingConfigFromEnv } from "../../../lib/tracing/config";
import { traceInvocation } from "../../../lib/tracing/lambda";
import { traceLogFields } from "../../../lib/tracing/log-fields";
import { startTracing } from "../../../lib/tracing/start";
import type { Tracing } from "../../../lib/tracing/tracing";
import { NOOP_TRACING, markError } from "../../../lib/tracing/tracing";
import type { PublishCommandInput } from "@aws-sdk/client-sns";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { S3Client } from "@aws-sdk/client-s3";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { BulkSink } from "../../../lib/opensearch/bulk";
import type { Rejection, RetryPolicy } from "../../../lib/opensearch/indexer";
import { RetriesExhaustedError } from "../../../lib/opensearch/indexer";
import type { MetricsSink } from "../../../lib/metrics";
import type { Logger, ObjectWriter, SearchFigures } from "../common";
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
import { alertDecision, alertPublishInput } from "./alert";
import { findingsFamily } from "./family";
import type { FindingPayload } from "./items";
import { eventItems } from "./items";
import type { SeverityLabel } from "./severity";
import { parseAlertSeverity } from "./severity";

/** Default of `FAILED_PREFIX` for this handler. */
export const DEFAULT_FINDINGS_FAILED_PREFIX = "findings-failed/";
/** Default of `RETENTION_DAYS` (the dev setting; the component passes the stack's). */
export const DEFAULT_FINDINGS_RETENTION_DAYS = 30;
/** Default of `ALERT_SEVERITY`. */
export const DEFAULT_ALERT_SEVERITY: SeverityLabel = "HIGH";
/** `service.name` of the spans unless `OTEL_SERVICE_NAME` says otherwise (also the metrics' default). */
export const SERVICE_NAME = "log-indexer-findings";

/** The part of an SNS client the handler uses (an `SNSClient` fits). */
export interface AlertPublisher {
  send(command: PublishCommand): Promise<unknown>;
}

/** Where and from which severity alerts go. */
export interface AlertOptions {
  readonly publisher: AlertPublisher;
  readonly topicArn: string;
  readonly threshold: SeverityLabel;
  /** GuardDuty's own events come here too: Security Hub's copies of its findings do not alert (`GUARDDUTY_DIRECT`). */
  readonly guardDutyDirect?: boolean;
}

/** What {@link createFindingsHandler} needs; everything with I/O is injectable. */
export interface FindingsHandlerOptions {
  /** Writes failed-records objects (an `S3Client` fits). */
  readonly writer: ObjectWriter;
  /** `_bulk` of the domain, or the preview sink. */
  readonly sink: BulkSink;
  /** Installs the `findings` template and ISM policy; awaited before indexing (callers cache it). */
  readonly bootstrap?: () => Promise<unknown>;
  readonly archiveBucket: string;
  /** Prefix of the failed-records objects (`findings-failed/`). */
  readonly failedPrefix: string;
  readonly retry: RetryPolicy;
  /** Bound of one `_bulk` body in bytes. */
  readonly bulkMaxBytes: number;
  /** Absent: no alerts (no topic configured). */
  readonly alerts?: AlertOptions;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink<SearchFigures>;
  /** Spans per invocation ("findings batch" → "bulk"), flushed before the handler returns. Default: off. */
  readonly tracing?: Tracing;
}

/** The handler: the messages to redeliver. */
export type FindingsHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** The event as a JSON value when it parses, for the failed record; else undefined (kept as `line`). */
function parsedOrUndefined(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** The event (parsed when JSON, else its text) of a failed entry. */
function eventFields(body: string): { record: unknown } | { line: string } {
  const record = parsedOrUndefined(body);
  return record === undefined ? { line: body } : { record };
}

const sourceOf = (payload: FindingPayload): Record<string, unknown> => ({
  messageId: payload.messageId,
  findingIndex: payload.findingIndex,
});

/** When the message was sent (the day of its failed object); now when SQS did not say. */
function sentAt(record: SQSRecord): Date {
  const ms = Number(record.attributes?.SentTimestamp);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : new Date();
}

/** File-name-safe, deterministic name of a message's failed object. */
function messageName(messageId: string): string {
  return `message-${messageId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** Outcome of one message. */
interface MessageOutcome {
  readonly ok: boolean;
  readonly indexed: number;
  readonly failedRecords: number;
  readonly alerts: number;
  /** Set when OpenSearch was unavailable: the remaining messages are not tried. */
  readonly unavailable?: boolean;
}

/** Builds the handler over injected clients. */
export function createFindingsHandler(options: FindingsHandlerOptions): FindingsHandler {
  const logger = options.logger ?? SILENT;
  const batchOptions = { maxBytes: options.bulkMaxBytes, retry: options.retry };
  const tracing = options.tracing ?? NOOP_TRACING;

  async function publishAlerts(items: readonly { payload: FindingPayload }[]): Promise<number> {
    const alerts = options.alerts;
    if (alerts === undefined) return 0;
    let published = 0;
    for (const { payload } of items) {
      const document = payload.document;
      if (document === undefined) continue;
      const decision = alertDecision(document, alerts.threshold, alerts.guardDutyDirect ?? false);
      const fields = {
        findingId: document.finding_id,
        severity: document.severity_label,
        reason: decision.reason,
      };
      if (!decision.alert) {
        logger.debug(fields, "no alert");
        continue;
      }
      const input: PublishCommandInput = alertPublishInput(document, alerts.topicArn);
      await alerts.publisher.send(new PublishCommand(input));
      published++;
      logger.info(fields, "alert published");
    }
    return published;
  }

  async function processMessage(record: SQSRecord, span: Span): Promise<MessageOutcome> {
    const messageId = record.messageId;
    const { items, unindexable } = eventItems(record.body, messageId);
    const failed = new FailedObject(
      options.writer,
      options.archiveBucket,
      failedObjectKey(options.failedPrefix, sentAt(record), messageName(messageId)),
    );
    for (const { payload, reason } of unindexable) {
      await failed.keep({ reason, source: sourceOf(payload), ...eventFields(payload.event) });
      logger.warn({ messageId, findingIndex: payload.findingIndex, reason }, "finding not indexable; kept");
    }
    const onRejected = (rejection: Rejection<FindingPayload>): Promise<void> =>
      failed.keep({
        reason: rejection.reason,
        status: rejection.status,
        index: rejection.item.index,
        id: rejection.item.id,
        source: sourceOf(rejection.item.payload),
        ...eventFields(rejection.item.payload.event),
      });
    try {
      let indexed = 0;
      if (items.length > 0) {
        await options.bootstrap?.();
        const result = await indexBatch(
          options.sink,
          items,
          tracing.enabled ? { ...batchOptions, trace: { tracing, parent: span } } : batchOptions,
          onRejected,
        );
        indexed = result.indexed + result.duplicates;
      }
      const key = await failed.put();
      if (key !== undefined) logger.warn({ messageId, key, records: failed.count }, "failed records kept");
      const alerts = await publishAlerts(items);
      return { ok: true, indexed, failedRecords: failed.count, alerts };
    } catch (error) {
      // The message comes again; its failed object is rebuilt then.
      failed.discard();
      logger.error(
        { ...traceLogFields(span), messageId, findings: items.length, error: errorText(error) },
        "message failed; left for a retry",
      );
      return {
        ok: false,
        indexed: 0,
        failedRecords: 0,
        alerts: 0,
        unavailable: error instanceof RetriesExhaustedError,
      };
    }
  }

  return (event) =>
    traceInvocation(
      tracing,
      "findings batch",
      { "messaging.batch.message_count": event.Records.length },
      (span) => handleBatch(event, span),
    );

  async function handleBatch(event: SQSEvent, span: Span): Promise<SQSBatchResponse> {
    const batchItemFailures: { itemIdentifier: string }[] = [];
    let indexed = 0;
    let failedRecords = 0;
    let alerts = 0;
    let unavailable = false;
    for (const record of event.Records) {
      if (unavailable) {
        // Retries already ran out on an earlier message: the domain is down or
        // throttling hard; trying each remaining message would only spend the
        // function's time. They come back with the next delivery.
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      const outcome = await processMessage(record, span);
      indexed += outcome.indexed;
      failedRecords += outcome.failedRecords;
      alerts += outcome.alerts;
      if (!outcome.ok) batchItemFailures.push({ itemIdentifier: record.messageId });
      unavailable = outcome.unavailable === true;
    }
    const figures: SearchFigures = { indexed, failedRecords, retriedItems: batchItemFailures.length };
    logger.info(
      { ...traceLogFields(span), messages: event.Records.length, ...figures, alerts },
      "findings batch done",
    );
    options.metrics?.(figures);
    span.setAttributes({
      "findings.indexed": indexed,
      "findings.failed_records": failedRecords,
      "findings.alerts": alerts,
    });
    if (batchItemFailures.length > 0)
      markError(span, `${batchItemFailures.length} message(s) left for a retry`);
    return { batchItemFailures };
  }
}

/** The handler's own settings from the environment. */
export interface FindingsEnvConfig {
  readonly retentionDays: number;
  /** `ALERT_TOPIC_ARN`; absent: no alerts. */
  readonly alertTopicArn?: string;
  /** `ALERT_SEVERITY` (LOW|MEDIUM|HIGH|CRITICAL, default HIGH). */
  readonly alertSeverity: SeverityLabel;
  /** `GUARDDUTY_DIRECT` (`true`|`false`, default false): GuardDuty's own events are routed here too. */
  readonly guardDutyDirect: boolean;
}

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/**
 * Reads the environment: the common variables plus `RETENTION_DAYS`,
 * `ALERT_TOPIC_ARN`, `ALERT_SEVERITY` and `GUARDDUTY_DIRECT`.
 *
 * @throws Error listing every problem.
 */
export function readFindingsEnv(
  env: NodeJS.ProcessEnv,
): ReturnType<typeof readCommonConfig> & FindingsEnvConfig {
  const read = new EnvReader(env, "log-indexer findings");
  const common = readCommonConfig(read, {
    failedPrefix: DEFAULT_FINDINGS_FAILED_PREFIX,
    serviceName: SERVICE_NAME,
  });
  const retentionDays = readRetentionDays(read, "RETENTION_DAYS", DEFAULT_FINDINGS_RETENTION_DAYS);
  const alertTopicArn = read.optional("ALERT_TOPIC_ARN");
  if (alertTopicArn !== undefined && !SNS_TOPIC_ARN.test(alertTopicArn)) {
    read.problem(`ALERT_TOPIC_ARN is not an SNS topic ARN: ${JSON.stringify(alertTopicArn)}`);
  }
  const severity = parseAlertSeverity(read.optional("ALERT_SEVERITY"), DEFAULT_ALERT_SEVERITY);
  let alertSeverity = DEFAULT_ALERT_SEVERITY;
  if (typeof severity === "string") alertSeverity = severity;
  else read.problem(`ALERT_SEVERITY ${severity.error}`);
  const guardDutyDirect = read.oneOf("GUARDDUTY_DIRECT", ["true", "false"], "false") === "true";
  return read.finish({
    ...common,
    retentionDays,
    ...(alertTopicArn === undefined ? {} : { alertTopicArn }),
    alertSeverity,
    guardDutyDirect,
  });
}

/** The handler over real clients, configured from `env`. */
export function findingsHandlerFromEnv(env: NodeJS.ProcessEnv): FindingsHandler {
  const config = readFindingsEnv(env);
  const s3 = new S3Client({ region: config.region });
  const logger = createLogger(config.logLevel, SERVICE_NAME);
  const output = searchOutput(config, [findingsFamily(config.retentionDays)], s3, logger);
  if (output.preview)
    logger.info({ bucket: config.archiveBucket, prefix: config.previewPrefix }, "preview sink");
  if (config.alertTopicArn === undefined) logger.info({}, "ALERT_TOPIC_ARN not set: no alerts");
  return createFindingsHandler({
    writer: s3,
    sink: output.sink,
    ...(output.bootstrap === undefined ? {} : { bootstrap: output.bootstrap }),
    archiveBucket: config.archiveBucket,
    failedPrefix: config.failedPrefix,
    retry: retryPolicy({ maxAttempts: config.maxAttempts }),
    bulkMaxBytes: config.bulkMaxBytes,
    ...(config.alertTopicArn === undefined
      ? {}
      : {
          alerts: {
            publisher: new SNSClient({ region: config.region }),
            topicArn: config.alertTopicArn,
            threshold: config.alertSeverity,
            guardDutyDirect: config.guardDutyDirect,
          },
        }),
    logger,
    metrics: searchMetricsSink(config.serviceName),
    tracing: startTracing(tracingConfigFromEnv(env, SERVICE_NAME), {
      onExportError: (error) => logger.warn({ error: errorText(error) }, "spans not exported"),
    }),
  });
}

let fromEnv: FindingsHandler | undefined;

/** The Lambda entry point (configured from `process.env` on the first call, so a bad env fails invocations, not imports). */
export const handler: FindingsHandler = async (event) =>
  (fromEnv ??= findingsHandlerFromEnv(process.env))(event);
