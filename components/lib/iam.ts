/**
 * Typed IAM policy documents. Built as plain data by pure functions so that
 * tests and policy rules can inspect exactly what the provider receives.
 */
export type ConditionBlock = Readonly<
  Record<string, Readonly<Record<string, string | boolean | readonly string[]>>>
>;

export type Principal =
  "*" | Readonly<{ AWS?: string | readonly string[]; Service?: string | readonly string[] }>;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Principal;
  readonly Action: string | readonly string[];
  /** Absent only in trust policies, where the role itself is the resource. */
  readonly Resource?: string | readonly string[];
  readonly Condition?: ConditionBlock;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/**
 * The ARN a trail will have, known before it exists: the trail bucket's and
 * the archive key's policies must name it before CloudTrail can create it.
 */
export function trailArn(ctx: AwsContext, trailName: string): string {
  return `arn:${ctx.partition}:cloudtrail:${ctx.region}:${ctx.accountId}:trail/${trailName}`;
}

/** Wraps statements in a document with the only version AWS recommends. */
export function policyDocument(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * Denies every request that does not use TLS. The standard guard for buckets
 * (AWS Foundational Security Best Practices S3.5) and topics.
 */
export function denyInsecureTransport(
  resources: readonly string[],
  actions: string | readonly string[],
): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: actions,
    Resource: resources,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** Where the platform runs: needed to scope policies to this account and region. */
export interface AwsContext {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
}

/** Writing to one log group's streams (the group itself is created by the program). */
export function writeLogsStatement(logGroupArn: string, sid = "WriteOwnLogs"): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: `${logGroupArn}:log-stream:*`,
  };
}

/**
 * A service principal may send to one queue only on behalf of the given
 * sources (`aws:SourceArn`: the topic, the rules), the confused-deputy guard
 * of "Amazon SQS access policy" examples for SNS and EventBridge.
 */
export function serviceSendsToQueueStatement(
  sid: string,
  service: string,
  queueArn: string,
  sourceArn: string | readonly string[],
): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: service },
    Action: "sqs:SendMessage",
    Resource: queueArn,
    Condition: { ArnEquals: { "aws:SourceArn": typeof sourceArn === "string" ? sourceArn : [...sourceArn] } },
  };
}

/**
 * Reading one Kinesis stream as an event source mapping does (Lambda polls
 * with the function's execution role: "Lambda execution role permissions" in
 * "Using Lambda with Kinesis"). Shared by every consumer of the ingest stream.
 */
export function readStreamStatement(streamArn: string, sid = "ReadTheIngestStream"): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: [
      "kinesis:DescribeStream",
      "kinesis:DescribeStreamSummary",
      "kinesis:GetRecords",
      "kinesis:GetShardIterator",
      "kinesis:ListShards",
    ],
    Resource: streamArn,
  };
}

/** Sending X-Ray traces; these actions have no resource-level permissions. */
export const TRACING_STATEMENT: PolicyStatement = {
  Sid: "Tracing",
  Effect: "Allow",
  Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
  Resource: "*",
};

/** What Lambda needs to attach a function to a VPC; these EC2 actions cannot be scoped to resources. */
export const LAMBDA_VPC_STATEMENT: PolicyStatement = {
  Sid: "AttachToTheVpc",
  Effect: "Allow",
  Action: [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
  ],
  Resource: "*",
};
