/**
 * The platform on one machine, for trying it out and for end-to-end tests:
 * kinesalite (the ingest stream) and s3rver (the archive bucket) on
 * loopback, the log receiver serving HTTPS with a generated self-signed
 * certificate, and the access-log transformer fed by a local stand-in for
 * Lambda's Kinesis event source mapping. Nothing listens beyond 127.0.0.1.
 */
import * as fs from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import pino from "pino";
import selfsigned from "selfsigned";

import { createHandler } from "../../apps/access-log-transformer/src/handler";
import { startReceiver } from "../../apps/log-receiver/src/server";
import type { KinesisEventSource } from "./kinesis-event-source";
import { startKinesisEventSource } from "./kinesis-event-source";

// Both stand-ins are CommonJS packages without type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require("kinesalite") as (options: object) => Server;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require("s3rver") as new (options: object) => {
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
  /** Log level of the receiver and transformer. Default: warn. */
  readonly logLevel?: string;
}

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
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

async function waitForStream(kinesis: KinesisClient, streamName: string): Promise<void> {
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
  const closers: (() => Promise<void>)[] = [];
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
    });
    closers.push(() => receiver.close());

    const deadLetters: LocalPlatform["deadLetters"] = [];
    const transformer = createHandler({
      s3,
      bucket,
      logger: logger.child({ app: "access-log-transformer" }),
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
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
