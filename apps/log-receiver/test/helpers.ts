import type {
  PutRecordsCommand,
  PutRecordsCommandOutput,
  PutRecordsResultEntry,
} from "@aws-sdk/client-kinesis";
import http from "node:http";
import type { IngestEnvelope } from "../../lib/ingest-record";
import type { PutRecordsClient } from "../src/put";
import type { Receiver, ReceiverOptions } from "../src/server";
import { startReceiver } from "../src/server";

/** One record the fake stored. */
export interface StoredRecord {
  readonly data: Buffer;
  readonly partitionKey: string;
}

/**
 * In-memory stand-in for Kinesis PutRecords. `failEntry` decides, per call and
 * per entry, whether that entry comes back with an ErrorCode (the record is
 * then NOT stored); `failCall` makes a whole call throw.
 */
export class FakeKinesis implements PutRecordsClient {
  readonly calls: StoredRecord[][] = [];
  readonly stored: StoredRecord[] = [];

  constructor(
    private readonly failEntry: (
      call: number,
      entry: number,
      record: StoredRecord,
    ) => string | undefined = () => undefined,
    private readonly failCall: (call: number) => Error | undefined = () => undefined,
  ) {}

  send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
    const call = this.calls.length;
    const records = (command.input.Records ?? []).map((r) => ({
      data: Buffer.from(r.Data ?? new Uint8Array()),
      partitionKey: r.PartitionKey ?? "",
    }));
    this.calls.push(records);
    const thrown = this.failCall(call);
    if (thrown !== undefined) return Promise.reject(thrown);
    let failed = 0;
    const entries: PutRecordsResultEntry[] = records.map((record, i) => {
      const code = this.failEntry(call, i, record);
      if (code !== undefined) {
        failed++;
        return { ErrorCode: code, ErrorMessage: `injected ${code}` };
      }
      this.stored.push(record);
      return { SequenceNumber: String(this.stored.length), ShardId: "shardId-000000000000" };
    });
    return Promise.resolve({ FailedRecordCount: failed, Records: entries, $metadata: {} });
  }

  /** Every stored envelope, in order. */
  envelopes(): IngestEnvelope[] {
    return this.stored.flatMap((r) =>
      r.data
        .toString("utf8")
        .split("\n")
        .map((line) => JSON.parse(line) as IngestEnvelope),
    );
  }
}

/** An AWS-SDK-shaped service error. */
export function serviceError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(`injected ${name}`), { name, $metadata: { httpStatusCode } });
}

/** A response read completely. */
export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  json(): Record<string, unknown>;
}

/** One HTTP request over a fresh connection; resolves with the whole answer. */
export function request(
  url: string,
  options: {
    method?: string;
    path?: string;
    headers?: http.OutgoingHttpHeaders;
    body?: Buffer | string;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(options.path ?? "/v1/logs", url),
      { method: options.method ?? "POST", headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

export const TOKENS = [
  { name: "office-pcs", token: "token-office-0123456789" },
  { name: "servers", token: "token-servers-0123456789" },
];

/** Headers of an authenticated NDJSON post. */
export function auth(
  extra: http.OutgoingHttpHeaders = {},
  token = TOKENS[0]?.token,
): http.OutgoingHttpHeaders {
  return { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson", ...extra };
}

/**
 * `start(kinesis, extra)` starts a receiver with the test tokens and
 * `defaults`, and closes every receiver it started after each test.
 */
export function receiverStarter(
  defaults: Partial<ReceiverOptions>,
): (kinesis: FakeKinesis, extra?: Partial<ReceiverOptions>) => Promise<Receiver> {
  const open: Receiver[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  return async (kinesis, extra = {}) => {
    const receiver = await startReceiver({
      tokens: TOKENS,
      kinesis,
      streamName: "ingest",
      ...defaults,
      ...extra,
    });
    open.push(receiver);
    return receiver;
  };
}
