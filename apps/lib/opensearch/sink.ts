/** The `_bulk` endpoint of the shared signed transport (apps/lib/signed-http.ts) as a {@link BulkSink}. */
import type { OpenSearchTransport } from "../signed-http";
import type { BulkResponse, BulkSink } from "./bulk";

/** POSTs each body to `/_bulk` of `transport`. */
export function openSearchBulkSink(transport: OpenSearchTransport): BulkSink {
  return {
    bulk: (body: Buffer): Promise<BulkResponse> => transport.request("POST", "/_bulk", body),
  };
}
