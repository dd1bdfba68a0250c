import type { AwsContext, PolicyDocument } from "../lib/iam";
import { denyInsecureTransport, policyDocument } from "../lib/iam";

/**
 * Topic policy of the alert topic: CloudWatch alarms, EventBridge rules and
 * the AMP alert manager of this account may publish (nothing else, no other
 * account), the account's
 * own IAM principals keep the usual management rights, and every request must
 * use TLS.
 */
export function alertTopicPolicy(ctx: AwsContext, topicArn: string): PolicyDocument {
  return policyDocument([
    {
      Sid: "AlarmsAndEventsOfThisAccount",
      Effect: "Allow",
      Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com"] },
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId } },
    },
    {
      // The AMP alert manager of this account (ObservabilityStack) routes alerts here.
      Sid: "PrometheusAlertManagerOfThisAccount",
      Effect: "Allow",
      Principal: { Service: "aps.amazonaws.com" },
      Action: ["sns:Publish", "sns:GetTopicAttributes"],
      Resource: topicArn,
      Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId } },
    },
    {
      Sid: "AccountManagement",
      Effect: "Allow",
      Principal: { AWS: `arn:${ctx.partition}:iam::${ctx.accountId}:root` },
      Action: [
        "sns:GetTopicAttributes",
        "sns:SetTopicAttributes",
        "sns:Subscribe",
        "sns:ListSubscriptionsByTopic",
        "sns:Publish",
      ],
      Resource: topicArn,
    },
    denyInsecureTransport([topicArn], "sns:Publish"),
  ]);
}
