/**
 * Where a handler's documents go: the domain's `_bulk` (SigV4-signed with the
 * Lambda's role) plus a once-per-container install of the index families'
 * templates and retention policies, or, without `OPENSEARCH_ENDPOINT`, the
 * preview sink in the archive bucket.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { BulkSink } from "../../../lib/opensearch/bulk";
import type { IndexFamily } from "../../../lib/opensearch/index-family";
import { ensureIndexFamily, once } from "../../../lib/opensearch/index-family";
import { openSearchBulkSink } from "../../../lib/opensearch/sink";
import { createOpenSearchTransport } from "../../../lib/signed-http";
import type { CommonConfig } from "./config";
import type { Logger } from "./logger";
import { previewBulkSink } from "./preview-sink";

/** A handler's bulk sink and the bootstrap to run before the first write. */
export interface SearchOutput {
  readonly sink: BulkSink;
  /** Installs templates and ISM policies; absent for the preview sink. Cached: call it before every batch. */
  readonly bootstrap?: () => Promise<unknown>;
  /** True when documents go to the preview prefix, not to OpenSearch. */
  readonly preview: boolean;
}

/** Builds the output of `config` for `families` (the families the handler writes). */
export function searchOutput(
  config: CommonConfig,
  families: readonly IndexFamily[],
  s3: S3Client,
  logger: Logger,
): SearchOutput {
  if (config.openSearch === undefined) {
    return {
      sink: previewBulkSink(s3, config.archiveBucket, config.previewPrefix, (key, documents) =>
        logger.debug({ key, documents }, "preview written"),
      ),
      preview: true,
    };
  }
  const transport = createOpenSearchTransport({
    endpoint: config.openSearch.endpoint,
    service: config.openSearch.service,
    region: config.region,
    credentials: s3.config.credentials,
  });
  const bootstrap = once(async () => {
    for (const family of families) {
      const report = await ensureIndexFamily(transport, family, config.indexReplicas);
      logger.info({ family: family.name, ...report, indexReplicas: config.indexReplicas }, "bootstrap done");
    }
  });
  return { sink: openSearchBulkSink(transport), bootstrap, preview: false };
}
