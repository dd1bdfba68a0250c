/*
 * The AWS Distro for OpenTelemetry (ADOT) collector Lambda layer: the reduced
 * ADOT collector, run by Lambda as an extension next to the function. The
 * function's own OpenTelemetry SDK (bundled with the app) sends OTLP/HTTP to
 * it on loopback, the same contract as the receiver's ECS sidecar.
 *
 * Chosen over:
 * - the X-Ray SDK: in maintenance mode since 2026-02-25, security fixes only;
 *   AWS recommends OpenTelemetry instead
 *   (https://docs.aws.amazon.com/xray/latest/devguide/xray-sdk-migration.html);
 * - the "AWS Lambda Layer for OpenTelemetry" (AWSOpenTelemetryDistroJs):
 *   it auto-instruments the handler itself (a second SDK beside the apps'
 *   own) and exports straight to CloudWatch's OTLP traces endpoint, which
 *   requires Transaction Search, an account-wide switch a platform stack
 *   should not flip (https://aws-otel.github.io/docs/getting-started/lambda,
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-OTLPGettingStarted.html);
 * - Lambda active tracing alone: it records the invocation (the Lambda
 *   service and function segments) but nothing the code does inside. It stays
 *   on (components/lib/lambda.ts), the layer adds the app's own spans.
 *
 * Pure, no Pulumi.
 */

/** AWS's account that publishes the ADOT Lambda layers (the same in every region). */
export const ADOT_LAYER_ACCOUNT = "901920570463";

/**
 * The pinned layer, in one place: `aws-otel-collector-<arch>-ver-<version>`,
 * layer version `<layerVersion>`. Upgrade both together, after checking the
 * release notes of aws-observability/aws-otel-lambda.
 */
export const ADOT_COLLECTOR_LAYER = { version: "0-117-0", layerVersion: 1 } as const;

/**
 * Regions the ADOT layers are published in (the release workflow's region
 * list and CHANGELOG of aws-observability/aws-otel-lambda: "Layers cover 16
 * AWS Regions"). A layer can only be used in its own region.
 */
export const ADOT_LAYER_REGIONS: readonly string[] = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ap-south-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ca-central-1",
  "eu-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-north-1",
  "sa-east-1",
];

/** Lambda's names of the instruction set architectures. */
export type LambdaArchitecture = "arm64" | "x86_64";

/** ADOT names its x86_64 build `amd64`; a layer of the wrong one crashes the extension at init. */
const LAYER_ARCHITECTURE: Readonly<Record<LambdaArchitecture, string>> = { arm64: "arm64", x86_64: "amd64" };

/**
 * The collector layer's ARN for a function in `region` on `architecture`.
 * @throws Error naming the supported regions when the layer is not published in `region`
 */
export function adotCollectorLayerArn(region: string, architecture: LambdaArchitecture): string {
  if (!ADOT_LAYER_REGIONS.includes(region)) {
    throw new Error(
      `tracing: the ADOT collector Lambda layer is not published in ${region}; it is in ${ADOT_LAYER_REGIONS.join(", ")}. Turn tracing off (pulumi config set --path tracing.enabled false) or deploy to one of those regions.`,
    );
  }
  const name = `aws-otel-collector-${LAYER_ARCHITECTURE[architecture]}-ver-${ADOT_COLLECTOR_LAYER.version}`;
  return `arn:aws:lambda:${region}:${ADOT_LAYER_ACCOUNT}:layer:${name}:${ADOT_COLLECTOR_LAYER.layerVersion}`;
}
