/**
 * The local Kinesis event source against kinesalite on loopback: the error
 * handling of Lambda's Kinesis event source mapping, as AWS documents it:
 *
 * - https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
 *   (retries up to MaximumRetryAttempts, BisectBatchOnFunctionError splits a
 *   failed batch in two and splitting does not count toward the retry quota,
 *   discarded batches go to the on-failure destination with KinesisBatchInfo);
 * - https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 *   (the lowest reported sequence number is the checkpoint; with bisection on,
 *   the batch is split at it and only the remaining records are retried; an
 *   empty or unknown itemIdentifier fails the whole batch; a failed invocation
 *   is bisected regardless of ReportBatchItemFailures);
 * - https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.md
 *   (BisectBatchOnFunctionError, MaximumRetryAttempts).
 *
 * A timeout is a function error like a thrown one. No test asserts on time.
 */
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { KinesisStreamEvent } from "aws-lambda";

import type { DiscardedBatch, KinesisEventSource, KinesisEventSourceOptions } from "../kinesis-event-source";
import { readBatchResponse, startKinesisEventSource } from "../kinesis-event-source";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require("kinesalite") as (options: object) => Server;

const STREAM = "events";
const dataOf = (event: KinesisStreamEvent): string[] =>
  event.Records.map((r) => Buffer.from(r.kinesis.data, "base64").toString("utf8"));

describe("local Kinesis event source: Lambda's error handling", function () {
  this.timeout(30_000);
  let server: Server;
  let kinesis: KinesisClient;
  let source: KinesisEventSource | undefined;
  let streamIndex = 0;

  before(async () => {
    server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    kinesis = new KinesisClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      requestHandler: new NodeHttpHandler(),
    });
  });

  afterEach(async () => {
    await source?.stop();
    source = undefined;
  });

  after(async () => {
    kinesis.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** A one-shard stream holding records `r0`…`r<n-1>`, in order. */
  async function streamWith(count: number): Promise<{ streamName: string; sequenceNumbers: string[] }> {
    const streamName = `${STREAM}-${streamIndex++}`;
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
    for (let i = 0; i < 100; i++) {
      const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      if (summary.StreamDescriptionSummary?.StreamStatus === "ACTIVE") break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const put = await kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: Array.from({ length: count }, (_, i) => ({
          Data: Buffer.from(`r${i}`),
          PartitionKey: "one",
        })),
      }),
    );
    return { streamName, sequenceNumbers: (put.Records ?? []).map((r) => r.SequenceNumber!) };
  }

  /** Runs the source over the stream until it has caught up; returns each invocation's records and the discards. */
  async function run(
    streamName: string,
    /** May throw or return synchronously; the source sees a promise either way. */
    handler: (
      records: string[],
      invocation: number,
    ) => Awaited<ReturnType<KinesisEventSourceOptions["handler"]>> | Promise<void>,
    options: Partial<KinesisEventSourceOptions> = {},
  ): Promise<{ invocations: string[][]; discarded: DiscardedBatch[] }> {
    const invocations: string[][] = [];
    const discarded: DiscardedBatch[] = [];
    source = await startKinesisEventSource({
      kinesis,
      streamName,
      region: "us-east-1",
      idleMs: 20,
      maxRetryDelayMs: 1,
      handler: (event) => {
        const records = dataOf(event);
        invocations.push(records);
        const invocation = invocations.length - 1;
        return Promise.resolve().then(() => handler(records, invocation));
      },
      onDeadLetter: (_shard, _first, _count, _reason, batch) => discarded.push(batch),
      ...options,
    });
    await source.caughtUp();
    return { invocations, discarded };
  }

  it("bisects a failing batch down to the poison record, retries it, then discards only that record", async () => {
    const { streamName, sequenceNumbers } = await streamWith(8);
    const { invocations, discarded } = await run(
      streamName,
      (records) => {
        if (records.includes("r5")) throw new Error("poison");
      },
      { maxRetries: 1 },
    );
    assert.deepEqual(invocations, [
      ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"],
      ["r0", "r1", "r2", "r3"],
      ["r4", "r5", "r6", "r7"],
      ["r4", "r5"],
      ["r4"],
      ["r5"],
      ["r5"], // the one retry: splitting did not use it up
      ["r6", "r7"],
    ]);
    assert.equal(discarded.length, 1);
    assert.deepEqual(
      {
        ...discarded[0],
        streamArn: undefined,
        approximateArrivalOfFirstRecord: undefined,
        approximateArrivalOfLastRecord: undefined,
      },
      {
        shardId: "shardId-000000000000",
        startSequenceNumber: sequenceNumbers[5],
        endSequenceNumber: sequenceNumbers[5],
        approximateArrivalOfFirstRecord: undefined,
        approximateArrivalOfLastRecord: undefined,
        batchSize: 1,
        streamArn: undefined,
        condition: "RetryAttemptsExhausted",
        approximateInvokeCount: 5,
        reason: "poison",
      },
    );
    // Lambda's invocation record gives both arrivals as ISO-8601 UTC times.
    assert.match(discarded[0]!.approximateArrivalOfFirstRecord, /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/);
    assert.equal(discarded[0]!.approximateArrivalOfLastRecord, discarded[0]!.approximateArrivalOfFirstRecord);
    assert.deepEqual(
      { ...source!.stats },
      { invocations: 8, records: 7, retries: 1, bisections: 3, timeouts: 0, deadLettered: 1 },
    );
  });

  it("without bisection retries the whole batch and discards all of it", async () => {
    const { streamName, sequenceNumbers } = await streamWith(4);
    const { invocations, discarded } = await run(
      streamName,
      () => {
        throw new Error("always");
      },
      { maxRetries: 2, bisectBatchOnFunctionError: false },
    );
    assert.equal(invocations.length, 3);
    for (const records of invocations) assert.deepEqual(records, ["r0", "r1", "r2", "r3"]);
    assert.deepEqual(
      discarded.map((d) => [
        d.startSequenceNumber,
        d.endSequenceNumber,
        d.batchSize,
        d.approximateInvokeCount,
      ]),
      [[sequenceNumbers[0], sequenceNumbers[3], 4, 3]],
    );
  });

  it("treats a handler still running after the function timeout as failed, keeps its writes so far, and bisects", async () => {
    const { streamName } = await streamWith(4);
    const written: string[] = [];
    const { invocations } = await run(
      streamName,
      async (records, invocation) => {
        for (const record of records) {
          // The first invocation stalls after two writes, as a slow S3 put would.
          if (invocation === 0 && written.length === 2) await new Promise(() => undefined);
          written.push(record);
        }
      },
      { functionTimeoutMs: 100 },
    );
    assert.deepEqual(invocations, [
      ["r0", "r1", "r2", "r3"],
      ["r0", "r1"],
      ["r2", "r3"],
    ]);
    // r0 and r1 were written by the timed-out invocation and again by the first half.
    assert.deepEqual(written, ["r0", "r1", "r0", "r1", "r2", "r3"]);
    assert.equal(source!.stats.timeouts, 1);
    assert.equal(source!.stats.bisections, 1);
  });

  it("on a partial batch response retries only the records from the lowest reported one", async () => {
    const { streamName, sequenceNumbers } = await streamWith(6);
    const { invocations, discarded } = await run(streamName, (_records, invocation) =>
      invocation === 0
        ? {
            batchItemFailures: [
              { itemIdentifier: sequenceNumbers[4]! },
              { itemIdentifier: sequenceNumbers[2]! },
            ],
          }
        : { batchItemFailures: [] },
    );
    assert.deepEqual(invocations, [
      ["r0", "r1", "r2", "r3", "r4", "r5"],
      ["r2", "r3", "r4", "r5"],
    ]);
    assert.deepEqual(discarded, []);
    assert.equal(source!.stats.records, 6);
  });

  it("discards the reported remainder once retries are used up", async () => {
    const { streamName, sequenceNumbers } = await streamWith(5);
    const { invocations, discarded } = await run(
      streamName,
      (records) => ({
        batchItemFailures: [{ itemIdentifier: sequenceNumbers[Number(records[0]!.slice(1)) + 1]! }],
      }),
      { maxRetries: 2 },
    );
    // Each retry gets the remainder and, partly succeeding, reports its second record.
    assert.deepEqual(invocations, [
      ["r0", "r1", "r2", "r3", "r4"],
      ["r1", "r2", "r3", "r4"],
      ["r2", "r3", "r4"],
    ]);
    assert.deepEqual(
      discarded.map((d) => [d.startSequenceNumber, d.endSequenceNumber, d.batchSize]),
      [[sequenceNumbers[3], sequenceNumbers[4], 2]],
    );
  });

  it("reads batch responses as Lambda does", () => {
    const ids = ["1", "2", "3"];
    assert.deepEqual(readBatchResponse(undefined, ids), { kind: "success" });
    assert.deepEqual(readBatchResponse({ batchItemFailures: [] }, ids), { kind: "success" });
    assert.deepEqual(
      readBatchResponse({ batchItemFailures: [{ itemIdentifier: "3" }, { itemIdentifier: "2" }] }, ids),
      {
        kind: "partial",
        index: 1,
        reason: "2 batch item failure(s)",
      },
    );
    for (const itemIdentifier of ["", "9", undefined, null]) {
      const outcome = readBatchResponse({ batchItemFailures: [{ itemIdentifier } as never] }, ids);
      assert.equal(outcome.kind, "error", `itemIdentifier ${String(itemIdentifier)} fails the whole batch`);
    }
  });
});
