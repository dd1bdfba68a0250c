import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { PutRecordsCommandOutput } from "@aws-sdk/client-kinesis";
import type { ByteBudget } from "./budget";
import { PUT_CALLS_IN_FLIGHT, putCallCost } from "./memory";
import type { PackLimits, PackedRecord } from "./pack";
import { groupIntoCalls } from "./pack";

/**
 * The one Kinesis operation the receiver needs. A real `KinesisClient` fits
 * (its `abortSignal` cancels the HTTP request); tests and the fault-injecting
 * wrappers implement just this.
 */
export interface PutRecordsClient {
  send(
    command: PutRecordsCommand,
    options?: { readonly abortSignal?: AbortSignal },
  ): Promise<PutRecordsCommandOutput>;
}

/** How hard to try before telling the client to come back later. */
export interface RetryPolicy {
  /** PutRecords rounds per request, the first one included. */
  readonly maxAttempts: number;
  /** Backoff before retry n is uniform in [0, min(maxDelayMs, baseDelayMs·2^(n-1))] ("full jitter"). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Seconds put in `Retry-After` of the 503 when the budget is spent. */
  readonly retryAfterSeconds: number;
}

/** Defaults: up to ~3 s of retrying, well inside a sender's request timeout. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 50,
  maxDelayMs: 1000,
  retryAfterSeconds: 2,
};

/** The stream did not take every record within the retry budget. */
export class StoreError extends Error {
  constructor(
    /** `throttled` when the last failures were throughput limits, else `unavailable`. */
    readonly reason: "throttled" | "unavailable",
    message: string,
    /** Records still not stored. */
    readonly unstored: number,
  ) {
    super(message);
    this.name = "StoreError";
  }
}

/** How {@link putAllRecords} waits, gives up and is charged. */
export interface PutOptions {
  /** Backoff wait; tests pass a recorder. Default: a timer that `signal` cancels. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborts the calls in flight and the backoff; its reason is thrown. */
  readonly signal?: AbortSignal;
  /** Charged each call's SDK copies while it is in flight. Default: none. */
  readonly budget?: ByteBudget;
}

/** Observers the caller wires to its metrics. */
export interface PutHooks {
  /** One PutRecords call finished (or failed) after `seconds`. */
  onCall(seconds: number, outcome: "ok" | "partial" | "error"): void;
  /** `records` are about to be sent again. */
  onRetry(records: number): void;
}

/** Full-jitter exponential backoff before retry number `retry` (1-based). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

const THROTTLING = new Set([
  "ProvisionedThroughputExceededException",
  "LimitExceededException",
  "ThrottlingException",
  "KMSThrottlingException",
]);

/** Errors worth retrying: throttling, 5xx, network failures. Anything else (missing stream, access denied) will not heal in seconds. */
function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.name !== undefined && THROTTLING.has(e.name)) return true;
  if (e.$retryable !== undefined) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500;
  return true; // no HTTP status: the request never got an answer (reset, timeout)
}

interface CallResult {
  readonly failed: PackedRecord[];
  readonly lastError?: string;
  readonly throttled: boolean;
  readonly fatal?: string;
}

/**
 * Stores every record or throws. Records are grouped into PutRecords calls
 * within Kinesis limits and the calls run concurrently; entries that come back
 * with an ErrorCode (and calls that fail with a retryable error) are sent
 * again, alone, after a full-jitter backoff, until `policy.maxAttempts`.
 * This is the only retry layer: the Kinesis client must not retry on its own
 * (main.ts sets `maxAttempts: 1`), or attempts multiply.
 *
 * At most {@link PUT_CALLS_IN_FLIGHT} calls of one request are in flight at
 * once, each charged {@link putCallCost} to `budget` while it is.
 * `signal` (the request's deadline, or its client going away) cancels the
 * calls in flight and the backoff; the signal's reason is thrown.
 * @throws StoreError when some record is still not stored; the caller must not acknowledge.
 */
export async function putAllRecords(
  client: PutRecordsClient,
  streamName: string,
  records: readonly PackedRecord[],
  limits: PackLimits,
  policy: RetryPolicy,
  hooks: PutHooks,
  { sleep = defaultSleep, signal, budget }: PutOptions = {},
): Promise<void> {
  let pending: readonly PackedRecord[] = records;
  for (let attempt = 1; pending.length > 0; attempt++) {
    signal?.throwIfAborted();
    const results = await mapInFlight(groupIntoCalls(pending, limits), PUT_CALLS_IN_FLIGHT, (call) =>
      putCall(client, streamName, call, hooks, signal, budget),
    );
    signal?.throwIfAborted();
    const fatal = results.find((r) => r.fatal !== undefined)?.fatal;
    const failed = results.flatMap((r) => r.failed);
    if (failed.length === 0) return;
    const throttled = results.some((r) => r.throttled);
    const lastError = results.find((r) => r.lastError !== undefined)?.lastError ?? "unknown error";
    if (fatal !== undefined) {
      throw new StoreError("unavailable", `Kinesis rejected the request: ${fatal}`, failed.length);
    }
    if (attempt >= policy.maxAttempts) {
      throw new StoreError(
        throttled ? "throttled" : "unavailable",
        `${failed.length} record(s) not stored after ${attempt} attempts: ${lastError}`,
        failed.length,
      );
    }
    hooks.onRetry(failed.length);
    await sleep(backoffDelay(attempt, policy), signal);
    pending = failed;
  }
}

async function putCall(
  client: PutRecordsClient,
  streamName: string,
  call: readonly PackedRecord[],
  hooks: PutHooks,
  signal: AbortSignal | undefined,
  budget: ByteBudget | undefined,
): Promise<CallResult> {
  // Given up already (deadline, client gone): start nothing new.
  if (signal?.aborted === true) return { failed: [...call], lastError: "aborted", throttled: false };
  const grant = await budget?.acquire(putCallCost(call.reduce((sum, r) => sum + r.data.length, 0)), signal);
  try {
    return await sendCall(client, streamName, call, hooks, signal);
  } finally {
    grant?.release();
  }
}

async function sendCall(
  client: PutRecordsClient,
  streamName: string,
  call: readonly PackedRecord[],
  hooks: PutHooks,
  signal: AbortSignal | undefined,
): Promise<CallResult> {
  const started = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  let output: PutRecordsCommandOutput;
  try {
    output = await client.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: call.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
      }),
      signal === undefined ? undefined : { abortSignal: signal },
    );
  } catch (error) {
    hooks.onCall(elapsed(), "error");
    const name = (error as { name?: string }).name ?? "Error";
    const description = `${name}: ${(error as Error).message}`;
    if (!isRetryable(error)) return { failed: [...call], fatal: description, throttled: false };
    return { failed: [...call], lastError: description, throttled: THROTTLING.has(name) };
  }
  const entries = output.Records ?? [];
  if (entries.length !== call.length) {
    // A response that does not line up with the request cannot prove anything was stored.
    hooks.onCall(elapsed(), "error");
    return {
      failed: [...call],
      lastError: `PutRecords returned ${entries.length} results for ${call.length} records`,
      throttled: false,
    };
  }
  const failed: PackedRecord[] = [];
  let throttled = false;
  let lastError: string | undefined;
  entries.forEach((entry, i) => {
    if (entry.ErrorCode === undefined && entry.SequenceNumber !== undefined) return;
    failed.push(call[i] as PackedRecord);
    const code = entry.ErrorCode ?? "MissingSequenceNumber";
    if (THROTTLING.has(code)) throttled = true;
    lastError = `${code}: ${entry.ErrorMessage ?? "no message"}`;
  });
  hooks.onCall(elapsed(), failed.length === 0 ? "ok" : "partial");
  return lastError === undefined ? { failed, throttled } : { failed, throttled, lastError };
}

/** `task` over `items` with at most `limit` running at once; results in input order. */
async function mapInFlight<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
