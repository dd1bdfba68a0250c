import type { AwsContext, PolicyDocument } from "../lib/iam";
import { denyInsecureTransport, policyDocument } from "../lib/iam";

/** Bucket and objects: what a bucket-wide deny has to cover. */
function bucketAndObjects(bucketArn: string): string[] {
  return [bucketArn, `${bucketArn}/*`];
}

/**
 * Archive bucket policy: TLS only, and no object written unencrypted by KMS or
 * with another KMS key than the archive key (default encryption applies the right key when a
 * writer sends no encryption header; this stops writers that send another).
 */
export function archiveBucketPolicy(bucketArn: string, keyArn: string): PolicyDocument {
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
