import * as assert from "node:assert/strict";

import { parse } from "yaml";

import { resourceNamed, runUnderMocks } from "../../../test/lib/mocks";
import type { BundledFunctionArgs } from "../lambda";
import { COLLECTOR_CONFIG_VARIABLE, createBundledFunction } from "../lambda";

const NO_CONFIG = { config: {}, secretKeys: [] };
const base: BundledFunctionArgs = {
  entry: "apps/access-log-transformer/src/handler.ts",
  roleArn: "arn:aws:iam::123456789012:role/fn",
  memoryMiB: 256,
  timeoutSeconds: 30,
  kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
  environment: { ARCHIVE_BUCKET: "archive" },
  logGroupName: "fn-logs",
  tags: { Project: "log-platform" },
};

async function functionInputs(args: BundledFunctionArgs): Promise<Record<string, unknown>> {
  const run = await runUnderMocks("test", NO_CONFIG, () => ({
    arn: createBundledFunction("fn", args, {}).arn,
  }));
  return resourceNamed(run.resources, "aws:lambda/function:Function", "fn").props;
}

describe("createBundledFunction (mocks)", function () {
  this.timeout(30_000);

  it("without tracing: no layer, the given variables only, active tracing as always", async () => {
    const props = await functionInputs(base);
    assert.equal(props.layers, undefined);
    assert.deepEqual(props.environment, { variables: { ARCHIVE_BUCKET: "archive" } });
    assert.deepEqual(props.tracingConfig, { mode: "Active" });
    assert.deepEqual(props.architectures, ["arm64"]);
  });

  it("with tracing: the region's arm64 collector layer, its config in a variable, the OTEL_* contract", async () => {
    const props = await functionInputs({
      ...base,
      tracing: { serviceName: "access-log-transformer", sampleRatio: 0.1, region: "eu-west-1" },
    });
    assert.deepEqual(props.layers, [
      "arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-collector-arm64-ver-0-117-0:1",
    ]);
    const variables = (props.environment as { variables: Record<string, string> }).variables;
    const { [COLLECTOR_CONFIG_VARIABLE]: config, ...rest } = variables;
    assert.deepEqual(rest, {
      ARCHIVE_BUCKET: "archive",
      OPENTELEMETRY_COLLECTOR_CONFIG_URI: "env:ADOT_COLLECTOR_CONFIG",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces",
      OTEL_SERVICE_NAME: "access-log-transformer",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.1",
    });
    assert.deepEqual(parse(config ?? ""), {
      receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:4318" } } } },
      exporters: { awsxray: { region: "eu-west-1" } },
      service: { pipelines: { traces: { receivers: ["otlp"], exporters: ["awsxray"] } } },
    });
    // Lambda records the invocation and hands its trace header to the function's spans.
    assert.deepEqual(props.tracingConfig, { mode: "Active" });
  });
});
