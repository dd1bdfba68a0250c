/**
 * CloudWatch metrics of the platform's Lambdas as Embedded Metric Format log
 * lines, written by Powertools for AWS Lambda (Metrics): no PutMetricData
 * call and no extra permission; CloudWatch Logs turns each line into metrics.
 */
import { Metrics } from "@aws-lambda-powertools/metrics";

/** Where an app hands the figures of one invocation. */
export type MetricsSink<Figures> = (figures: Figures) => void;

/**
 * A {@link MetricsSink} over Powertools: `add` puts the figures on the
 * metrics object, which is then flushed (one EMF line on stdout) at the end
 * of each invocation.
 *
 * @param serviceName the `service` dimension (the components set `POWERTOOLS_SERVICE_NAME`).
 */
export function powertoolsMetricsSink<Figures>(
  namespace: string,
  serviceName: string | undefined,
  add: (metrics: Metrics, figures: Figures) => void,
): MetricsSink<Figures> {
  const metrics = new Metrics({ namespace, ...(serviceName ? { serviceName } : {}) });
  return (figures) => {
    add(metrics, figures);
    metrics.publishStoredMetrics();
  };
}
