import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import type { PolicyStatement } from "./iam";
import { denyInsecureTransport, policyDocument } from "./iam";
import type { Tags } from "./tags";

export interface SecureQueueArgs {
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Seconds a message is kept. Default: 14 days (the SQS maximum), so nothing expires before someone looks. */
  readonly messageRetentionSeconds?: number;
  readonly visibilityTimeoutSeconds?: number;
  readonly redrivePolicy?: pulumi.Input<string>;
  /** Who else may use the queue (e.g. the SNS topic that feeds it), given the queue's ARN. */
  readonly allow?: (queueArn: string) => pulumi.Input<PolicyStatement[]>;
  readonly tags: Tags;
}

/**
 * An SQS queue with the platform's baseline: KMS encryption and a queue
 * policy that denies every request without TLS, plus any grants given.
 */
export function createSecureQueue(
  name: string,
  args: SecureQueueArgs,
  parent: pulumi.Resource,
): aws.sqs.Queue {
  const queue = new aws.sqs.Queue(
    name,
    {
      kmsMasterKeyId: args.kmsKeyArn,
      messageRetentionSeconds: args.messageRetentionSeconds ?? 14 * 24 * 3600,
      ...(args.visibilityTimeoutSeconds !== undefined
        ? { visibilityTimeoutSeconds: args.visibilityTimeoutSeconds }
        : {}),
      ...(args.redrivePolicy !== undefined ? { redrivePolicy: args.redrivePolicy } : {}),
      tags: { ...args.tags },
    },
    { parent },
  );
  new aws.sqs.QueuePolicy(
    `${name}-policy`,
    {
      queueUrl: queue.url,
      policy: pulumi.jsonStringify(
        queue.arn.apply((arn) =>
          pulumi
            .output(args.allow?.(arn) ?? [])
            .apply((grants) => policyDocument([...grants, denyInsecureTransport([arn], "sqs:*")])),
        ),
      ),
    },
    { parent },
  );
  return queue;
}
