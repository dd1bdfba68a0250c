/**
 * The alarm specs every Lambda pipeline of the platform sets the same way
 * (one place, so the transformer, the indexers and their queues alarm alike).
 * Pure: they return {@link AlarmSpec}s for `createAlarm`.
 */
import type * as pulumi from "@pulumi/pulumi";

import type { AlarmSpec } from "./alarm";

/** Iterator age (ms) past which a stream consumer is falling behind: 5 minutes. */
export const ITERATOR_AGE_ALARM_MS = 5 * 60 * 1000;

/** A stream consumer behind by more than `thresholdMs` for 15 minutes (three 5-minute periods). */
export function iteratorAgeAlarm(
  functionName: pulumi.Input<string>,
  thresholdMs: number = ITERATOR_AGE_ALARM_MS,
): AlarmSpec {
  return {
    namespace: "AWS/Lambda",
    metricName: "IteratorAge",
    dimensions: { FunctionName: functionName },
    statistic: "Maximum",
    period: 300,
    evaluationPeriods: 3,
    threshold: thresholdMs,
  };
}

/** Any failed invocation of the function within 5 minutes. */
export function functionErrorsAlarm(functionName: pulumi.Input<string>): AlarmSpec {
  return {
    namespace: "AWS/Lambda",
    metricName: "Errors",
    dimensions: { FunctionName: functionName },
    statistic: "Sum",
    period: 300,
    threshold: 1,
  };
}

/** Any message waiting in a queue that should stay empty (failure queues, dead-letter queues). */
export function queueBacklogAlarm(queueName: pulumi.Input<string>): AlarmSpec {
  return {
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: queueName },
    statistic: "Maximum",
    period: 300,
    threshold: 1,
  };
}
