import { Metrics } from "@aws-lambda-powertools/metrics";
import assert from "node:assert/strict";
import {
  addBatchMetrics,
  METRICS_NAMESPACE,
  REJECTED_RECORDS_METRIC,
  SERVICE_DIMENSION,
} from "../src/metrics";
import { emfOf } from "../../../test/lib/emf";

// Embedded Metric Format as Powertools writes it:
// https://docs.powertools.aws.dev/lambda/typescript/latest/features/metrics/
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
describe("apps/cloudtrail-indexer metrics", () => {
  it("writes the figures as EMF under the namespace and service the alarm reads", () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "dev-cloudtrail-indexer" });
    addBatchMetrics(metrics, { messages: 3, failedMessages: 1, indexed: 120, rejected: 2 });
    const emf = emfOf(metrics);
    const [directive] = emf._aws.CloudWatchMetrics;
    assert.equal(directive?.Namespace, METRICS_NAMESPACE);
    assert.deepEqual(directive?.Dimensions, [[SERVICE_DIMENSION]]);
    assert.deepEqual(
      directive?.Metrics.map((m) => [m.Name, m.Unit]),
      [
        [REJECTED_RECORDS_METRIC, "Count"],
        ["IndexedRecords", "Count"],
        ["FailedMessages", "Count"],
      ],
    );
    assert.equal(emf[SERVICE_DIMENSION], "dev-cloudtrail-indexer");
    assert.deepEqual([emf[REJECTED_RECORDS_METRIC], emf.IndexedRecords, emf.FailedMessages], [2, 120, 1]);
  });
});
