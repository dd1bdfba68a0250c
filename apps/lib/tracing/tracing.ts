/**
 * What the apps see of tracing: {@link Tracing.withSpan} around a unit of
 * work, with the parent passed explicitly (no global context manager), so
 * several apps with their own providers can share one process (`npm start`
 * runs them all) and the no-op costs one function call.
 *
 * Why OpenTelemetry and not the X-Ray SDK: the X-Ray SDKs and daemon entered
 * maintenance mode on 2026-02-25 (security fixes only, end of support
 * 2027-02-25) and AWS recommends OpenTelemetry for sending traces to X-Ray
 * (https://docs.aws.amazon.com/xray/latest/devguide/xray-sdk-daemon-timeline.html,
 * https://docs.aws.amazon.com/xray/latest/devguide/xray-daemon-eos.html).
 * The apps export OTLP/HTTP to a collector (the receiver's ADOT sidecar, the
 * ADOT Lambda layer, the local stand-in) which forwards to X-Ray; ids come
 * from the X-Ray id generator, so every trace id is a valid X-Ray trace id.
 */
import type { Attributes, Span, SpanKind } from "@opentelemetry/api";
import { INVALID_SPAN_CONTEXT, SpanStatusCode, trace } from "@opentelemetry/api";

/** How a span starts. */
export interface SpanStart {
  /** The enclosing span; absent: a root span. */
  readonly parent?: Span;
  /** Default INTERNAL. */
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
}

/** One app's tracer. */
export interface Tracing {
  /** False for the no-op: callers may skip work that only feeds spans. */
  readonly enabled: boolean;
  /**
   * Runs `fn` in a new span and ends it when `fn` returns or its promise
   * settles. A throw (or rejection) is recorded as an exception event and
   * sets the span's status to ERROR before it is rethrown; `fn` may set
   * ERROR itself for failures it handles.
   */
  withSpan<T>(name: string, start: SpanStart, fn: (span: Span) => T): T;
  /** Exports every ended span now; never throws (a lost span must not fail the work). */
  flush(): Promise<void>;
  /** Flushes and stops the exporter. */
  shutdown(): Promise<void>;
}

/** A span that records nothing (the no-op's, and what {@link Tracing.withSpan} passes when off). */
export const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Tracing switched off: `withSpan` calls `fn` with {@link NOOP_SPAN}; nothing is allocated or exported. */
export const NOOP_TRACING: Tracing = {
  enabled: false,
  withSpan: (_name, _start, fn) => fn(NOOP_SPAN),
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/** Marks `span` failed with `error` (exception event + ERROR status). */
export function failSpan(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const exception = error instanceof Error ? error : new Error(String(error));
  span.recordException(exception);
  span.setStatus({ code: SpanStatusCode.ERROR, message: `${exception.name}: ${exception.message}` });
}

/** Sets ERROR with `message` (a failure handled without a throw). */
export function markError(span: Span, message: string): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/**
 * {@link Tracing.withSpan} over an already started span: ends it after `fn`,
 * recording a throw or rejection. Shared by the SDK-backed tracing.
 */
export function runInSpan<T>(span: Span, fn: (span: Span) => T): T {
  let result: T;
  try {
    result = fn(span);
  } catch (error) {
    failSpan(span, error);
    span.end();
    throw error;
  }
  if (isPromiseLike(result)) {
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        failSpan(span, error);
        span.end();
        throw error;
      },
    ) as T;
  }
  span.end();
  return result;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === "function";
}
