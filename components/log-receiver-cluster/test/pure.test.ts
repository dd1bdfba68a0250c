import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import selfsigned from "selfsigned";
import { parse } from "yaml";

import { selfSignedCertificate } from "../../../test/lib/test-certificate";

import { receiverMemoryMiB } from "../container-definition";

import {
  adotCollectorConfig,
  agentConfigs,
  certificateCovers,
  certificateDnsNames,
  certificateNameProblem,
  PER_TASK_LABEL,
  receiverContainerDefinitions,
  receiverExecutionStatements,
  receiverTaskStatements,
  splitCertificateChain,
  TOKEN_PLACEHOLDER,
} from "..";

const leaf = "-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----";
const intermediate = "-----BEGIN CERTIFICATE-----\nINTER\n-----END CERTIFICATE-----";

describe("log receiver cluster (pure)", () => {
  it("splits a full chain into leaf and chain, and a lone leaf into just the body", () => {
    assert.deepEqual(splitCertificateChain(`${leaf}\n${intermediate}\n`), {
      body: leaf,
      chain: intermediate,
    });
    assert.deepEqual(splitCertificateChain(leaf), { body: leaf });
    assert.throws(() => splitCertificateChain("garbage"), /no PEM CERTIFICATE block/);
  });

  it("container: non-root, read-only, no capabilities, tokens only as an ECS secret", () => {
    const [container] = receiverContainerDefinitions({
      image: "img",
      streamName: "ingest",
      region: "eu-west-1",
      tokensSecretArn: "arn:secret",
      tokensVersionId: "v-1",
      logGroupName: "lg",
    }) as Record<string, unknown>[];
    assert.equal(container!.user, "65532:65532");
    assert.equal(container!.readonlyRootFilesystem, true);
    assert.equal(container!.privileged, false);
    assert.deepEqual(container!.linuxParameters, {
      capabilities: { drop: ["ALL"] },
      initProcessEnabled: true,
    });
    assert.deepEqual(container!.secrets, [{ name: "TOKENS", valueFrom: "arn:secret" }]);
    const env = container!.environment as { name: string; value: string }[];
    assert.deepEqual(
      env.map((e) => e.name),
      ["AWS_REGION", "INGEST_TOKENS_VERSION", "PORT", "PROXY_PROTOCOL", "STREAM_NAME"],
    );
    // The receiver's memory budgets derive from the task's memory when it is given.
    const [sized] = receiverContainerDefinitions({
      image: "img",
      streamName: "ingest",
      region: "eu-west-1",
      tokensSecretArn: "arn:secret",
      tokensVersionId: "v-1",
      logGroupName: "lg",
      memoryLimitMiB: receiverMemoryMiB(512, true),
    }) as Record<string, unknown>[];
    assert.deepEqual(
      (sized!.environment as { name: string; value: string }[]).find((e) => e.name === "MEMORY_LIMIT_MIB"),
      { name: "MEMORY_LIMIT_MIB", value: "384" },
    );
    assert.equal(receiverMemoryMiB(2048, false), 2048);
    // The tokens' version id (opaque, not secret) is the one token-named variable.
    assert.deepEqual(env[1], { name: "INGEST_TOKENS_VERSION", value: "v-1" });
    assert.ok(!env.slice(2).some((e) => /TOKEN|KEY|SECRET|PASSWORD/.test(e.name)));
  });

  it("execution role: ECR statements only when the image comes from our repository", () => {
    const scope = { logGroupArn: "arn:lg", tokensSecretArn: "arn:s", keyArn: "arn:k" };
    assert.deepEqual(
      receiverExecutionStatements(scope).map((s) => s.Sid),
      ["WriteTheTaskLogs", "ReadTheTokens", "DecryptTheTokens"],
    );
    assert.deepEqual(
      receiverExecutionStatements({ ...scope, repositoryArn: "arn:repo" }).map((s) => [s.Sid, s.Resource]),
      [
        ["LogInToEcr", "*"],
        ["PullTheReceiverImage", "arn:repo"],
        ["WriteTheTaskLogs", "arn:lg:log-stream:*"],
        ["ReadTheTokens", "arn:s"],
        ["DecryptTheTokens", "arn:k"],
      ],
    );
  });

  it("agent configurations name the endpoint and leave the token as a placeholder", () => {
    const configs = agentConfigs({ host: "logs.example.com", region: "eu-west-1", streamName: "ingest-1" });
    assert.match(configs.logSender, /--url https:\/\/logs\.example\.com\/v1\/logs/);
    assert.match(configs.fluentBit, /Host {9}logs\.example\.com/);
    assert.match(configs.fluentBit, /Header {7}Authorization Bearer <INGEST_TOKEN>/);
    assert.match(configs.fluentd, /stream_name ingest-1\n/);
    assert.match(configs.fluentd, /region eu-west-1\n/);
    for (const config of [configs.logSender, configs.fluentBit, configs.fluentd])
      assert.ok(!config.includes("undefined"));
    assert.ok(configs.logSender.includes(TOKEN_PLACEHOLDER));
  });

  it("ADOT config: scrape on loopback, the ECS resource detector, resource attributes as labels, SigV4 remote write", () => {
    const url = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write";
    // The pipeline of ADOT's ECS + AMP example (aws-observability/aws-otel-collector
    // config/ecs/ecs-amp-prometheus.yaml): resourcedetection with the ecs detector, then
    // prometheusremotewrite with resource_to_telemetry_conversion, so that aws.ecs.task.arn
    // becomes the aws_ecs_task_arn label of every series.
    // https://aws-otel.github.io/docs/getting-started/prometheus-remote-write-exporter
    assert.deepEqual(
      parse(adotCollectorConfig({ remoteWriteUrl: url, region: "eu-west-1", traces: false })),
      {
        extensions: { sigv4auth: { region: "eu-west-1", service: "aps" } },
        receivers: {
          prometheus: {
            config: {
              global: { scrape_interval: "30s", scrape_timeout: "10s" },
              scrape_configs: [
                {
                  job_name: "log-receiver",
                  metrics_path: "/metrics",
                  static_configs: [{ targets: ["127.0.0.1:8080"] }],
                },
              ],
            },
          },
        },
        processors: { resourcedetection: { detectors: ["ecs"] } },
        exporters: {
          prometheusremotewrite: {
            endpoint: url,
            auth: { authenticator: "sigv4auth" },
            resource_to_telemetry_conversion: { enabled: true },
          },
        },
        service: {
          extensions: ["sigv4auth"],
          pipelines: {
            metrics: {
              receivers: ["prometheus"],
              processors: ["resourcedetection"],
              exporters: ["prometheusremotewrite"],
            },
          },
        },
      },
    );
    assert.equal(PER_TASK_LABEL, "aws_ecs_task_arn", "aws.ecs.task.arn with dots as underscores");
  });

  describe("ADOT config with traces", () => {
    const url = "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write";
    const tracesPipeline = {
      receivers: ["otlp"],
      processors: ["resourcedetection", "batch"],
      exporters: ["awsxray"],
    };

    it("traces only: OTLP/HTTP on loopback, the ECS resource detector, batched, to X-Ray in the region; no scrape, no SigV4", () => {
      assert.deepEqual(parse(adotCollectorConfig({ region: "eu-west-1", traces: true })), {
        receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:4318" } } } },
        processors: { resourcedetection: { detectors: ["ecs"] }, batch: {} },
        exporters: { awsxray: { region: "eu-west-1" } },
        service: { pipelines: { traces: tracesPipeline } },
      });
    });

    it("metrics and traces: one collector, both pipelines, the metrics one unchanged", () => {
      const both = parse(adotCollectorConfig({ remoteWriteUrl: url, region: "eu-west-1", traces: true })) as {
        receivers: object;
        exporters: object;
        service: { extensions: string[]; pipelines: object };
      };
      const metricsOnly = parse(
        adotCollectorConfig({ remoteWriteUrl: url, region: "eu-west-1", traces: false }),
      ) as { service: { pipelines: { metrics: unknown } } };
      assert.deepEqual(Object.keys(both.receivers), ["prometheus", "otlp"]);
      assert.deepEqual(Object.keys(both.exporters), ["prometheusremotewrite", "awsxray"]);
      assert.deepEqual(both.service.pipelines, {
        metrics: metricsOnly.service.pipelines.metrics,
        traces: tracesPipeline,
      });
      assert.deepEqual(both.service.extensions, ["sigv4auth"]);
    });

    it("neither: refused, a sidecar with nothing to do is a bug", () => {
      assert.throws(() => adotCollectorConfig({ region: "eu-west-1", traces: false }), /metrics or traces/);
    });

    it("the receiver container gets the OTEL_* variables, in name order, only with tracing", () => {
      const names = (tracing?: { sampleRatio: number }) =>
        (
          (
            receiverContainerDefinitions({
              image: "img",
              streamName: "ingest",
              region: "eu-west-1",
              tokensSecretArn: "arn:secret",
              tokensVersionId: "v-1",
              logGroupName: "lg",
              ...(tracing !== undefined ? { tracing } : {}),
            }) as { environment: { name: string; value: string }[] }[]
          )[0]?.environment ?? []
        ).map((e) => `${e.name}=${e.value}`);
      assert.deepEqual(names({ sampleRatio: 0.01 }), [
        "AWS_REGION=eu-west-1",
        "INGEST_TOKENS_VERSION=v-1",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:4318/v1/traces",
        "OTEL_SERVICE_NAME=log-receiver",
        "OTEL_TRACES_SAMPLER=parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG=0.01",
        "PORT=8080",
        "PROXY_PROTOCOL=on",
        "STREAM_NAME=ingest",
      ]);
      assert.ok(!names().some((e) => e.startsWith("OTEL_")));
    });

    it("task role: xray:PutTraceSegments on * only with traces", () => {
      assert.deepEqual(
        receiverTaskStatements("arn:stream", "arn:key").map((s) => s.Action),
        ["kinesis:PutRecords", "kms:GenerateDataKey"],
      );
      assert.deepEqual(receiverTaskStatements("arn:stream", "arn:key", true)[2], {
        Sid: "SendTraces",
        Effect: "Allow",
        Action: "xray:PutTraceSegments",
        Resource: "*",
      });
    });
  });

  it("the promtool tests feed the rules the labels the sidecars write: one instance, one series per task", () => {
    const testsDir = join(__dirname, "../../../apps/dashboards/rules/tests");
    const files = readdirSync(testsDir).filter((f) => f.endsWith(".yml"));
    assert.ok(files.length > 0);
    let receiverSeries = 0;
    for (const file of files) {
      const doc = parse(readFileSync(join(testsDir, file), "utf8")) as {
        tests: { name: string; input_series?: { series: string }[] }[];
      };
      for (const test of doc.tests) {
        for (const { series } of test.input_series ?? []) {
          const labels = Object.fromEntries(
            [...series.matchAll(/(\w+)="([^"]*)"/g)].map((m): [string, string] => [m[1] ?? "", m[2] ?? ""]),
          );
          if (labels.job !== "log-receiver") continue;
          receiverSeries++;
          const where = `${file} "${test.name}": ${series}`;
          assert.equal(labels.instance, "127.0.0.1:8080", `every sidecar scrapes loopback: ${where}`);
          assert.match(
            labels[PER_TASK_LABEL] ?? "",
            /^arn:aws:ecs:[\w-]+:\d{12}:task\/[\w-]+\/[0-9a-f]{32}$/,
            `a series without its task label: ${where}`,
          );
        }
      }
    }
    assert.ok(receiverSeries > 20, `only ${receiverSeries} receiver series`);
  });

  describe("certificate names", () => {
    const bundle = (names: string[]) => `${selfSignedCertificate(names).certificatePem}${intermediate}\n`;

    it("reads the leaf's subjectAltName DNS names, not its IP addresses, not the chain's", async () => {
      assert.deepEqual(certificateDnsNames(bundle(["logs.example.com", "*.corp.example.com"])), [
        "logs.example.com",
        "*.corp.example.com",
      ]);
      // A certificate from another generator (the one `npm start` uses), with an IP address too.
      const other = await selfsigned.generate([{ name: "commonName", value: "x" }], {
        keyType: "ec",
        curve: "P-256",
        algorithm: "sha256",
        extensions: [
          {
            name: "subjectAltName",
            altNames: [
              { type: 2, value: "a.example.net" },
              { type: 7, ip: "192.0.2.1" },
              { type: 2, value: "b.example.net" },
            ],
          },
        ],
      });
      assert.deepEqual(certificateDnsNames(other.cert), ["a.example.net", "b.example.net"]);
      assert.deepEqual(certificateDnsNames(selfSignedCertificate([], "cn.example.com").certificatePem), []);
    });

    it("covers a name as TLS clients check it: exact names, a wildcard for exactly one leftmost label", () => {
      const pem = bundle(["logs.example.com", "*.corp.example.com", "f*.example.org", "*.com"]);
      const cases: [string, boolean][] = [
        ["logs.example.com", true],
        ["LOGS.Example.COM", true], // DNS names compare without case
        ["intake.corp.example.com", true],
        ["a.b.corp.example.com", false], // one label only
        ["corp.example.com", false], // the wildcard needs a label
        ["other.example.com", false],
        ["foo.example.org", false], // no partial-label wildcards
        ["example.com", false], // no wildcard right above a top-level domain
      ];
      for (const [host, covered] of cases) assert.equal(certificateCovers(pem, host), covered, host);
      // The subject common name counts for nothing (clients check subjectAltName only).
      assert.equal(
        certificateCovers(selfSignedCertificate([], "logs.example.com").certificatePem, "logs.example.com"),
        false,
      );
    });

    it("explains a certificate that does not cover the name, listing what it covers", () => {
      assert.equal(certificateNameProblem(bundle(["logs.example.com"]), "logs.example.com"), undefined);
      assert.equal(
        certificateNameProblem(bundle(["www.example.com", "*.corp.example.com"]), "logs.example.com"),
        "the certificate covers www.example.com, *.corp.example.com, not logs.example.com (a wildcard stands for exactly one label)",
      );
      assert.match(
        certificateNameProblem(
          selfSignedCertificate([], "logs.example.com").certificatePem,
          "logs.example.com",
        ) ?? "",
        /names no DNS name in its subjectAltName \(clients ignore the subject's common name\)/,
      );
      assert.match(
        certificateNameProblem(leaf, "logs.example.com") ?? "",
        /^the certificate cannot be read \(/,
      );
    });
  });
});
