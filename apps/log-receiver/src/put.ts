import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { PutRecordsCommandOutput } from "@aws-sdk/client-kinesis";
import type { Span } from "@opentelemetry/api";
import { SpanKind } from "@opentelemetry/api";
import type { Tracing } from "../../lib/tracing/tracing";
import { markError } from "../../lib/tracing/tracing";
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
  /** Records a `PutRecords` span per call and attempt under `parent`, and a `retry` event on it per backoff. Default: none. */
  readonly trace?: { readonly tracing: Tracing; readonly parent: Span };
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
  /** Entries that came back with a throttling error code (or all, for a throttled call). */
  readonly throttledRecords?: number;
  /** Exception name of a failed call, or the last entry error code. */
  readonly errorType?: string;
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
  { sleep = defaultSleep, signal, budget, trace }: PutOptions = {},
): Promise<void> {
  let pending: readonly PackedRecord[] = records;
  for (let attempt = 1; pending.length > 0; attempt++) {
    signal?.throwIfAborted();
    const results = await mapInFlight(groupIntoCalls(pending, limits), PUT_CALLS_IN_FLIGHT, (call) =>
      putCall(client, streamName, call, hooks, signal, budget, trace, attempt),
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
    const delayMs = backoffDelay(attempt, policy);
    trace?.parent.addEvent("retry", {
      "kinesis.attempt": attempt + 1,
      "kinesis.records": failed.length,
      "kinesis.backoff_ms": delayMs,
      "kinesis.throttled": throttled,
    });
    await sleep(delayMs, signal);
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
  trace: PutOptions["trace"],
  attempt: number,
): Promise<CallResult> {
  // Given up already (deadline, client gone): start nothing new.
  if (signal?.aborted === true) return { failed: [...call], lastError: "aborted", throttled: false };
  const bytes = call.reduce((sum, r) => sum + r.data.length, 0);
  const grant = await budget?.acquire(putCallCost(bytes), signal);
  try {
    if (trace === undefined) return await sendCall(client, streamName, call, hooks, signal);
    return await trace.tracing.withSpan(
      "PutRecords",
      {
        parent: trace.parent,
        kind: SpanKind.CLIENT,
        attributes: {
          // What ADOT's X-Ray exporter turns into an AWS "Kinesis" subsegment.
          "rpc.system": "aws-api",
          "rpc.service": "Kinesis",
          "rpc.method": "PutRecords",
          "aws.kinesis.stream_name": streamName,
          "kinesis.attempt": attempt,
          "kinesis.records": call.length,
          "kinesis.bytes": bytes,
        },
      },
      async (span) => annotateCall(span, await sendCall(client, streamName, call, hooks, signal)),
    );
  } finally {
    grant?.release();
  }
}

/**
 * The outcome of one call on its span: failed and throttled record counts,
 * and ERROR (with the error) when any record was not stored by it — retried
 * or not, so each failed attempt stands out; the request's own span says
 * whether the retries made up for it.
 */
function annotateCall(span: Span, result: CallResult): CallResult {
  span.setAttributes({
    "kinesis.failed_records": result.failed.length,
    "kinesis.throttled_records": result.throttledRecords ?? 0,
  });
  if (result.failed.length > 0) {
    span.setAttribute("error.type", result.errorType ?? "unknown");
    markError(
      span,
      result.fatal ?? `${result.failed.length} record(s) not stored: ${result.lastError ?? "unknown error"}`,
    );
  }
  return result;
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
    if (!isRetryable(error)) {
      return { failed: [...call], fatal: description, throttled: false, errorType: name };
    }
    const throttled = THROTTLING.has(name);
    return {
      failed: [...call],
      lastError: description,
      throttled,
      errorType: name,
      throttledRecords: throttled ? call.length : 0,
    };
  }
  const entries = output.Records ?? [];
  if (entries.length !== call.length) {
    // A response that does not line up with the request cannot prove anything was stored.
    hooks.onCall(elapsed(), "error");
    return {
      failed: [...call],
      lastError: `PutRecords returned ${entries.length} results for ${call.length} records`,
      throttled: false,
      errorType: "MismatchedResults",
    };
  }
  const failed: PackedRecord[] = [];
  let throttledRecords = 0;
  let lastCode: string | undefined;
  let lastError: string | undefined;
  entries.forEach((entry, i) => {
    if (entry.ErrorCode === undefined && entry.SequenceNumber !== undefined) return;
    failed.push(call[i] as PackedRecord);
    const code = entry.ErrorCode ?? "MissingSequenceNumber";
    if (THROTTLING.has(code)) throttledRecords++;
    lastCode = code;
    lastError = `${code}: ${entry.ErrorMessage ?? "no message"}`;
  });
  hooks.onCall(elapsed(), failed.length === 0 ? "ok" : "partial");
  const throttled = throttledRecords > 0;
  return lastError === undefined
    ? { failed, throttled, throttledRecords }
    : {
        failed,
        throttled,
        throttledRecords,
        lastError,
        ...(lastCode === undefined ? {} : { errorType: lastCode }),
      };
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
