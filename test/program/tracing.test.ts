/**
 * Tracing as the real program configures it, per stack (real
 * Pulumi.<stack>.yaml, tracing on by default) and with tracing off: the exact
 * inputs of every traced function and of the receiver, and nothing of it
 * anywhere when off.
 */
import * as assert from "node:assert/strict";

import { parse } from "yaml";

import { ADOT_COLLECTOR_LAYER } from "../../components/lib/adot-lambda-layer";
import type { RecordedResource } from "../lib/mocks";
import { parseJsonInput, resourceNamed } from "../lib/mocks";
import { runPlatform } from "../lib/platform-run";

async function resourcesOf(stack: string, tracing?: object): Promise<readonly RecordedResource[]> {
  return (await runPlatform(stack, tracing === undefined ? {} : { tracing })).resources;
}

const FUNCTION = "aws:lambda/function:Function";
const LAYER = `arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-collector-arm64-ver-${ADOT_COLLECTOR_LAYER.version}:${ADOT_COLLECTOR_LAYER.layerVersion}`;

/** Each traced function of a stack, by its name's suffix, and its X-Ray service name. */
const TRACED: Readonly<Record<string, string>> = {
  "access-logs-transformer": "access-log-transformer",
  "cloudtrail-indexer": "cloudtrail-indexer",
  "search-logs": "log-indexer-logs",
  "search-flow": "log-indexer-flow",
  "search-findings": "log-indexer-findings",
};
/** Functions that run once at deployment and are not instrumented: Lambda's active tracing only. */
const UNTRACED = ["obs-opensearch-bootstrap"];

type Recorded = ReturnType<typeof resourceNamed>;
const variablesOf = (fn: Recorded): Record<string, string> =>
  (fn.props.environment as { variables: Record<string, string> }).variables;

interface Container {
  readonly name: string;
  readonly environment: readonly { name: string; value: string }[];
}
function receiverTask(resources: readonly RecordedResource[], prefix: string) {
  const containers = parseJsonInput<Container[]>(
    resourceNamed(resources, "aws:ecs/taskDefinition:TaskDefinition", `${prefix}-receiver-task`).props
      .containerDefinitions,
  );
  const policy = parseJsonInput(
    resourceNamed(resources, "aws:iam/rolePolicy:RolePolicy", `${prefix}-receiver-task-policy`).props.policy,
  );
  const sidecar = containers.find((c) => c.name === "adot-collector");
  const collector = parse(
    sidecar?.environment.find((e) => e.name === "AOT_CONFIG_CONTENT")?.value ?? "{}",
  ) as {
    service?: { pipelines?: Record<string, unknown> };
    exporters?: Record<string, unknown>;
  };
  return { receiver: containers[0]!, collector, statements: policy.Statement };
}

describe("tracing in the program (mocks, real Pulumi.<stack>.yaml)", function () {
  this.timeout(120_000);

  for (const [stack, ratio] of [
    ["dev", "1"],
    ["prod", "0.01"],
  ] as const) {
    describe(`${stack}: on by default`, () => {
      let resources: readonly RecordedResource[];
      before(async () => {
        resources = await resourcesOf(stack);
      });

      for (const [suffix, service] of Object.entries(TRACED)) {
        it(`lp-${stack}-${suffix}: the collector layer, its config, the OTEL_* variables with the stack's ratio, active tracing`, () => {
          const fn = resourceNamed(resources, FUNCTION, `lp-${stack}-${suffix}`);
          assert.deepEqual(fn.props.layers, [LAYER]);
          assert.deepEqual(fn.props.architectures, ["arm64"], "the layer's architecture");
          assert.deepEqual(fn.props.tracingConfig, { mode: "Active" });
          const variables = variablesOf(fn);
          assert.deepEqual(
            Object.fromEntries(
              Object.entries(variables).filter(
                ([k]) => k.startsWith("OTEL_") || k.startsWith("OPENTELEMETRY_"),
              ),
            ),
            {
              OPENTELEMETRY_COLLECTOR_CONFIG_URI: "env:ADOT_COLLECTOR_CONFIG",
              OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces",
              OTEL_SERVICE_NAME: service,
              OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
              OTEL_TRACES_SAMPLER_ARG: ratio,
            },
          );
          assert.deepEqual(parse(variables.ADOT_COLLECTOR_CONFIG ?? ""), {
            receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:4318" } } } },
            exporters: { awsxray: { region: "eu-west-1" } },
            service: { pipelines: { traces: { receivers: ["otlp"], exporters: ["awsxray"] } } },
          });
          // Lambda's quota: 4 KB for all of a function's variables together
          // (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
          const bytes = Object.entries(variables).reduce(
            (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
            0,
          );
          assert.ok(bytes < 4096, `${bytes} bytes of variables`);
        });
      }

      it("every function is either traced or known not to be", () => {
        const names = resources
          .filter((r) => r.type === FUNCTION)
          .map((r) => r.name.slice(`lp-${stack}-`.length));
        assert.deepEqual(names.sort(), [...Object.keys(TRACED), ...UNTRACED].sort());
        for (const suffix of UNTRACED) {
          const fn = resourceNamed(resources, FUNCTION, `lp-${stack}-${suffix}`);
          assert.equal(fn.props.layers, undefined);
          assert.ok(!Object.keys(variablesOf(fn)).some((k) => k.startsWith("OTEL_")));
        }
      });

      it("the receiver: the OTEL_* variables, a traces pipeline to X-Ray in its sidecar, PutTraceSegments on its task role", () => {
        const { receiver, collector, statements } = receiverTask(resources, `lp-${stack}`);
        assert.deepEqual(
          receiver.environment.filter((e) => e.name.startsWith("OTEL_")).map((e) => `${e.name}=${e.value}`),
          [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:4318/v1/traces",
            "OTEL_SERVICE_NAME=log-receiver",
            "OTEL_TRACES_SAMPLER=parentbased_traceidratio",
            `OTEL_TRACES_SAMPLER_ARG=${ratio}`,
          ],
        );
        assert.deepEqual(collector.service?.pipelines?.traces, {
          receivers: ["otlp"],
          processors: ["resourcedetection", "batch"],
          exporters: ["awsxray"],
        });
        assert.deepEqual(collector.exporters?.awsxray, { region: "eu-west-1" });
        assert.deepEqual(
          statements.filter((s) => JSON.stringify(s.Action).includes("xray:")),
          [{ Sid: "SendTraces", Effect: "Allow", Action: "xray:PutTraceSegments", Resource: "*" }],
        );
      });
    });
  }

  it("one setting drives the sampler of the receiver and of every function", async () => {
    const resources = await resourcesOf("dev", { sampleRatio: 0.3 });
    const ratios = [
      ...Object.keys(TRACED).map((suffix) =>
        variablesOf(resourceNamed(resources, FUNCTION, `lp-dev-${suffix}`)),
      ),
      Object.fromEntries(
        receiverTask(resources, "lp-dev").receiver.environment.map((e) => [e.name, e.value]),
      ),
    ].map((variables) => variables.OTEL_TRACES_SAMPLER_ARG);
    assert.deepEqual(ratios, Array(Object.keys(TRACED).length + 1).fill("0.3"));
  });

  for (const stack of ["dev", "prod"]) {
    it(`${stack} with tracing off: no layer, no OTEL_* variable, no traces pipeline, no X-Ray grant for the receiver`, async () => {
      const resources = await resourcesOf(stack, { enabled: false });
      const functions = resources
        .filter((r) => r.type === FUNCTION)
        .map((r) => resourceNamed(resources, FUNCTION, r.name));
      assert.equal(functions.length, Object.keys(TRACED).length + UNTRACED.length);
      for (const fn of functions) {
        assert.equal(fn.props.layers, undefined, fn.name);
        assert.ok(!Object.keys(variablesOf(fn)).some((k) => /^(OTEL|OPENTELEMETRY|ADOT)_/.test(k)), fn.name);
        // Lambda's own active tracing of the invocation, as before tracing existed.
        assert.deepEqual(fn.props.tracingConfig, { mode: "Active" }, fn.name);
      }
      const { receiver, collector, statements } = receiverTask(resources, `lp-${stack}`);
      assert.ok(!receiver.environment.some((e) => e.name.startsWith("OTEL_")));
      assert.deepEqual(Object.keys(collector.service?.pipelines ?? {}), ["metrics"]);
      assert.ok(!JSON.stringify(statements).includes("xray:"));
    });
  }
});

describe("service names: each app's default is the name the stack gives it", () => {
  it("so spans from `npm start` and from AWS land under the names the Traces dashboard queries", async () => {
    const { TRACED_SERVICES } = await import("../../components/lib/tracing");
    const defaults = {
      receiver: (await import("../../apps/log-receiver/src/main")).SERVICE_NAME,
      accessLogTransformer: (await import("../../apps/access-log-transformer/src/handler")).SERVICE_NAME,
      cloudTrailIndexer: (await import("../../apps/cloudtrail-indexer/src/handler")).SERVICE_NAME,
      logsIndexer: (await import("../../apps/log-indexer/src/handler")).SERVICE_NAME,
      flowLogsIndexer: (await import("../../apps/log-indexer/src/flow-logs/handler")).SERVICE_NAME,
      findingsIndexer: (await import("../../apps/log-indexer/src/findings/handler")).SERVICE_NAME,
    };
    assert.deepEqual(defaults, TRACED_SERVICES);
  });
});
