import type { AwsContext, PolicyDocument } from "../lib/iam";
import { denyInsecureTransport, policyDocument } from "../lib/iam";

/**
 * Topic policy of the alert topic: CloudWatch alarms, the AMP alert manager
 * and the budgets of this account may publish (no other account), EventBridge
 * rules may publish to this topic, the account's own IAM principals keep the usual
 * management rights, and every request must use TLS.
 */
export function alertTopicPolicy(ctx: AwsContext, topicArn: string): PolicyDocument {
  return policyDocument([
    {
      Sid: "AlarmsOfThisAccount",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId } },
    },
    {
      // EventBridge rules (the receiver's ECS service events). EventBridge's user guide
      // ("Amazon SNS permissions") gives this grant without a Condition block and notes that
      // conditions are not supported for EventBridge in SNS topic policies: an aws:SourceAccount
      // condition never matches and every delivery fails. It names this topic only.
      Sid: "EventBridgeRules",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topicArn,
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
      // AWS Budgets' alerts (PlatformBudgets), as the Cost Management user guide ("Creating an Amazon
      // SNS topic for budget notifications") gives the grant: only budgets of this account.
      Sid: "BudgetsOfThisAccount",
      Effect: "Allow",
      Principal: { Service: "budgets.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: {
        StringEquals: { "aws:SourceAccount": ctx.accountId },
        ArnLike: { "aws:SourceArn": `arn:${ctx.partition}:budgets::${ctx.accountId}:*` },
      },
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
