/**
 * CloudWatch metrics of the indexer, as Embedded Metric Format log lines
 * written by Powertools for AWS Lambda (Metrics): no PutMetricData call, no
 * extra permission, one JSON line per invocation that CloudWatch Logs turns
 * into metrics. The alarm of the CloudTrailPipeline reads {@link REJECTED_RECORDS_METRIC}.
 */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";

import type { MetricsSink as SharedSink } from "../../lib/metrics";
import { powertoolsMetricsSink as sharedSink } from "../../lib/metrics";

/** Namespace of the indexer's metrics. */
export const METRICS_NAMESPACE = "LogPlatform/CloudTrailIndexer";
/** Records written to the failed prefix (document errors and records without eventID/eventTime). */
export const REJECTED_RECORDS_METRIC = "RejectedRecords";
/** Events OpenSearch stored (201). */
export const INDEXED_RECORDS_METRIC = "IndexedRecords";
/** Messages reported in batchItemFailures (to be retried after their backoff). */
export const FAILED_MESSAGES_METRIC = "FailedMessages";
/** The dimension Powertools adds from its service name (the component sets it per pipeline). */
export const SERVICE_DIMENSION = "service";

/** What one invocation did, as the metrics need it. */
export interface BatchFigures {
  readonly messages: number;
  readonly failedMessages: number;
  readonly indexed: number;
  /** Rejected by OpenSearch plus unindexable: every record written to the failed prefix. */
  readonly rejected: number;
}

/** Where {@link BatchFigures} go after each invocation. */
export type MetricsSink = SharedSink<BatchFigures>;

/**
 * Adds one invocation's figures to `metrics` (zeros included, so the alarm
 * sees data, not gaps, while all is well).
 */
export function addBatchMetrics(metrics: Metrics, figures: BatchFigures): void {
  metrics.addMetric(REJECTED_RECORDS_METRIC, MetricUnit.Count, figures.rejected);
  metrics.addMetric(INDEXED_RECORDS_METRIC, MetricUnit.Count, figures.indexed);
  metrics.addMetric(FAILED_MESSAGES_METRIC, MetricUnit.Count, figures.failedMessages);
}

/** The Powertools sink of these metrics (see `apps/lib/metrics.ts`). */
export function powertoolsMetricsSink(serviceName: string | undefined): MetricsSink {
  return sharedSink(METRICS_NAMESPACE, serviceName, addBatchMetrics);
}
