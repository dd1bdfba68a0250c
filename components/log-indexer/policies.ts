import type { PolicyStatement } from "../lib/iam";
import {
  readStreamStatement,
  serviceSendsToQueueStatement,
  TRACING_STATEMENT,
  writeLogsStatement,
} from "../lib/iam";
import { ARCHIVE_PREFIXES } from "../log-archive/lifecycle";

/** Archive prefixes of documents OpenSearch refused, one per Lambda (apps/log-indexer defaults). */
export const FAILED_PREFIXES = {
  logs: ARCHIVE_PREFIXES.logsFailed,
  flowLogs: ARCHIVE_PREFIXES.flowLogsFailed,
  findings: ARCHIVE_PREFIXES.findingsFailed,
} as const;

/** Where the S3 preview sink writes when no domain is given (apps/log-indexer's preview sink). */
export const PREVIEW_PREFIX = ARCHIVE_PREFIXES.openSearchPreview;

/** What every indexer Lambda may touch, whatever its source. */
export interface IndexerBaseScope {
  readonly bucketArn: string;
  readonly keyArn: string;
  readonly logGroupArn: string;
  /** The function's refused-documents prefix, ending in `/`. */
  readonly failedPrefix: string;
  /** The OpenSearch domain; absent: documents go to the preview prefix instead. */
  readonly domainArn?: string;
}

/**
 * The statements the three indexers share: write refused documents (and,
 * without a domain, preview documents) under their own prefixes only, use
 * the archive key (SSE-KMS objects need GenerateDataKey; encrypted stream,
 * queue and environment need Decrypt), index into the one domain, log to
 * their own group, trace.
 */
export function indexerBaseStatements(scope: IndexerBaseScope): PolicyStatement[] {
  const prefixes =
    scope.domainArn !== undefined ? [scope.failedPrefix] : [scope.failedPrefix, PREVIEW_PREFIX];
  return [
    {
      Sid: "WriteRefusedDocuments",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: prefixes.map((prefix) => `${scope.bucketArn}/${prefix}*`),
    },
    {
      Sid: "UseTheArchiveKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: scope.keyArn,
    },
    ...(scope.domainArn !== undefined
      ? [
          {
            Sid: "IndexIntoTheDomain",
            Effect: "Allow" as const,
            // Get: template and ISM checks; Put: templates, ISM policies, index creation; Post: _bulk.
            Action: ["es:ESHttpGet", "es:ESHttpPost", "es:ESHttpPut"],
            Resource: `${scope.domainArn}/*`,
          },
        ]
      : []),
    writeLogsStatement(scope.logGroupArn),
    TRACING_STATEMENT,
  ];
}

/** Sending to one queue: an event source mapping's or an async invocation's on-failure destination. */
export function sendToQueueStatement(queueArn: string, sid: string): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Action: "sqs:SendMessage", Resource: queueArn };
}

/** The Kinesis indexer: the base, plus reading the ingest stream and reporting failed batches. */
export function logsIndexerStatements(
  scope: IndexerBaseScope & { readonly streamArn: string; readonly failureQueueArn: string },
): PolicyStatement[] {
  return [
    readStreamStatement(scope.streamArn),
    ...indexerBaseStatements(scope),
    sendToQueueStatement(scope.failureQueueArn, "ReportFailedBatches"),
  ];
}

/** The flow-log indexer: the base, plus its async on-failure queue (Lambda sends with the execution role). */
export function flowLogIndexerStatements(
  scope: IndexerBaseScope & { readonly failureQueueArn: string },
): PolicyStatement[] {
  return [...indexerBaseStatements(scope), sendToQueueStatement(scope.failureQueueArn, "ReportFailedEvents")];
}

/** The findings indexer: the base, plus consuming its queue and publishing alerts to the one topic. */
export function findingsIndexerStatements(
  scope: IndexerBaseScope & { readonly queueArn: string; readonly alertTopicArn: string },
): PolicyStatement[] {
  return [
    {
      Sid: "ConsumeTheQueue",
      Effect: "Allow",
      // What Lambda's SQS event source mapping calls with the role; the handler itself makes no SQS call.
      Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
      Resource: scope.queueArn,
    },
    ...indexerBaseStatements(scope),
    { Sid: "AlertOnSevereFindings", Effect: "Allow", Action: "sns:Publish", Resource: scope.alertTopicArn },
  ];
}

/**
 * The findings queue accepts EventBridge deliveries from the platform's
 * finding rules only ("Permissions for Amazon SQS" in the EventBridge user
 * guide: `aws:SourceArn` = the rule's ARN).
 */
export function fromFindingRulesStatements(queueArn: string, ruleArns: readonly string[]): PolicyStatement[] {
  return [serviceSendsToQueueStatement("FromTheFindingRules", "events.amazonaws.com", queueArn, ruleArns)];
}

/** EventBridge patterns of the findings the indexer receives, per product. */
export const FINDING_EVENT_PATTERNS = {
  guardduty: { source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"] },
  securityhub: { source: ["aws.securityhub"], "detail-type": ["Security Hub Findings - Imported"] },
} as const;
