/**
 * Retrying one OpenSearch call until a deadline. A domain that has just been
 * created (or replaced) reports "Active" before fine-grained access control
 * accepts its master: for a while the endpoint answers 401/403 (the master
 * role and the access policy are not in effect yet), 503 ("OpenSearch
 * Security not initialized") or drops the connection. Giving up on the first
 * such answer failed `pulumi up` on every new domain, so these are retried
 * with exponential backoff; anything else (400, 404, 409…) is a real error
 * and fails at once.
 */
import type { HttpResponse, OpenSearchTransport } from "../../lib/signed-http";

/** Time, injectable so tests run in milliseconds. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** How one run retries. */
export interface RetryOptions {
  /** No attempt starts after this instant (ms since the epoch, on {@link Clock.now}). */
  readonly deadline: number;
  readonly clock: Clock;
  /** First pause. Default: 1 000 ms. */
  readonly initialDelayMs?: number;
  /** Longest pause. Default: 30 000 ms. */
  readonly maxDelayMs?: number;
  /** Told of every failed attempt that will be retried (for logs). */
  readonly onRetry?: (what: string, attempt: number, reason: string, delayMs: number) => void;
}

/**
 * Statuses a domain answers while it is still coming up or is briefly
 * overloaded: 401/403 before the master and access policy take effect, 429
 * when throttled, 5xx while the security plugin initialises or a node restarts.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 401 || status === 403 || status === 429 || (status >= 500 && status <= 599);
}

/** Pause before attempt `attempt + 1`: doubling from the initial delay, capped. */
export function backoffDelay(attempt: number, initialDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
}

/**
 * Sends the request until it gets a 2xx answer, retrying network errors and
 * {@link isRetryableStatus} answers until `deadline`. No jitter: a deploy
 * runs one bootstrap at a time, there is no herd to spread.
 *
 * @returns the first 2xx answer.
 * @throws Error `<METHOD> <path> answered <status>: <start of body>` at once for
 *   any other status, or with the attempt count and elapsed time when the
 *   deadline passes (last status or network error included).
 */
export async function requestWithRetry(
  transport: OpenSearchTransport,
  method: "GET" | "PUT" | "POST",
  path: string,
  body: string | undefined,
  options: RetryOptions,
): Promise<HttpResponse> {
  const { clock, deadline } = options;
  const initialDelayMs = options.initialDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const what = `${method} ${path}`;
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    try {
      const response = await transport.request(method, path, body);
      if (response.statusCode >= 200 && response.statusCode < 300) return response;
      // The security API's error bodies describe the request, never echo a password.
      reason = `answered ${response.statusCode}: ${response.body.slice(0, 300)}`;
      if (!isRetryableStatus(response.statusCode)) throw new FinalError(`${what} ${reason}`);
    } catch (error) {
      if (error instanceof FinalError) throw new Error(error.message);
      reason = `failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    const delayMs = backoffDelay(attempt, initialDelayMs, maxDelayMs);
    if (clock.now() + delayMs > deadline) {
      const seconds = Math.round((clock.now() - started) / 1000);
      throw new Error(`${what} ${reason} (gave up after ${attempt} attempts over ${seconds} s)`);
    }
    options.onRetry?.(what, attempt, reason, delayMs);
    await clock.sleep(delayMs);
  }
}

/** A refusal that retrying cannot fix (marks it apart from network errors in the catch). */
class FinalError extends Error {}
