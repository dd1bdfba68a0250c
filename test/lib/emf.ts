import type { Metrics } from "@aws-lambda-powertools/metrics";

/**
 * The Embedded Metric Format document Powertools would print, typed for
 * assertions: the CloudWatch directive plus the dimension and metric values.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export type EmfDocument = Record<string, unknown> & {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
};

export function emfOf(metrics: Metrics): EmfDocument {
  return metrics.serializeMetrics();
}
