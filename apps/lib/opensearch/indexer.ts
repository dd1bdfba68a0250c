/**
 * Sends bulk items to a {@link BulkSink} until each one is done or rejected:
 * 2xx and 409 (already indexed by an earlier attempt) are done; 429/5xx items
 * and failed requests are retried with jittered exponential backoff, for a
 * bounded number of attempts; document errors (400 mapping/parsing) are
 * rejected with their reason; 401/403/404 and blocks, for an item or the
 * whole request, are refusals that fail the batch (nothing is dropped while
 * the domain is misconfigured or read-only); a 413 for the whole request halves the batch.
 * Generic over the items' payload, which rejections hand back to the caller.
 */
import type { BulkItem, BulkSink } from "./bulk";
import { bulkBody, isRetryableStatus, parseBulkItems } from "./bulk";

/** Retry policy of {@link indexItems}. */
export interface RetryPolicy {
  /** Attempts per item, the first included (default 6). */
  readonly maxAttempts: number;
  /** Backoff scale: the n-th retry waits up to `baseDelayMs * 2^n` (default 100). */
  readonly baseDelayMs: number;
  /** Longest single wait (default 5000). */
  readonly maxDelayMs: number;
  /** Waits; injectable so tests do not sleep. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Uniform [0, 1); injectable so tests are deterministic. */
  readonly random: () => number;
}

/** Defaults of {@link RetryPolicy}. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** "Full jitter" backoff: uniform in [0, min(max, base · 2^retry)), so throttled writers spread out. */
export function backoffDelay(
  retry: number,
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs" | "random">,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(policy.random() * ceiling);
}

/** An item OpenSearch refused for good (mapping error, or too large to send at all). */
export interface Rejection<P = unknown> {
  readonly item: BulkItem<P>;
  readonly status: number;
  readonly reason: string;
}

/** What happened to a set of items. */
export interface IndexResult<P = unknown> {
  indexed: number;
  /** Items answered 409: an earlier attempt had already indexed them. */
  duplicates: number;
  /** Items (or whole requests) that were sent again. */
  retries: number;
  /** Times a 413 made a batch split in two. */
  splits: number;
  readonly rejected: Rejection<P>[];
}

/** Items still not indexed after every attempt; the batch must be retried later (e.g. SQS or Kinesis redelivery). */
export class RetriesExhaustedError extends Error {
  override readonly name = "RetriesExhaustedError";
}

/**
 * The domain refuses writes (401/403/404, a cluster or index block): retrying
 * within this invocation cannot help, and the records must not be filed as
 * bad documents. The batch fails and its event source redelivers it later.
 */
export class IndexingRefusedError extends Error {
  override readonly name = "IndexingRefusedError";
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(`OpenSearch refused the write (${status}): ${reason}`);
  }
}

/** Creates an all-zero result. */
export function emptyIndexResult<P = unknown>(): IndexResult<P> {
  return { indexed: 0, duplicates: 0, retries: 0, splits: 0, rejected: [] };
}

/**
 * Indexes `items` (one bounded batch) through `sink`, accumulating into `result`.
 *
 * @throws RetriesExhaustedError when some items were still throttled or failing after `maxAttempts`;
 *   IndexingRefusedError for an answer (request or item) that says the domain refuses writes (401/403/404, blocks).
 */
export async function indexItems<P>(
  sink: BulkSink,
  items: readonly BulkItem<P>[],
  policy: RetryPolicy,
  result: IndexResult<P> = emptyIndexResult<P>(),
): Promise<IndexResult<P>> {
  let pending: readonly BulkItem<P>[] = items;
  let lastReason = "";
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > 1) {
      if (attempt > policy.maxAttempts) {
        throw new RetriesExhaustedError(
          `${pending.length} of ${items.length} items not indexed after ${policy.maxAttempts} attempts: ${lastReason}`,
        );
      }
      result.retries += pending.length;
      await policy.sleep(backoffDelay(attempt - 2, policy));
    }
    // Built outside the try: a miscounted item is a bug to surface, not a failed request to retry.
    const body = bulkBody(pending);
    let response;
    try {
      response = await sink.bulk(body);
    } catch (error) {
      lastReason = `request failed: ${(error as Error).message}`;
      continue;
    }
    const { statusCode } = response;
    if (statusCode === 413) {
      if (pending.length === 1) {
        const item = pending[0] as BulkItem<P>;
        result.rejected.push({
          item,
          status: 413,
          reason: `document too large for one _bulk request (${item.bytes} bytes)`,
        });
        return result;
      }
      // Each half gets its own attempt budget: halving is progress, not failure.
      result.splits++;
      const half = Math.ceil(pending.length / 2);
      await indexItems(sink, pending.slice(0, half), policy, result);
      await indexItems(sink, pending.slice(half), policy, result);
      return result;
    }
    if (isRetryableStatus(statusCode)) {
      lastReason = `_bulk answered ${statusCode}`;
      continue;
    }
    if (statusCode < 200 || statusCode >= 300) {
      throw new IndexingRefusedError(
        statusCode,
        `_bulk answered ${statusCode}: ${response.body.slice(0, 300)}`,
      );
    }
    const outcomes = parseBulkItems(response.body, pending.length);
    const again: BulkItem<P>[] = [];
    const refused = outcomes.find((outcome) => outcome.kind === "refused");
    if (refused !== undefined) throw new IndexingRefusedError(refused.status, refused.reason);
    outcomes.forEach((outcome, i) => {
      const item = pending[i] as BulkItem<P>;
      switch (outcome.kind) {
        case "indexed":
          result.indexed++;
          break;
        case "duplicate":
          result.duplicates++;
          break;
        case "retry":
          lastReason = `item status ${outcome.status}: ${outcome.reason}`;
          again.push(item);
          break;
        case "rejected":
          result.rejected.push({ item, status: outcome.status, reason: outcome.reason });
          break;
        case "refused": // thrown above
          break;
      }
    });
    pending = again;
  }
  return result;
}
