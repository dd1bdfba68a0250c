/**
 * The SDK behind {@link Tracing}: one TracerProvider per app, X-Ray
 * compatible ids, the configured sampler, and a BatchSpanProcessor that
 * exports OTLP/HTTP JSON. Nothing is registered globally (no
 * `trace.setGlobalTracerProvider`, no context manager): parents are passed
 * explicitly, so apps sharing a process keep their own service names.
 *
 * The batch processor queues ended spans and exports them every few seconds
 * from a timer (the receiver, which flushes on SIGTERM); a Lambda calls
 * {@link Tracing.flush} before its handler returns (see `lambda.ts`), since
 * a frozen sandbox runs no timers. Spans not yet exported when a process is
 * killed are lost; logs never wait on spans.
 */
import type { Sampler, SpanExporter } from "@opentelemetry/sdk-trace";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { AWSXRayIdGenerator } from "@opentelemetry/id-generator-aws-xray";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import { ROOT_CONTEXT, SpanKind, trace } from "@opentelemetry/api";
import type { SamplerName, TracingOn } from "./config";
import type { Tracing } from "./tracing";
import { runInSpan } from "./tracing";

/** Instrumentation scope of every span (the apps' own code, not a library's). */
export const TRACER_NAME = "log-platform";

/** Options of `startTracing` (start.ts). */
export interface TracingOptions {
  /** Replaces the OTLP exporter (tests). */
  readonly exporter?: SpanExporter;
  /** Told when an export fails (the app logs it); spans of that export are dropped. */
  readonly onExportError?: (error: Error) => void;
  /** Batch processor delay between scheduled exports. Default 5000 ms (the SDK's). */
  readonly scheduledDelayMs?: number;
}

/** `ExportResultCode.SUCCESS` of @opentelemetry/core (not imported: the SDK's own dependency, not ours). */
const EXPORT_SUCCESS = 0;

/** The SDK-backed tracing of `config` (loaded only when tracing is on: see start.ts). */
export function sdkTracing(config: TracingOn, options: TracingOptions = {}): Tracing {
  const exporter = reporting(
    options.exporter ??
      new OTLPTraceExporter({ url: config.endpoint, timeoutMillis: config.exportTimeoutMs }),
    options.onExportError,
  );
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      [ATTR_SERVICE_NAME]: config.serviceName,
    }),
    sampler: sampler(config),
    idGenerator: new AWSXRayIdGenerator(),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        exportTimeoutMillis: config.exportTimeoutMs,
        ...(options.scheduledDelayMs === undefined ? {} : { scheduledDelayMillis: options.scheduledDelayMs }),
      }),
    ],
  });
  const tracer = provider.getTracer(TRACER_NAME);
  return {
    enabled: true,
    withSpan: (name, start, fn) => {
      const parent = start.parent === undefined ? ROOT_CONTEXT : trace.setSpan(ROOT_CONTEXT, start.parent);
      const span = tracer.startSpan(
        name,
        {
          kind: start.kind ?? SpanKind.INTERNAL,
          ...(start.attributes === undefined ? {} : { attributes: start.attributes }),
        },
        parent,
      );
      return runInSpan(span, fn);
    },
    flush: () => provider.forceFlush().catch(() => undefined),
    shutdown: () => provider.shutdown().catch(() => undefined),
  };
}

/** The sampler of `config` (the spec's names, https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/#general-sdk-configuration). */
export function sampler(config: Pick<TracingOn, "sampler" | "ratio">): Sampler {
  const roots: Record<SamplerName, () => Sampler> = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: () => new TraceIdRatioBasedSampler(config.ratio),
    parentbased_always_on: () => new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    parentbased_always_off: () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    parentbased_traceidratio: () =>
      new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.ratio) }),
  };
  return roots[config.sampler]();
}

/** `exporter`, telling `onError` about failed exports (the SDK only reports them to its diag logger, silent by default). */
function reporting(exporter: SpanExporter, onError: ((error: Error) => void) | undefined): SpanExporter {
  if (onError === undefined) return exporter;
  return {
    export: (spans, done) =>
      exporter.export(spans, (result) => {
        if (Number(result.code) !== EXPORT_SUCCESS) {
          onError(result.error ?? new Error(`export of ${spans.length} span(s) failed`));
        }
        done(result);
      }),
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush === undefined
      ? {}
      : { forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve() }),
  };
}
