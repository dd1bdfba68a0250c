/** Tracing for tests: everything sampled, sent to a local OTLP stand-in. */
import type { OtlpStandIn } from "../../../../scripts/local/otlp-stand-in";
import type { TracingOn } from "../config";
import type { TracingOptions } from "../start";
import { startTracing } from "../start";
import type { Tracing } from "../tracing";

/** The config of {@link testTracing}. */
export function testTracingConfig(
  standIn: OtlpStandIn,
  serviceName: string,
  extra: Partial<TracingOn> = {},
): TracingOn {
  return {
    enabled: true,
    endpoint: standIn.tracesUrl,
    serviceName,
    resourceAttributes: {},
    sampler: "always_on",
    ratio: 1,
    exportTimeoutMs: 2_000,
    ...extra,
  };
}

/**
 * Tracing of `serviceName` into `standIn`. The default scheduled delay is a
 * minute: a span arrives only when something flushed it (as in Lambda).
 */
export function testTracing(
  standIn: OtlpStandIn,
  serviceName: string,
  options: TracingOptions = {},
): Tracing {
  return startTracing(testTracingConfig(standIn, serviceName), { scheduledDelayMs: 60_000, ...options });
}
