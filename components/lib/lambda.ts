import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

import { lambdaArchive } from "./bundle";
import type { Tags } from "./tags";

export interface BundledFunctionArgs {
  /** Handler module relative to the repository root; it must export `handler`. */
  readonly entry: string;
  readonly roleArn: pulumi.Input<string>;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  /** Encrypts the environment variables at rest. */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly environment: Record<string, pulumi.Input<string>>;
  /** The function logs (JSON) to this group, which has retention and KMS. */
  readonly logGroupName: pulumi.Input<string>;
  readonly reservedConcurrency?: number;
  readonly vpcConfig?: aws.types.input.lambda.FunctionVpcConfig;
  readonly tags: Tags;
}

/**
 * A Lambda function built from an app's source by the bundling helper, with
 * the platform's baseline: nodejs20.x on arm64 (cheaper per GB-s), JSON logs
 * to its own encrypted group, X-Ray tracing, KMS-encrypted environment.
 */
export function createBundledFunction(
  name: string,
  args: BundledFunctionArgs,
  opts: pulumi.CustomResourceOptions,
): aws.lambda.Function {
  return new aws.lambda.Function(
    name,
    {
      runtime: aws.lambda.Runtime.NodeJS20dX,
      architectures: ["arm64"],
      handler: "index.handler",
      code: lambdaArchive(args.entry),
      role: args.roleArn,
      memorySize: args.memoryMiB,
      timeout: args.timeoutSeconds,
      ...(args.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: args.reservedConcurrency }
        : {}),
      kmsKeyArn: args.kmsKeyArn,
      environment: { variables: args.environment },
      ...(args.vpcConfig !== undefined ? { vpcConfig: args.vpcConfig } : {}),
      loggingConfig: { logFormat: "JSON", logGroup: args.logGroupName },
      tracingConfig: { mode: "Active" },
      tags: { ...args.tags },
    },
    opts,
  );
}
