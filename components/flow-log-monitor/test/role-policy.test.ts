import * as assert from "node:assert/strict";

import { violations } from "../../../policy/rules";
import { flowLogDeliveryPolicy, flowLogTrustPolicy } from "../role-policy";

const ctx = { accountId: "111122223333", region: "eu-west-1", partition: "aws" };
const GROUP = "arn:aws:logs:eu-west-1:111122223333:log-group:flow-logs-1234567";

describe("flow log delivery role policies (pure)", () => {
  it("trusts only VPC Flow Logs, for flow logs of this account and region", () => {
    assert.deepEqual(flowLogTrustPolicy(ctx), {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "VpcFlowLogsOfThisAccount",
          Effect: "Allow",
          Principal: { Service: "vpc-flow-logs.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": "111122223333" },
            ArnLike: { "aws:SourceArn": "arn:aws:ec2:eu-west-1:111122223333:vpc-flow-log/*" },
          },
        },
      ],
    });
  });

  it("follows the partition in the source ARN", () => {
    const china = flowLogTrustPolicy({
      accountId: "111122223333",
      region: "cn-north-1",
      partition: "aws-cn",
    });
    assert.deepEqual(china.Statement[0]?.Condition?.ArnLike, {
      "aws:SourceArn": "arn:aws-cn:ec2:cn-north-1:111122223333:vpc-flow-log/*",
    });
  });

  it("has no Resource in the trust policy (IAM refuses one there)", () => {
    for (const statement of flowLogTrustPolicy(ctx).Statement) assert.ok(!("Resource" in statement));
  });

  it("lets the role write only to the one log group and its streams", () => {
    assert.deepEqual(flowLogDeliveryPolicy(GROUP), {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DeliverToTheFlowLogGroup",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: [GROUP, `${GROUP}:log-stream:*`],
        },
      ],
    });
  });

  it("passes the least-privilege rules as an inline role policy", () => {
    const role = {
      type: "aws:iam/role:Role",
      name: "r",
      props: {
        tags: { Project: "p", Environment: "e", ManagedBy: "m" },
        inlinePolicies: [{ name: "p", policy: JSON.stringify(flowLogDeliveryPolicy(GROUP)) }],
      },
    };
    assert.deepEqual(violations([role]), []);
  });

  it('refuses a log group ARN with the ":*" suffix, which would double the stream wildcard', () => {
    assert.throws(() => flowLogDeliveryPolicy(`${GROUP}:*`), /without ":\*"/);
  });
});
