import * as assert from "node:assert/strict";

import { parse } from "yaml";

import { TRUSTED_LAYER_ACCOUNTS } from "../../../policy/rules";
import { readStackFile } from "../../../test/lib/mocks";
import {
  ADOT_COLLECTOR_LAYER,
  ADOT_LAYER_ACCOUNT,
  ADOT_LAYER_REGIONS,
  adotCollectorLayerArn,
} from "../adot-lambda-layer";
import {
  lambdaCollectorConfig,
  OTLP_TRACES_URL,
  otlpToXRay,
  PUT_TRACE_SEGMENTS_STATEMENT,
  sampleRatioProblems,
  TRACED_SERVICES,
  tracingEnvironment,
} from "../tracing";

/**
 * A layer version ARN as Lambda accepts it in a function's `Layers`
 * (Layer.Arn: pattern and 1–140 characters,
 * https://docs.aws.amazon.com/lambda/latest/dg/API_Layer.html).
 */
const LAYER_VERSION_ARN = /^arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+$/;

describe("tracing (pure)", () => {
  it("tracingEnvironment: the OpenTelemetry variables of the apps' contract, exactly", () => {
    assert.deepEqual(tracingEnvironment(TRACED_SERVICES.receiver, 0.25), {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces",
      OTEL_SERVICE_NAME: "log-receiver",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
    });
    assert.equal(tracingEnvironment(TRACED_SERVICES.logsIndexer, 1).OTEL_TRACES_SAMPLER_ARG, "1");
    assert.equal(tracingEnvironment(TRACED_SERVICES.logsIndexer, 0).OTEL_TRACES_SAMPLER_ARG, "0");
  });

  it("the service names are distinct (one X-Ray node per app)", () => {
    const names = Object.values(TRACED_SERVICES);
    assert.equal(new Set(names).size, names.length);
  });

  it("sampleRatioProblems: 0 to 1 only", () => {
    for (const ok of [0, 0.01, 0.5, 1]) assert.deepEqual(sampleRatioProblems("r", ok), [], String(ok));
    for (const bad of [-0.1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.deepEqual(sampleRatioProblems("r", bad), [`r must be a number from 0 to 1 (got ${bad})`]);
    }
  });

  it("the collector listens where the apps send: the OTLP receiver's endpoint is the traces URL's host", () => {
    const { receivers } = otlpToXRay("eu-west-1");
    const endpoint = (receivers.otlp as { protocols: { http: { endpoint: string } } }).protocols.http
      .endpoint;
    assert.equal(new URL(OTLP_TRACES_URL).host, endpoint);
    assert.equal(new URL(OTLP_TRACES_URL).hostname, "127.0.0.1", "loopback, never all interfaces");
    assert.equal(new URL(OTLP_TRACES_URL).pathname, "/v1/traces", "the OTLP/HTTP traces path");
  });

  it("lambdaCollectorConfig: OTLP/HTTP on loopback → awsxray in the region, traces only, no processors", () => {
    // ADOT's default Lambda config.yaml (aws-observability/aws-otel-lambda adot/collector/config.yaml)
    // without its gRPC receiver and debug metrics pipeline, and on 127.0.0.1 instead of localhost.
    assert.deepEqual(parse(lambdaCollectorConfig("eu-west-1")), {
      receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:4318" } } } },
      exporters: { awsxray: { region: "eu-west-1" } },
      service: { pipelines: { traces: { receivers: ["otlp"], exporters: ["awsxray"] } } },
    });
  });

  it("the X-Ray statement: PutTraceSegments alone, on * (X-Ray's write actions have no resource types)", () => {
    assert.deepEqual(PUT_TRACE_SEGMENTS_STATEMENT, {
      Sid: "SendTraces",
      Effect: "Allow",
      Action: "xray:PutTraceSegments",
      Resource: "*",
    });
  });

  describe("ADOT collector Lambda layer", () => {
    it("is a pure function of region and architecture, with the version pinned in one place", () => {
      assert.equal(
        adotCollectorLayerArn("eu-west-1", "arm64"),
        `arn:aws:lambda:eu-west-1:${ADOT_LAYER_ACCOUNT}:layer:aws-otel-collector-arm64-ver-${ADOT_COLLECTOR_LAYER.version}:${ADOT_COLLECTOR_LAYER.layerVersion}`,
      );
      assert.equal(
        adotCollectorLayerArn("us-east-1", "x86_64"),
        "arn:aws:lambda:us-east-1:901920570463:layer:aws-otel-collector-amd64-ver-0-117-0:1",
        "ADOT calls x86_64 amd64",
      );
    });

    it("is a well-formed layer version ARN in the region of every stack, and every published region", () => {
      const stackRegions = ["dev", "prod"].map((stack) => readStackFile(stack).config["aws:region"]);
      for (const region of [...stackRegions, ...ADOT_LAYER_REGIONS]) {
        assert.ok(region !== undefined && ADOT_LAYER_REGIONS.includes(region), `${region} has no layer`);
        for (const architecture of ["arm64", "x86_64"] as const) {
          const arn = adotCollectorLayerArn(region, architecture);
          assert.match(arn, LAYER_VERSION_ARN);
          assert.ok(arn.length <= 140, `${arn} is longer than Lambda accepts`);
          assert.equal(arn.split(":")[3], region, "a layer is used in its own region only");
        }
      }
    });

    it("comes from a publisher the policy pack trusts (rule lambda-trusted-layers)", () => {
      assert.ok(TRUSTED_LAYER_ACCOUNTS.has(ADOT_LAYER_ACCOUNT));
    });

    it("fails with the regions it is published in where it is not", () => {
      assert.throws(
        () => adotCollectorLayerArn("il-central-1", "arm64"),
        (error: Error) => {
          assert.match(error.message, /not published in il-central-1/);
          assert.match(error.message, /eu-west-1/);
          assert.match(error.message, /tracing\.enabled false/);
          return true;
        },
      );
    });
  });
});
