/**
 * Tracing settings from the standard OpenTelemetry environment variables
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/),
 * the contract between the apps and the infrastructure that runs them: the
 * receiver's ECS task and the Lambdas set them, `npm start` points them at
 * its local stand-in.
 *
 * Tracing is on only when a traces endpoint is set; without one an app gets
 * the no-op tracer (see `tracing.ts`) and pays nothing. Pure: no SDK here.
 */
import { EnvReader } from "../env";

/** Samplers of `OTEL_TRACES_SAMPLER` this SDK set-up supports (the spec's built-in ones). */
export const SAMPLERS = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** The spec's default sampler. */
export const DEFAULT_SAMPLER: SamplerName = "parentbased_always_on";

/** The spec's default export timeout (`OTEL_EXPORTER_OTLP_TIMEOUT`), in milliseconds. */
export const DEFAULT_EXPORT_TIMEOUT_MS = 10_000;

/** The only protocol the apps speak: OTLP over HTTP with JSON bodies (`@opentelemetry/exporter-trace-otlp-http`). */
export const OTLP_PROTOCOL = "http/json";

/** Tracing switched off: no provider, no exporter, no spans. */
export interface TracingOff {
  readonly enabled: false;
}

/** Tracing switched on. */
export interface TracingOn {
  readonly enabled: true;
  /** Full URL spans are POSTed to, e.g. `http://localhost:4318/v1/traces`. */
  readonly endpoint: string;
  /** `service.name` of the resource (`OTEL_SERVICE_NAME`, else the app's default). */
  readonly serviceName: string;
  /** Further resource attributes from `OTEL_RESOURCE_ATTRIBUTES` (`service.name` there loses to `OTEL_SERVICE_NAME`). */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly sampler: SamplerName;
  /** Share of traces kept by the `*traceidratio` samplers, 0..1 (`OTEL_TRACES_SAMPLER_ARG`, default 1). */
  readonly ratio: number;
  /** How long one export may take before it is abandoned. */
  readonly exportTimeoutMs: number;
}

export type TracingConfig = TracingOff | TracingOn;

/**
 * Reads the tracing settings of an app.
 *
 * - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT`
 *   (`/v1/traces` appended, as the spec says): tracing is on only when one is set.
 * - `OTEL_SDK_DISABLED=true` switches it off whatever else is set.
 * - `OTEL_SERVICE_NAME` (default `defaultServiceName`), `OTEL_RESOURCE_ATTRIBUTES`.
 * - `OTEL_TRACES_SAMPLER` (one of {@link SAMPLERS}, default `parentbased_always_on`) and
 *   `OTEL_TRACES_SAMPLER_ARG` (ratio 0..1 for the `*traceidratio` samplers, default 1).
 * - `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` / `OTEL_EXPORTER_OTLP_TIMEOUT` (ms, default 10000).
 * - `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`: only `http/json` is spoken.
 *
 * @throws Error `<app> configuration is invalid:` listing every problem at once.
 */
export function tracingConfigFromEnv(env: NodeJS.ProcessEnv, defaultServiceName: string): TracingConfig {
  const read = new EnvReader(env, defaultServiceName);
  const disabled = read.oneOf("OTEL_SDK_DISABLED", ["true", "false"], "false") === "true";
  const endpoint = tracesEndpoint(read);
  const sampler = read.oneOf("OTEL_TRACES_SAMPLER", SAMPLERS, DEFAULT_SAMPLER);
  const ratio = samplerRatio(read, sampler);
  const exportTimeoutMs = read.integer(
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    read.integer("OTEL_EXPORTER_OTLP_TIMEOUT", DEFAULT_EXPORT_TIMEOUT_MS, 1, 600_000),
    1,
    600_000,
  );
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"]) {
    const protocol = read.optional(name);
    if (protocol !== undefined && protocol !== OTLP_PROTOCOL) {
      read.problem(
        `${name} must be ${OTLP_PROTOCOL} (the apps export OTLP/HTTP JSON), got ${JSON.stringify(protocol)}`,
      );
    }
  }
  const resourceAttributes = parseResourceAttributes(read);
  const serviceName = read.text(
    "OTEL_SERVICE_NAME",
    resourceAttributes["service.name"] ?? defaultServiceName,
  );
  const config: TracingConfig =
    disabled || endpoint === undefined
      ? { enabled: false }
      : { enabled: true, endpoint, serviceName, resourceAttributes, sampler, ratio, exportTimeoutMs };
  return read.finish(config);
}

function tracesEndpoint(read: EnvReader): string | undefined {
  const signal = read.optional("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const base = read.optional("OTEL_EXPORTER_OTLP_ENDPOINT");
  const [name, url] =
    signal !== undefined
      ? ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", signal]
      : base !== undefined
        ? ["OTEL_EXPORTER_OTLP_ENDPOINT", `${base.replace(/\/+$/, "")}/v1/traces`]
        : [undefined, undefined];
  if (name === undefined || url === undefined) return undefined;
  if (!/^https?:\/\//.test(url) || !URL.canParse(url)) {
    read.problem(`${name} must be an http(s) URL, got ${JSON.stringify(signal ?? base)}`);
  }
  return url;
}

function samplerRatio(read: EnvReader, sampler: SamplerName): number {
  const raw = read.optional("OTEL_TRACES_SAMPLER_ARG");
  if (raw === undefined) return 1;
  if (!sampler.endsWith("traceidratio")) {
    read.problem(`OTEL_TRACES_SAMPLER_ARG is only read by the traceidratio samplers, not ${sampler}`);
    return 1;
  }
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    read.problem(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, got ${JSON.stringify(raw)}`);
    return 1;
  }
  return ratio;
}

/** `key1=value1,key2=value2`, values percent-encoded (the spec's W3C Baggage-like format). */
function parseResourceAttributes(read: EnvReader): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const entry of read.list("OTEL_RESOURCE_ATTRIBUTES")) {
    const equals = entry.indexOf("=");
    const key = equals > 0 ? entry.slice(0, equals).trim() : "";
    if (key === "") {
      read.problem(`OTEL_RESOURCE_ATTRIBUTES entries must be key=value, got ${JSON.stringify(entry)}`);
      continue;
    }
    try {
      attributes[key] = decodeURIComponent(entry.slice(equals + 1).trim());
    } catch {
      read.problem(`OTEL_RESOURCE_ATTRIBUTES value of ${key} is not percent-encoded correctly`);
    }
  }
  return attributes;
}
