import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A Kinesis PutRecords endpoint on loopback that stores nothing but the ids
 * of the envelopes it took, for tests that push more data than kinesalite
 * can hold in memory. It speaks the JSON 1.1 protocol the SDK uses for
 * Kinesis (`X-Amz-Target: Kinesis_20131202.PutRecords`, Data in base64) and
 * accepts every record.
 */
export interface FakeKinesisEndpoint {
  readonly endpoint: string;
  /** Line indexes stored per id prefix (`<idBase>-<index>`). */
  readonly stored: Map<string, Set<number>>;
  close(): Promise<void>;
}

export async function startFakeKinesisEndpoint(): Promise<FakeKinesisEndpoint> {
  const stored = new Map<string, Set<number>>();
  let sequence = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      if (target !== "Kinesis_20131202.PutRecords") {
        res.writeHead(400, { "Content-Type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify({ __type: "UnknownOperationException", message: target }));
        return;
      }
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        Records: { Data: string; PartitionKey: string }[];
      };
      for (const record of input.Records) {
        const data = Buffer.from(record.Data, "base64").toString("latin1");
        // Every envelope starts with {"id":"<idBase>-<index>": read the ids without parsing the rest.
        for (const match of data.matchAll(/(?:^|\n)\{"id":"([0-9a-f]+)-(\d+)"/g)) {
          const base = match[1] as string;
          let indexes = stored.get(base);
          if (indexes === undefined) stored.set(base, (indexes = new Set()));
          indexes.add(Number(match[2]));
        }
      }
      const body = JSON.stringify({
        FailedRecordCount: 0,
        Records: input.Records.map(() => ({
          SequenceNumber: String(++sequence),
          ShardId: "shardId-000000000000",
        })),
      });
      res.writeHead(200, { "Content-Type": "application/x-amz-json-1.1" });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stored,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
