import { stringify } from "yaml";

import type { PolicyStatement } from "./iam";

/*
 * OpenTelemetry tracing, the contract between the platform and its apps: an
 * app traces only when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, and then
 * sends OTLP/HTTP to an ADOT collector on loopback (the receiver's sidecar,
 * a Lambda function's collector extension), which exports to AWS X-Ray with
 * the role of the task or function. Pure, no Pulumi.
 */

/** Where the collector listens for OTLP/HTTP: loopback only, nothing outside the task or sandbox reaches it. */
export const OTLP_HTTP_ENDPOINT = "127.0.0.1:4318";
/** The traces URL the apps are given (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). */
export const OTLP_TRACES_URL = `http://${OTLP_HTTP_ENDPOINT}/v1/traces`;
/**
 * The standard OpenTelemetry sampler: a trace started here is kept with
 * probability `OTEL_TRACES_SAMPLER_ARG`; a span whose parent was sampled
 * upstream follows its parent's decision, so a trace is never cut in half.
 */
export const TRACES_SAMPLER = "parentbased_traceidratio";

/**
 * The X-Ray service names (`OTEL_SERVICE_NAME`, the nodes of the service
 * map) of everything the platform traces. The Traces dashboard queries them
 * by name (apps/dashboards/test/traces-dashboard.test.ts).
 */
export const TRACED_SERVICES = {
  receiver: "log-receiver",
  accessLogTransformer: "access-log-transformer",
  cloudTrailIndexer: "cloudtrail-indexer",
  logsIndexer: "log-indexer-logs",
  flowLogsIndexer: "log-indexer-flow",
  findingsIndexer: "log-indexer-findings",
} as const;
export type TracedService = (typeof TRACED_SERVICES)[keyof typeof TRACED_SERVICES];

/** Tracing as a component is given it: present means on. */
export interface TracingArgs {
  /**
   * Share (0–1) of the traces started here that are kept, the sampler's
   * argument. No default: stack setting `tracing.sampleRatio`.
   */
  readonly sampleRatio: number;
}

/** Problems with a sample ratio (the sampler accepts 0 to 1). */
export function sampleRatioProblems(key: string, ratio: number): string[] {
  return Number.isFinite(ratio) && ratio >= 0 && ratio <= 1
    ? []
    : [`${key} must be a number from 0 to 1 (got ${ratio})`];
}

/** The environment variables that turn tracing on in an app, in name order. */
export function tracingEnvironment(serviceName: TracedService, sampleRatio: number): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: OTLP_TRACES_URL,
    OTEL_SERVICE_NAME: serviceName,
    OTEL_TRACES_SAMPLER: TRACES_SAMPLER,
    OTEL_TRACES_SAMPLER_ARG: String(sampleRatio),
  };
}

/**
 * The collector components of the traces pipeline, shared by the receiver's
 * sidecar and the Lambda collector extension: an OTLP receiver on
 * {@link OTLP_HTTP_ENDPOINT} (HTTP only; the apps send OTLP/HTTP JSON) and
 * the `awsxray` exporter, which converts spans to segment documents and
 * calls `PutTraceSegments` in `region` with the task's or function's role.
 * It needs X-Ray-compatible trace ids (the apps' id generator), and, unlike
 * CloudWatch's OTLP traces endpoint, no account-wide Transaction Search.
 * https://aws-otel.github.io/docs/getting-started/lambda/lambda-custom-configuration
 */
export function otlpToXRay(region: string): {
  readonly receivers: { readonly otlp: object };
  readonly exporters: { readonly awsxray: { readonly region: string } };
} {
  return {
    receivers: { otlp: { protocols: { http: { endpoint: OTLP_HTTP_ENDPOINT } } } },
    exporters: { awsxray: { region } },
  };
}

/**
 * The ADOT Lambda collector extension's configuration: OTLP in, X-Ray out,
 * traces only. The extension has no processors (its component list:
 * aws-observability/aws-otel-lambda README, "ADOT Lambda Layer available
 * components"), and it flushes before each invocation ends, so no batching.
 */
export function lambdaCollectorConfig(region: string): string {
  const { receivers, exporters } = otlpToXRay(region);
  return stringify({
    receivers,
    exporters,
    service: { pipelines: { traces: { receivers: ["otlp"], exporters: ["awsxray"] } } },
  });
}

/**
 * What the awsxray exporter calls: `xray:PutTraceSegments` (segments only;
 * it sends no telemetry records unless told to). X-Ray's write actions have
 * no resource types, so `*` is the only resource IAM accepts for them:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
 */
export const PUT_TRACE_SEGMENTS_STATEMENT: PolicyStatement = {
  Sid: "SendTraces",
  Effect: "Allow",
  Action: "xray:PutTraceSegments",
  Resource: "*",
};
