import assert from "node:assert/strict";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { createHandler } from "../src/handler";
import {
  addBatchMetrics,
  type BatchFigures,
  METRICS_NAMESPACE,
  PARSED_LINES_METRIC,
  REJECTED_LINES_METRIC,
  SERVICE_DIMENSION,
} from "../src/metrics";
import { kinesisEvent, kinesisRecord } from "./helpers";
import { emfOf } from "../../../test/lib/emf";

const LINE = '198.51.100.4 - - [10/Mar/2024:06:10:00 +0000] "GET / HTTP/1.1" 200 10 "-" "curl/8.4.0"';

// Embedded Metric Format as Powertools writes it:
// https://docs.powertools.aws.dev/lambda/typescript/latest/features/metrics/
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
describe("access-log-transformer metrics", () => {
  it("writes parsed and rejected lines as EMF under the namespace and service the alarm reads", () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "acc-transformer" });
    addBatchMetrics(metrics, [
      { parsedLines: 40, rejectedLines: 2 },
      { parsedLines: 0, rejectedLines: 0 },
    ]);
    const emf = emfOf(metrics);
    const [directive] = emf._aws.CloudWatchMetrics;
    assert.equal(directive?.Namespace, METRICS_NAMESPACE);
    assert.deepEqual(directive?.Dimensions, [[SERVICE_DIMENSION]]);
    assert.deepEqual(
      directive?.Metrics.map((m) => [m.Name, m.Unit]),
      [
        [PARSED_LINES_METRIC, "Count"],
        [REJECTED_LINES_METRIC, "Count"],
      ],
    );
    assert.equal(emf[SERVICE_DIMENSION], "acc-transformer");
    // One value per shard batch; CloudWatch sums them. Zeros are sent so the alarm sees data.
    assert.deepEqual(
      [emf[PARSED_LINES_METRIC], emf[REJECTED_LINES_METRIC]],
      [
        [40, 0],
        [2, 0],
      ],
    );
  });

  it("hands the handler's counts per shard batch to the sink, also when a write fails", async () => {
    const seen: (readonly BatchFigures[])[] = [];
    let fail = false;
    const handler = createHandler({
      s3: { send: () => (fail ? Promise.reject(new Error("SlowDown")) : Promise.resolve({})) },
      bucket: "archive",
      logger: { info: () => {}, error: () => {} },
      metrics: (figures) => seen.push(figures),
    });
    const event = kinesisEvent([
      kinesisRecord({ sequenceNumber: "1", data: `${LINE}\nnot a line\n${LINE}` }),
      kinesisRecord({ shardId: "shardId-000000000001", sequenceNumber: "2", data: "garbage" }),
    ]);
    await handler(event);
    fail = true;
    await handler(event);
    const expected = [
      { parsedLines: 2, rejectedLines: 1 },
      { parsedLines: 0, rejectedLines: 1 },
    ];
    assert.deepEqual(seen, [expected, expected]);
  });
});
