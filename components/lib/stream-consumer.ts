import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

import type { Tags } from "./tags";
import { rangeProblems } from "./validation";

/**
 * How a Lambda consumer of the ingest stream batches, retries and runs. No
 * defaults here: each consumer's values are stack settings
 * (`accessLogs.*`, `search.logs.*` in stacks/settings-schema.ts).
 */
export interface StreamConsumerTuning {
  /** Records per invocation (1–10000). */
  readonly batchSize: number;
  /** Seconds to gather records before invoking (0–300). */
  readonly batchWindowSeconds: number;
  /** Retries of a failing batch before it goes to the failure queue (0–10000). */
  readonly maximumRetryAttempts: number;
  /** Lambda memory (also its CPU share), MiB (128–10240). */
  readonly memoryMiB: number;
  /** Lambda timeout in seconds (1–900). */
  readonly timeoutSeconds: number;
}

/** Every out-of-range value of the tuning, each named `<keyPrefix><field>`. */
export function streamConsumerTuningProblems(tuning: StreamConsumerTuning, keyPrefix = ""): string[] {
  return [
    ...rangeProblems(`${keyPrefix}batchSize`, tuning.batchSize, 1, 10000),
    ...rangeProblems(`${keyPrefix}batchWindowSeconds`, tuning.batchWindowSeconds, 0, 300),
    ...rangeProblems(`${keyPrefix}maximumRetryAttempts`, tuning.maximumRetryAttempts, 0, 10000),
    ...rangeProblems(`${keyPrefix}memoryMiB`, tuning.memoryMiB, 128, 10240),
    ...rangeProblems(`${keyPrefix}timeoutSeconds`, tuning.timeoutSeconds, 1, 900),
  ];
}

/** One Lambda consumer of a Kinesis stream. */
export interface StreamConsumerMappingArgs {
  readonly streamArn: pulumi.Input<string>;
  readonly functionArn: pulumi.Input<string>;
  /** Records per invocation. */
  readonly batchSize: number;
  /** Seconds to gather records. */
  readonly batchWindowSeconds: number;
  /** Retries of a failing batch before its records are named in the failure queue. */
  readonly maximumRetryAttempts: number;
  /** The on-failure destination (an SQS queue). */
  readonly failureQueueArn: pulumi.Input<string>;
  readonly tags: Tags;
}

/**
 * The event source mapping every consumer of the ingest stream uses: from
 * the oldest record kept (the stream's retention becomes processable, and a
 * replaced mapping leaves no gap; consumers write deterministic keys or ids,
 * so replays are harmless), partial-batch failure reporting, bisection of a
 * failing batch so one bad record does not hold back the others, bounded
 * retries, then the failed batch's description in the failure queue.
 */
export function createStreamConsumerMapping(
  name: string,
  args: StreamConsumerMappingArgs,
  opts: pulumi.CustomResourceOptions,
): aws.lambda.EventSourceMapping {
  return new aws.lambda.EventSourceMapping(
    name,
    {
      eventSourceArn: args.streamArn,
      functionName: args.functionArn,
      startingPosition: "TRIM_HORIZON",
      batchSize: args.batchSize,
      maximumBatchingWindowInSeconds: args.batchWindowSeconds,
      functionResponseTypes: ["ReportBatchItemFailures"],
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: args.maximumRetryAttempts,
      destinationConfig: { onFailure: { destinationArn: args.failureQueueArn } },
      tags: { ...args.tags },
    },
    opts,
  );
}
