import { stringify } from "yaml";

import type { PolicyStatement } from "../lib/iam";
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

/**
 * Collector configuration: scrape the receiver's `/metrics` on loopback (it
 * answers loopback only), tag every series with the task it comes from
 * (resourcedetection with the `ecs` detector reads the task metadata endpoint
 * v4, which Fargate provides to every container; no IAM permission needed),
 * and remote-write to AMP with SigV4 (the task role). This is the pipeline of
 * ADOT's own ECS + AMP configuration (config/ecs/ecs-amp-prometheus.yaml in
 * aws-observability/aws-otel-collector).
 */
export function adotCollectorConfig(remoteWriteUrl: string, region: string): string {
  return stringify({
    extensions: { sigv4auth: { region, service: "aps" } },
    receivers: {
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
    },
    processors: { resourcedetection: { detectors: ["ecs"] } },
    exporters: {
      prometheusremotewrite: {
        endpoint: remoteWriteUrl,
        auth: { authenticator: "sigv4auth" },
        // Resource attributes (the ECS task, cluster, zone…) become labels on every series.
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
  });
}

/**
 * The sidecar's container definition, hardened like the receiver's. It is not
 * essential: a collector failure must never stop log intake.
 */
export function adotContainerDefinition(inputs: {
  remoteWriteUrl: string;
  region: string;
  logGroupName: string;
}): object {
  return {
    name: ADOT_CONTAINER,
    image: ADOT_IMAGE,
    essential: false,
    user: "10001:10001",
    readonlyRootFilesystem: true,
    privileged: false,
    linuxParameters: { capabilities: { drop: ["ALL"] } },
    environment: [
      { name: "AOT_CONFIG_CONTENT", value: adotCollectorConfig(inputs.remoteWriteUrl, inputs.region) },
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
