/**
 * A local stand-in for Lambda's Kinesis event source mapping: polls every
 * shard of a stream (kinesalite on loopback), hands batches to a handler in
 * the real `KinesisStreamEvent` shape, and honours `batchItemFailures` the
 * way Lambda does — the batch is retried from the lowest failed sequence
 * number, and after `maxRetries` the failed range is reported as dead-lettered
 * (Lambda's on-failure destination) and skipped.
 */
import type { _Record as KinesisRecord, KinesisClient } from "@aws-sdk/client-kinesis";
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from "@aws-sdk/client-kinesis";
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";

export type KinesisHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | void>;

export interface KinesisEventSourceOptions {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly region: string;
  readonly handler: KinesisHandler;
  /** Records per invocation. Default: 500. */
  readonly batchSize?: number;
  /** Pause between polls of an idle shard. Default: 200 ms. */
  readonly idleMs?: number;
  /** Retries of a failing batch before its records are dead-lettered. Default: 3. */
  readonly maxRetries?: number;
  /** Called for each dead-lettered batch (the stand-in for the on-failure queue). */
  readonly onDeadLetter?: (
    shardId: string,
    firstSequenceNumber: string,
    count: number,
    reason: string,
  ) => void;
}

export interface KinesisEventSource {
  /** Resolves once every shard has been read up to its end at the time of the call. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
  readonly stats: { invocations: number; records: number; retries: number; deadLettered: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function toEvent(
  records: KinesisRecord[],
  shardId: string,
  streamArn: string,
  region: string,
): KinesisStreamEvent {
  return {
    Records: records.map((r): KinesisStreamRecord => ({
      kinesis: {
        kinesisSchemaVersion: "1.0",
        partitionKey: r.PartitionKey!,
        sequenceNumber: r.SequenceNumber!,
        data: Buffer.from(r.Data!).toString("base64"),
        approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp ?? new Date()).getTime() / 1000,
      },
      eventSource: "aws:kinesis",
      eventVersion: "1.0",
      eventID: `${shardId}:${r.SequenceNumber!}`,
      eventName: "aws:kinesis:record",
      invokeIdentityArn: "arn:aws:iam::000000000000:role/local-event-source",
      awsRegion: region,
      eventSourceARN: streamArn,
    })),
  };
}

/** Starts polling; stop() waits for the batch in flight to finish. */
export async function startKinesisEventSource(
  options: KinesisEventSourceOptions,
): Promise<KinesisEventSource> {
  const { kinesis, streamName, region, handler } = options;
  const batchSize = options.batchSize ?? 500;
  const idleMs = options.idleMs ?? 200;
  const maxRetries = options.maxRetries ?? 3;
  const streamArn = `arn:aws:kinesis:${region}:000000000000:stream/${streamName}`;
  const stats = { invocations: 0, records: 0, retries: 0, deadLettered: 0 };
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  let stopping = false;
  /** Per shard: true when the last read returned nothing (the shard is drained). */
  const idle = new Map<string, boolean>();
  let waiters: (() => void)[] = [];

  const iteratorAt = async (shardId: string, type: "TRIM_HORIZON" | "AT_SEQUENCE_NUMBER", seq?: string) =>
    (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ShardIteratorType: type,
          ...(seq !== undefined ? { StartingSequenceNumber: seq } : {}),
        }),
      )
    ).ShardIterator;

  const pollShard = async (shardId: string): Promise<void> => {
    let iterator = await iteratorAt(shardId, "TRIM_HORIZON");
    let attempts = 0;
    while (!stopping && iterator !== undefined) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
      const records = page.Records ?? [];
      if (records.length === 0) {
        idle.set(shardId, true);
        if (waiters.length > 0 && [...idle.values()].every(Boolean)) {
          for (const resolve of waiters) resolve();
          waiters = [];
        }
        iterator = page.NextShardIterator;
        await sleep(idleMs);
        continue;
      }
      idle.set(shardId, false);
      stats.invocations++;
      let failedFrom: string | undefined;
      let reason = "";
      try {
        const response = await handler(toEvent(records, shardId, streamArn, region));
        const failures = response?.batchItemFailures ?? [];
        if (failures.length > 0) {
          // Lambda resumes from the lowest reported sequence number.
          failedFrom = failures
            .map((f) => f.itemIdentifier)
            .reduce((lowest, id) => (BigInt(id) < BigInt(lowest) ? id : lowest));
          reason = `${failures.length} batch item failure(s)`;
        }
      } catch (error) {
        failedFrom = records[0]!.SequenceNumber!;
        reason = error instanceof Error ? error.message : String(error);
      }
      if (failedFrom === undefined) {
        stats.records += records.length;
        attempts = 0;
        iterator = page.NextShardIterator;
        continue;
      }
      const done = records.filter((r) => BigInt(r.SequenceNumber!) < BigInt(failedFrom));
      stats.records += done.length;
      if (attempts < maxRetries) {
        attempts++;
        stats.retries++;
        await sleep(Math.min(1000, 50 * 2 ** attempts));
        iterator = await iteratorAt(shardId, "AT_SEQUENCE_NUMBER", failedFrom);
        continue;
      }
      // Retries exhausted: dead-letter the failed part of the batch and move on, as Lambda does.
      const dropped = records.length - done.length;
      stats.deadLettered += dropped;
      options.onDeadLetter?.(shardId, failedFrom, dropped, reason);
      attempts = 0;
      iterator = page.NextShardIterator;
    }
  };

  const loops = shards.map((s) => pollShard(s.ShardId!));
  const all = Promise.all(loops);
  all.catch(() => undefined);

  return {
    stats,
    caughtUp: () =>
      new Promise<void>((resolve, reject) => {
        if (shards.length === 0) return resolve();
        // A fresh wait: every shard must come back empty after this call.
        for (const shard of shards) idle.set(shard.ShardId!, false);
        waiters.push(resolve);
        all.catch(reject);
      }),
    stop: async () => {
      stopping = true;
      await all.catch((error: unknown) => {
        // A poll cut short by the stream going away is the expected end, not a failure.
        if (!stopping) throw error;
      });
    },
  };
}
