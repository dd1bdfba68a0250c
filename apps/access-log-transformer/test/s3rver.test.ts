/**
 * End to end against a real S3 API (s3rver, in process, on 127.0.0.1): the
 * handler with a real S3Client and a real Kinesis event shape, then the
 * objects read back, gunzipped and compared line by line.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createHandler } from "../src/handler";
import { parseAccessLogLine } from "../src/parse";
import { kinesisEvent, kinesisRecord } from "./helpers";

/** The part of s3rver's API this test uses (the package has no type declarations). */
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverServer;

const S3rver = createRequire(__filename)("s3rver") as S3rverConstructor;
const BUCKET = "archive";
const LINES = [
  '192.0.2.1 - - [10/Mar/2024:06:59:59 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8.4.0"',
  '2001:db8::2 - bob [10/Mar/2024:07:00:01 +0000] "POST /b?c=\\x22d\\x22 HTTP/2.0" 201 0 "https://e.example/" "Agent \\"x\\""',
  '::ffff:10.0.0.9 - - [10/Mar/2024:06:30:00 +0000] "\\x16\\x03\\x01" 400 157 "-" "-"',
];

describe("access-log-transformer against s3rver", () => {
  let directory: string;
  let server: S3rverServer;
  let s3: S3Client;

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), "access-log-transformer-"));
    server = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory,
      configureBuckets: [{ name: BUCKET }],
    });
    const { port } = await server.run();
    s3 = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
    });
  });

  after(async () => {
    s3?.destroy();
    await server?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  async function readObject(key: string): Promise<string> {
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(object.ContentEncoding, undefined);
    assert.equal(object.ContentType, "application/gzip");
    return gunzipSync(await object.Body!.transformToByteArray()).toString("utf8");
  }

  it("stores every line, parsed or rejected, where the keys say", async () => {
    const handler = createHandler({ s3, bucket: BUCKET, logger: { info: () => {}, error: () => {} } });
    const event = kinesisEvent([
      kinesisRecord({
        sequenceNumber: "4950001",
        data: `${LINES[0]}\n${LINES[1]}\n`,
        arrival: 1_710_054_000,
      }),
      kinesisRecord({ sequenceNumber: "4950002", data: JSON.stringify({ log: `${LINES[2]}\n` }) }),
      kinesisRecord({ sequenceNumber: "4950003", data: "GET / HTTP/1.1", arrival: 1_710_054_001 }),
    ]);

    assert.deepEqual(await handler(event), { batchItemFailures: [] });

    const json = (line: string | undefined) => `${JSON.stringify(parseAccessLogLine(line ?? ""))}\n`;
    const suffix = "shardId-000000000000-4950001.json.gz";
    assert.equal(
      await readObject(`access/year=2024/month=03/day=10/hour=06/${suffix}`),
      json(LINES[0]) + json(LINES[2]),
    );
    assert.equal(await readObject(`access/year=2024/month=03/day=10/hour=07/${suffix}`), json(LINES[1]));
    // Named after the record that contributed the rejected line, in the hour it arrived.
    const errors = await readObject(
      "access-errors/year=2024/month=03/day=10/hour=07/shardId-000000000000-4950003.json.gz",
    );
    assert.deepEqual(JSON.parse(errors), {
      reason: 'remote address "GET" is not an IPv4 or IPv6 address',
      line: "GET / HTTP/1.1",
      shardId: "shardId-000000000000",
      sequenceNumber: "4950003",
      lineIndex: 0,
    });

    const head = await s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: `access/year=2024/month=03/day=10/hour=07/${suffix}` }),
    );
    assert.equal(head.ContentEncoding, undefined);
  });
});
