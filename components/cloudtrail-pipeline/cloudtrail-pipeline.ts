import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import type { AlarmSpec } from "../lib/alarm";
import { createAlarm } from "../lib/alarm";
import { awsContext } from "../lib/aws-context";
import { dataStoreOptions } from "../lib/data-protection";
import { trailArn } from "../lib/iam";
import { createBundledFunction } from "../lib/lambda";
import { functionErrorsAlarm, queueBacklogAlarm } from "../lib/lambda-alarms";
import { createEncryptedLogGroup } from "../lib/log-group";
import { createSecureQueue } from "../lib/queue";
import { createSecureBucket } from "../lib/secure-bucket";
import { createServiceRole } from "../lib/service-role";
import type { Tags } from "../lib/tags";
import type { TracingArgs } from "../lib/tracing";
import { sampleRatioProblems, TRACED_SERVICES } from "../lib/tracing";
import { rangeProblems, throwIfInvalid } from "../lib/validation";
import { ARCHIVE_PREFIXES, archiveLifecycleRules } from "../log-archive/lifecycle";
import {
  DEFAULT_OUTAGE_TOLERANCE_SECONDS,
  DEFAULT_VISIBILITY_BACKOFF,
  receivesToCover,
} from "../../apps/cloudtrail-indexer/src/backoff";
import { indexPatternFor } from "../../apps/cloudtrail-indexer/src/bootstrap";
import {
  METRICS_NAMESPACE,
  REJECTED_RECORDS_METRIC,
  SERVICE_DIMENSION,
} from "../../apps/cloudtrail-indexer/src/metrics";
import { CIS_FILTERS, CIS_NAMESPACE } from "./cis-filters";
import {
  indexerStatements,
  notificationTopicPolicy,
  fromTopicStatements,
  pipelineTrailName,
  trailBucketPolicy,
  trailLogsStatements,
} from "./policies";

/**
 * The indices of a prefix, `<prefix>-*`: what the indexer's template and ISM
 * policy cover and what the writer role may write. One definition (the
 * indexer's), so that the OpenSearch role mapping cannot drift from it.
 */
/** The OpenSearch role the bootstrap maps the CloudTrail indexer's role to. */
export { WRITER_ROLE as CLOUDTRAIL_WRITER_ROLE } from "../../apps/opensearch-bootstrap/src/security";
export const cloudTrailIndexPattern: (indexPrefix: string) => string = indexPatternFor;

/**
 * Fewest concurrent batches an SQS event source mapping can be limited to
 * (`ScalingConfig.MaximumConcurrency`, 2–1000), and so the fewest reserved
 * executions the indexer may have.
 */
export const MIN_SQS_MAXIMUM_CONCURRENCY = 2;

/**
 * Receives before a trail file goes to the dead-letter queue: the indexer
 * hides a failed message 60 s, doubling per receive (capped at 12 h), so 10
 * receives span 8.5 h — an OpenSearch outage of 6 h is over before the last
 * one (see `receivesToCover`). The old fixed 720 s × 5 gave up after 48 minutes.
 */
export const DEFAULT_MAX_RECEIVE_COUNT = receivesToCover(
  DEFAULT_OUTAGE_TOLERANCE_SECONDS,
  DEFAULT_VISIBILITY_BACKOFF,
);

/** The handler the indexer Lambda runs, bundled from source at deploy time. */
export const INDEXER_ENTRY = "apps/cloudtrail-indexer/src/handler.ts";

/** Where the indexer sends events; without it, events go only to the archive (S3 NDJSON). */
export interface OpenSearchTarget {
  /** Domain endpoint (with or without `https://`). */
  readonly endpoint: pulumi.Input<string>;
  readonly domainArn: pulumi.Input<string>;
  /** Replicas of each new index: 1, or 0 on a single data node (where a replica can never be placed). Default: 1. */
  readonly indexReplicas?: number;
  /**
   * Resources that must exist before the indexer is fed: the domain's
   * access-control bootstrap. Until it has mapped the indexer's role, every
   * write is refused (403) and the files retried into the dead-letter queue.
   * Default: none.
   */
  readonly dependsOn?: readonly pulumi.Resource[];
  /** When the domain is in a VPC, the indexer runs there too. */
  readonly vpc?: {
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  };
}

export interface CloudTrailPipelineArgs {
  /** Archive key: trail files, log group, topic, queues and the indexer's environment. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** The archive, where split events (`cloudtrail-events/`) and refused ones (`cloudtrail-failed/`) go. */
  readonly archiveBucketName: pulumi.Input<string>;
  readonly archiveBucketArn: pulumi.Input<string>;
  /** Topic for the CIS and pipeline alarms. */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** An organization trail (run in the management account). Default: false. */
  readonly organizationTrail?: boolean;
  /** Also record S3 object-level (data) events. Default: false. */
  readonly s3DataEvents?: boolean;
  /** Create the trail bucket with Object Lock (governance, `trailRetentionDays`). Default: false. */
  readonly objectLock?: boolean;
  /** Days trail files are kept. Default: 365. */
  readonly trailRetentionDays?: number;
  /** Retention of the trail's and the indexer's log groups. Default: 14. */
  readonly logRetentionDays?: number;
  /** Protect and retain the trail bucket (prod). Default: false. */
  readonly retainData?: boolean;
  /** Index into this domain. Default: none (events go to the archive only). */
  readonly openSearch?: OpenSearchTarget;
  /** OpenSearch index prefix; indices are `<prefix>-YYYY.MM.DD`. Default: cloudtrail. */
  readonly indexPrefix?: string;
  /** Days an index is kept before the ISM policy deletes it. Default: 90. */
  readonly indexRetentionDays?: number;
  /**
   * Concurrent indexer invocations at most (protects the domain); also the
   * queue mapping's maximum concurrency, so the SQS pollers never start more
   * batches than may run. At least 2. Default: 2.
   */
  readonly reservedConcurrency?: number;
  /** Indexer memory and timeout. Default: 512 MiB, 120 s. */
  readonly memoryMiB?: number;
  readonly timeoutSeconds?: number;
  /**
   * Receives before a message goes to the dead-letter queue. Default:
   * {@link DEFAULT_MAX_RECEIVE_COUNT} (10: with the indexer's backoff, 8.5 h of retries).
   */
  readonly maxReceiveCount?: number;
  /**
   * Trace the function with OpenTelemetry through the ADOT collector layer
   * (components/lib/lambda.ts). Default: no tracing (Lambda's own active
   * tracing of the invocation stays on either way).
   */
  readonly tracing?: TracingArgs;
  /** Tags for every resource. Default: none. */
  readonly tags?: Tags;
}

const DEFAULTS = {
  organizationTrail: false,
  s3DataEvents: false,
  objectLock: false,
  trailRetentionDays: 365,
  logRetentionDays: 14,
  retainData: false,
  indexPrefix: "cloudtrail",
  indexRetentionDays: 90,
  reservedConcurrency: 2,
  memoryMiB: 512,
  timeoutSeconds: 120,
  maxReceiveCount: DEFAULT_MAX_RECEIVE_COUNT,
  tags: {},
} as const;

/** Lambda's guidance: a queue's visibility timeout of at least six times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Every problem with the args, so that one error can list them all. */
export function cloudTrailPipelineArgProblems(args: CloudTrailPipelineArgs): string[] {
  const problems = [
    ...rangeProblems("trailRetentionDays", args.trailRetentionDays ?? DEFAULTS.trailRetentionDays, 1, 36500),
    ...rangeProblems("indexRetentionDays", args.indexRetentionDays ?? DEFAULTS.indexRetentionDays, 1, 36500),
    // Lambda's SQS pollers start 5 batches at once; beyond the reserved concurrency they are
    // throttled, each throttle costs a receive, and healthy files reach the DLQ. The mapping's
    // maximum concurrency (at least 2) caps the pollers, so the reserved concurrency must allow it.
    ...rangeProblems(
      "reservedConcurrency",
      args.reservedConcurrency ?? DEFAULTS.reservedConcurrency,
      MIN_SQS_MAXIMUM_CONCURRENCY,
      1000,
    ).map(
      (problem) =>
        `${problem}: it is also the SQS mapping's maximum concurrency, which Lambda accepts from ${MIN_SQS_MAXIMUM_CONCURRENCY}`,
    ),
    ...rangeProblems("openSearch.indexReplicas", args.openSearch?.indexReplicas ?? 1, 0, 1),
    ...rangeProblems("memoryMiB", args.memoryMiB ?? DEFAULTS.memoryMiB, 128, 10240),
    ...rangeProblems("timeoutSeconds", args.timeoutSeconds ?? DEFAULTS.timeoutSeconds, 1, 900),
    ...rangeProblems("maxReceiveCount", args.maxReceiveCount ?? DEFAULTS.maxReceiveCount, 1, 1000),
    ...(args.tracing !== undefined
      ? sampleRatioProblems("tracing.sampleRatio", args.tracing.sampleRatio)
      : []),
  ];
  if (!/^[a-z][a-z0-9-]{0,40}$/.test(args.indexPrefix ?? DEFAULTS.indexPrefix)) {
    problems.push(`indexPrefix must be a lowercase OpenSearch index prefix (got "${args.indexPrefix}")`);
  }
  return problems;
}

/**
 * CloudTrail split into single events: a multi-region trail with log file
 * validation into its own bucket, CIS alarms on its CloudWatch log group, and
 * new trail files announced through SNS → SQS (+ DLQ) to the indexer Lambda
 * (`apps/cloudtrail-indexer`), which splits each file into events, indexes
 * them in OpenSearch by `eventID` and writes them as NDJSON to the archive.
 */
export class CloudTrailPipeline extends pulumi.ComponentResource {
  public readonly trailArn: pulumi.Output<string>;
  public readonly trailBucketName: pulumi.Output<string>;
  public readonly queueUrl: pulumi.Output<string>;
  public readonly deadLetterQueueUrl: pulumi.Output<string>;
  public readonly indexerFunctionName: pulumi.Output<string>;
  /** The indexer's role: the OpenSearch access policy must let it in. */
  public readonly indexerRoleArn: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;

  constructor(name: string, args: CloudTrailPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:cloudtrail:CloudTrailPipeline", name, {}, opts);
    throwIfInvalid("CloudTrailPipeline", name, cloudTrailPipelineArgProblems(args));
    const tags = args.tags ?? DEFAULTS.tags;
    const retainData = args.retainData ?? DEFAULTS.retainData;
    const organizationTrail = args.organizationTrail ?? DEFAULTS.organizationTrail;
    const trailRetentionDays = args.trailRetentionDays ?? DEFAULTS.trailRetentionDays;
    const logRetentionDays = args.logRetentionDays ?? DEFAULTS.logRetentionDays;
    const timeoutSeconds = args.timeoutSeconds ?? DEFAULTS.timeoutSeconds;
    const reservedConcurrency = args.reservedConcurrency ?? DEFAULTS.reservedConcurrency;
    const ctx = awsContext(this);
    // Named explicitly: the bucket policy must name the trail's ARN before the trail exists.
    const trailName = pipelineTrailName(name);
    const thisTrailArn = ctx.apply((c) => trailArn(c, trailName));

    // ---- Trail bucket.
    const trailBucket = createSecureBucket(
      `${name}-bucket`,
      {
        encryption: { kind: "kms", keyArn: args.kmsKeyArn },
        forceDestroy: !retainData,
        objectLock: args.objectLock ?? DEFAULTS.objectLock,
        tags,
      },
      dataStoreOptions(this, retainData),
    );
    const bucketPolicy = new aws.s3.BucketPolicy(
      `${name}-bucket-policy`,
      {
        bucket: trailBucket.bucket.id,
        policy: pulumi.jsonStringify(
          pulumi
            .all([ctx, trailBucket.bucket.arn, thisTrailArn])
            .apply(([c, bucketArn, trail]) => trailBucketPolicy(c, bucketArn, trail, organizationTrail)),
        ),
      },
      // A bucket policy is refused while the public access block is still being applied.
      { parent: this, dependsOn: [trailBucket.publicAccessBlock] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-bucket-lifecycle`,
      {
        bucket: trailBucket.bucket.id,
        // CloudTrail writes every file (logs and digests) under AWSLogs/.
        rules: archiveLifecycleRules([{ prefix: "AWSLogs/", expireAfterDays: trailRetentionDays }], 30),
      },
      { parent: this },
    );
    if (args.objectLock ?? DEFAULTS.objectLock) {
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-bucket-object-lock`,
        {
          bucket: trailBucket.bucket.id,
          rule: { defaultRetention: { mode: "GOVERNANCE", days: trailRetentionDays } },
        },
        { parent: this },
      );
    }

    // ---- Trail → CloudWatch Logs (for the CIS alarms).
    const trailLogs = createEncryptedLogGroup(
      `${name}-events`,
      { retentionInDays: logRetentionDays, kmsKeyArn: args.kmsKeyArn, tags },
      this,
    );
    const trailLogsRole = createServiceRole(
      `${name}-to-logs`,
      {
        service: "cloudtrail.amazonaws.com",
        sourceArnLike: (c) => trailArn(c, trailName),
        statements: trailLogs.arn.apply(trailLogsStatements),
        tags,
      },
      ctx,
      this,
    );
    const trail = new aws.cloudtrail.Trail(
      `${name}-trail`,
      {
        name: trailName,
        s3BucketName: trailBucket.bucket.bucket,
        isMultiRegionTrail: true,
        includeGlobalServiceEvents: true,
        isOrganizationTrail: organizationTrail,
        enableLogFileValidation: true,
        kmsKeyId: args.kmsKeyArn,
        cloudWatchLogsGroupArn: pulumi.interpolate`${trailLogs.arn}:*`,
        cloudWatchLogsRoleArn: trailLogsRole.role.arn,
        ...(args.s3DataEvents === true
          ? {
              // The platform's own reads and writes of trail files and archive objects are
              // data events too: recording them would feed the pipeline its own traffic forever.
              advancedEventSelectors: [
                {
                  name: "Management events",
                  fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }],
                },
                {
                  name: "S3 object events outside the platform's log buckets",
                  fieldSelectors: [
                    { field: "eventCategory", equals: ["Data"] },
                    { field: "resources.type", equals: ["AWS::S3::Object"] },
                    {
                      field: "resources.ARN",
                      notStartsWiths: [
                        pulumi.interpolate`${trailBucket.bucket.arn}/`,
                        pulumi.interpolate`${args.archiveBucketArn}/`,
                      ],
                    },
                  ],
                },
              ],
            }
          : { eventSelectors: [{ readWriteType: "All", includeManagementEvents: true }] }),
        tags: { ...tags },
      },
      // CloudTrail checks at creation that it may write the bucket and the log group.
      { parent: this, dependsOn: [bucketPolicy, trailLogsRole.policy] },
    );

    CIS_FILTERS.forEach((filter) => {
      new aws.cloudwatch.LogMetricFilter(
        `${name}-cis-${filter.name}`,
        {
          logGroupName: trailLogs.name,
          pattern: filter.pattern,
          metricTransformation: { name: filter.metricName, namespace: CIS_NAMESPACE, value: "1" },
        },
        { parent: this },
      );
      createAlarm(
        `${name}-cis-${filter.name}`,
        {
          alarmDescription: `CIS ${filter.control}: ${filter.description}`,
          namespace: CIS_NAMESPACE,
          metricName: filter.metricName,
          statistic: "Sum",
          period: 300,
          threshold: 1,
        },
        // An audit finding is an event, not a state: no "recovered" notice.
        { topicArn: args.alarmTopicArn, tags, notifyOnOk: false },
        this,
      );
    });

    // ---- New trail files: S3 → SNS → SQS (+ DLQ).
    const topic = new aws.sns.Topic(
      `${name}-new-files`,
      { kmsMasterKeyId: args.kmsKeyArn, tags: { ...tags } },
      { parent: this },
    );
    const topicPolicy = new aws.sns.TopicPolicy(
      `${name}-new-files-policy`,
      {
        arn: topic.arn,
        policy: pulumi.jsonStringify(
          pulumi
            .all([ctx, topic.arn, trailBucket.bucket.arn])
            .apply(([c, topicArn, bucketArn]) => notificationTopicPolicy(c, topicArn, bucketArn)),
        ),
      },
      { parent: this },
    );
    new aws.s3.BucketNotification(
      `${name}-bucket-notification`,
      {
        bucket: trailBucket.bucket.id,
        topics: [
          {
            topicArn: topic.arn,
            events: ["s3:ObjectCreated:*"],
            filterPrefix: "AWSLogs/",
            filterSuffix: ".json.gz",
          },
        ],
      },
      // S3 sends a test event on creation and refuses a topic it may not publish to.
      { parent: this, dependsOn: [topicPolicy] },
    );
    const deadLetters = createSecureQueue(`${name}-dead-letters`, { kmsKeyArn: args.kmsKeyArn, tags }, this);
    const queue = createSecureQueue(
      `${name}-new-files`,
      {
        kmsKeyArn: args.kmsKeyArn,
        visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_FACTOR * timeoutSeconds,
        messageRetentionSeconds: 4 * 24 * 3600,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: deadLetters.arn,
          maxReceiveCount: args.maxReceiveCount ?? DEFAULTS.maxReceiveCount,
        }),
        allow: (queueArn) => topic.arn.apply((topicArn) => fromTopicStatements(queueArn, topicArn)),
        tags,
      },
      this,
    );
    new aws.sns.TopicSubscription(
      `${name}-new-files-to-queue`,
      { topic: topic.arn, protocol: "sqs", endpoint: queue.arn },
      { parent: this },
    );

    // ---- Indexer.
    const indexerLogs = createEncryptedLogGroup(
      `${name}-indexer-logs`,
      { retentionInDays: logRetentionDays, kmsKeyArn: args.kmsKeyArn, tags },
      this,
    );
    const openSearch = args.openSearch;
    const indexerRole = createServiceRole(
      `${name}-indexer-role`,
      {
        service: "lambda.amazonaws.com",
        // Lambda assumes its execution role without source-account context.
        sourceAccountCondition: false,
        statements: pulumi
          .all([
            trailBucket.bucket.arn,
            args.archiveBucketArn,
            args.kmsKeyArn,
            queue.arn,
            indexerLogs.arn,
            openSearch?.domainArn,
          ])
          .apply(([trailBucketArn, archiveBucketArn, keyArn, queueArn, logGroupArn, domainArn]) =>
            indexerStatements({
              trailBucketArn,
              archiveBucketArn,
              keyArn,
              queueArn,
              logGroupArn,
              archivePrefixes: [ARCHIVE_PREFIXES.cloudTrailEvents, ARCHIVE_PREFIXES.cloudTrailFailed],
              ...(domainArn !== undefined ? { domainArn } : {}),
              inVpc: openSearch?.vpc !== undefined,
            }),
          ),
        tags,
      },
      ctx,
      this,
    );
    const indexer = createBundledFunction(
      `${name}-indexer`,
      {
        entry: INDEXER_ENTRY,
        roleArn: indexerRole.role.arn,
        memoryMiB: args.memoryMiB ?? DEFAULTS.memoryMiB,
        timeoutSeconds,
        reservedConcurrency,
        kmsKeyArn: args.kmsKeyArn,
        environment: {
          ARCHIVE_BUCKET: args.archiveBucketName,
          EVENTS_PREFIX: ARCHIVE_PREFIXES.cloudTrailEvents,
          FAILED_PREFIX: ARCHIVE_PREFIXES.cloudTrailFailed,
          INDEX_PREFIX: args.indexPrefix ?? DEFAULTS.indexPrefix,
          RETENTION_DAYS: String(args.indexRetentionDays ?? DEFAULTS.indexRetentionDays),
          // The backoff DEFAULT_MAX_RECEIVE_COUNT was computed for, and the metrics' `service` dimension.
          RETRY_BASE_SECONDS: String(DEFAULT_VISIBILITY_BACKOFF.baseSeconds),
          POWERTOOLS_SERVICE_NAME: `${name}-indexer`,
          ...(openSearch !== undefined
            ? {
                OPENSEARCH_ENDPOINT: openSearch.endpoint,
                INDEX_REPLICAS: String(openSearch.indexReplicas ?? 1),
              }
            : {}),
        },
        ...(openSearch?.vpc !== undefined
          ? {
              vpcConfig: {
                subnetIds: openSearch.vpc.subnetIds,
                securityGroupIds: openSearch.vpc.securityGroupIds,
              },
            }
          : {}),
        ...(args.tracing !== undefined
          ? {
              tracing: {
                serviceName: TRACED_SERVICES.cloudTrailIndexer,
                sampleRatio: args.tracing.sampleRatio,
                region: ctx.region,
              },
            }
          : {}),
        logGroupName: indexerLogs.name,
        tags,
      },
      // The function must not start before it may write its logs.
      { parent: this, dependsOn: [indexerRole.policy] },
    );
    new aws.lambda.EventSourceMapping(
      `${name}-from-queue`,
      {
        eventSourceArn: queue.arn,
        functionName: indexer.arn,
        batchSize: 10,
        functionResponseTypes: ["ReportBatchItemFailures"],
        // Without it the pollers run 5+ batches against `reservedConcurrency` executions; the
        // throttled ones return to the queue with a receive counted, towards the DLQ.
        scalingConfig: { maximumConcurrency: reservedConcurrency },
        tags: { ...tags },
      },
      // Lambda checks at creation that the role may consume the queue. Files are only fed in
      // once the domain lets the indexer in (its bootstrap), or the first ones end in the DLQ.
      // No cycle: the bootstrap needs the indexer's role ARN, never this mapping or the function.
      { parent: this, dependsOn: [indexerRole.policy, ...(openSearch?.dependsOn ?? [])] },
    );

    const alarmTarget = { topicArn: args.alarmTopicArn, tags };
    const pipelineAlarm = (suffix: string, alarmDescription: string, spec: AlarmSpec) =>
      createAlarm(`${name}-${suffix}`, { alarmDescription, ...spec }, alarmTarget, this);
    pipelineAlarm(
      "dead-letters",
      "Trail files the indexer failed for good are waiting in the dead-letter queue.",
      queueBacklogAlarm(deadLetters.name),
    );
    pipelineAlarm("queue-age", "Trail files wait more than 15 minutes: the indexer is behind or failing.", {
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: queue.name },
      statistic: "Maximum",
      period: 300,
      threshold: 900,
    });
    pipelineAlarm("indexer-errors", "The indexer failed invocations.", functionErrorsAlarm(indexer.name));
    pipelineAlarm(
      "indexer-throttles",
      "Indexer invocations were throttled: each throttled batch counts a receive, and files can reach the DLQ unprocessed.",
      {
        namespace: "AWS/Lambda",
        metricName: "Throttles",
        dimensions: { FunctionName: indexer.name },
        statistic: "Sum",
        period: 300,
        threshold: 1,
      },
    );

    pipelineAlarm(
      "rejected-records",
      "OpenSearch rejected CloudTrail events as documents (mapping or parse errors) or events had no eventID/eventTime: they are in cloudtrail-failed/, not in the index.",
      {
        namespace: METRICS_NAMESPACE,
        metricName: REJECTED_RECORDS_METRIC,
        dimensions: { [SERVICE_DIMENSION]: `${name}-indexer` },
        statistic: "Sum",
        period: 300,
        threshold: 1,
      },
    );

    this.trailArn = trail.arn;
    this.trailBucketName = trailBucket.bucket.bucket;
    this.queueUrl = queue.url;
    this.deadLetterQueueUrl = deadLetters.url;
    this.indexerFunctionName = indexer.name;
    this.indexerRoleArn = indexerRole.role.arn;
    this.logGroupName = trailLogs.name;
    this.registerOutputs({
      trailArn: this.trailArn,
      trailBucketName: this.trailBucketName,
      queueUrl: this.queueUrl,
      deadLetterQueueUrl: this.deadLetterQueueUrl,
      indexerFunctionName: this.indexerFunctionName,
      indexerRoleArn: this.indexerRoleArn,
      logGroupName: this.logGroupName,
    });
  }
}
