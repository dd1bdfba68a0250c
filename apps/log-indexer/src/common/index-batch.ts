/**
 * Indexing one invocation's items with the shared bulk discipline
 * (apps/lib/opensearch): bodies bounded by `maxBytes`, one request in flight,
 * 409 counted as done, 429/5xx retried, a 413 halved, document errors handed
 * to `onRejected` (the failed-records object), refusals and exhausted retries
 * thrown so the event source redelivers the batch.
 */
import type { BulkItem, BulkSink } from "../../../lib/opensearch/bulk";
import { BulkBatcher } from "../../../lib/opensearch/bulk";
import type { IndexResult, Rejection, RetryPolicy } from "../../../lib/opensearch/indexer";
import { emptyIndexResult } from "../../../lib/opensearch/indexer";
import type { BulkTrace } from "../../../lib/opensearch/traced-indexer";
import { tracedIndexItems } from "../../../lib/opensearch/traced-indexer";

/** How {@link indexBatch} sends. */
export interface BatchOptions {
  /** Bound of one `_bulk` body in bytes (a single larger item still gets a body of its own). */
  readonly maxBytes: number;
  readonly retry: RetryPolicy;
  /** A "bulk" span per body under this parent. Default: none. */
  readonly trace?: BulkTrace;
}

/**
 * Sends `items` and reports what happened.
 *
 * @throws RetriesExhaustedError | IndexingRefusedError (from `indexItems`); items sent before stay indexed,
 *   which the `_id`s make harmless when the batch comes again.
 */
export async function indexBatch<P>(
  sink: BulkSink,
  items: Iterable<BulkItem<P>>,
  options: BatchOptions,
  onRejected: (rejection: Rejection<P>) => Promise<void>,
): Promise<IndexResult<P>> {
  const result = emptyIndexResult<P>();
  const batcher = new BulkBatcher<P>(options.maxBytes);
  const send = async (batch: readonly BulkItem<P>[]): Promise<void> => {
    const before = result.rejected.length;
    await tracedIndexItems(options.trace, sink, batch, options.retry, result);
    for (const rejection of result.rejected.slice(before)) await onRejected(rejection);
  };
  for (const item of items) {
    const full = batcher.add(item);
    if (full !== undefined) await send(full);
  }
  const rest = batcher.take();
  if (rest.length > 0) await send(rest);
  return result;
}
