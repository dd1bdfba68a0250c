/**
 * The platform on one machine, for trying it out and for end-to-end tests:
 * kinesalite (the ingest stream) and s3rver (the archive bucket) on
 * loopback, the log receiver serving HTTPS with a generated self-signed
 * certificate, and the access-log transformer fed by a local stand-in for
 * Lambda's Kinesis event source mapping. The CloudTrail path too: a trail
 * bucket in s3rver whose new log files are announced (a stand-in for its
 * bucket notification) on an SNS topic in fauxqs, a queue with a DLQ
 * subscribed to it, and the CloudTrail indexer fed by a local stand-in for
 * Lambda's SQS event source mapping, writing the split events to the archive
 * bucket (no OpenSearch here). The log indexer reads the same stream through
 * a second stand-in mapping (as in AWS, where it has its own event source
 * mapping next to the transformer's) and, with no OpenSearch here, writes the
 * documents it would index to the archive bucket under `opensearch-preview/`
 * (the preview sink the Lambda uses when `OPENSEARCH_ENDPOINT` is absent).
 * With `tracingEnv`, every app traces as in AWS, each under its own service
 * name, to the OTLP endpoint that environment names (`npm start`: the local
 * stand-in of otlp-stand-in.ts).
 * Nothing listens beyond 127.0.0.1.
 */
import * as fs from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import pino from "pino";
import selfsigned from "selfsigned";

import { createHandler } from "../../apps/access-log-transformer/src/handler";
import { createHandler as createCloudTrailIndexer } from "../../apps/cloudtrail-indexer/src/handler";
import type { BulkSink } from "../../apps/lib/opensearch/bulk";
import { DEFAULT_PREVIEW_PREFIX, previewBulkSink } from "../../apps/log-indexer/src/common";
import { createHandler as createLogIndexer } from "../../apps/log-indexer/src/handler";
import { SERVICE_NAME as RECEIVER_SERVICE } from "../../apps/log-receiver/src/main";
import { startReceiver } from "../../apps/log-receiver/src/server";
import { SERVICE_NAME as TRANSFORMER_SERVICE } from "../../apps/access-log-transformer/src/handler";
import { SERVICE_NAME as CLOUDTRAIL_SERVICE } from "../../apps/cloudtrail-indexer/src/handler";
import { SERVICE_NAME as LOG_INDEXER_SERVICE } from "../../apps/log-indexer/src/handler";
import { tracingConfigFromEnv } from "../../apps/lib/tracing/config";
import { startTracing } from "../../apps/lib/tracing/start";
import type { Tracing } from "../../apps/lib/tracing/tracing";
import { startFauxqs } from "./fauxqs";
import type { KinesisEventSource } from "./kinesis-event-source";
import { startKinesisEventSource } from "./kinesis-event-source";
import type { S3EventEmitter } from "./s3-notifications";
import { forwardS3Notifications } from "./s3-notifications";
import type { SqsEventSource } from "./sqs-event-source";
import { startSqsEventSource } from "./sqs-event-source";

// Both stand-ins are CommonJS packages without type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require("kinesalite") as (options: object) => Server;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require("s3rver") as new (options: object) => S3EventEmitter & {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
};

export const LOCAL_REGION = "us-east-1";
const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface LocalPlatformOptions {
  /** Receiver port; 0 picks a free one. Default: 0. */
  readonly receiverPort?: number;
  /** Where s3rver keeps objects. Default: a new temporary directory, removed on close. */
  readonly dataDir?: string;
  /** Shards of the ingest stream. Default: 2. */
  readonly shards?: number;
  /** Log level of the receiver, transformer and indexer. Default: warn. */
  readonly logLevel?: string;
  /**
   * Visibility timeout of the CloudTrail queue: how long a failed message
   * waits before its next delivery. Default: 2 s (short, so a poison file
   * reaches the DLQ within seconds).
   */
  readonly cloudTrailVisibilityTimeoutSeconds?: number;
  /** Where the log indexer sends `_bulk` bodies. Default: the preview sink (the archive bucket's `opensearch-preview/`). */
  readonly logIndexerSink?: BulkSink;
  /**
   * The OTEL_* variables the apps read for tracing (see apps/lib/tracing/config.ts),
   * e.g. `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` of a stand-in. `OTEL_SERVICE_NAME`
   * is ignored: each app keeps its own name. Default: tracing off.
   */
  readonly tracingEnv?: NodeJS.ProcessEnv;
}

/** One object the log indexer's preview sink wrote. */
export interface PreviewWrite {
  /** `opensearch-preview/<index>/<hash>.ndjson` in the archive bucket. */
  readonly key: string;
  readonly documents: number;
}

/** Receives of a CloudTrail message before it moves to the DLQ. */
export const CLOUDTRAIL_MAX_RECEIVE_COUNT = 3;

export interface LocalPlatform {
  /** `https://127.0.0.1:<port>/v1/logs` */
  readonly receiverUrl: string;
  /** The ingest token of the local receiver (generated per run). */
  readonly token: string;
  /** PEM of the receiver's self-signed certificate, for clients to trust. */
  readonly caPem: string;
  readonly caFile: string;
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  readonly kinesisEndpoint: string;
  readonly s3Endpoint: string;
  readonly streamName: string;
  readonly bucket: string;
  readonly dataDir: string;
  readonly eventSource: KinesisEventSource;
  /** Records the transformer failed for good (the local stand-in for the on-failure queue). */
  readonly deadLetters: { shardId: string; sequenceNumber: string; count: number; reason: string }[];
  /** Where CloudTrail log files go (`AWSLogs/…json.gz` are announced to the indexer). */
  readonly trailBucket: string;
  /** fauxqs (SQS and SNS), `http://127.0.0.1:<port>`. */
  readonly sqsEndpoint: string;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  /** The trail bucket's notification topic. */
  readonly topicArn: string;
  /** The indexer's queue, subscribed to the topic. */
  readonly queueUrl: string;
  /** Where messages go after {@link CLOUDTRAIL_MAX_RECEIVE_COUNT} failed receives. */
  readonly deadLetterQueueUrl: string;
  /**
   * The indexer's event source. Its `idle()` also waits for the trail
   * bucket's notifications still being published, so "idle" means every file
   * put before the call has been indexed or dead-lettered.
   */
  readonly cloudTrailEventSource: SqsEventSource;
  /** The log indexer's event source on the ingest stream. */
  readonly logIndexerEventSource: KinesisEventSource;
  /** Records the log indexer failed for good (its on-failure destination). */
  readonly logIndexerDeadLetters: {
    shardId: string;
    sequenceNumber: string;
    count: number;
    reason: string;
  }[];
  /** Prefix of the documents the log indexer would index, in {@link bucket} (when no sink was given). */
  readonly previewPrefix: string;
  /** Every preview object written so far, in order (a retried batch rewrites its key). */
  readonly previewWrites: PreviewWrite[];
  /** Exports the spans every app has ended so far (the Lambdas flush per batch already; the receiver every few seconds). */
  flushTraces(): Promise<void>;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

/** Waits until a new stream is ACTIVE (kinesalite creates it asynchronously, as Kinesis does). */
export async function waitForStream(kinesis: KinesisClient, streamName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`);
}

/** Starts everything; `close()` stops it all in reverse order. */
export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const logger = pino({ level: options.logLevel ?? "warn" });
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "log-platform-"));
  const streamName = "ingest";
  const bucket = "archive";
  const trailBucket = "cloudtrail";
  const closers: (() => Promise<void>)[] = [];
  const tracings: Tracing[] = [];
  const tracingOf = (service: string): Tracing => {
    if (options.tracingEnv === undefined) return startTracing({ enabled: false });
    const { OTEL_SERVICE_NAME: _ignored, ...env } = options.tracingEnv;
    const tracing = startTracing(tracingConfigFromEnv(env, service), {
      onExportError: (error) => logger.warn({ app: service, err: error }, "spans not exported"),
    });
    tracings.push(tracing);
    closers.push(() => tracing.shutdown());
    return tracing;
  };
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
    if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const kinesisServer = kinesalite({
      createStreamMs: 0,
      deleteStreamMs: 0,
      updateStreamMs: 0,
      shardLimit: 100,
    });
    const kinesisPort = await listen(kinesisServer);
    closers.push(() => new Promise<void>((resolve) => kinesisServer.close(() => resolve())));
    const kinesisEndpoint = `http://127.0.0.1:${kinesisPort}`;
    // kinesalite speaks HTTP/1.1 only: the SDK's default handler would fail.
    const kinesis = new KinesisClient({
      endpoint: kinesisEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      requestHandler: new NodeHttpHandler(),
    });
    closers.push(() => Promise.resolve(kinesis.destroy()));
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: options.shards ?? 2 }));
    await waitForStream(kinesis, streamName);

    const s3rver = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory: path.join(dataDir, "s3"),
    });
    const s3Address = await s3rver.run();
    closers.push(() => s3rver.close());
    const s3Endpoint = `http://127.0.0.1:${s3Address.port}`;
    const s3 = new S3Client({
      endpoint: s3Endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
    });
    closers.push(() => Promise.resolve(s3.destroy()));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new CreateBucketCommand({ Bucket: trailBucket }));

    const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
      keyType: "ec",
      curve: "P-256",
      algorithm: "sha256",
      extensions: [
        {
          name: "subjectAltName",
          altNames: [
            { type: 2, value: "localhost" },
            { type: 7, ip: "127.0.0.1" },
          ],
        },
      ],
    });
    const caFile = path.join(dataDir, "receiver-cert.pem");
    fs.writeFileSync(caFile, pems.cert);

    const token = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex");
    const receiver = await startReceiver({
      port: options.receiverPort ?? 0,
      host: "127.0.0.1",
      tokens: [{ name: "local", token }],
      kinesis,
      streamName,
      tls: { cert: pems.cert, key: pems.private },
      logger: logger.child({ app: "log-receiver" }),
      tracing: tracingOf(RECEIVER_SERVICE),
    });
    closers.push(() => receiver.close());

    const deadLetters: LocalPlatform["deadLetters"] = [];
    const transformer = createHandler({
      s3,
      bucket,
      logger: logger.child({ app: "access-log-transformer" }),
      tracing: tracingOf(TRANSFORMER_SERVICE),
    });
    const eventSource = await startKinesisEventSource({
      kinesis,
      streamName,
      region: LOCAL_REGION,
      handler: transformer,
      onDeadLetter: (shardId, sequenceNumber, count, reason) =>
        deadLetters.push({ shardId, sequenceNumber, count, reason }),
    });
    closers.push(() => eventSource.stop());

    const logIndexer = await startLogIndexer({
      kinesis,
      streamName,
      s3,
      bucket,
      logger,
      tracing: tracingOf(LOG_INDEXER_SERVICE),
      ...(options.logIndexerSink === undefined ? {} : { sink: options.logIndexerSink }),
    });
    closers.push(() => logIndexer.logIndexerEventSource.stop());

    const cloudTrail = await startCloudTrailPath({
      s3rver,
      s3,
      trailBucket,
      archiveBucket: bucket,
      visibilityTimeoutSeconds: options.cloudTrailVisibilityTimeoutSeconds ?? 2,
      logger,
      closers,
      tracing: tracingOf(CLOUDTRAIL_SERVICE),
    });

    return {
      receiverUrl: `${receiver.url.replace(/\/$/, "")}/v1/logs`,
      token,
      caPem: pems.cert,
      caFile,
      kinesis,
      s3,
      kinesisEndpoint,
      s3Endpoint,
      streamName,
      bucket,
      dataDir,
      eventSource,
      deadLetters,
      trailBucket,
      ...logIndexer,
      ...cloudTrail,
      flushTraces: async () => {
        await Promise.all(tracings.map((tracing) => tracing.flush()));
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The log indexer's Kinesis handler on the ingest stream, through its own
 * event source (bisecting on function errors, as the LogIndexer's mapping
 * does), writing to `sink` or else to the preview prefix of the archive bucket.
 */
async function startLogIndexer(options: {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly logger: pino.Logger;
  readonly tracing: Tracing;
  readonly sink?: BulkSink;
}): Promise<
  Pick<LocalPlatform, "logIndexerEventSource" | "logIndexerDeadLetters" | "previewPrefix" | "previewWrites">
> {
  const previewWrites: PreviewWrite[] = [];
  const logIndexerDeadLetters: LocalPlatform["logIndexerDeadLetters"] = [];
  const sink =
    options.sink ??
    previewBulkSink(options.s3, options.bucket, DEFAULT_PREVIEW_PREFIX, (key, documents) =>
      previewWrites.push({ key, documents }),
    );
  const handler = createLogIndexer({
    sink,
    s3: options.s3,
    archiveBucket: options.bucket,
    logger: options.logger.child({ app: "log-indexer" }),
    tracing: options.tracing,
  });
  const logIndexerEventSource = await startKinesisEventSource({
    kinesis: options.kinesis,
    streamName: options.streamName,
    region: LOCAL_REGION,
    handler,
    onDeadLetter: (shardId, sequenceNumber, count, reason) =>
      logIndexerDeadLetters.push({ shardId, sequenceNumber, count, reason }),
  });
  return {
    logIndexerEventSource,
    logIndexerDeadLetters,
    previewPrefix: DEFAULT_PREVIEW_PREFIX,
    previewWrites,
  };
}

/**
 * fauxqs, the trail bucket's topic and queues (as the CloudTrailPipeline
 * component creates them), the notification forwarder and the indexer's event
 * source. Pushes its closers onto `closers` as each piece starts.
 */
async function startCloudTrailPath(options: {
  readonly s3rver: S3EventEmitter;
  readonly s3: S3Client;
  readonly trailBucket: string;
  readonly archiveBucket: string;
  readonly visibilityTimeoutSeconds: number;
  readonly logger: pino.Logger;
  readonly closers: (() => Promise<void>)[];
  readonly tracing: Tracing;
}): Promise<
  Pick<
    LocalPlatform,
    "sqsEndpoint" | "sqs" | "sns" | "topicArn" | "queueUrl" | "deadLetterQueueUrl" | "cloudTrailEventSource"
  >
> {
  const { closers, logger } = options;
  const fauxqs = await startFauxqs();
  closers.push(() => fauxqs.stop());
  // fauxqs speaks HTTP/1.1 only, like kinesalite.
  const clientConfig = {
    endpoint: fauxqs.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    requestHandler: new NodeHttpHandler(),
  };
  const sqs = new SQSClient(clientConfig);
  closers.push(() => Promise.resolve(sqs.destroy()));
  const sns = new SNSClient(clientConfig);
  closers.push(() => Promise.resolve(sns.destroy()));

  const queueArn = async (url: string): Promise<string> => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
    );
    if (Attributes?.QueueArn === undefined) throw new Error(`queue ${url} has no QueueArn`);
    return Attributes.QueueArn;
  };
  const createQueue = async (name: string, attributes: Record<string, string>): Promise<string> => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (QueueUrl === undefined) throw new Error(`queue ${name} was not created`);
    return QueueUrl;
  };
  const deadLetterQueueUrl = await createQueue("cloudtrail-dead-letters", {});
  const queueUrl = await createQueue("cloudtrail-new-files", {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: await queueArn(deadLetterQueueUrl),
      maxReceiveCount: CLOUDTRAIL_MAX_RECEIVE_COUNT,
    }),
  });
  const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: "cloudtrail-new-files" }));
  if (topicArn === undefined) throw new Error("topic cloudtrail-new-files was not created");
  await sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: await queueArn(queueUrl) }),
  );

  const indexerLogger = logger.child({ app: "cloudtrail-indexer" });
  const forwarder = await forwardS3Notifications({
    emitter: options.s3rver,
    sns,
    topicArn,
    filter: { bucket: options.trailBucket },
    onError: (error) => indexerLogger.error({ err: error }, "S3 notification not published"),
  });
  closers.push(() => forwarder.stop());

  // Only the trail bucket is announced, so the indexer's writes to the archive bucket never loop back.
  const indexer = createCloudTrailIndexer({
    s3: options.s3,
    archiveBucket: options.archiveBucket,
    logger: indexerLogger,
    tracing: options.tracing,
  });
  const source = await startSqsEventSource({
    sqs,
    queueUrl,
    handler: indexer,
    region: LOCAL_REGION,
    onError: (error) => indexerLogger.error({ err: error }, "SQS event source"),
  });
  closers.push(() => source.stop());
  const cloudTrailEventSource: SqsEventSource = {
    stats: source.stats,
    stop: () => source.stop(),
    idle: async () => {
      await forwarder.flushed();
      await source.idle();
    },
  };
  return {
    sqsEndpoint: fauxqs.endpoint,
    sqs,
    sns,
    topicArn,
    queueUrl,
    deadLetterQueueUrl,
    cloudTrailEventSource,
  };
}
