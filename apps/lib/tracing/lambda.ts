/**
 * Tracing of one Lambda invocation: the batch span, parented on Lambda's own
 * X-Ray segment when Lambda is recording this invocation, and a flush before
 * the handler returns (or throws), because the sandbox is frozen after that
 * and the batch processor's timer would not run.
 */
import type { Attributes, Span } from "@opentelemetry/api";
import {
  ROOT_CONTEXT,
  SpanKind,
  TraceFlags,
  defaultTextMapGetter,
  isSpanContextValid,
  trace,
} from "@opentelemetry/api";
import { AWSXRAY_TRACE_ID_HEADER, AWSXRayPropagator } from "@opentelemetry/propagator-aws-xray";
import type { Tracing } from "./tracing";

const propagator = new AWSXRayPropagator();

/**
 * Lambda's trace of this invocation, from `_X_AMZN_TRACE_ID`
 * (`Root=1-…;Parent=…;Sampled=1`, set per invocation by the Node.js runtime,
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * as a parent span; absent when unset, malformed or not sampled. Only a
 * sampled one is used: with active tracing Lambda records its own segment
 * and the batch span nests under it; an unsampled header (PassThrough
 * tracing) would make a parent-based sampler drop every span, so then the
 * batch span is a root and `OTEL_TRACES_SAMPLER` decides.
 */
export function lambdaParent(env: NodeJS.ProcessEnv = process.env): Span | undefined {
  const header = env._X_AMZN_TRACE_ID;
  if (header === undefined || header === "") return undefined;
  const context = propagator.extract(
    ROOT_CONTEXT,
    { [AWSXRAY_TRACE_ID_HEADER]: header },
    defaultTextMapGetter,
  );
  const spanContext = trace.getSpanContext(context);
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return undefined;
  if ((spanContext.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return trace.wrapSpanContext(spanContext);
}

/**
 * Runs one invocation in a SERVER span named `name` and flushes the spans
 * before resolving or rejecting. The flush never throws and is bounded by the
 * export timeout.
 */
export async function traceInvocation<T>(
  tracing: Tracing,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  if (!tracing.enabled) return tracing.withSpan(name, {}, fn);
  const parent = lambdaParent(env);
  try {
    return await tracing.withSpan(
      name,
      { kind: SpanKind.SERVER, attributes, ...(parent === undefined ? {} : { parent }) },
      fn,
    );
  } finally {
    await tracing.flush();
  }
}
