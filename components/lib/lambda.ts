import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import type { LambdaNodeRuntime } from "../../policy/lambda-runtimes";

import type { LambdaArchitecture } from "./adot-lambda-layer";
import { adotCollectorLayerArn } from "./adot-lambda-layer";
import { lambdaArchive } from "./bundle";
import type { Tags } from "./tags";
import type { TracedService } from "./tracing";
import { lambdaCollectorConfig, tracingEnvironment } from "./tracing";

/** OpenTelemetry tracing of one function (absent: the app does not trace). */
export interface FunctionTracing {
  /** `OTEL_SERVICE_NAME`: the function's node in the X-Ray service map. */
  readonly serviceName: TracedService;
  /** Share (0–1) of the traces started in the function that are kept. No default: stack setting `tracing.sampleRatio`. */
  readonly sampleRatio: number;
  /** The function's region: the layer is regional, and the collector exports to X-Ray there. */
  readonly region: pulumi.Input<string>;
}

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
  /** Trace the app with OpenTelemetry through the ADOT collector layer. Default: no tracing. */
  readonly tracing?: FunctionTracing;
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

/** Every platform function runs on Graviton (cheaper per GB-s); the collector layer must match. */
export const LAMBDA_ARCHITECTURE: LambdaArchitecture = "arm64";

/** The variable holding the collector's configuration (its `env:` confmap provider reads it). */
export const COLLECTOR_CONFIG_VARIABLE = "ADOT_COLLECTOR_CONFIG";

/**
 * What tracing adds to a function: the ADOT collector layer for its region
 * and architecture (adot-lambda-layer.ts says why this layer), and the
 * variables that point the app's SDK at the collector and the collector at
 * its configuration. The configuration travels in a variable, read through
 * the `env:` confmap provider (`OPENTELEMETRY_COLLECTOR_CONFIG_URI`,
 * https://aws-otel.github.io/docs/getting-started/lambda/lambda-custom-configuration),
 * so it is an input of the function, not a file in every bundle. Active
 * tracing stays as it is: with it, Lambda records the invocation itself and
 * passes its trace header (`_X_AMZN_TRACE_ID`) to the function, whose spans
 * can then join that trace; the execution role's X-Ray statement covers the
 * collector's PutTraceSegments calls too.
 * @throws Error (in the apply) when the layer is not published in the region
 */
export function functionTracing(tracing: FunctionTracing): {
  readonly layers: pulumi.Output<string>[];
  readonly variables: Record<string, pulumi.Input<string>>;
} {
  const region = pulumi.output(tracing.region);
  return {
    layers: [region.apply((r) => adotCollectorLayerArn(r, LAMBDA_ARCHITECTURE))],
    variables: {
      [COLLECTOR_CONFIG_VARIABLE]: region.apply(lambdaCollectorConfig),
      OPENTELEMETRY_COLLECTOR_CONFIG_URI: `env:${COLLECTOR_CONFIG_VARIABLE}`,
      ...tracingEnvironment(tracing.serviceName, tracing.sampleRatio),
    },
  };
}

/**
 * A Lambda function built from an app's source by the bundling helper, with
 * the platform's baseline: {@link LAMBDA_RUNTIME} on arm64 (cheaper per GB-s),
 * JSON logs to its own encrypted group, X-Ray active tracing, KMS-encrypted
 * environment; with `tracing`, the app's OpenTelemetry spans too ({@link functionTracing}).
 */
export function createBundledFunction(
  name: string,
  args: BundledFunctionArgs,
  opts: pulumi.CustomResourceOptions,
): aws.lambda.Function {
  const tracing = args.tracing !== undefined ? functionTracing(args.tracing) : undefined;
  return new aws.lambda.Function(
    name,
    {
      runtime: LAMBDA_RUNTIME,
      architectures: [LAMBDA_ARCHITECTURE],
      handler: "index.handler",
      code: lambdaArchive(args.entry),
      role: args.roleArn,
      memorySize: args.memoryMiB,
      timeout: args.timeoutSeconds,
      ...(args.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: args.reservedConcurrency }
        : {}),
      kmsKeyArn: args.kmsKeyArn,
      environment: {
        variables: tracing !== undefined ? { ...args.environment, ...tracing.variables } : args.environment,
      },
      ...(tracing !== undefined ? { layers: tracing.layers } : {}),
      ...(args.vpcConfig !== undefined ? { vpcConfig: args.vpcConfig } : {}),
      loggingConfig: { logFormat: "JSON", logGroup: args.logGroupName },
      tracingConfig: { mode: "Active" },
      tags: { ...args.tags },
    },
    opts,
  );
}
