/**
 * End to end on loopback (kinesalite + s3rver): the access-log transformer
 * times out mid-batch — one S3 put never completes, as a put stuck in a
 * frozen Lambda — after the batch's other objects were written. The local
 * event source treats that as a function error and bisects the batch, as
 * Lambda does with BisectBatchOnFunctionError
 * (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html).
 * At the end S3 must hold every line exactly once: the halves rewrite the
 * keys the timed-out attempt wrote instead of adding their lines again.
 *
 * The records are what the stream carries: receiver records packing many
 * envelopes (two of them big enough for objects of their own) and fluentd's
 * one-line records, over four hours, so that the second half of the batch
 * holds hours the first half does not.
 */
import * as assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";

import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import type { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";

import { createHandler } from "../../../apps/access-log-transformer/src/handler";
import type { IngestEnvelope } from "../../../apps/lib/ingest-record";
import type { KinesisEventSource } from "../../../scripts/local/kinesis-event-source";
import { startKinesisEventSource } from "../../../scripts/local/kinesis-event-source";
import type { LocalPlatform } from "../../../scripts/local/platform";
import { LOCAL_REGION, startLocalPlatform } from "../../../scripts/local/platform";

const STREAM = "faults";
const HOURS = ["10/Mar/2024:06", "10/Mar/2024:07", "10/Mar/2024:08", "10/Mar/2024:09"];

/** A combined line whose url carries its unique number. */
const line = (n: number, hour: string): string =>
  `198.51.100.${n % 250} - - [${hour}:${String(n % 60).padStart(2, "0")}:00 +0000] ` +
  `"GET /fault/${n} HTTP/1.1" 200 ${n} "-" "e2e-faults/1.0"`;

const envelopes = (lines: string[], first: number): string =>
  lines
    .map((message, i) =>
      JSON.stringify({
        id: `fault-${first + i}`,
        receivedAt: "2024-03-10T06:00:00.000Z",
        receiver: "local",
        client: "127.0.0.1",
        source: "local",
        message,
      } satisfies IngestEnvelope),
    )
    .join("\n");

/** The stream's records in order, and the urls of all the lines they carry. */
function records(): { data: Buffer[]; urls: string[] } {
  const data: Buffer[] = [];
  const urls: string[] = [];
  let n = 0;
  const next = (hour: string) => {
    urls.push(`/fault/${n}`);
    return line(n++, hour);
  };
  for (const hour of HOURS) {
    const packedLines = hour === HOURS[0] || hour === HOURS[3] ? 2500 : 30;
    // One receiver record (2500 lines: ~560 KB, objects of its own; 30 lines: shared), then fluentd's one-liners.
    const packed = Array.from({ length: packedLines }, () => next(hour));
    data.push(Buffer.from(envelopes(packed, n - packedLines)));
    for (let i = 0; i < 15; i++) data.push(Buffer.from(`${JSON.stringify({ log: next(hour) })}\n`));
  }
  return { data, urls };
}

/** Every line under a prefix, as text. */
async function linesUnder(platform: LocalPlatform, prefix: string): Promise<string[]> {
  const lines: string[] = [];
  let token: string | undefined;
  do {
    const page = await platform.s3.send(
      new ListObjectsV2Command({ Bucket: platform.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const got = await platform.s3.send(new GetObjectCommand({ Bucket: platform.bucket, Key: object.Key! }));
      const text = gunzipSync(Buffer.from(await got.Body!.transformToByteArray())).toString("utf8");
      lines.push(...text.split("\n").filter((l) => l !== ""));
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return lines;
}

describe("access logs end to end: a transformer timeout mid-batch, bisected by the event source", function () {
  this.timeout(120_000);
  let platform: LocalPlatform | undefined;
  let source: KinesisEventSource | undefined;

  before(async () => {
    platform = await startLocalPlatform({ shards: 1 });
  });

  after(async () => {
    await source?.stop();
    await platform?.close();
  });

  it("stores every line exactly once", async () => {
    const p = platform!;
    // A stream of its own, so the platform's own event source (on "ingest") stays out of it.
    await p.kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
    for (let i = 0; i < 100; i++) {
      const summary = await p.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
      if (summary.StreamDescriptionSummary?.StreamStatus === "ACTIVE") break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const { data, urls } = records();
    const put = await p.kinesis.send(
      new PutRecordsCommand({
        StreamName: STREAM,
        Records: data.map((Data) => ({ Data, PartitionKey: "one-shard" })),
      }),
    );
    assert.equal(put.FailedRecordCount ?? 0, 0);

    // The first put of the earliest hour's objects never completes: the invocation times out
    // after the batch's other objects are in S3.
    let stalled = false;
    let invocation = 0;
    const writes: { key: string; invocation: number }[] = [];
    const s3 = {
      send: (command: PutObjectCommand): Promise<unknown> => {
        const key = command.input.Key!;
        if (!stalled && key.includes("hour=06")) {
          stalled = true;
          return new Promise(() => undefined);
        }
        writes.push({ key, invocation });
        return p.s3.send(command);
      },
    };
    const transformer = createHandler({ s3, bucket: p.bucket, logger: { info: () => {}, error: () => {} } });
    const deadLetters: unknown[] = [];
    source = await startKinesisEventSource({
      kinesis: p.kinesis,
      streamName: STREAM,
      region: LOCAL_REGION,
      handler: (event) => {
        invocation++;
        return transformer(event);
      },
      // Long enough that only the stalled put times an invocation out, even on a loaded machine.
      functionTimeoutMs: 8_000,
      maxRetryDelayMs: 10,
      onDeadLetter: (...args) => deadLetters.push(args),
    });
    await source.caughtUp();

    const stored = await linesUnder(p, "access/");
    const counts = new Map<string, number>();
    for (const text of stored) {
      const url = (JSON.parse(text) as { url: string }).url;
      counts.set(url, (counts.get(url) ?? 0) + 1);
    }
    const duplicates = [...counts.values()].reduce((sum, count) => sum + count - 1, 0);
    const missing = urls.filter((url) => !counts.has(url)).length;
    console.log(
      `      lines put: ${urls.length}, lines in S3: ${stored.length}, duplicates: ${duplicates}, missing: ${missing}` +
        ` (records: ${data.length}, invocations: ${source.stats.invocations}, timeouts: ${source.stats.timeouts},` +
        ` bisections: ${source.stats.bisections}, puts: ${writes.length}, by the timed-out attempt: ${writes.filter((w) => w.invocation === 1).length})`,
    );

    assert.equal(source.stats.timeouts, 1, "the stalled put timed the first invocation out");
    assert.ok(source.stats.bisections >= 1, "the timed-out batch was bisected");
    const firstAttempt = writes.filter((w) => w.invocation === 1).map((w) => w.key);
    assert.ok(
      firstAttempt.some((key) => key.includes("hour=09")),
      "the timed-out attempt had written objects of the second half's hours before it stalled",
    );
    assert.deepEqual(deadLetters, []);
    assert.equal(duplicates, 0);
    assert.equal(missing, 0);
    assert.equal(stored.length, urls.length);
    assert.deepEqual(await linesUnder(p, "access-errors/"), []);
  });
});
