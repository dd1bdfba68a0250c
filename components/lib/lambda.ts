import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

import type { LambdaNodeRuntime } from "../../policy/lambda-runtimes";

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
 * The runtime of every platform function: the newest Node.js LTS Lambda runs,
 * patched until 2028-04-30 (nodejs22.x only until 2027-04-30). Typed by the
 * deprecation table the policy pack checks (rule `lambda-supported-runtime`),
 * so a runtime missing from that table does not compile. Node.js 24 no longer
 * runs callback-style handlers
 * (https://aws.amazon.com/blogs/compute/node-js-24-runtime-now-available-in-aws-lambda/);
 * every app here exports an async `handler`.
 */
export const LAMBDA_RUNTIME = aws.lambda.Runtime.NodeJS24dX satisfies LambdaNodeRuntime;

/**
 * A Lambda function built from an app's source by the bundling helper, with
 * the platform's baseline: {@link LAMBDA_RUNTIME} on arm64 (cheaper per GB-s),
 * JSON logs to its own encrypted group, X-Ray tracing, KMS-encrypted environment.
 */
export function createBundledFunction(
  name: string,
  args: BundledFunctionArgs,
  opts: pulumi.CustomResourceOptions,
): aws.lambda.Function {
  return new aws.lambda.Function(
    name,
    {
      runtime: LAMBDA_RUNTIME,
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
