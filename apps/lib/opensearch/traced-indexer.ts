/**
 * {@link indexItems} in a "bulk" span: one span per set of items (a 413
 * split and every retry stay inside it), with what a person debugging a slow
 * or failed indexing run needs — requests sent, how many were answered
 * 429 or 5xx or got no answer, items retried, rejected and indexed — and
 * ERROR when retries ran out or the domain refused the write. An event per
 * request shows where the backoff went. Kept outside indexer.ts: it wraps the
 * sink instead of changing the retry loop.
 */
import type { Span } from "@opentelemetry/api";
import { SpanKind } from "@opentelemetry/api";
import type { Tracing } from "../tracing/tracing";
import type { BulkItem, BulkSink } from "./bulk";
import type { IndexResult, RetryPolicy } from "./indexer";
import { emptyIndexResult, indexItems } from "./indexer";

/** Where the "bulk" span goes. */
export interface BulkTrace {
  readonly tracing: Tracing;
  readonly parent: Span;
}

/** {@link indexItems}, traced when `trace` is given and on. */
export function tracedIndexItems<P>(
  trace: BulkTrace | undefined,
  sink: BulkSink,
  items: readonly BulkItem<P>[],
  policy: RetryPolicy,
  result: IndexResult<P> = emptyIndexResult<P>(),
): Promise<IndexResult<P>> {
  if (trace === undefined || !trace.tracing.enabled) return indexItems(sink, items, policy, result);
  return trace.tracing.withSpan(
    "bulk",
    {
      parent: trace.parent,
      kind: SpanKind.CLIENT,
      attributes: {
        "db.system.name": "opensearch",
        "db.operation.name": "bulk",
        "opensearch.items": items.length,
        "opensearch.bytes": items.reduce((sum, item) => sum + item.bytes, 0),
      },
    },
    async (span) => {
      const before = { ...result, rejected: result.rejected.length };
      const requests = { sent: 0, throttled: 0, serverErrors: 0, noAnswer: 0 };
      const counting: BulkSink = {
        bulk: async (body) => {
          const attempt = ++requests.sent;
          try {
            const response = await sink.bulk(body);
            if (response.statusCode === 429) requests.throttled++;
            else if (response.statusCode >= 500) requests.serverErrors++;
            span.addEvent("request", {
              "opensearch.attempt": attempt,
              "http.response.status_code": response.statusCode,
            });
            return response;
          } catch (error) {
            requests.noAnswer++;
            span.addEvent("request", { "opensearch.attempt": attempt, "error.type": (error as Error).name });
            throw error;
          }
        },
      };
      try {
        return await indexItems(counting, items, policy, result);
      } finally {
        span.setAttributes({
          "opensearch.requests": requests.sent,
          "opensearch.requests_429": requests.throttled,
          "opensearch.requests_5xx": requests.serverErrors,
          "opensearch.requests_unanswered": requests.noAnswer,
          "opensearch.items_indexed": result.indexed - before.indexed,
          "opensearch.items_duplicate": result.duplicates - before.duplicates,
          "opensearch.items_retried": result.retries - before.retries,
          "opensearch.items_rejected": result.rejected.length - before.rejected,
          "opensearch.splits": result.splits - before.splits,
        });
      }
    },
  );
}
