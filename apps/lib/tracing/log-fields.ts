/**
 * The trace of a log line. Two spellings of the same id, because the two
 * places a person joins logs and traces read different ones:
 *
 * - `xray_trace_id` (`1-5f4b3c2a-1234567890abcdef12345678`): X-Ray's form, the
 *   field Powertools for AWS Lambda logs, what the X-Ray console, Grafana's
 *   X-Ray data source and a CloudWatch Logs Insights query are given to find
 *   a trace (the backend here is X-Ray, through the ADOT collector);
 * - `trace_id` / `span_id` (32 / 16 hex): OpenTelemetry's names, what
 *   CloudWatch Application Signals' trace-to-log correlation injects
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Application-Signals-TraceLogCorrelation.html)
 *   and what any OTLP backend shows.
 *
 * The X-Ray id generator makes the first 8 hex digits the start time, so the
 * two convert into each other without a lookup.
 */
import type { Span } from "@opentelemetry/api";

/** Log fields tying a line to its span. */
export interface TraceLogFields {
  readonly trace_id: string;
  readonly span_id: string;
  readonly xray_trace_id: string;
}

/** `1-<8 hex>-<24 hex>` of a 32-hex OpenTelemetry trace id. */
export function xrayTraceId(traceId: string): string {
  return `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;
}

/** The fields of `span`, or `{}` for a span that is not recorded (tracing off, sampled out): no trace to join. */
export function traceLogFields(span: Span): TraceLogFields | Record<string, never> {
  if (!span.isRecording()) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, xray_trace_id: xrayTraceId(traceId) };
}
