/**
 * CloudWatch metrics of the three handlers (Embedded Metric Format via
 * Powertools, see apps/lib/metrics.ts), in one namespace with the handler's
 * `service` dimension: what was indexed, what was kept in the failed prefix,
 * and what failed for a retry.
 */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { MetricsSink } from "../../../lib/metrics";
import { powertoolsMetricsSink } from "../../../lib/metrics";

/** Namespace of the log indexer's metrics (the LogIndexer component sets the same). */
export const SEARCH_METRICS_NAMESPACE = "LogPlatform/Search";
/** Documents OpenSearch stored (or had already: 409). */
export const INDEXED_DOCUMENTS_METRIC = "IndexedDocuments";
/** Lines, events or findings written to the failed prefix. */
export const FAILED_RECORDS_METRIC = "FailedRecords";
/** Batch items (Kinesis records, SQS messages, subscription events) left for a retry. */
export const RETRIED_ITEMS_METRIC = "RetriedItems";

/** One invocation's figures. */
export interface SearchFigures {
  readonly indexed: number;
  readonly failedRecords: number;
  readonly retriedItems: number;
}

/** Adds the figures (zeros included, so alarms see data while all is well). */
export function addSearchMetrics(metrics: Metrics, figures: SearchFigures): void {
  metrics.addMetric(INDEXED_DOCUMENTS_METRIC, MetricUnit.Count, figures.indexed);
  metrics.addMetric(FAILED_RECORDS_METRIC, MetricUnit.Count, figures.failedRecords);
  metrics.addMetric(RETRIED_ITEMS_METRIC, MetricUnit.Count, figures.retriedItems);
}

/** The Powertools sink of these metrics. */
export function searchMetricsSink(serviceName: string): MetricsSink<SearchFigures> {
  return powertoolsMetricsSink(SEARCH_METRICS_NAMESPACE, serviceName, addSearchMetrics);
}
