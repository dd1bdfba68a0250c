import type { AwsContext, ConditionBlock, PolicyDocument, PolicyStatement } from "../lib/iam";
import { denyInsecureTransport, policyDocument } from "../lib/iam";

/** Bucket and objects: what a bucket-wide deny has to cover. */
function bucketAndObjects(bucketArn: string): string[] {
  return [bucketArn, `${bucketArn}/*`];
}

/** The request headers that choose an object's encryption, as S3 condition keys. */
const SSE_HEADER = "s3:x-amz-server-side-encryption";
const SSE_KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id";

/**
 * Archive bucket policy: TLS only; a write that asks for other encryption
 * than SSE-KMS with the archive key is refused; the log delivery service
 * of this account may write VPC flow logs under their prefix; and, given
 * `dataExportsPrefix`, AWS Data Exports may write this account's cost export
 * under that prefix.
 *
 * A write without encryption headers is not refused: the bucket's default
 * encryption (SSE-KMS with the archive key) applies to it, and that is how
 * the platform's own writers (the transformer, the CloudTrail indexer, log
 * delivery) write. So each deny needs its header present (`Null: false`) —
 * with `StringNotEqualsIfExists` an absent header matches and every such
 * write would be denied.
 */
export function archiveBucketPolicy(
  ctx: AwsContext,
  bucketArn: string,
  keyArn: string,
  flowLogPrefix: string,
  dataExportsPrefix?: string,
): PolicyDocument {
  const fromLogDelivery = {
    StringEquals: { "aws:SourceAccount": ctx.accountId },
    ArnLike: { "aws:SourceArn": `arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:*` },
  };
  const denyPut = (Sid: string, Condition: ConditionBlock): PolicyStatement => ({
    Sid,
    Effect: "Deny",
    Principal: "*",
    Action: "s3:PutObject",
    Resource: `${bucketArn}/*`,
    Condition,
  });
  return policyDocument([
    denyInsecureTransport(bucketAndObjects(bucketArn), "s3:*"),
    // An algorithm other than SSE-KMS (AES256, DSSE-KMS).
    denyPut("DenyOtherEncryption", {
      StringNotEquals: { [SSE_HEADER]: "aws:kms" },
      Null: { [SSE_HEADER]: "false" },
    }),
    // Another KMS key.
    denyPut("DenyOtherKmsKeys", {
      StringNotEquals: { [SSE_KEY_HEADER]: keyArn },
      Null: { [SSE_KEY_HEADER]: "false" },
    }),
    // SSE-KMS asked for without a key: S3 would use the AWS managed key aws/s3, not the archive key.
    denyPut("DenyKmsWithoutTheArchiveKey", { Null: { [SSE_HEADER]: "false", [SSE_KEY_HEADER]: "true" } }),
    // VPC flow logs delivered straight to S3 (Parquet) are written by the log delivery service.
    {
      Sid: "FlowLogDeliveryWrite",
      Effect: "Allow",
      Principal: { Service: "delivery.logs.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${bucketArn}/${flowLogPrefix}AWSLogs/*`,
      Condition: {
        ...fromLogDelivery,
        StringEquals: { ...fromLogDelivery.StringEquals, "s3:x-amz-acl": "bucket-owner-full-control" },
      },
    },
    {
      Sid: "FlowLogDeliveryCheck",
      Effect: "Allow",
      Principal: { Service: "delivery.logs.amazonaws.com" },
      Action: ["s3:GetBucketAcl", "s3:ListBucket"],
      Resource: bucketArn,
      Condition: fromLogDelivery,
    },
    ...(dataExportsPrefix !== undefined ? dataExportsStatements(ctx, bucketArn, dataExportsPrefix) : []),
  ]);
}

/** The two services that deliver billing exports: Data Exports (CUR 2.0) and, for legacy CUR, billing reports. */
export const DATA_EXPORTS_PRINCIPALS = ["billingreports.amazonaws.com", "bcm-data-exports.amazonaws.com"];

/**
 * The source condition AWS documents for both principals: requests on behalf
 * of this account's CUR definitions or Data Exports exports (both live in
 * us-east-1, whatever the bucket's region). `StringLike`, as AWS writes it.
 * https://docs.aws.amazon.com/cur/latest/userguide/dataexports-s3-bucket.html
 */
export function dataExportsSourceCondition(ctx: AwsContext): ConditionBlock {
  return {
    StringLike: {
      "aws:SourceAccount": ctx.accountId,
      "aws:SourceArn": [
        `arn:${ctx.partition}:cur:us-east-1:${ctx.accountId}:definition/*`,
        `arn:${ctx.partition}:bcm-data-exports:us-east-1:${ctx.accountId}:export/*`,
      ],
    },
  };
}

/**
 * AWS Data Exports writing the cost export: the statement of "Setting up an
 * Amazon S3 bucket for data exports" (same principals, actions and source
 * condition), split in two so that objects may be written only under
 * `prefix` (AWS's grants the whole bucket) while GetBucketPolicy, which
 * Data Exports calls to check the bucket is still ours, stays on the bucket.
 * Its writes carry no encryption headers: the bucket's default SSE-KMS
 * applies, so the encryption denies above do not refuse them.
 * https://docs.aws.amazon.com/cur/latest/userguide/dataexports-s3-bucket.html
 */
export function dataExportsStatements(ctx: AwsContext, bucketArn: string, prefix: string): PolicyStatement[] {
  const Principal = { Service: DATA_EXPORTS_PRINCIPALS };
  const Condition = dataExportsSourceCondition(ctx);
  return [
    {
      Sid: "DataExportsWrite",
      Effect: "Allow",
      Principal,
      Action: "s3:PutObject",
      Resource: `${bucketArn}/${prefix}*`,
      Condition,
    },
    {
      Sid: "DataExportsCheckPolicy",
      Effect: "Allow",
      Principal,
      Action: "s3:GetBucketPolicy",
      Resource: bucketArn,
      Condition,
    },
  ];
}

/**
 * Access-log bucket policy: TLS only, and S3 server access logging may write
 * only under `logPrefix`, only for the given source bucket of this account.
 */
export function accessLogBucketPolicy(
  ctx: AwsContext,
  logBucketArn: string,
  sourceBucketArn: string,
  logPrefix: string,
): PolicyDocument {
  return policyDocument([
    denyInsecureTransport(bucketAndObjects(logBucketArn), "s3:*"),
    {
      Sid: "S3ServerAccessLogsFromTheArchive",
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${logBucketArn}/${logPrefix}*`,
      Condition: {
        ArnLike: { "aws:SourceArn": sourceBucketArn },
        StringEquals: { "aws:SourceAccount": ctx.accountId },
      },
    },
  ]);
}
