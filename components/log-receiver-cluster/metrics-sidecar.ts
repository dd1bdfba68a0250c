import { stringify } from "yaml";

import type { PolicyStatement } from "../lib/iam";
import { otlpToXRay } from "../lib/tracing";
import { RECEIVER_PORT } from "./container-definition";

/** The AWS Distro for OpenTelemetry collector, pinned. */
export const ADOT_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0";
export const ADOT_CONTAINER = "adot-collector";
/** Scrape job name: the Prometheus rules' `up{job="log-receiver"}` depends on it. */
export const SCRAPE_JOB = "log-receiver";
/**
 * The label that tells one task's series from another's: the ECS detector's
 * `aws.ecs.task.arn` resource attribute, turned into a label by the
 * exporter's resource_to_telemetry_conversion (dots become underscores).
 * Every sidecar scrapes the same `127.0.0.1:8080`, so `instance` is the same
 * in every task; without this label 2–8 tasks would write one series.
 */
export const PER_TASK_LABEL = "aws_ecs_task_arn";

/** What the sidecar collects: metrics (scraped, to AMP), traces (OTLP in, to X-Ray), or both. */
export interface SidecarPipelines {
  readonly region: string;
  /** AMP remote-write URL: scrape the receiver's metrics and write them there. Absent: no metrics pipeline. */
  readonly remoteWriteUrl?: string;
  /** Receive the receiver's spans on loopback and export them to X-Ray. */
  readonly traces: boolean;
}

/**
 * Collector configuration. Metrics: scrape the receiver's `/metrics` on
 * loopback (it answers loopback only), tag every series with the task it
 * comes from (resourcedetection with the `ecs` detector reads the task
 * metadata endpoint v4, which Fargate provides to every container; no IAM
 * permission needed), and remote-write to AMP with SigV4 (the task role):
 * the pipeline of ADOT's own ECS + AMP configuration
 * (config/ecs/ecs-amp-prometheus.yaml in aws-observability/aws-otel-collector).
 * Traces: the OTLP receiver on loopback and the awsxray exporter shared with
 * the Lambda collector (components/lib/tracing.ts), the same ECS resource
 * attributes on every span (the segments' `aws.ecs` metadata), batched.
 * @throws Error when neither pipeline is asked for (the sidecar would have nothing to do)
 */
export function adotCollectorConfig(pipelines: SidecarPipelines): string {
  const { region, remoteWriteUrl, traces } = pipelines;
  if (remoteWriteUrl === undefined && !traces) throw new Error("the ADOT sidecar needs metrics or traces");
  const xray = otlpToXRay(region);
  const metrics = remoteWriteUrl !== undefined;
  return stringify({
    ...(metrics ? { extensions: { sigv4auth: { region, service: "aps" } } } : {}),
    receivers: {
      ...(metrics
        ? {
            prometheus: {
              config: {
                global: { scrape_interval: "30s", scrape_timeout: "10s" },
                scrape_configs: [
                  {
                    job_name: SCRAPE_JOB,
                    metrics_path: "/metrics",
                    static_configs: [{ targets: [`127.0.0.1:${RECEIVER_PORT}`] }],
                  },
                ],
              },
            },
          }
        : {}),
      ...(traces ? xray.receivers : {}),
    },
    processors: { resourcedetection: { detectors: ["ecs"] }, ...(traces ? { batch: {} } : {}) },
    exporters: {
      ...(metrics
        ? {
            prometheusremotewrite: {
              endpoint: remoteWriteUrl,
              auth: { authenticator: "sigv4auth" },
              // Resource attributes (the ECS task, cluster, zone…) become labels on every series.
              resource_to_telemetry_conversion: { enabled: true },
            },
          }
        : {}),
      ...(traces ? xray.exporters : {}),
    },
    service: {
      ...(metrics ? { extensions: ["sigv4auth"] } : {}),
      pipelines: {
        ...(metrics
          ? {
              metrics: {
                receivers: ["prometheus"],
                processors: ["resourcedetection"],
                exporters: ["prometheusremotewrite"],
              },
            }
          : {}),
        ...(traces
          ? {
              traces: {
                receivers: ["otlp"],
                processors: ["resourcedetection", "batch"],
                exporters: ["awsxray"],
              },
            }
          : {}),
      },
    },
  });
}

/**
 * The sidecar's container definition, hardened like the receiver's. It is not
 * essential: a collector failure must never stop log intake.
 */
export function adotContainerDefinition(
  inputs: SidecarPipelines & { readonly logGroupName: string },
): object {
  return {
    name: ADOT_CONTAINER,
    image: ADOT_IMAGE,
    essential: false,
    user: "10001:10001",
    readonlyRootFilesystem: true,
    privileged: false,
    linuxParameters: { capabilities: { drop: ["ALL"] } },
    environment: [
      {
        name: "AOT_CONFIG_CONTENT",
        value: adotCollectorConfig({
          region: inputs.region,
          traces: inputs.traces,
          ...(inputs.remoteWriteUrl !== undefined ? { remoteWriteUrl: inputs.remoteWriteUrl } : {}),
        }),
      },
    ],
    logConfiguration: {
      logDriver: "awslogs",
      options: {
        "awslogs-group": inputs.logGroupName,
        "awslogs-region": inputs.region,
        "awslogs-stream-prefix": "adot",
      },
    },
  };
}

/** The task may remote-write to the one AMP workspace. */
export function remoteWriteStatement(workspaceArn: string): PolicyStatement {
  return { Sid: "RemoteWriteMetrics", Effect: "Allow", Action: "aps:RemoteWrite", Resource: workspaceArn };
}
