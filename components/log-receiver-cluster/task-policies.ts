import type { PolicyStatement } from "../lib/iam";
import { PUT_TRACE_SEGMENTS_STATEMENT } from "../lib/tracing";

/**
 * The running receiver may put records into the one ingest stream, nothing
 * else. The stream is KMS-encrypted, and a producer of an encrypted stream
 * needs `kms:GenerateDataKey` on its key. With `traces`, the sidecar's
 * awsxray exporter also sends segments: `xray:PutTraceSegments`, on `*`
 * because X-Ray's write actions have no resource types
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html);
 * without traces the role cannot write to X-Ray at all.
 */
export function receiverTaskStatements(streamArn: string, keyArn: string, traces = false): PolicyStatement[] {
  return [
    { Sid: "PutIntoTheIngestStream", Effect: "Allow", Action: "kinesis:PutRecords", Resource: streamArn },
    { Sid: "EncryptForTheStream", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: keyArn },
    ...(traces ? [PUT_TRACE_SEGMENTS_STATEMENT] : []),
  ];
}

export interface ExecutionScope {
  /** ECR repository the image is pulled from; absent when an external image URI is used. */
  readonly repositoryArn?: string;
  readonly logGroupArn: string;
  readonly tokensSecretArn: string;
  readonly keyArn: string;
}

/**
 * What ECS itself needs to start the task: pull the image, write the log
 * group, read the tokens secret (and decrypt it with the archive key).
 */
export function receiverExecutionStatements(scope: ExecutionScope): PolicyStatement[] {
  const pull: PolicyStatement[] =
    scope.repositoryArn === undefined
      ? []
      : [
          // GetAuthorizationToken has no resource-level permissions in IAM.
          { Sid: "LogInToEcr", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
          {
            Sid: "PullTheReceiverImage",
            Effect: "Allow",
            Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            Resource: scope.repositoryArn,
          },
        ];
  return [
    ...pull,
    {
      Sid: "WriteTheTaskLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${scope.logGroupArn}:log-stream:*`,
    },
    {
      Sid: "ReadTheTokens",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: scope.tokensSecretArn,
    },
    { Sid: "DecryptTheTokens", Effect: "Allow", Action: "kms:Decrypt", Resource: scope.keyArn },
  ];
}
