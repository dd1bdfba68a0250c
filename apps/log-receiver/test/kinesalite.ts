import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type http from "node:http";
import type { AddressInfo } from "node:net";

/** kinesalite ships no types; this is the part the harness uses. */
type Kinesalite = (options: Record<string, number>) => http.Server;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require("kinesalite") as Kinesalite;

/** A real (in-memory) Kinesis API on loopback. */
export interface LocalKinesis {
  readonly endpoint: string;
  readonly client: KinesisClient;
  createStream(name: string, shards: number): Promise<void>;
  /** Data of every record of every shard, read from TRIM_HORIZON until caught up. */
  readAll(name: string): Promise<Buffer[]>;
  close(): Promise<void>;
}

/** A Kinesis client for local endpoints (HTTP/1.1 handler, fake credentials). */
export function localKinesisClient(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}

/** Creates a stream and waits until it is ACTIVE. */
export async function createActiveStream(client: KinesisClient, name: string, shards: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (;;) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary.StreamDescriptionSummary?.StreamStatus === "ACTIVE") return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts kinesalite in this process on 127.0.0.1, port 0. */
export async function startKinesalite(): Promise<LocalKinesis> {
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = localKinesisClient(endpoint);
  return {
    endpoint,
    client,
    createStream: (name, shards) => createActiveStream(client, name, shards),
    async readAll(name) {
      const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: name }));
      const data: Buffer[] = [];
      for (const shard of Shards) {
        let iterator = (
          await client.send(
            new GetShardIteratorCommand({
              StreamName: name,
              ShardId: shard.ShardId,
              ShardIteratorType: "TRIM_HORIZON",
            }),
          )
        ).ShardIterator;
        while (iterator !== undefined) {
          const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
          const records = page.Records ?? [];
          for (const record of records) data.push(Buffer.from(record.Data ?? new Uint8Array()));
          // Caught up: an empty page at the tip of the shard.
          if (records.length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
          iterator = page.NextShardIterator;
        }
      }
      return data;
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
