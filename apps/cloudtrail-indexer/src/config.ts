/**
 * The indexer's environment (set by the CloudTrailPipeline component), read
 * and validated once, with every problem reported in one message.
 */
import { DEFAULT_FAILED_PREFIX, DEFAULT_EVENTS_PREFIX } from "./archive";
import { DEFAULT_VISIBILITY_BACKOFF } from "./backoff";
import { DEFAULT_BULK_MAX_BYTES, DEFAULT_INDEX_PREFIX } from "./bulk";
import { DEFAULT_RETRY_POLICY } from "./indexer";

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
const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/**
 * Reads the environment.
 *
 * @throws Error listing every missing or invalid variable.
 */
export function parseIndexerEnv(env: NodeJS.ProcessEnv): IndexerConfig {
  const problems: string[] = [];
  const text = (name: string, fallback?: string): string => {
    const value = env[name]?.trim();
    if (value !== undefined && value !== "") return value;
    if (fallback === undefined) problems.push(`${name} is required`);
    return fallback ?? "";
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };

  const region = text("AWS_REGION");
  const archiveBucket = text("ARCHIVE_BUCKET");
  if (archiveBucket !== "" && !BUCKET.test(archiveBucket)) {
    problems.push(`ARCHIVE_BUCKET is not a bucket name: ${JSON.stringify(archiveBucket)}`);
  }
  const indexPrefix = text("INDEX_PREFIX", DEFAULT_INDEX_PREFIX);
  if (!INDEX_PREFIX.test(indexPrefix)) {
    problems.push(
      `INDEX_PREFIX must be lowercase letters, digits, '.', '_' or '-': ${JSON.stringify(indexPrefix)}`,
    );
  }
  const endpoint = env.OPENSEARCH_ENDPOINT?.trim();
  let openSearch: IndexerConfig["openSearch"];
  if (endpoint !== undefined && endpoint !== "") {
    // Pulumi hands out domain endpoints without a scheme.
    const url = /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
    if (!URL.canParse(url)) problems.push(`OPENSEARCH_ENDPOINT is not a URL: ${JSON.stringify(endpoint)}`);
    openSearch = { endpoint: url, service: text("OPENSEARCH_SERVICE", "es") };
  }
  const logLevel = text("LOG_LEVEL", "info");
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  const config: IndexerConfig = {
    region,
    archiveBucket,
    eventsPrefix: text("EVENTS_PREFIX", DEFAULT_EVENTS_PREFIX),
    failedPrefix: text("FAILED_PREFIX", DEFAULT_FAILED_PREFIX),
    indexPrefix,
    ...(openSearch === undefined ? {} : { openSearch }),
    retentionDays: integer("RETENTION_DAYS", 90, 1, 36_500),
    indexReplicas: integer("INDEX_REPLICAS", 1, 0, 1),
    bulkMaxBytes: integer("BULK_MAX_BYTES", DEFAULT_BULK_MAX_BYTES, 64 * 1024, 100 * 1024 * 1024),
    maxAttempts: integer("MAX_ATTEMPTS", DEFAULT_RETRY_POLICY.maxAttempts, 1, 20),
    messageConcurrency: integer("MESSAGE_CONCURRENCY", 2, 1, 10),
    logLevel,
    retryBaseSeconds: integer("RETRY_BASE_SECONDS", DEFAULT_VISIBILITY_BACKOFF.baseSeconds, 1, 3600),
    serviceName: text("POWERTOOLS_SERVICE_NAME", "cloudtrail-indexer"),
  };
  if (problems.length > 0) {
    throw new Error(`cloudtrail-indexer configuration is invalid:\n  - ${problems.join("\n  - ")}`);
  }
  return config;
}
