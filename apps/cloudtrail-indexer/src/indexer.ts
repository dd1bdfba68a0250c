/** Retried `_bulk` indexing: the shared implementation (apps/lib/opensearch/indexer.ts), re-exported for this app's callers. */
export {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  emptyIndexResult,
  indexItems,
  IndexingRefusedError,
  RetriesExhaustedError,
} from "../../lib/opensearch/indexer";
export type { IndexResult, Rejection, RetryPolicy } from "../../lib/opensearch/indexer";
