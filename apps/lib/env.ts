/**
 * Reading a Lambda's environment with every problem reported at once: each
 * accessor records what is wrong and returns a placeholder, and
 * {@link EnvReader.finish} throws one error listing them all, so a wrong
 * deployment is fixed in one round instead of one variable per cold start.
 */

/** Collects the values and problems of one app's environment. */
export class EnvReader {
  private readonly problems: string[] = [];

  /**
   * @param env the environment (`process.env` in Lambda).
   * @param app the app's name, first word of the error.
   */
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly app: string,
  ) {}

  /** A trimmed string; required when there is no `fallback`. */
  text(name: string, fallback?: string): string {
    const value = this.env[name]?.trim();
    if (value !== undefined && value !== "") return value;
    if (fallback === undefined) this.problems.push(`${name} is required`);
    return fallback ?? "";
  }

  /** A string that is absent when unset or blank. */
  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  /** An integer in `[min, max]`, `fallback` when unset. */
  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name]?.trim();
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  }

  /** One of `values`, `fallback` when unset. */
  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!(values as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${values.join(", ")}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return raw as T;
  }

  /** A comma-separated list (blank entries dropped); empty when unset. */
  list(name: string): string[] {
    return (this.optional(name) ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== "");
  }

  /** Records a problem found by the caller's own checks. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /**
   * Returns `config` when nothing was wrong.
   *
   * @throws Error `<app> configuration is invalid:` followed by every problem, one per line.
   */
  finish<T>(config: T): T {
    if (this.problems.length > 0) {
      throw new Error(`${this.app} configuration is invalid:\n  - ${this.problems.join("\n  - ")}`);
    }
    return config;
  }
}

/** pino's levels, the values `LOG_LEVEL` accepts. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** Where an app's `_bulk` and bootstrap requests go. */
export interface OpenSearchEndpoint {
  /** `https://<host>` (Pulumi hands out domain endpoints without a scheme; one is added). */
  readonly endpoint: string;
  /** SigV4 service name: `es` for a domain, `aoss` for a serverless collection. */
  readonly service: string;
}

/** `OPENSEARCH_ENDPOINT` (+ `OPENSEARCH_SERVICE`, default `es`); absent when unset. */
export function readOpenSearchEndpoint(read: EnvReader): OpenSearchEndpoint | undefined {
  const endpoint = read.optional("OPENSEARCH_ENDPOINT");
  if (endpoint === undefined) return undefined;
  const url = /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
  if (!URL.canParse(url)) read.problem(`OPENSEARCH_ENDPOINT is not a URL: ${JSON.stringify(endpoint)}`);
  return { endpoint: url, service: read.text("OPENSEARCH_SERVICE", "es") };
}
