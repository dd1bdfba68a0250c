/**
 * s3rver on loopback for the indexer's tests: a temporary directory, the
 * buckets, an SDK client configured the way s3rver needs, and cleanup.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

/** The part of s3rver's API used here (it ships no type declarations). */
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  on(event: "event", listener: (event: { Records: unknown[] }) => void): void;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

/** A running s3rver and a client for it. */
export interface LocalS3 {
  readonly s3: S3Client;
  readonly endpoint: string;
  /** s3rver's in-process S3 event notifications (its bucket notifications are not implemented). */
  onObjectEvent(listener: (event: { Records: unknown[] }) => void): void;
  put(bucket: string, key: string, body: Buffer | string): Promise<void>;
  /** The object's bytes, or undefined when it does not exist. */
  get(bucket: string, key: string): Promise<Buffer | undefined>;
  /** A gzip NDJSON object's lines parsed, or undefined when it does not exist. */
  getNdjsonGz(bucket: string, key: string): Promise<unknown[] | undefined>;
  close(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 (random port) with the given buckets. */
export async function startLocalS3(buckets: readonly string[]): Promise<LocalS3> {
  const S3rver = createRequire(__filename)("s3rver") as S3rverConstructor;
  const directory = mkdtempSync(join(tmpdir(), "cloudtrail-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const s3 = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: new NodeHttpHandler(),
  });
  const get = async (bucket: string, key: string): Promise<Buffer | undefined> => {
    try {
      const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(
        await (response.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") return undefined;
      throw error;
    }
  };
  return {
    s3,
    endpoint,
    onObjectEvent: (listener) => server.on("event", listener),
    put: async (bucket, key, body) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    get,
    getNdjsonGz: async (bucket, key) => {
      const body = await get(bucket, key);
      if (body === undefined) return undefined;
      const text = gunzipSync(body).toString("utf8");
      return text === ""
        ? []
        : text
            .trimEnd()
            .split("\n")
            .map((line) => JSON.parse(line) as unknown);
    },
    close: async () => {
      s3.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
