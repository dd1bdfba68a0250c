import type { TracingArgs } from "../lib/tracing";
import { TRACED_SERVICES, tracingEnvironment } from "../lib/tracing";

/** Port the receiver listens on inside the task (plain HTTP; TLS ends at the NLB). */
export const RECEIVER_PORT = 8080;
export const RECEIVER_CONTAINER = "log-receiver";

/** UID:GID of distroless's `nonroot` user, which the image runs as. */
export const NON_ROOT_USER = "65532:65532";

export interface ReceiverContainerInputs {
  readonly image: string;
  readonly streamName: string;
  readonly region: string;
  /** Secrets Manager ARN holding the ingest tokens as JSON `[{name, token}]`. */
  readonly tokensSecretArn: string;
  /**
   * Version id of the tokens' current secret value (an opaque id, not secret).
   * ECS reads `secrets` only when a task starts, so the task definition must
   * change when the tokens do: a new revision makes the service roll its tasks.
   */
  readonly tokensVersionId: string;
  readonly logGroupName: string;
  /**
   * Memory the receiver may use, in MiB (see {@link receiverMemoryMiB}),
   * passed as `MEMORY_LIMIT_MIB`: its request budgets derive from it. Default:
   * unset, the receiver then reads its cgroup limit.
   */
  readonly memoryLimitMiB?: number;
  /**
   * Trace requests with OpenTelemetry (the `OTEL_*` variables point the
   * receiver at the sidecar's OTLP receiver). Default: unset, no tracing.
   */
  readonly tracing?: TracingArgs;
}

/**
 * What the ADOT collector sidecar is assumed to use: it has no memory limit
 * of its own, and its working set scraping one target and batching one
 * task's spans is well under this.
 */
export const SIDECAR_MEMORY_MIB = 128;

/**
 * The receiver's share of the task's memory: all of it, less
 * {@link SIDECAR_MEMORY_MIB} when the ADOT sidecar (metrics, traces) runs beside it. An
 * explicit figure because on Fargate the limit is the task's, which the
 * container's own cgroup need not show.
 */
export function receiverMemoryMiB(taskMemoryMiB: number, withSidecar: boolean): number {
  return taskMemoryMiB - (withSidecar ? SIDECAR_MEMORY_MIB : 0);
}

/**
 * The receiver's container definition, hardened: non-root, read-only root
 * filesystem, all Linux capabilities dropped, tokens injected by ECS from
 * Secrets Manager (never a plain environment variable), logs to CloudWatch.
 */
export function receiverContainerDefinitions(inputs: ReceiverContainerInputs): object[] {
  return [
    {
      name: RECEIVER_CONTAINER,
      image: inputs.image,
      essential: true,
      user: NON_ROOT_USER,
      readonlyRootFilesystem: true,
      privileged: false,
      linuxParameters: { capabilities: { drop: ["ALL"] }, initProcessEnabled: true },
      portMappings: [{ containerPort: RECEIVER_PORT, protocol: "tcp", name: "http" }],
      environment: [
        { name: "AWS_REGION", value: inputs.region },
        // Not read by the receiver: a new value registers a new task definition revision.
        { name: "INGEST_TOKENS_VERSION", value: inputs.tokensVersionId },
        ...(inputs.memoryLimitMiB === undefined
          ? []
          : [{ name: "MEMORY_LIMIT_MIB", value: String(inputs.memoryLimitMiB) }]),
        ...(inputs.tracing === undefined
          ? []
          : Object.entries(tracingEnvironment(TRACED_SERVICES.receiver, inputs.tracing.sampleRatio)).map(
              ([name, value]) => ({ name, value }),
            )),
        { name: "PORT", value: String(RECEIVER_PORT) },
        // The target group sends a PROXY protocol v2 header (log-receiver-cluster.ts): read the client from it.
        { name: "PROXY_PROTOCOL", value: "on" },
        { name: "STREAM_NAME", value: inputs.streamName },
      ],
      secrets: [{ name: "TOKENS", valueFrom: inputs.tokensSecretArn }],
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": inputs.logGroupName,
          "awslogs-region": inputs.region,
          "awslogs-stream-prefix": "receiver",
        },
      },
      // Distroless has no shell or curl: the image ships a node health check script.
      healthCheck: {
        command: ["CMD", "/nodejs/bin/node", "/app/healthcheck.js"],
        interval: 15,
        timeout: 5,
        retries: 3,
        startPeriod: 10,
      },
      // Time for graceful shutdown: in-flight requests finish their Kinesis puts.
      stopTimeout: 30,
      ulimits: [{ name: "nofile", softLimit: 65536, hardLimit: 65536 }],
    },
  ];
}
