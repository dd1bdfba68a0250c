import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

import type { Tags } from "./tags";

/** Where an alarm notifies. */
export interface AlarmTarget {
  readonly topicArn: pulumi.Input<string>;
  readonly tags: Tags;
  /** Also notify when the alarm clears. Default: true. */
  readonly notifyOnOk?: boolean;
}

export type AlarmSpec = Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "tags">;

/**
 * A CloudWatch alarm on the platform's topic, with the platform's defaults:
 * one evaluation period, `>=` threshold, missing data not breaching (an idle
 * resource is not an incident), notification on alarm and on recovery.
 */
export function createAlarm(
  name: string,
  spec: AlarmSpec,
  target: AlarmTarget,
  parent: pulumi.Resource,
): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(
    name,
    {
      evaluationPeriods: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      ...spec,
      alarmActions: [target.topicArn],
      ...(target.notifyOnOk === false ? {} : { okActions: [target.topicArn] }),
      tags: { ...target.tags },
    },
    { parent },
  );
}
