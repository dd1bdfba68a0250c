import type * as aws from "@pulumi/aws";

/** How long objects under one prefix of the archive live, and when they move to cheaper storage. */
export interface ArchiveLifecycleRule {
  /** Key prefix, ending in `/` (e.g. `raw/`). */
  readonly prefix: string;
  /** Days after creation before moving to STANDARD_IA (S3 requires at least 30). Omit to stay in STANDARD. */
  readonly infrequentAccessAfterDays?: number;
  /** Days after creation before moving to GLACIER_IR. Omit to never archive. */
  readonly glacierAfterDays?: number;
  /** Days after creation before the object expires. */
  readonly expireAfterDays: number;
}

/** The prefixes the platform writes into the archive bucket; one place so that writers and lifecycle agree. */
export const ARCHIVE_PREFIXES = {
  /** Firehose copy of everything that entered the ingest stream (gzip). */
  raw: "raw/",
  /** Firehose delivery failures. */
  rawErrors: "raw-errors/",
  /** Parsed nginx access logs (JSON lines, gzip, Hive partitions). */
  access: "access/",
  /** Access-log lines that could not be parsed, with the reason. */
  accessErrors: "access-errors/",
  /** VPC flow logs (Parquet, Hive partitions). */
  flowLogs: "flow-logs/",
  /** CloudTrail events split one per line (NDJSON). */
  cloudTrailEvents: "cloudtrail-events/",
  /** CloudTrail events OpenSearch refused, with the reason. */
  cloudTrailFailed: "cloudtrail-failed/",
  /** Ingest-stream lines OpenSearch refused (the log indexer's Kinesis function), with the reason. */
  logsFailed: "logs-failed/",
  /** Flow-log records OpenSearch refused (the log indexer's flow-log function), with the reason. */
  flowLogsFailed: "vpcflow-failed/",
  /** Findings OpenSearch refused (the log indexer's findings function), with the reason. */
  findingsFailed: "findings-failed/",
  /** What the log indexer would index, written instead when no OpenSearch domain is configured. */
  openSearchPreview: "opensearch-preview/",
  /** Athena query results (Grafana's Athena data source). */
  athenaResults: "athena-results/",
} as const;

/** Minimum age S3 accepts for a transition to STANDARD_IA. */
const MIN_INFREQUENT_ACCESS_DAYS = 30;

/**
 * Every problem with a set of lifecycle rules, as readable sentences (empty
 * when valid). Pure, so that settings validation and the component share it.
 */
export function lifecycleProblems(rules: readonly ArchiveLifecycleRule[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const rule of rules) {
    const where = `lifecycle rule for "${rule.prefix}"`;
    if (!/^[a-z0-9][a-z0-9-]*\/$/.test(rule.prefix)) {
      problems.push(`${where}: prefix must be lowercase letters, digits or hyphens ending in "/"`);
    }
    if (seen.has(rule.prefix)) problems.push(`${where}: prefix appears more than once`);
    seen.add(rule.prefix);
    const days = [rule.infrequentAccessAfterDays, rule.glacierAfterDays, rule.expireAfterDays];
    if (days.some((d) => d !== undefined && (!Number.isInteger(d) || d < 1))) {
      problems.push(`${where}: days must be whole numbers of at least 1`);
    }
    if (
      rule.infrequentAccessAfterDays !== undefined &&
      rule.infrequentAccessAfterDays < MIN_INFREQUENT_ACCESS_DAYS
    ) {
      problems.push(
        `${where}: infrequentAccessAfterDays must be at least ${MIN_INFREQUENT_ACCESS_DAYS} (S3 minimum)`,
      );
    }
    const ordered = days.filter((d): d is number => d !== undefined);
    if (ordered.some((d, i) => i > 0 && d <= ordered[i - 1]!)) {
      problems.push(`${where}: infrequentAccessAfterDays < glacierAfterDays < expireAfterDays must hold`);
    }
  }
  return problems;
}

/**
 * The S3 lifecycle rules for the archive: one rule per prefix, plus clean-up
 * of old versions and of abandoned multipart uploads for the whole bucket
 * (versioning is on, so deleted objects would otherwise be kept forever).
 */
export function archiveLifecycleRules(
  rules: readonly ArchiveLifecycleRule[],
  noncurrentVersionExpireDays: number,
): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  const perPrefix = rules.map((rule) => {
    const transitions: aws.types.input.s3.BucketLifecycleConfigurationRuleTransition[] = [];
    if (rule.infrequentAccessAfterDays !== undefined) {
      transitions.push({ days: rule.infrequentAccessAfterDays, storageClass: "STANDARD_IA" });
    }
    if (rule.glacierAfterDays !== undefined) {
      transitions.push({ days: rule.glacierAfterDays, storageClass: "GLACIER_IR" });
    }
    return {
      id: `expire-${rule.prefix.replace(/\/$/, "")}`,
      status: "Enabled",
      filter: { prefix: rule.prefix },
      expiration: { days: rule.expireAfterDays },
      ...(transitions.length > 0 ? { transitions } : {}),
    };
  });
  return [
    ...perPrefix,
    {
      id: "cleanup-noncurrent-and-incomplete",
      status: "Enabled",
      filter: {},
      noncurrentVersionExpiration: { noncurrentDays: noncurrentVersionExpireDays },
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      expiration: { expiredObjectDeleteMarker: true },
    },
  ];
}
