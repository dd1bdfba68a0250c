/**
 * The environment every log-indexer entry point shares (set by the LogIndexer
 * component; see the README's "Search every log" section). Each entry point
 * reads its own extra variables with the same {@link EnvReader}, so one error
 * lists every problem of the deployment.
 */
import type { OpenSearchEndpoint } from "../../../lib/env";
import { EnvReader, LOG_LEVELS, readOpenSearchEndpoint } from "../../../lib/env";
import { DEFAULT_BULK_MAX_BYTES } from "../../../lib/opensearch/bulk";
import { DEFAULT_RETRY_POLICY } from "../../../lib/opensearch/indexer";

export { EnvReader };

/** Default prefix of the documents the preview sink writes when OpenSearch is off. */
export const DEFAULT_PREVIEW_PREFIX = "opensearch-preview/";

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Settings shared by the three handlers. */
export interface CommonConfig {
  /** `AWS_REGION` (set by Lambda). */
  readonly region: string;
  /** `ARCHIVE_BUCKET`: failed records and previews are written here. */
  readonly archiveBucket: string;
  /** `FAILED_PREFIX` (default per handler: `logs-failed/`, `vpcflow-failed/`, `findings-failed/`). */
  readonly failedPrefix: string;
  /** `PREVIEW_PREFIX` (default `opensearch-preview/`): used only without OpenSearch. */
  readonly previewPrefix: string;
  /** `OPENSEARCH_ENDPOINT` (+ `OPENSEARCH_SERVICE`); absent: documents go to the preview sink. */
  readonly openSearch?: OpenSearchEndpoint;
  /** `INDEX_REPLICAS` (0 or 1, default 1): replicas of new indices; 0 for a single-node domain. */
  readonly indexReplicas: number;
  /** `BULK_MAX_BYTES` (default 5 MiB): the bound of one `_bulk` body. */
  readonly bulkMaxBytes: number;
  /** `MAX_ATTEMPTS` (default 6): tries of a throttled or failing item within one invocation. */
  readonly maxAttempts: number;
  /** `LOG_LEVEL` (default `info`). */
  readonly logLevel: string;
  /** `POWERTOOLS_SERVICE_NAME`: the `service` dimension of the metrics. */
  readonly serviceName: string;
}

/** What differs between the handlers. */
export interface CommonDefaults {
  readonly failedPrefix: string;
  readonly serviceName: string;
}

/** Reads the shared variables into `read` (problems are reported by `read.finish`). */
export function readCommonConfig(read: EnvReader, defaults: CommonDefaults): CommonConfig {
  const archiveBucket = read.text("ARCHIVE_BUCKET");
  if (archiveBucket !== "" && !BUCKET.test(archiveBucket)) {
    read.problem(`ARCHIVE_BUCKET is not a bucket name: ${JSON.stringify(archiveBucket)}`);
  }
  const openSearch = readOpenSearchEndpoint(read);
  return {
    region: read.text("AWS_REGION"),
    archiveBucket,
    failedPrefix: read.text("FAILED_PREFIX", defaults.failedPrefix),
    previewPrefix: read.text("PREVIEW_PREFIX", DEFAULT_PREVIEW_PREFIX),
    ...(openSearch === undefined ? {} : { openSearch }),
    indexReplicas: read.integer("INDEX_REPLICAS", 1, 0, 1),
    bulkMaxBytes: read.integer("BULK_MAX_BYTES", DEFAULT_BULK_MAX_BYTES, 64 * 1024, 100 * 1024 * 1024),
    maxAttempts: read.integer("MAX_ATTEMPTS", DEFAULT_RETRY_POLICY.maxAttempts, 1, 20),
    logLevel: read.oneOf("LOG_LEVEL", LOG_LEVELS, "info"),
    serviceName: read.text("POWERTOOLS_SERVICE_NAME", defaults.serviceName),
  };
}

/** `RETENTION_DAYS`-style variables: days an index family's indices are kept. */
export function readRetentionDays(read: EnvReader, name: string, fallback: number): number {
  return read.integer(name, fallback, 1, 36_500);
}
