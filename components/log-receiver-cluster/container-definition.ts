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
