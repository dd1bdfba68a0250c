import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { awsContext } from "../lib/aws-context";
import { dataStoreOptions } from "../lib/data-protection";
import { createSecureBucket } from "../lib/secure-bucket";
import type { Tags } from "../lib/tags";
import { throwIfInvalid } from "../lib/validation";
import { accessLogBucketPolicy, archiveBucketPolicy } from "./bucket-policies";
import { archiveKeyPolicy } from "./key-policy";
import type { ArchiveLifecycleRule } from "./lifecycle";
import { ARCHIVE_PREFIXES, archiveLifecycleRules, lifecycleProblems } from "./lifecycle";

export interface LogArchiveArgs {
  /**
   * Keep the key and buckets when the stack is destroyed or they are removed
   * from the program (`protect` + `retainOnDelete`). When false, buckets are
   * emptied on destroy (`forceDestroy`) so that `pulumi destroy` finishes.
   * Default: false.
   */
  readonly retainData?: boolean;
  /** Lifecycle per archive prefix. Default: {@link DEFAULT_LIFECYCLE}. */
  readonly lifecycle?: readonly ArchiveLifecycleRule[];
  /** Days before non-current object versions are deleted. Default: 30. */
  readonly noncurrentVersionExpireDays?: number;
  /** Days S3 server access logs are kept in the log bucket. Default: 90. */
  readonly accessLogExpireDays?: number;
  /** Waiting period before a scheduled key deletion takes effect (7–30). Default: 30. */
  readonly keyDeletionWindowDays?: number;
  /**
   * Names of the trails that encrypt their log files with the archive key
   * (this account and region); CloudTrail may use the key for these only, and
   * an empty list gives CloudTrail no use of it. Default: any trail of this
   * account in this region.
   */
  readonly trailNames?: readonly string[];
  /**
   * Key prefix (ending in `/`) under which AWS Data Exports may write this
   * account's cost export (bucket policy and key policy grants). Default:
   * none, no grant.
   */
  readonly dataExportsPrefix?: string;
  /** Tags for every resource. Default: none. */
  readonly tags?: Tags;
}

/** Used when no lifecycle is given: raw data kept a year, everything else as long. */
export const DEFAULT_LIFECYCLE: readonly ArchiveLifecycleRule[] = [
  { prefix: "raw/", infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 365 },
];

const DEFAULTS = {
  retainData: false,
  lifecycle: DEFAULT_LIFECYCLE,
  noncurrentVersionExpireDays: 30,
  accessLogExpireDays: 90,
  keyDeletionWindowDays: 30,
  tags: {},
} as const;

/** Prefix of the archive bucket's server access logs inside the log bucket. */
const ACCESS_LOG_PREFIX = "archive/";

/** Every problem with the args, so that one error can list them all. */
export function logArchiveArgProblems(args: LogArchiveArgs): string[] {
  const problems = lifecycleProblems(args.lifecycle ?? DEFAULTS.lifecycle);
  const window = args.keyDeletionWindowDays ?? DEFAULTS.keyDeletionWindowDays;
  if (!Number.isInteger(window) || window < 7 || window > 30) {
    problems.push(`keyDeletionWindowDays must be a whole number from 7 to 30 (got ${window})`);
  }
  if (args.dataExportsPrefix !== undefined && !/^[a-z0-9][a-z0-9-]*\/$/.test(args.dataExportsPrefix)) {
    problems.push(
      `dataExportsPrefix must be lowercase letters, digits or hyphens ending in "/" (got "${args.dataExportsPrefix}")`,
    );
  }
  for (const key of ["noncurrentVersionExpireDays", "accessLogExpireDays"] as const) {
    const days = args[key] ?? DEFAULTS[key];
    if (!Number.isInteger(days) || days < 1)
      problems.push(`${key} must be a whole number of at least 1 (got ${days})`);
  }
  return problems;
}

/**
 * The durable home of every log the platform keeps: a customer-managed KMS
 * key, the archive bucket (SSE-KMS, versioned, private, TLS only, lifecycle
 * per prefix) and a separate bucket for the archive's S3 server access logs.
 */
export class LogArchive extends pulumi.ComponentResource {
  /** ARN of the customer-managed key that encrypts the archive, log groups, topics and streams. */
  public readonly keyArn: pulumi.Output<string>;
  /** Name of the archive bucket. */
  public readonly bucketName: pulumi.Output<string>;
  /** ARN of the archive bucket. */
  public readonly bucketArn: pulumi.Output<string>;
  /** Name of the bucket holding the archive's S3 server access logs. */
  public readonly accessLogBucketName: pulumi.Output<string>;
  /** The archive bucket's policy: what a writer granted there (Data Exports) must wait for. */
  public readonly bucketPolicy: aws.s3.BucketPolicy;

  constructor(name: string, args: LogArchiveArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:archive:LogArchive", name, {}, opts);
    throwIfInvalid("LogArchive", name, logArchiveArgProblems(args));
    const retainData = args.retainData ?? DEFAULTS.retainData;
    const tags = args.tags ?? DEFAULTS.tags;
    const ctx = awsContext(this);
    const storeOptions = dataStoreOptions(this, retainData);

    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Encrypts the log archive, log groups, topics and streams of ${name}`,
        enableKeyRotation: true,
        deletionWindowInDays: args.keyDeletionWindowDays ?? DEFAULTS.keyDeletionWindowDays,
        policy: pulumi.jsonStringify(
          ctx.apply((c) =>
            archiveKeyPolicy(c, {
              ...(args.trailNames !== undefined ? { trailNames: args.trailNames } : {}),
              ...(args.dataExportsPrefix !== undefined ? { dataExports: true } : {}),
            }),
          ),
        ),
        tags: { ...tags },
      },
      storeOptions,
    );
    new aws.kms.Alias(
      `${name}-key-alias`,
      { name: `alias/${name}-archive`, targetKeyId: key.keyId },
      { parent: this },
    );

    const logs = createSecureBucket(
      `${name}-access-logs`,
      { encryption: { kind: "s3-managed" }, forceDestroy: !retainData, tags },
      storeOptions,
    );
    const archive = createSecureBucket(
      `${name}-bucket`,
      { encryption: { kind: "kms", keyArn: key.arn }, forceDestroy: !retainData, tags },
      storeOptions,
    );

    new aws.s3.BucketPolicy(
      `${name}-access-logs-policy`,
      {
        bucket: logs.bucket.id,
        policy: pulumi.jsonStringify(
          pulumi
            .all([ctx, logs.bucket.arn, archive.bucket.arn])
            .apply(([c, logArn, archiveArn]) =>
              accessLogBucketPolicy(c, logArn, archiveArn, ACCESS_LOG_PREFIX),
            ),
        ),
      },
      // A bucket policy is refused while the public access block is still being applied.
      { parent: this, dependsOn: [logs.publicAccessBlock] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-access-logs-lifecycle`,
      {
        bucket: logs.bucket.id,
        rules: archiveLifecycleRules(
          [
            {
              prefix: ACCESS_LOG_PREFIX,
              expireAfterDays: args.accessLogExpireDays ?? DEFAULTS.accessLogExpireDays,
            },
          ],
          args.noncurrentVersionExpireDays ?? DEFAULTS.noncurrentVersionExpireDays,
        ),
      },
      { parent: this },
    );

    this.bucketPolicy = new aws.s3.BucketPolicy(
      `${name}-bucket-policy`,
      {
        bucket: archive.bucket.id,
        policy: pulumi.jsonStringify(
          pulumi
            .all([ctx, archive.bucket.arn, key.arn])
            .apply(([c, bucketArn, keyArn]) =>
              archiveBucketPolicy(c, bucketArn, keyArn, ARCHIVE_PREFIXES.flowLogs, args.dataExportsPrefix),
            ),
        ),
      },
      // Same reason as above: the public access block must be in place first.
      { parent: this, dependsOn: [archive.publicAccessBlock] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-bucket-lifecycle`,
      {
        bucket: archive.bucket.id,
        rules: archiveLifecycleRules(
          args.lifecycle ?? DEFAULTS.lifecycle,
          args.noncurrentVersionExpireDays ?? DEFAULTS.noncurrentVersionExpireDays,
        ),
      },
      { parent: this },
    );
    new aws.s3.BucketLogging(
      `${name}-bucket-logging`,
      { bucket: archive.bucket.id, targetBucket: logs.bucket.id, targetPrefix: ACCESS_LOG_PREFIX },
      { parent: this },
    );

    this.keyArn = key.arn;
    this.bucketName = archive.bucket.bucket;
    this.bucketArn = archive.bucket.arn;
    this.accessLogBucketName = logs.bucket.bucket;
    this.registerOutputs({
      keyArn: this.keyArn,
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      accessLogBucketName: this.accessLogBucketName,
    });
  }
}
