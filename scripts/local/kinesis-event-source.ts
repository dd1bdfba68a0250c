/**
 * A local stand-in for Lambda's Kinesis event source mapping: polls every
 * shard of a stream (kinesalite on loopback) and hands batches to a handler in
 * the real `KinesisStreamEvent` shape, with the error handling the
 * AccessLogPipeline's mapping has in AWS
 * (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html):
 *
 * - a function error (the handler throws, or has not returned after the
 *   function timeout) splits the batch in two when `bisectBatchOnFunctionError`
 *   is on, and the halves are retried one after the other; splitting does not
 *   count toward the retry quota;
 * - a partial batch response (`batchItemFailures`) checkpoints just before the
 *   lowest reported sequence number and retries only the records from there;
 *   an empty or unknown item identifier fails the whole batch;
 * - a batch that still fails after `maxRetries` retries is discarded and
 *   described to `onDeadLetter` (the on-failure destination), and the shard
 *   moves on.
 *
 * What the stand-in cannot do like Lambda: a timed-out handler is not frozen.
 * Its writes so far stay (as in AWS), but its promise keeps running, so a
 * test that wants "nothing more after the timeout" makes its fake slow write
 * never finish.
 */
import type { _Record as KinesisRecord, KinesisClient } from "@aws-sdk/client-kinesis";
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from "@aws-sdk/client-kinesis";
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";

export type KinesisHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | void>;

/** What Lambda sends to an on-failure destination about a discarded batch (its `KinesisBatchInfo` part). */
export interface DiscardedBatch {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  /** ISO-8601 arrival time of the first record, as Lambda writes it. */
  readonly approximateArrivalOfFirstRecord: string;
  readonly approximateArrivalOfLastRecord: string;
  readonly batchSize: number;
  readonly streamArn: string;
  /** `RetryAttemptsExhausted`, as in Lambda's `requestContext.condition`. */
  readonly condition: "RetryAttemptsExhausted";
  /** Invocations of these records, the first one included. */
  readonly approximateInvokeCount: number;
  /** The last error (function error, timeout or batch item failures). */
  readonly reason: string;
}

export interface KinesisEventSourceOptions {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly region: string;
  readonly handler: KinesisHandler;
  /** Records per invocation. Default: 500. */
  readonly batchSize?: number;
  /** Pause between polls of an idle shard. Default: 200 ms. */
  readonly idleMs?: number;
  /** Retries of a failing batch before its records are discarded (Lambda's `MaximumRetryAttempts`). Default: 3. */
  readonly maxRetries?: number;
  /**
   * Split a batch in two on a function error and retry the halves (Lambda's
   * `BisectBatchOnFunctionError`). Default: true, as the AccessLogPipeline
   * configures its mapping.
   */
  readonly bisectBatchOnFunctionError?: boolean;
  /**
   * A handler that has not returned after this long has failed (Lambda's
   * function timeout). Default: 60 000 ms, the AccessLogPipeline's default
   * `timeoutSeconds`.
   */
  readonly functionTimeoutMs?: number;
  /** Pause before retry n is `min(maxRetryDelayMs, 50 ms × 2^n)`; bisected halves run at once. Default: 1000 ms. */
  readonly maxRetryDelayMs?: number;
  /** Called for each discarded batch (the stand-in for the on-failure destination). */
  readonly onDeadLetter?: (
    shardId: string,
    firstSequenceNumber: string,
    count: number,
    reason: string,
    batch: DiscardedBatch,
  ) => void;
}

export interface KinesisEventSourceStats {
  invocations: number;
  /** Records of batches that succeeded. */
  records: number;
  /** Retries that counted toward the quota. */
  retries: number;
  /** Batches split in two after a function error. */
  bisections: number;
  /** Invocations that ran past the function timeout. */
  timeouts: number;
  deadLettered: number;
}

export interface KinesisEventSource {
  /** Resolves once every shard has been read up to its end at the time of the call. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
  readonly stats: KinesisEventSourceStats;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stream records as Lambda hands them to a function: base64 data, arrival in
 * epoch seconds, `eventID` = `<shardId>:<sequenceNumber>`. Also used by
 * `npm run redrive -- transformer`, which must build the very event Lambda did.
 */
export function lambdaKinesisEvent(
  records: readonly KinesisRecord[],
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

/** How one invocation of a batch ended. */
export type InvocationOutcome =
  | { readonly kind: "success" }
  /** Records from `index` on failed (a valid partial batch response). */
  | { readonly kind: "partial"; readonly index: number; readonly reason: string }
  /** The whole batch failed: thrown error, timeout, or an unusable batch item failure. */
  | { readonly kind: "error"; readonly reason: string; readonly functionError: boolean };

/**
 * Reads a handler's response as Lambda does: no response or an empty list is
 * success; the lowest listed sequence number is the checkpoint; an empty,
 * missing or unknown item identifier fails the whole batch.
 */
export function readBatchResponse(
  response: KinesisStreamBatchResponse | void,
  sequenceNumbers: readonly string[],
): InvocationOutcome {
  const failures = response?.batchItemFailures ?? [];
  if (failures.length === 0) return { kind: "success" };
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const index =
      typeof failure?.itemIdentifier === "string" && failure.itemIdentifier !== ""
        ? sequenceNumbers.indexOf(failure.itemIdentifier)
        : -1;
    if (index < 0) {
      return {
        kind: "error",
        reason: `batch item failure ${JSON.stringify(failure?.itemIdentifier)} names no record of the batch`,
        functionError: false,
      };
    }
    lowest = Math.min(lowest, index);
  }
  return { kind: "partial", index: lowest, reason: `${failures.length} batch item failure(s)` };
}

/** A batch still to deliver, and how often its records were retried so far. */
interface PendingBatch {
  readonly records: readonly KinesisRecord[];
  readonly retries: number;
  readonly invocations: number;
}

/**
 * Starts polling; stop() waits for the batch in flight to finish (a handler
 * past its timeout is no longer waited for).
 */
export async function startKinesisEventSource(
  options: KinesisEventSourceOptions,
): Promise<KinesisEventSource> {
  const { kinesis, streamName, region, handler } = options;
  const batchSize = options.batchSize ?? 500;
  const idleMs = options.idleMs ?? 200;
  const maxRetries = options.maxRetries ?? 3;
  const bisect = options.bisectBatchOnFunctionError ?? true;
  const timeoutMs = options.functionTimeoutMs ?? 60_000;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 1000;
  const streamArn = `arn:aws:kinesis:${region}:000000000000:stream/${streamName}`;
  const stats: KinesisEventSourceStats = {
    invocations: 0,
    records: 0,
    retries: 0,
    bisections: 0,
    timeouts: 0,
    deadLettered: 0,
  };
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  let stopping = false;
  /** Per shard: true when the last read returned nothing (the shard is drained). */
  const idle = new Map<string, boolean>();
  let waiters: (() => void)[] = [];

  const iteratorAt = async (shardId: string) =>
    (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      )
    ).ShardIterator;

  /** One invocation with Lambda's timeout: a handler still running after it has failed. */
  const invoke = async (shardId: string, records: readonly KinesisRecord[]): Promise<InvocationOutcome> => {
    stats.invocations++;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const running = handler(lambdaKinesisEvent(records, shardId, streamArn, region));
    // A timed-out handler may still reject later; that is not this source's error any more.
    running.catch(() => undefined);
    try {
      const result = await Promise.race([running, timedOut]);
      if (result === "timeout") {
        stats.timeouts++;
        // Lambda's own message for a function that ran out of time.
        return {
          kind: "error",
          reason: `Task timed out after ${timeoutMs / 1000} seconds`,
          functionError: true,
        };
      }
      return readBatchResponse(
        result,
        records.map((r) => r.SequenceNumber!),
      );
    } catch (error) {
      return {
        kind: "error",
        reason: error instanceof Error ? error.message : String(error),
        functionError: true,
      };
    } finally {
      clearTimeout(timer);
    }
  };

  const discard = (shardId: string, batch: PendingBatch, reason: string) => {
    const first = batch.records[0]!;
    const last = batch.records[batch.records.length - 1]!;
    stats.deadLettered += batch.records.length;
    options.onDeadLetter?.(shardId, first.SequenceNumber!, batch.records.length, reason, {
      shardId,
      startSequenceNumber: first.SequenceNumber!,
      endSequenceNumber: last.SequenceNumber!,
      approximateArrivalOfFirstRecord: (first.ApproximateArrivalTimestamp ?? new Date()).toISOString(),
      approximateArrivalOfLastRecord: (last.ApproximateArrivalTimestamp ?? new Date()).toISOString(),
      batchSize: batch.records.length,
      streamArn,
      condition: "RetryAttemptsExhausted",
      approximateInvokeCount: batch.invocations,
      reason,
    });
  };

  /** Delivers one page of records until every part has succeeded or been discarded. */
  const deliver = async (shardId: string, records: readonly KinesisRecord[]): Promise<void> => {
    // In shard order: the head must be done before anything after it is delivered.
    const queue: PendingBatch[] = [{ records, retries: 0, invocations: 0 }];
    while (queue.length > 0 && !stopping) {
      const batch = queue.shift()!;
      const invoked = { ...batch, invocations: batch.invocations + 1 };
      const outcome = await invoke(shardId, batch.records);
      if (outcome.kind === "success") {
        stats.records += batch.records.length;
        continue;
      }
      let remaining = invoked;
      if (outcome.kind === "partial") {
        // Checkpoint before the lowest failed record; only the rest is retried.
        stats.records += outcome.index;
        remaining = { ...invoked, records: batch.records.slice(outcome.index) };
      } else if (outcome.functionError && bisect && batch.records.length > 1) {
        // Splitting does not count toward the retry quota.
        stats.bisections++;
        const half = Math.ceil(batch.records.length / 2);
        queue.unshift(
          { ...invoked, records: batch.records.slice(0, half) },
          { ...invoked, records: batch.records.slice(half) },
        );
        continue;
      }
      if (remaining.retries >= maxRetries) {
        discard(shardId, remaining, outcome.reason);
        continue;
      }
      stats.retries++;
      await sleep(Math.min(maxRetryDelayMs, 50 * 2 ** (remaining.retries + 1)));
      queue.unshift({ ...remaining, retries: remaining.retries + 1 });
    }
  };

  const pollShard = async (shardId: string): Promise<void> => {
    let iterator = await iteratorAt(shardId);
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
      await deliver(shardId, records);
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
