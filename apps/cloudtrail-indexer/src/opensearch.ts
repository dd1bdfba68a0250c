/** The `_bulk` sink of the indexer, over the shared signed transport (apps/lib/signed-http.ts). */
import type { OpenSearchTransport } from "../../lib/signed-http";
import type { BulkResponse, BulkSink } from "./bulk";

export { createOpenSearchTransport, NodeSha256 } from "../../lib/signed-http";
export type { ClosableTransport, OpenSearchOptions } from "../../lib/signed-http";

/** The `_bulk` endpoint of a transport as a {@link BulkSink}. */
export function openSearchBulkSink(transport: OpenSearchTransport): BulkSink {
  return {
    bulk: (body: string): Promise<BulkResponse> => transport.request("POST", "/_bulk", body),
  };
}
