import type { PolicyStatement } from "../lib/iam";
import { readStreamStatement, TRACING_STATEMENT, writeLogsStatement } from "../lib/iam";

export interface TransformerScope {
  readonly streamArn: string;
  readonly bucketArn: string;
  readonly keyArn: string;
  readonly logGroupArn: string;
  readonly failureQueueArn: string;
  /** Prefixes the transformer writes (parsed and rejected lines), each ending in `/`. */
  readonly prefixes: readonly string[];
}

/**
 * The transformer may read the one stream (what the event source mapping
 * needs), write objects under its two prefixes only, use the archive key,
 * log to its own group, send failed batches' metadata to its queue, and
 * emit X-Ray traces.
 */
export function transformerStatements(scope: TransformerScope): PolicyStatement[] {
  return [
    readStreamStatement(scope.streamArn),
    {
      Sid: "WriteParsedAndRejectedLines",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: scope.prefixes.map((prefix) => `${scope.bucketArn}/${prefix}*`),
    },
    {
      Sid: "UseTheArchiveKey",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: scope.keyArn,
    },
    writeLogsStatement(scope.logGroupArn),
    {
      Sid: "ReportFailedBatches",
      Effect: "Allow",
      Action: "sqs:SendMessage",
      Resource: scope.failureQueueArn,
    },
    TRACING_STATEMENT,
  ];
}
