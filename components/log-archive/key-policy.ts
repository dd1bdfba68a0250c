import type { AwsContext, PolicyDocument, PolicyStatement } from "../lib/iam";
import { policyDocument } from "../lib/iam";

const ENCRYPT_DECRYPT = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:DescribeKey",
];

/**
 * Key policy of the archive key.
 *
 * - The account root keeps full control, which is what lets IAM policies of
 *   the platform's roles grant use of the key (AWS's default key policy; without
 *   it the key can become unmanageable). This is the only `kms:*` grant.
 * - CloudWatch Logs may use it only for log groups of this account and region
 *   (encryption-context condition).
 * - CloudTrail may encrypt only for trails of this account.
 * - CloudWatch alarms, EventBridge, S3 notifications and AMP publish to
 *   KMS-encrypted SNS topics, and SNS delivers to KMS-encrypted SQS queues,
 *   which needs the sending service to generate data keys; each is limited to
 *   this account by `aws:SourceAccount`.
 * - The log delivery service writes VPC flow logs (Parquet) into the archive.
 * - Firehose reads the KMS-encrypted stream and writes the bucket with its
 *   delivery role (an IAM grant), and as a service only through this account.
 */
export function archiveKeyPolicy(ctx: AwsContext): PolicyDocument {
  const { accountId, region, partition } = ctx;
  const sourceAccount = { StringEquals: { "aws:SourceAccount": accountId } };
  const statements: PolicyStatement[] = [
    {
      Sid: "AccountAdministration",
      Effect: "Allow",
      Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
      Action: "kms:*",
      Resource: "*",
    },
    {
      Sid: "CloudWatchLogsOfThisAccount",
      Effect: "Allow",
      Principal: { Service: `logs.${region}.amazonaws.com` },
      Action: ENCRYPT_DECRYPT,
      Resource: "*",
      Condition: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${accountId}:log-group:*`,
        },
      },
    },
    {
      Sid: "CloudTrailEncryptForThisAccount",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: ["kms:GenerateDataKey", "kms:DescribeKey"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": accountId },
        StringLike: {
          "kms:EncryptionContext:aws:cloudtrail:arn": `arn:${partition}:cloudtrail:*:${accountId}:trail/*`,
        },
      },
    },
    {
      Sid: "PublishersToEncryptedTopics",
      Effect: "Allow",
      Principal: {
        Service: [
          "cloudwatch.amazonaws.com",
          "events.amazonaws.com",
          "s3.amazonaws.com",
          "aps.amazonaws.com",
          "sns.amazonaws.com",
        ],
      },
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: "*",
      Condition: sourceAccount,
    },
    {
      Sid: "LogDeliveryOfThisAccount",
      Effect: "Allow",
      Principal: { Service: "delivery.logs.amazonaws.com" },
      Action: ["kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"],
      Resource: "*",
      Condition: {
        ...sourceAccount,
        ArnLike: { "aws:SourceArn": `arn:${partition}:logs:${region}:${accountId}:*` },
      },
    },
    {
      Sid: "FirehoseOfThisAccount",
      Effect: "Allow",
      Principal: { Service: "firehose.amazonaws.com" },
      Action: ["kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"],
      Resource: "*",
      Condition: sourceAccount,
    },
  ];
  return policyDocument(statements);
}
