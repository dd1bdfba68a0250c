import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

import type { Tags } from "./tags";

export interface EncryptedLogGroupArgs {
  /** Explicit log group name when a service expects one (e.g. `/aws/lambda/<fn>`); default auto-named. */
  readonly logGroupName?: pulumi.Input<string>;
  readonly retentionInDays: number;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly tags: Tags;
}

/** A log group with the platform's baseline: explicit retention and the archive KMS key. */
export function createEncryptedLogGroup(
  name: string,
  args: EncryptedLogGroupArgs,
  parent: pulumi.Resource,
): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(
    name,
    {
      ...(args.logGroupName !== undefined ? { name: args.logGroupName } : {}),
      retentionInDays: args.retentionInDays,
      kmsKeyId: args.kmsKeyArn,
      tags: { ...args.tags },
    },
    { parent },
  );
}
