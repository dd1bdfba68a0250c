import type { AwsContext, PolicyDocument, PolicyStatement, Principal } from "../lib/iam";
import { policyDocument } from "../lib/iam";

/** A statement of a role trust policy: IAM refuses a `Resource` there, the role itself is the resource. */
export type TrustStatement = Omit<PolicyStatement, "Resource" | "Principal"> & {
  readonly Principal: Principal;
};

/** A role trust (assume-role) policy document. */
export interface TrustPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly TrustStatement[];
}

/** The service that assumes the delivery role to write flow logs to CloudWatch Logs. */
export const FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com";

/**
 * Trust policy of the flow log delivery role: only the VPC Flow Logs service,
 * and only on behalf of flow logs of this account and region
 * (`aws:SourceAccount` + `aws:SourceArn`, AWS's guard against the confused
 * deputy: without them another account's flow log could deliver through this
 * role once it knows the ARN).
 *
 * @param ctx account, region and partition the flow logs live in
 */
export function flowLogTrustPolicy(ctx: AwsContext): TrustPolicyDocument {
  const { accountId, region, partition } = ctx;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "VpcFlowLogsOfThisAccount",
        Effect: "Allow",
        Principal: { Service: FLOW_LOGS_SERVICE },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ArnLike: { "aws:SourceArn": `arn:${partition}:ec2:${region}:${accountId}:vpc-flow-log/*` },
        },
      },
    ],
  };
}

/**
 * Permissions of the delivery role: create streams in, and write to, one log
 * group. The group is created by the component, so no `logs:CreateLogGroup`;
 * `logs:DescribeLogStreams` is what the service calls before writing.
 *
 * @param logGroupArn ARN of the flow log group, without the `:*` suffix (the
 *   form `aws.cloudwatch.LogGroup.arn` has)
 */
export function flowLogDeliveryPolicy(logGroupArn: string): PolicyDocument {
  if (logGroupArn.endsWith(":*")) {
    throw new Error(`flowLogDeliveryPolicy: give the log group ARN without ":*" (got ${logGroupArn})`);
  }
  return policyDocument([
    {
      Sid: "DeliverToTheFlowLogGroup",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: [logGroupArn, `${logGroupArn}:log-stream:*`],
    },
  ]);
}
