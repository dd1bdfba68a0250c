import type { AwsContext, ConditionBlock, PolicyDocument, PolicyStatement } from "../lib/iam";
import { policyDocument, trailArn } from "../lib/iam";
import { DATA_EXPORTS_PRINCIPALS, dataExportsSourceCondition } from "./bucket-policies";

const ENCRYPT_DECRYPT = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:DescribeKey",
];

/** Who else writes with the archive key; shapes the service grants of its policy. */
export interface ArchiveKeyPolicyOptions {
  /**
   * Names of the trails (this account, this region) that encrypt their log
   * files with the key; CloudTrail may use the key only for them. An empty
   * list grants CloudTrail nothing. Default: any trail of this account in
   * this region.
   */
  readonly trailNames?: readonly string[];
  /**
   * AWS Data Exports writes the cost export into the archive (SSE-KMS by
   * default with this key), so it needs data keys. Default: false.
   */
  readonly dataExports?: boolean;
}

/**
 * Key policy of the archive key.
 *
 * - The account root keeps full control, which is what lets IAM policies of
 *   the platform's roles grant use of the key (AWS's default key policy; without
 *   it the key can become unmanageable). This is the only `kms:*` grant.
 * - CloudWatch Logs may use it only for log groups of this account and region
 *   (encryption-context condition).
 * - CloudTrail, as AWS documents it: describing the key (no encryption
 *   context: a context condition there would deny it and CreateTrail fails
 *   with InsufficientEncryptionPolicyException) and generating data keys, both
 *   only on behalf of the named trails (`aws:SourceArn`), data keys only for
 *   trails of this account (encryption context).
 * - CloudWatch alarms, S3 notifications and AMP publish to KMS-encrypted SNS
 *   topics, and SNS delivers to KMS-encrypted SQS queues, which needs the
 *   sending service to generate data keys; each is limited to this account by
 *   `aws:SourceAccount`.
 * - EventBridge publishes to the KMS-encrypted alert topic; AWS supports no
 *   source condition on that grant (see the statement).
 * - AWS Budgets publishes budget alerts to the KMS-encrypted alert topic,
 *   which needs the same two actions, limited to this account.
 * - The log delivery service writes VPC flow logs (Parquet) into the archive.
 * - Firehose reads the KMS-encrypted stream and writes the bucket with its
 *   delivery role (an IAM grant), and as a service only through this account.
 * - With `dataExports`, AWS Data Exports writes the cost export (see the statement).
 */
export function archiveKeyPolicy(ctx: AwsContext, options: ArchiveKeyPolicyOptions = {}): PolicyDocument {
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
    ...cloudTrailStatements(ctx, options.trailNames),
    {
      Sid: "PublishersToEncryptedTopics",
      Effect: "Allow",
      Principal: {
        Service: ["cloudwatch.amazonaws.com", "s3.amazonaws.com", "aps.amazonaws.com", "sns.amazonaws.com"],
      },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
      Resource: "*",
      Condition: sourceAccount,
    },
    {
      // The SNS developer guide (key management, "Enable compatibility between event sources
      // from AWS services and encrypted topics") gives this grant without conditions and says
      // aws:SourceAccount / aws:SourceArn are not supported for EventBridge to encrypted topics:
      // with them every rule's delivery fails. What EventBridge may publish to is decided by the
      // topic policies, which name their own topic.
      Sid: "EventBridgeToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
      Resource: "*",
    },
    {
      // AWS Budgets' notifications to the (encrypted) alert topic: without this grant the budget is
      // created and its alerts are silently never delivered. Budgets is not in the SNS guide's list of
      // compatible sources; the grant is the one that list gives every publisher (GenerateDataKey* and
      // Decrypt), limited to this account like the publishers above.
      Sid: "BudgetsToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: "budgets.amazonaws.com" },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
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
  if (options.dataExports === true) {
    statements.push({
      // Data Exports' guide documents the bucket policy only and says nothing of KMS. A service
      // principal writing to a bucket whose default encryption is SSE-KMS with a customer-managed
      // key needs the key itself (S3 asks KMS for the data key on the writer's behalf, and a
      // multipart upload decrypts it again), as log delivery does above; limited by the same
      // source condition as the bucket policy's grant.
      // https://docs.aws.amazon.com/cur/latest/userguide/dataexports-s3-bucket.html
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
      Sid: "DataExportsOfThisAccount",
      Effect: "Allow",
      Principal: { Service: DATA_EXPORTS_PRINCIPALS },
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: "*",
      Condition: dataExportsSourceCondition(ctx),
    });
  }
  return policyDocument(statements);
}

/**
 * CloudTrail's two grants as the CloudTrail user guide ("Configure AWS KMS key
 * policies for CloudTrail") gives them: DescribeKey and GenerateDataKey* in
 * separate statements, because DescribeKey carries no encryption context.
 */
function cloudTrailStatements(ctx: AwsContext, trailNames: readonly string[] | undefined): PolicyStatement[] {
  if (trailNames !== undefined && trailNames.length === 0) return [];
  const fromTrails: ConditionBlock =
    trailNames === undefined
      ? { ArnLike: { "aws:SourceArn": trailArn(ctx, "*") } }
      : { StringEquals: { "aws:SourceArn": trailNames.map((name) => trailArn(ctx, name)) } };
  const principal = { Service: "cloudtrail.amazonaws.com" };
  return [
    {
      Sid: "CloudTrailDescribeKey",
      Effect: "Allow",
      Principal: principal,
      Action: "kms:DescribeKey",
      Resource: "*",
      Condition: fromTrails,
    },
    {
      Sid: "CloudTrailEncryptLogs",
      Effect: "Allow",
      Principal: principal,
      Action: "kms:GenerateDataKey*",
      Resource: "*",
      Condition: {
        ...fromTrails,
        StringLike: {
          "kms:EncryptionContext:aws:cloudtrail:arn": `arn:${ctx.partition}:cloudtrail:*:${ctx.accountId}:trail/*`,
        },
      },
    },
  ];
}
