/** The retry policy of a handler: the shared defaults with the configured attempt count. */
import type { RetryPolicy } from "../../../lib/opensearch/indexer";
import { DEFAULT_RETRY_POLICY } from "../../../lib/opensearch/indexer";

/** {@link DEFAULT_RETRY_POLICY} with `overrides` (tests pass `sleep` and `random`). */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...overrides };
}
