import type { Logger } from "pino";
import type { Tracing } from "../../lib/tracing/tracing";
import type { PutRecordsClient, RetryPolicy } from "./put";

/** A named ingest token; the name is recorded as `source`, so tokens can be rotated per client group. */
export interface IngestToken {
  readonly name: string;
  readonly token: string;
}

/** Size limits; every one protects memory against a client (compressed and decompressed, against gzip bombs). */
export interface ReceiverLimits {
  /** Request body as received (compressed). Default 4 MiB. */
  readonly maxBodyBytes: number;
  /** Body after gunzip. Default 16 MiB. */
  readonly maxDecompressedBytes: number;
  /** One line, in UTF-8 bytes. Default 128 KiB (escaping can grow it 6×, still under one Kinesis record). */
  readonly maxLineBytes: number;
  /** Non-blank lines per request. Default 20,000. */
  readonly maxLines: number;
  /** Kinesis record size to pack to. Default MAX_RECORD_BYTES (1 MiB); smaller only for tests. */
  readonly maxRecordBytes: number;
}

/** Timeouts against slow or idle clients, in milliseconds. */
export interface ReceiverTimeouts {
  /** Time to receive all request headers. Default 10 s. */
  readonly headersMs: number;
  /** Time to receive the whole request. Default 60 s. */
  readonly requestMs: number;
  /** Idle keep-alive connection lifetime. Default 30 s. */
  readonly keepAliveMs: number;
  /** How long close() waits for in-flight requests before cutting connections. Default 25 s (ECS stopTimeout is 30 s). */
  readonly drainMs: number;
  /**
   * Longest a client waits without its body being read or its request being
   * answered: once for the wait before the body is read, once from the
   * body's end to the answer. Past it the request is abandoned (Kinesis
   * calls cancelled) and answered 503 + Retry-After. Default 20 s, under the
   * sender's 30 s request timeout, so the answer comes before it gives up.
   */
  readonly deadlineMs: number;
}

/** Everything {@link startReceiver} accepts. */
export interface ReceiverOptions {
  /** TCP port; 0 picks a free one (tests). Default 0. */
  readonly port?: number;
  /** Interface to bind. Default 127.0.0.1; the container entry passes 0.0.0.0. */
  readonly host?: string;
  /** Accepted tokens; at least one. */
  readonly tokens: readonly IngestToken[];
  /** Where lines go. */
  readonly kinesis: PutRecordsClient;
  readonly streamName: string;
  /** Serve HTTPS with this PEM pair (local use; behind the NLB TLS ends at the NLB). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  readonly limits?: Partial<ReceiverLimits>;
  readonly timeouts?: Partial<ReceiverTimeouts>;
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Memory the process may use, from which the request budgets are derived
   * (src/memory.ts). Default: the cgroup limit (the task's memory), else the
   * machine's.
   */
  readonly memoryLimitBytes?: number;
  /** Bytes all requests together may hold; overrides what `memoryLimitBytes` gives. */
  readonly memoryBudgetBytes?: number;
  /** Requests that may wait for memory before their body is read; one more is answered 503. Default 64. */
  readonly maxQueuedRequests?: number;
  /** Default: silent. */
  readonly logger?: Logger;
  /**
   * Spans of `POST /v1/logs` ("receive" → "decode", "PutRecords"), and their
   * trace ids in that request's log lines. Default: off (the no-op tracer).
   */
  readonly tracing?: Tracing;
  /** Recorded as `receiver` in envelopes. Default os.hostname(). */
  readonly hostname?: string;
  /** Add Node process metrics to /metrics. Default false. */
  readonly processMetrics?: boolean;
  /** Answer /metrics to any client, not only loopback ones (the ADOT sidecar scrapes over loopback). Default false. */
  readonly publicMetrics?: boolean;
  /**
   * Expect a PROXY protocol v2 header (the NLB's `proxy_protocol_v2.enabled`)
   * on every connection and record the client it names. Loopback peers may
   * connect without one; any other connection without a valid header is
   * closed. Only safe when nothing but the proxy can reach the port. Default false.
   */
  readonly proxyProtocol?: boolean;
  /**
   * Split and encode with the native addon (apps/log-receiver/native) when it
   * is built; false forces the TypeScript path (same bytes, slower). Default true.
   */
  readonly nativeEncoder?: boolean;
}

export const DEFAULT_LIMITS: ReceiverLimits = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxDecompressedBytes: 16 * 1024 * 1024,
  maxLineBytes: 128 * 1024,
  maxLines: 20_000,
  maxRecordBytes: 1024 * 1024,
};

export const DEFAULT_TIMEOUTS: ReceiverTimeouts = {
  headersMs: 10_000,
  requestMs: 60_000,
  keepAliveMs: 30_000,
  drainMs: 25_000,
  deadlineMs: 20_000,
};

/** Default of {@link ReceiverOptions.maxQueuedRequests}. */
export const DEFAULT_MAX_QUEUED_REQUESTS = 64;

/**
 * Checks tokens up front so a misconfigured task fails at start with a clear
 * message instead of rejecting every request. Never echoes token values.
 * @throws Error listing every problem.
 */
export function validateTokens(tokens: readonly IngestToken[]): void {
  const problems: string[] = [];
  if (tokens.length === 0) problems.push("at least one token is required");
  const names = new Set<string>();
  tokens.forEach((t, i) => {
    if (typeof t.name !== "string" || !/^[A-Za-z0-9._:-]{1,64}$/.test(t.name)) {
      problems.push(`token ${i}: name must be 1-64 characters of A-Z a-z 0-9 . _ : -`);
    } else if (names.has(t.name)) {
      problems.push(`token ${i}: duplicate name ${t.name}`);
    } else {
      names.add(t.name);
    }
    if (typeof t.token !== "string" || t.token.length < 16) {
      problems.push(
        `token ${i}${typeof t.name === "string" ? ` (${t.name})` : ""}: token must be at least 16 characters`,
      );
    }
  });
  if (problems.length > 0) throw new Error(`Invalid ingest tokens: ${problems.join("; ")}`);
}
