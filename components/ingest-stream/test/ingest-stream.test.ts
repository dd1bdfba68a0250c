import * as assert from "node:assert/strict";

import { violations } from "../../../policy/rules";
import { asPolicyInputs, resourceNamed, runUnderMocks, parseJsonInput } from "../../../test/lib/mocks";
import { ENVIRONMENT_DEFAULTS } from "../../../stacks/settings-schema";
import type { IngestStreamArgs } from "..";
import { IngestStream, ingestStreamArgProblems } from "..";
import { LOG_RETENTION_DAYS } from "../../lib/validation";
import { rawArchivePrefixes } from "../prefixes";

const NO_CONFIG = { config: {}, secretKeys: [] };
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const BUCKET = "arn:aws:s3:::archive";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const tags = { Project: "log-platform", Environment: "test", ManagedBy: "pulumi" };
// The stack settings of dev, as stacks/platform.ts passes them: their defaults live in the settings schema only.
const DEV = ENVIRONMENT_DEFAULTS.dev;
const base: IngestStreamArgs = {
  kmsKeyArn: KEY,
  archiveBucketArn: BUCKET,
  alarmTopicArn: TOPIC,
  ...DEV.ingestStream,
  ...DEV.rawArchive,
  logRetentionDays: DEV.logRetentionDays,
  retainData: DEV.retainData,
  tags,
};

describe("IngestStream (mocks)", () => {
  let run: Awaited<ReturnType<typeof runUnderMocks>>;
  before(async () => {
    run = await runUnderMocks("test", NO_CONFIG, () => {
      new IngestStream("in", { ...base, retentionHours: 48 });
    });
  });

  it("creates a KMS-encrypted on-demand stream", () => {
    assert.deepEqual(resourceNamed(run.resources, "aws:kinesis/stream:Stream", "in-stream").props, {
      streamModeDetails: { streamMode: "ON_DEMAND" },
      retentionPeriod: 48,
      encryptionType: "KMS",
      kmsKeyId: KEY,
      tags,
    });
  });

  it("archives the stream raw, gzipped, hourly-partitioned under raw/ with 60 s / 64 MiB buffers", () => {
    const firehose = resourceNamed(
      run.resources,
      "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
      "in-raw-archive",
    );
    assert.equal(firehose.props.destination, "extended_s3");
    assert.deepEqual(firehose.props.kinesisSourceConfiguration, {
      kinesisStreamArn: "arn:aws:kinesis:eu-west-1:123456789012:stream/in-stream",
      roleArn: "arn:aws:iam::123456789012:role/in-firehose-role",
    });
    assert.deepEqual(firehose.props.extendedS3Configuration, {
      roleArn: "arn:aws:iam::123456789012:role/in-firehose-role",
      bucketArn: BUCKET,
      prefix: "raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
      errorOutputPrefix:
        "raw-errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
      bufferingInterval: 60,
      bufferingSize: 64,
      compressionFormat: "GZIP",
      kmsKeyArn: KEY,
      processingConfiguration: { enabled: true, processors: [{ type: "AppendDelimiterToRecord" }] },
      cloudwatchLoggingOptions: {
        enabled: true,
        logGroupName: "in-delivery-errors",
        logStreamName: "S3Delivery",
      },
    });
  });

  it("limits the Firehose role to the stream, its prefixes, the key and its log group", () => {
    const trust = parseJsonInput(
      resourceNamed(run.resources, "aws:iam/role:Role", "in-firehose-role").props.assumeRolePolicy,
    );
    assert.deepEqual(trust.Statement, [
      {
        Effect: "Allow",
        Principal: { Service: "firehose.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
    const policy = parseJsonInput(
      resourceNamed(run.resources, "aws:iam/rolePolicy:RolePolicy", "in-firehose-role-policy").props.policy,
    );
    const resourcesBySid = Object.fromEntries(
      (policy.Statement as { Sid: string; Resource: unknown }[]).map((s) => [s.Sid, s.Resource]),
    );
    assert.deepEqual(resourcesBySid, {
      ReadTheIngestStream: "arn:aws:kinesis:eu-west-1:123456789012:stream/in-stream",
      WriteTheArchivePrefixes: ["arn:aws:s3:::archive/raw/*", "arn:aws:s3:::archive/raw-errors/*"],
      LocateTheArchiveBucket: BUCKET,
      UseTheArchiveKey: KEY,
      LogDeliveryErrors: "arn:aws:logs:eu-west-1:123456789012:log-group:in-delivery-errors:log-stream:*",
    });
  });

  it("alarms on producer throttling and on a stale archive, to the topic", () => {
    const throttled = resourceNamed(
      run.resources,
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "in-write-throttled",
    );
    assert.equal(throttled.props.metricName, "WriteProvisionedThroughputExceeded");
    assert.deepEqual(throttled.props.dimensions, { StreamName: "in-stream" });
    assert.deepEqual(throttled.props.alarmActions, [TOPIC]);
    const stale = resourceNamed(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", "in-archive-stale");
    assert.equal(stale.props.metricName, "DeliveryToS3.DataFreshness");
    assert.equal(stale.props.threshold, 900);
    assert.equal(stale.props.comparisonOperator, "GreaterThanThreshold");
  });

  it("passes every policy rule", () => {
    assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
  });

  it("provisioned mode sets the shard count; invalid args are all listed", async () => {
    const provisioned = await runUnderMocks("test", NO_CONFIG, () => {
      new IngestStream("p", { ...base, mode: "PROVISIONED", shardCount: 4 });
    });
    assert.equal(
      resourceNamed(provisioned.resources, "aws:kinesis/stream:Stream", "p-stream").props.shardCount,
      4,
    );
    assert.deepEqual(
      ingestStreamArgProblems({
        ...base,
        mode: "SHARDED" as IngestStreamArgs["mode"],
        retentionHours: 1,
        bufferSizeMiB: 500,
        logRetentionDays: 13,
      }),
      [
        "mode must be one of ON_DEMAND, PROVISIONED (got SHARDED)",
        "retentionHours must be 24–8760 (got 1)",
        "bufferSizeMiB must be 1–128 (got 500)",
        `logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")} (got 13)`,
      ],
    );
    assert.deepEqual(ingestStreamArgProblems(base), []);
  });

  it("prefixes are pure and partition by hour", () => {
    assert.deepEqual(rawArchivePrefixes("a/", "b/"), {
      prefix: "a/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
      errorOutputPrefix:
        "b/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/",
    });
  });
});
