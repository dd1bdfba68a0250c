import type { AwsContext, PolicyDocument, PolicyStatement } from "../lib/iam";
import {
  denyInsecureTransport,
  LAMBDA_VPC_STATEMENT,
  policyDocument,
  serviceSendsToQueueStatement,
  TRACING_STATEMENT,
  writeLogsStatement,
} from "../lib/iam";

/**
 * Name of the trail a `CloudTrailPipeline` named `pipelineName` creates; known
 * before it exists, so that the bucket and key policies can name it.
 */
export function pipelineTrailName(pipelineName: string): string {
  return `${pipelineName}-trail`;
}

/**
 * Trail bucket: TLS only; CloudTrail may check the ACL and write log files
 * only on behalf of this trail (`aws:SourceArn`), only under this account's
 * `AWSLogs/` prefix (or the whole `AWSLogs/` for an organization trail).
 */
export function trailBucketPolicy(
  ctx: AwsContext,
  bucketArn: string,
  trail: string,
  organizationTrail: boolean,
): PolicyDocument {
  const fromTrail = { StringEquals: { "aws:SourceArn": trail } };
  return policyDocument([
    denyInsecureTransport([bucketArn, `${bucketArn}/*`], "s3:*"),
    {
      Sid: "CloudTrailAclCheck",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:GetBucketAcl",
      Resource: bucketArn,
      Condition: fromTrail,
    },
    {
      Sid: "CloudTrailWrite",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: organizationTrail ? `${bucketArn}/AWSLogs/*` : `${bucketArn}/AWSLogs/${ctx.accountId}/*`,
      Condition: {
        StringEquals: { "aws:SourceArn": trail, "s3:x-amz-acl": "bucket-owner-full-control" },
      },
    },
  ]);
}

/** New-object notifications of the trail bucket may be published to the topic, and nothing else. */
export function notificationTopicPolicy(
  ctx: AwsContext,
  topicArn: string,
  bucketArn: string,
): PolicyDocument {
  return policyDocument([
    {
      Sid: "TrailBucketNotifications",
      Effect: "Allow",
      Principal: { Service: "s3.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: {
        ArnLike: { "aws:SourceArn": bucketArn },
        StringEquals: { "aws:SourceAccount": ctx.accountId },
      },
    },
    denyInsecureTransport([topicArn], "sns:Publish"),
  ]);
}

/** Only the notification topic may send to the queue. */
export function fromTopicStatements(queueArn: string, topicArn: string): PolicyStatement[] {
  return [serviceSendsToQueueStatement("FromTheNotificationTopic", "sns.amazonaws.com", queueArn, topicArn)];
}

/** CloudTrail may write to its log group and nowhere else. */
export function trailLogsStatements(logGroupArn: string): PolicyStatement[] {
  return [writeLogsStatement(logGroupArn, "DeliverTrailEvents")];
}

export interface IndexerScope {
  readonly trailBucketArn: string;
  readonly archiveBucketArn: string;
  readonly keyArn: string;
  readonly queueArn: string;
  readonly logGroupArn: string;
  /** Archive prefixes the indexer writes (events for Athena, refused events). */
  readonly archivePrefixes: readonly string[];
  /** OpenSearch domain, when events are indexed. */
  readonly domainArn?: string;
  /** The function runs in the domain's VPC. */
  readonly inVpc: boolean;
}

/**
 * The indexer reads trail files, consumes its queue, writes split events and
 * refused events to its archive prefixes, indexes into the one domain, logs
 * and traces — on exact ARNs.
 */
export function indexerStatements(scope: IndexerScope): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    {
      Sid: "ReadTrailFiles",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${scope.trailBucketArn}/AWSLogs/*`,
    },
    {
      Sid: "ConsumeTheQueue",
      Effect: "Allow",
      Action: [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
      ],
      Resource: scope.queueArn,
    },
    {
      Sid: "WriteEventsAndRefusals",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: scope.archivePrefixes.map((prefix) => `${scope.archiveBucketArn}/${prefix}*`),
    },
    {
      Sid: "UseTheArchiveKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: scope.keyArn,
    },
    writeLogsStatement(scope.logGroupArn),
    TRACING_STATEMENT,
  ];
  if (scope.domainArn !== undefined) {
    statements.push({
      Sid: "IndexIntoTheDomain",
      Effect: "Allow",
      Action: ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"],
      Resource: `${scope.domainArn}/*`,
    });
  }
  if (scope.inVpc) {
    statements.push(LAMBDA_VPC_STATEMENT);
  }
  return statements;
}
