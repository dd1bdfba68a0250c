/**
 * The one way an app gets its {@link Tracing}. The SDK (provider.ts and the
 * OpenTelemetry packages behind it, ~870 KB of a Lambda bundle) is required
 * only when tracing is on: an app with tracing off loads the API package and
 * nothing else, so its cold start does not pay for the exporter it never uses.
 */
import type { TracingConfig } from "./config";
import type { TracingOptions, sdkTracing } from "./provider";
import type { Tracing } from "./tracing";
import { NOOP_TRACING } from "./tracing";

export type { TracingOptions } from "./provider";

/** The tracing of `config`: {@link NOOP_TRACING} when it is off (no provider, no exporter, no timer). */
export function startTracing(config: TracingConfig, options: TracingOptions = {}): Tracing {
  if (!config.enabled) return NOOP_TRACING;
  // A require, not an import: evaluated (and in a bundle, initialised) only here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const provider = require("./provider") as { readonly sdkTracing: typeof sdkTracing };
  return provider.sdkTracing(config, options);
}
