import { KinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import https from "node:https";
import pino from "pino";
import { parseReceiverEnv } from "./config";
import { startReceiver } from "./server";

/**
 * Container entry: reads the environment (see README), starts the receiver on
 * 0.0.0.0:$PORT and stops gracefully on SIGTERM (ECS) or SIGINT.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = parseReceiverEnv(env);
  const logger = pino({ level: config.logLevel, base: { app: "log-receiver" } });
  const kinesis = new KinesisClient({
    region: config.region,
    ...(config.kinesisEndpoint === undefined ? {} : { endpoint: config.kinesisEndpoint }),
    // HTTP/1.1 with keep-alive: the Kinesis client's default HTTP/2 handler is
    // only needed for SubscribeToShard and fails against local endpoints.
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 3_000,
      requestTimeout: 15_000,
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 128 }),
    }),
  });
  const receiver = await startReceiver({
    port: config.port,
    host: config.host,
    tokens: config.tokens,
    kinesis,
    streamName: config.streamName,
    limits: config.limits,
    logger,
    processMetrics: true,
    proxyProtocol: config.proxyProtocol,
    ...(config.tls === undefined ? {} : { tls: config.tls }),
    ...(config.hostname === undefined ? {} : { hostname: config.hostname }),
  });
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, "stopping: draining in-flight requests");
    receiver.close().then(
      () => kinesis.destroy(),
      (error: unknown) => {
        logger.error({ err: error }, "error while stopping");
        process.exitCode = 1;
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    // Configuration errors name the variable, never its value.
    process.stderr.write(`log-receiver failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
