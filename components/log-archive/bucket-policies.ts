import type { AwsContext, PolicyDocument } from "../lib/iam";
import { denyInsecureTransport, policyDocument } from "../lib/iam";

/** Bucket and objects: what a bucket-wide deny has to cover. */
function bucketAndObjects(bucketArn: string): string[] {
  return [bucketArn, `${bucketArn}/*`];
}

/**
 * Archive bucket policy: TLS only, no object written unencrypted by KMS or
 * with another KMS key than the archive key, and the log delivery service of
 * this account may write VPC flow logs under their prefix (default encryption applies the right key when a
 * writer sends no encryption header; this stops writers that send another).
 */
export function archiveBucketPolicy(
  ctx: AwsContext,
  bucketArn: string,
  keyArn: string,
  flowLogPrefix: string,
): PolicyDocument {
  const fromLogDelivery = {
    StringEquals: { "aws:SourceAccount": ctx.accountId },
    ArnLike: { "aws:SourceArn": `arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:*` },
  };
  return policyDocument([
    denyInsecureTransport(bucketAndObjects(bucketArn), "s3:*"),
    {
      Sid: "DenyOtherEncryption",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: `${bucketArn}/*`,
      Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
    },
    {
      Sid: "DenyOtherKmsKeys",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: `${bucketArn}/*`,
      Condition: {
        StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn },
      },
    },
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
  ]);
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
