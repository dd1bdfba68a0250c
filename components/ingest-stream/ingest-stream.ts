import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { ARCHIVE_PREFIXES } from "../log-archive/lifecycle";
import { createAlarm } from "../lib/alarm";
import { awsContext } from "../lib/aws-context";
import { dataStoreOptions } from "../lib/data-protection";
import { createEncryptedLogGroup } from "../lib/log-group";
import { createServiceRole } from "../lib/service-role";
import type { Tags } from "../lib/tags";
import { logRetentionProblems, rangeProblems, throwIfInvalid } from "../lib/validation";
import { rawArchivePrefixes } from "./prefixes";
import { firehoseRoleStatements } from "./role-policy";

export interface IngestStreamArgs {
  /** KMS key for the stream, the archive objects and the error log group. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Archive bucket the raw copy goes to. */
  readonly archiveBucketArn: pulumi.Input<string>;
  /** Topic for the stream and delivery alarms. */
  readonly alarmTopicArn: pulumi.Input<string>;
  /**
   * Capacity mode: ON_DEMAND needs no shard management and scales with
   * traffic. No default: stack setting `ingestStream.mode`.
   */
  readonly mode: "ON_DEMAND" | "PROVISIONED";
  /** Shards when PROVISIONED (1–500). No default: stack setting `ingestStream.shardCount`. */
  readonly shardCount: number;
  /** Hours records stay readable in the stream (24–8760). No default: stack setting `ingestStream.retentionHours`. */
  readonly retentionHours: number;
  /** Firehose buffering interval in seconds (0–900). No default: stack setting `rawArchive.bufferIntervalSeconds`. */
  readonly bufferIntervalSeconds: number;
  /** Firehose buffering size in MiB (1–128). No default: stack setting `rawArchive.bufferSizeMiB`. */
  readonly bufferSizeMiB: number;
  /** Retention of the delivery-error log group (a CloudWatch Logs value). No default: stack setting `logRetentionDays`. */
  readonly logRetentionDays: number;
  /** Protect and retain the stream (prod). No default: stack setting `retainData`. */
  readonly retainData: boolean;
  /** Tags for every resource. No default: the stack's tags. */
  readonly tags: Tags;
}

const STREAM_MODES: readonly string[] = ["ON_DEMAND", "PROVISIONED"];

/** Every problem with the args, so that one error can list them all. */
export function ingestStreamArgProblems(args: IngestStreamArgs): string[] {
  return [
    ...(STREAM_MODES.includes(args.mode)
      ? []
      : [`mode must be one of ${STREAM_MODES.join(", ")} (got ${String(args.mode)})`]),
    ...rangeProblems("retentionHours", args.retentionHours, 24, 8760),
    ...rangeProblems("shardCount", args.shardCount, 1, 500),
    ...rangeProblems("bufferIntervalSeconds", args.bufferIntervalSeconds, 0, 900),
    ...rangeProblems("bufferSizeMiB", args.bufferSizeMiB, 1, 128),
    ...logRetentionProblems("logRetentionDays", args.logRetentionDays),
  ];
}

/**
 * The "ingest" Kinesis stream every producer writes to (the log receiver,
 * fluentd), and a Firehose delivery stream that copies everything in it,
 * gzipped, to the archive under `raw/`: nothing that entered is lost even if
 * a consumer fails.
 */
export class IngestStream extends pulumi.ComponentResource {
  public readonly streamName: pulumi.Output<string>;
  public readonly streamArn: pulumi.Output<string>;
  public readonly deliveryStreamName: pulumi.Output<string>;

  constructor(name: string, args: IngestStreamArgs, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:ingest:IngestStream", name, {}, opts);
    throwIfInvalid("IngestStream", name, ingestStreamArgProblems(args));
    const tags = args.tags;
    const mode = args.mode;
    const ctx = awsContext(this);

    const stream = new aws.kinesis.Stream(
      `${name}-stream`,
      {
        streamModeDetails: { streamMode: mode },
        ...(mode === "PROVISIONED" ? { shardCount: args.shardCount } : {}),
        retentionPeriod: args.retentionHours,
        encryptionType: "KMS",
        kmsKeyId: args.kmsKeyArn,
        tags: { ...tags },
      },
      dataStoreOptions(this, args.retainData),
    );

    const errorLogGroup = createEncryptedLogGroup(
      `${name}-delivery-errors`,
      {
        retentionInDays: args.logRetentionDays,
        kmsKeyArn: args.kmsKeyArn,
        tags,
      },
      this,
    );
    const errorLogStream = new aws.cloudwatch.LogStream(
      `${name}-delivery-errors-s3`,
      { logGroupName: errorLogGroup.name, name: "S3Delivery" },
      { parent: this },
    );

    const delivery = createServiceRole(
      `${name}-firehose-role`,
      {
        service: "firehose.amazonaws.com",
        statements: pulumi
          .all([stream.arn, args.archiveBucketArn, args.kmsKeyArn, errorLogGroup.arn])
          .apply(([streamArn, bucketArn, keyArn, logGroupArn]) =>
            firehoseRoleStatements({
              streamArn,
              bucketArn,
              keyArn,
              logGroupArn,
              prefixes: [ARCHIVE_PREFIXES.raw, ARCHIVE_PREFIXES.rawErrors],
            }),
          ),
        tags,
      },
      ctx,
      this,
    );

    const firehose = new aws.kinesis.FirehoseDeliveryStream(
      `${name}-raw-archive`,
      {
        destination: "extended_s3",
        kinesisSourceConfiguration: { kinesisStreamArn: stream.arn, roleArn: delivery.role.arn },
        extendedS3Configuration: {
          roleArn: delivery.role.arn,
          bucketArn: args.archiveBucketArn,
          ...rawArchivePrefixes(ARCHIVE_PREFIXES.raw, ARCHIVE_PREFIXES.rawErrors),
          bufferingInterval: args.bufferIntervalSeconds,
          bufferingSize: args.bufferSizeMiB,
          compressionFormat: "GZIP",
          kmsKeyArn: args.kmsKeyArn,
          // Records hold NDJSON without a trailing newline; without a delimiter
          // the last line of one record would run into the first of the next.
          processingConfiguration: { enabled: true, processors: [{ type: "AppendDelimiterToRecord" }] },
          cloudwatchLoggingOptions: {
            enabled: true,
            logGroupName: errorLogGroup.name,
            logStreamName: errorLogStream.name,
          },
        },
        tags: { ...tags },
      },
      // Firehose checks its permissions when it is created: the policy must exist first.
      { parent: this, dependsOn: [delivery.policy] },
    );

    const alarmTarget = { topicArn: args.alarmTopicArn, tags };
    createAlarm(
      `${name}-write-throttled`,
      {
        alarmDescription:
          "Producers are throttled by the ingest stream: the receiver answers 503 and senders spool.",
        namespace: "AWS/Kinesis",
        metricName: "WriteProvisionedThroughputExceeded",
        dimensions: { StreamName: stream.name },
        statistic: "Sum",
        period: 300,
        threshold: 1,
      },
      alarmTarget,
      this,
    );
    createAlarm(
      `${name}-archive-stale`,
      {
        alarmDescription:
          "The raw archive is more than 15 minutes behind the stream: Firehose cannot deliver to S3.",
        namespace: "AWS/Firehose",
        metricName: "DeliveryToS3.DataFreshness",
        dimensions: { DeliveryStreamName: firehose.name },
        statistic: "Maximum",
        period: 300,
        evaluationPeriods: 2,
        threshold: 900,
        comparisonOperator: "GreaterThanThreshold",
      },
      alarmTarget,
      this,
    );

    this.streamName = stream.name;
    this.streamArn = stream.arn;
    this.deliveryStreamName = firehose.name;
    this.registerOutputs({
      streamName: this.streamName,
      streamArn: this.streamArn,
      deliveryStreamName: this.deliveryStreamName,
    });
  }
}
