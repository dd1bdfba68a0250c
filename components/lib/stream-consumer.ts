import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

import type { Tags } from "./tags";
import { rangeProblems } from "./validation";

/** How a Lambda consumer of the ingest stream batches, retries and runs. */
export interface StreamConsumerTuning {
  /** Records per invocation (1–10000). Default: 500. */
  readonly batchSize?: number;
  /** Seconds to gather records before invoking (0–300). Default: 5. */
  readonly batchWindowSeconds?: number;
  /** Retries of a failing batch before it goes to the failure queue (0–10000). Default: 5. */
  readonly maximumRetryAttempts?: number;
  /** Lambda memory (also its CPU share), MiB (128–10240). Default: 512. */
  readonly memoryMiB?: number;
  /** Lambda timeout in seconds (1–900). Default: 60. */
  readonly timeoutSeconds?: number;
}

/** The defaults of {@link StreamConsumerTuning}. */
export const STREAM_CONSUMER_DEFAULTS = {
  batchSize: 500,
  batchWindowSeconds: 5,
  maximumRetryAttempts: 5,
  memoryMiB: 512,
  timeoutSeconds: 60,
} as const satisfies Required<StreamConsumerTuning>;

/** The tuning with every default filled in. */
export function streamConsumerTuning(tuning: StreamConsumerTuning): Required<StreamConsumerTuning> {
  return {
    batchSize: tuning.batchSize ?? STREAM_CONSUMER_DEFAULTS.batchSize,
    batchWindowSeconds: tuning.batchWindowSeconds ?? STREAM_CONSUMER_DEFAULTS.batchWindowSeconds,
    maximumRetryAttempts: tuning.maximumRetryAttempts ?? STREAM_CONSUMER_DEFAULTS.maximumRetryAttempts,
    memoryMiB: tuning.memoryMiB ?? STREAM_CONSUMER_DEFAULTS.memoryMiB,
    timeoutSeconds: tuning.timeoutSeconds ?? STREAM_CONSUMER_DEFAULTS.timeoutSeconds,
  };
}

/** Every out-of-range value of the tuning, each named `<keyPrefix><field>`. */
export function streamConsumerTuningProblems(tuning: StreamConsumerTuning, keyPrefix = ""): string[] {
  const t = streamConsumerTuning(tuning);
  return [
    ...rangeProblems(`${keyPrefix}batchSize`, t.batchSize, 1, 10000),
    ...rangeProblems(`${keyPrefix}batchWindowSeconds`, t.batchWindowSeconds, 0, 300),
    ...rangeProblems(`${keyPrefix}maximumRetryAttempts`, t.maximumRetryAttempts, 0, 10000),
    ...rangeProblems(`${keyPrefix}memoryMiB`, t.memoryMiB, 128, 10240),
    ...rangeProblems(`${keyPrefix}timeoutSeconds`, t.timeoutSeconds, 1, 900),
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
