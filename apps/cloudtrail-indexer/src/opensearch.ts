/** The `_bulk` sink of the indexer and the shared signed transport, re-exported for this app's callers. */
export { openSearchBulkSink } from "../../lib/opensearch/sink";
export { createOpenSearchTransport, NodeSha256 } from "../../lib/signed-http";
export type { ClosableTransport, OpenSearchOptions } from "../../lib/signed-http";
