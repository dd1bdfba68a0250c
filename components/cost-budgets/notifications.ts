import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** AWS Budgets limits: ten notifications per budget, ten e-mail subscribers per notification (plus one SNS topic). */
export const MAX_NOTIFICATIONS_PER_BUDGET = 10;
export const MAX_EMAIL_SUBSCRIBERS = 10;
/** The largest percentage threshold Budgets accepts. */
export const MAX_THRESHOLD_PERCENT = 1_000_000;

/** Both kinds a notification can watch: spend so far, and Budgets' forecast of the month's spend. */
export const NOTIFICATION_TYPES = ["ACTUAL", "FORECASTED"] as const;

/** Problems with a threshold list (percent of the budget), each stated for the `key` it came from. */
export function thresholdProblems(key: string, thresholds: readonly number[]): string[] {
  const problems: string[] = [];
  if (thresholds.length === 0) problems.push(`${key} needs at least one threshold`);
  for (const t of thresholds) {
    if (!Number.isFinite(t) || t <= 0 || t > MAX_THRESHOLD_PERCENT)
      problems.push(`${key}: ${t} is not a percentage above 0 and at most ${MAX_THRESHOLD_PERCENT}`);
  }
  if (new Set(thresholds).size !== thresholds.length) problems.push(`${key} lists a threshold twice`);
  const count = thresholds.length * NOTIFICATION_TYPES.length;
  if (count > MAX_NOTIFICATIONS_PER_BUDGET) {
    problems.push(
      `${key}: ${thresholds.length} thresholds make ${count} notifications (ACTUAL and FORECASTED each); a budget has at most ${MAX_NOTIFICATIONS_PER_BUDGET}`,
    );
  }
  return problems;
}

/**
 * One notification per threshold and kind (ACTUAL, then FORECASTED, each in
 * ascending threshold order, so the list is stable whatever order settings
 * give): "greater than <threshold> % of the budget", to the topic and the
 * e-mail addresses. E-mail subscribers are left out when there are none
 * (Budgets refuses an empty subscriber list).
 */
export function budgetNotifications(
  thresholds: readonly number[],
  topicArn: pulumi.Input<string>,
  emails: readonly pulumi.Input<string>[],
): aws.types.input.budgets.BudgetNotification[] {
  const ascending = [...thresholds].sort((a, b) => a - b);
  return NOTIFICATION_TYPES.flatMap((notificationType) =>
    ascending.map((threshold) => ({
      comparisonOperator: "GREATER_THAN",
      notificationType,
      threshold,
      thresholdType: "PERCENTAGE",
      subscriberSnsTopicArns: [topicArn],
      ...(emails.length > 0 ? { subscriberEmailAddresses: [...emails] } : {}),
    })),
  );
}
