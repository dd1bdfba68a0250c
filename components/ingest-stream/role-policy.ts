import type { PolicyStatement } from "../lib/iam";

export interface FirehoseRoleScope {
  readonly streamArn: string;
  readonly bucketArn: string;
  readonly keyArn: string;
  readonly logGroupArn: string;
  /** Prefixes Firehose writes under (data and errors), each ending in `/`. */
  readonly prefixes: readonly string[];
}

/**
 * What the Firehose delivery role may do, on exact ARNs only: read the one
 * stream, write objects under its own prefixes of the archive, use the
 * archive key (the stream and the bucket are encrypted with it), and log
 * delivery errors to its log group.
 */
export function firehoseRoleStatements(scope: FirehoseRoleScope): PolicyStatement[] {
  return [
    {
      Sid: "ReadTheIngestStream",
      Effect: "Allow",
      Action: [
        "kinesis:DescribeStream",
        "kinesis:GetShardIterator",
        "kinesis:GetRecords",
        "kinesis:ListShards",
      ],
      Resource: scope.streamArn,
    },
    {
      Sid: "WriteTheArchivePrefixes",
      Effect: "Allow",
      Action: ["s3:AbortMultipartUpload", "s3:PutObject"],
      Resource: scope.prefixes.map((prefix) => `${scope.bucketArn}/${prefix}*`),
    },
    {
      Sid: "LocateTheArchiveBucket",
      Effect: "Allow",
      Action: ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
      Resource: scope.bucketArn,
    },
    {
      Sid: "UseTheArchiveKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: scope.keyArn,
    },
    {
      Sid: "LogDeliveryErrors",
      Effect: "Allow",
      Action: ["logs:PutLogEvents"],
      Resource: `${scope.logGroupArn}:log-stream:*`,
    },
  ];
}
