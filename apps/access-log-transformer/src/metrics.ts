/**
 * CloudWatch metrics of the transformer, as Embedded Metric Format log lines
 * written by Powertools for AWS Lambda (Metrics): no PutMetricData call, no
 * extra permission, one JSON line per invocation that CloudWatch Logs turns
 * into metrics. The AccessLogPipeline's rejected-share alarm divides
 * {@link REJECTED_LINES_METRIC} by parsed + rejected.
 */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";

import type { MetricsSink as SharedSink } from "../../lib/metrics";
import { powertoolsMetricsSink as sharedSink } from "../../lib/metrics";

/** Namespace of the transformer's metrics. */
export const METRICS_NAMESPACE = "LogPlatform/AccessLogTransformer";
/** Lines stored under the access prefix. */
export const PARSED_LINES_METRIC = "ParsedLines";
/** Lines stored under the error prefix (not an access-log line in a known format, or undecodable). */
export const REJECTED_LINES_METRIC = "RejectedLines";
/** The dimension Powertools adds from its service name (the component sets it per pipeline). */
export const SERVICE_DIMENSION = "service";

/** What one shard batch held, as the metrics need it. */
export interface BatchFigures {
  readonly parsedLines: number;
  readonly rejectedLines: number;
}

/** Where each invocation's {@link BatchFigures} go, one entry per shard batch. */
export type MetricsSink = SharedSink<readonly BatchFigures[]>;

/**
 * Adds the figures to `metrics`, zeros included, so that the alarm sees data,
 * not gaps, while all is well.
 */
export function addBatchMetrics(metrics: Metrics, figures: readonly BatchFigures[]): void {
  for (const batch of figures) {
    metrics.addMetric(PARSED_LINES_METRIC, MetricUnit.Count, batch.parsedLines);
    metrics.addMetric(REJECTED_LINES_METRIC, MetricUnit.Count, batch.rejectedLines);
  }
}

/** The Powertools sink of these metrics (see `apps/lib/metrics.ts`). */
export function powertoolsMetricsSink(serviceName: string | undefined): MetricsSink {
  return sharedSink(METRICS_NAMESPACE, serviceName, addBatchMetrics);
}
