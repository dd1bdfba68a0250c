import { KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import https from "node:https";
import pino from "pino";
import { tracingConfigFromEnv } from "../../lib/tracing/config";
import { startTracing } from "../../lib/tracing/start";
import type { ReceiverConfig } from "./config";
import { parseReceiverEnv } from "./config";
import { startReceiver } from "./server";

/** `service.name` of the receiver's spans unless `OTEL_SERVICE_NAME` says otherwise. */
export const SERVICE_NAME = "log-receiver";

/**
 * Container entry: reads the environment (see README), starts the receiver on
 * 0.0.0.0:$PORT and stops gracefully on SIGTERM (ECS) or SIGINT. Tracing is
 * on when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (or `OTEL_EXPORTER_OTLP_ENDPOINT`)
 * is set: the task's ADOT sidecar on localhost:4318. Spans still queued are
 * flushed after the drain, before the process exits; a killed task loses only those.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = parseReceiverEnv(env);
  const tracingConfig = tracingConfigFromEnv(env, SERVICE_NAME);
  const logger = pino({ level: config.logLevel, base: { app: "log-receiver" } });
  const tracing = startTracing(tracingConfig, {
    onExportError: (error) => logger.warn({ err: error }, "spans not exported"),
  });
  const kinesis = kinesisClient(config);
  await warmUp(kinesis, config.streamName);
  const receiver = await startReceiver({
    port: config.port,
    host: config.host,
    tokens: config.tokens,
    kinesis,
    streamName: config.streamName,
    limits: config.limits,
    logger,
    tracing,
    processMetrics: true,
    proxyProtocol: config.proxyProtocol,
    ...(config.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: config.memoryLimitBytes }),
    ...(config.memoryBudgetBytes === undefined ? {} : { memoryBudgetBytes: config.memoryBudgetBytes }),
    ...(config.maxQueuedRequests === undefined ? {} : { maxQueuedRequests: config.maxQueuedRequests }),
    ...(config.deadlineMs === undefined ? {} : { timeouts: { deadlineMs: config.deadlineMs } }),
    ...(config.tls === undefined ? {} : { tls: config.tls }),
    ...(config.hostname === undefined ? {} : { hostname: config.hostname }),
  });
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, "stopping: draining in-flight requests");
    receiver
      .close()
      .then(() => tracing.shutdown())
      .then(
        () => kinesis.destroy(),
        (error: unknown) => {
          logger.error({ err: error }, "error while stopping");
          process.exitCode = 1;
        },
      );
  };
  if (tracingConfig.enabled) {
    logger.info(
      { endpoint: tracingConfig.endpoint, sampler: tracingConfig.sampler, ratio: tracingConfig.ratio },
      "tracing on",
    );
  }
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/** The Kinesis client of the container: the one retry layer is the receiver's. */
export function kinesisClient(config: Pick<ReceiverConfig, "region" | "kinesisEndpoint">): KinesisClient {
  return new KinesisClient({
    region: config.region,
    ...(config.kinesisEndpoint === undefined ? {} : { endpoint: config.kinesisEndpoint }),
    // One retry layer: the receiver's own (src/put.ts), which retries failed
    // entries alone and stops at the request's deadline. The SDK's default
    // (3 attempts per call) would multiply it.
    maxAttempts: 1,
    // HTTP/1.1 with keep-alive: the Kinesis client's default HTTP/2 handler is
    // only needed for SubscribeToShard and fails against local endpoints.
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 3_000,
      // A socket silent this long is dead; the request deadline cancels sooner when it is shorter.
      requestTimeout: 10_000,
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 128 }),
    }),
  });
}

/**
 * Runs the client's one-time set-up (region, credentials and shared config
 * files) before the first request. The SDK caches its reads of
 * ~/.aws/credentials as a promise; when the file is absent (always, in the
 * container) that promise holds an Error whose stack keeps the closures of
 * the call that first read it, so the first batch's buffer stayed resident
 * for the life of the process (found in a heap snapshot: 160 MB for a
 * maximum-size first request). A call aborted before it is sent does the
 * reads and stores nothing.
 */
async function warmUp(kinesis: KinesisClient, streamName: string): Promise<void> {
  const command = new PutRecordsCommand({
    StreamName: streamName,
    Records: [{ Data: new Uint8Array(1), PartitionKey: "warm-up" }],
  });
  await kinesis.send(command, { abortSignal: AbortSignal.abort() }).catch(() => undefined);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    // Configuration errors name the variable, never its value.
    process.stderr.write(`log-receiver failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
