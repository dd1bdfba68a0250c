import assert from "node:assert/strict";
import { tracingConfigFromEnv } from "../config";

const ON = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://localhost:4318/v1/traces" };

describe("apps/lib/tracing config", () => {
  it("is off without an endpoint, whatever else is set", () => {
    assert.deepEqual(tracingConfigFromEnv({}, "log-receiver"), { enabled: false });
    assert.deepEqual(
      tracingConfigFromEnv({ OTEL_SERVICE_NAME: "x", OTEL_TRACES_SAMPLER: "always_on" }, "log-receiver"),
      { enabled: false },
    );
  });

  it("is off with OTEL_SDK_DISABLED=true even with an endpoint", () => {
    assert.deepEqual(tracingConfigFromEnv({ ...ON, OTEL_SDK_DISABLED: "true" }, "log-receiver"), {
      enabled: false,
    });
  });

  it("defaults: the app's service name, parentbased_always_on, ratio 1, 10 s export timeout", () => {
    assert.deepEqual(tracingConfigFromEnv(ON, "access-log-transformer"), {
      enabled: true,
      endpoint: "http://localhost:4318/v1/traces",
      serviceName: "access-log-transformer",
      resourceAttributes: {},
      sampler: "parentbased_always_on",
      ratio: 1,
      exportTimeoutMs: 10_000,
    });
  });

  it("OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended; the traces endpoint wins over it", () => {
    const base = (value: string) =>
      tracingConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: value }, "log-receiver");
    assert.equal(
      (base("http://127.0.0.1:4318") as { endpoint: string }).endpoint,
      "http://127.0.0.1:4318/v1/traces",
    );
    assert.equal(
      (base("http://127.0.0.1:4318/") as { endpoint: string }).endpoint,
      "http://127.0.0.1:4318/v1/traces",
    );
    const both = tracingConfigFromEnv(
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b:4318/x" },
      "log-receiver",
    );
    assert.equal((both as { endpoint: string }).endpoint, "http://b:4318/x");
  });

  it("reads sampler, ratio, service name, resource attributes and timeouts", () => {
    assert.deepEqual(
      tracingConfigFromEnv(
        {
          ...ON,
          OTEL_SERVICE_NAME: "log-receiver-prod",
          OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=prod,team=logs%20platform",
          OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
          OTEL_TRACES_SAMPLER_ARG: "0.05",
          OTEL_EXPORTER_OTLP_TIMEOUT: "3000",
          OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
        },
        "log-receiver",
      ),
      {
        enabled: true,
        endpoint: "http://localhost:4318/v1/traces",
        serviceName: "log-receiver-prod",
        resourceAttributes: { "deployment.environment.name": "prod", team: "logs platform" },
        sampler: "parentbased_traceidratio",
        ratio: 0.05,
        exportTimeoutMs: 3000,
      },
    );
  });

  it("service.name from OTEL_RESOURCE_ATTRIBUTES when OTEL_SERVICE_NAME is unset", () => {
    const config = tracingConfigFromEnv(
      { ...ON, OTEL_RESOURCE_ATTRIBUTES: "service.name=edge" },
      "log-receiver",
    );
    assert.equal((config as { serviceName: string }).serviceName, "edge");
  });

  it("lists every problem at once, naming the app", () => {
    assert.throws(
      () =>
        tracingConfigFromEnv(
          {
            OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "localhost:4318",
            OTEL_TRACES_SAMPLER: "xray",
            OTEL_TRACES_SAMPLER_ARG: "2",
            OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
            OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "soon",
            OTEL_RESOURCE_ATTRIBUTES: "=x",
            OTEL_SDK_DISABLED: "yes",
          },
          "log-receiver",
        ),
      (error: Error) => {
        assert.equal(
          error.message,
          [
            "log-receiver configuration is invalid:",
            '  - OTEL_SDK_DISABLED must be one of true, false, got "yes"',
            '  - OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL, got "localhost:4318"',
            '  - OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, got "xray"',
            "  - OTEL_TRACES_SAMPLER_ARG is only read by the traceidratio samplers, not parentbased_always_on",
            '  - OTEL_EXPORTER_OTLP_TRACES_TIMEOUT must be an integer from 1 to 600000, got "soon"',
            '  - OTEL_EXPORTER_OTLP_PROTOCOL must be http/json (the apps export OTLP/HTTP JSON), got "grpc"',
            '  - OTEL_RESOURCE_ATTRIBUTES entries must be key=value, got "=x"',
          ].join("\n"),
        );
        return true;
      },
    );
  });

  it("a ratio outside 0..1 or not a number is a problem for a ratio sampler", () => {
    for (const arg of ["-0.1", "1.5", "half"]) {
      assert.throws(
        () =>
          tracingConfigFromEnv(
            { ...ON, OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: arg },
            "a",
          ),
        new RegExp(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got "${arg}"`),
      );
    }
    const zero = tracingConfigFromEnv(
      { ...ON, OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "0" },
      "a",
    );
    assert.equal((zero as { ratio: number }).ratio, 0);
  });

  it("a problem is reported even when tracing is off (a typo must not silently disable it)", () => {
    assert.throws(
      () => tracingConfigFromEnv({ OTEL_TRACES_SAMPLER: "always-on" }, "a"),
      /OTEL_TRACES_SAMPLER/,
    );
  });
});
