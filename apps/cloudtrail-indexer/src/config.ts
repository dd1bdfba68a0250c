/**
 * The indexer's environment (set by the CloudTrailPipeline component), read
 * and validated once, with every problem reported in one message.
 */
import { DEFAULT_FAILED_PREFIX, DEFAULT_EVENTS_PREFIX } from "./archive";
import { DEFAULT_VISIBILITY_BACKOFF } from "./backoff";
import { DEFAULT_BULK_MAX_BYTES, DEFAULT_INDEX_PREFIX } from "./bulk";
import { DEFAULT_RETRY_POLICY } from "./indexer";
import { EnvReader, LOG_LEVELS, readOpenSearchEndpoint } from "../../lib/env";

/** Validated settings of the Lambda. */
export interface IndexerConfig {
  /** `AWS_REGION` (set by Lambda). */
  readonly region: string;
  /** `ARCHIVE_BUCKET`: where split events and failed records are written. */
  readonly archiveBucket: string;
  /** `EVENTS_PREFIX` (default `cloudtrail-events/`). */
  readonly eventsPrefix: string;
  /** `FAILED_PREFIX` (default `cloudtrail-failed/`). */
  readonly failedPrefix: string;
  /** `INDEX_PREFIX` (default `cloudtrail`): indices are `<prefix>-YYYY.MM.DD`. */
  readonly indexPrefix: string;
  /** `OPENSEARCH_ENDPOINT` (+ `OPENSEARCH_SERVICE`, default `es`); absent: only the S3 sink is used. */
  readonly openSearch?: { readonly endpoint: string; readonly service: string };
  /** `RETENTION_DAYS` (default 90): the ISM policy deletes indices this old. */
  readonly retentionDays: number;
  /** `INDEX_REPLICAS` (0 or 1, default 1): replicas per new index; 0 for a single-node domain. */
  readonly indexReplicas: number;
  /** `BULK_MAX_BYTES` (default 5 MiB). */
  readonly bulkMaxBytes: number;
  /** `MAX_ATTEMPTS` (default 6): tries per event before the message is failed for redelivery. */
  readonly maxAttempts: number;
  /** `MESSAGE_CONCURRENCY` (default 2): SQS messages of one batch processed at once. */
  readonly messageConcurrency: number;
  /** `LOG_LEVEL` (default `info`). */
  readonly logLevel: string;
  /** `RETRY_BASE_SECONDS` (default 60): a failed message is hidden this long, doubling per receive, up to 12 h. */
  readonly retryBaseSeconds: number;
  /** `POWERTOOLS_SERVICE_NAME` (default `cloudtrail-indexer`): the `service` dimension of the metrics. */
  readonly serviceName: string;
}

const INDEX_PREFIX = /^[a-z0-9][a-z0-9._-]{0,200}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Reads the environment.
 *
 * @throws Error listing every missing or invalid variable.
 */
export function parseIndexerEnv(env: NodeJS.ProcessEnv): IndexerConfig {
  const read = new EnvReader(env, "cloudtrail-indexer");
  const region = read.text("AWS_REGION");
  const archiveBucket = read.text("ARCHIVE_BUCKET");
  if (archiveBucket !== "" && !BUCKET.test(archiveBucket)) {
    read.problem(`ARCHIVE_BUCKET is not a bucket name: ${JSON.stringify(archiveBucket)}`);
  }
  const indexPrefix = read.text("INDEX_PREFIX", DEFAULT_INDEX_PREFIX);
  if (!INDEX_PREFIX.test(indexPrefix)) {
    read.problem(
      `INDEX_PREFIX must be lowercase letters, digits, '.', '_' or '-': ${JSON.stringify(indexPrefix)}`,
    );
  }
  const openSearch = readOpenSearchEndpoint(read);
  const logLevel = read.oneOf("LOG_LEVEL", LOG_LEVELS, "info");
  return read.finish({
    region,
    archiveBucket,
    eventsPrefix: read.text("EVENTS_PREFIX", DEFAULT_EVENTS_PREFIX),
    failedPrefix: read.text("FAILED_PREFIX", DEFAULT_FAILED_PREFIX),
    indexPrefix,
    ...(openSearch === undefined ? {} : { openSearch }),
    retentionDays: read.integer("RETENTION_DAYS", 90, 1, 36_500),
    indexReplicas: read.integer("INDEX_REPLICAS", 1, 0, 1),
    bulkMaxBytes: read.integer("BULK_MAX_BYTES", DEFAULT_BULK_MAX_BYTES, 64 * 1024, 100 * 1024 * 1024),
    maxAttempts: read.integer("MAX_ATTEMPTS", DEFAULT_RETRY_POLICY.maxAttempts, 1, 20),
    messageConcurrency: read.integer("MESSAGE_CONCURRENCY", 2, 1, 10),
    logLevel,
    retryBaseSeconds: read.integer("RETRY_BASE_SECONDS", DEFAULT_VISIBILITY_BACKOFF.baseSeconds, 1, 3600),
    serviceName: read.text("POWERTOOLS_SERVICE_NAME", "cloudtrail-indexer"),
  });
}
