import fs from "node:fs";
import http from "node:http";
import https from "node:https";

/** Where and how to send batches. */
export interface Target {
  /** Full URL of the intake endpoint, e.g. https://logs.example.com/v1/logs. */
  readonly url: URL;
  readonly token: string;
  readonly agent: http.Agent;
  /** Per-request timeout in ms. */
  readonly timeoutMs: number;
}

/** TLS and connection settings of a target. */
export interface TargetOptions {
  readonly url: string;
  readonly token: string;
  /** Accept any server certificate (self-signed test receivers). */
  readonly insecure?: boolean;
  /** PEM file of the CA (or self-signed certificate) to trust. */
  readonly caFile?: string;
  readonly timeoutMs?: number;
}

/** What to do with a batch after one attempt. */
export type Outcome =
  | { readonly kind: "accepted"; readonly accepted: number }
  | { readonly kind: "retry"; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: "rejected"; readonly status: number; readonly reason: string };

/**
 * The intake URL a `--url` stands for (a bare base URL gets `/v1/logs`), as
 * a string; spools keep their state per this URL.
 * @throws Error for an invalid or non-HTTP URL.
 */
export function intakeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`--url ${raw} is not a valid URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Error("--url must be http:// or https://");
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/v1/logs";
  return url.href;
}

/**
 * Resolves the intake URL (a bare base URL gets `/v1/logs`) and builds a
 * keep-alive agent with the requested TLS trust.
 * @throws Error for an invalid URL or an unreadable CA file.
 */
export function createTarget(options: TargetOptions): Target {
  const url = new URL(intakeUrl(options.url));
  const agent =
    url.protocol === "https:"
      ? new https.Agent({
          keepAlive: true,
          rejectUnauthorized: options.insecure !== true,
          ...(options.caFile === undefined ? {} : { ca: fs.readFileSync(options.caFile) }),
        })
      : new http.Agent({ keepAlive: true });
  return { url, token: options.token, agent, timeoutMs: options.timeoutMs ?? 30_000 };
}

/**
 * Decides from a response what happens to the batch: 200 is done; network
 * trouble, 5xx, 408 and 429 are retried (honouring Retry-After); any other
 * status is a definite refusal that retrying cannot fix.
 */
export function classifyResponse(
  status: number,
  retryAfter: string | undefined,
  body: string,
  now: number = Date.now(),
): Outcome {
  const message = serverMessage(body);
  if (status === 200) {
    const accepted = Number((safeJson(body) as { accepted?: unknown } | undefined)?.accepted);
    return { kind: "accepted", accepted: Number.isFinite(accepted) ? accepted : 0 };
  }
  if (status >= 500 || status === 408 || status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    return {
      kind: "retry",
      reason: `HTTP ${status}${message === "" ? "" : `: ${message}`}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  return { kind: "rejected", status, reason: `HTTP ${status}${message === "" ? "" : `: ${message}`}` };
}

/** Retry-After as delay-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function serverMessage(body: string): string {
  const json = safeJson(body) as { message?: unknown } | undefined;
  if (typeof json?.message === "string") return json.message;
  return body.slice(0, 200).trim();
}

/**
 * One POST of a gzip NDJSON batch. Never throws for network trouble: that is
 * a `retry` outcome. The token goes in the Authorization header only and is
 * never part of a returned message.
 */
export function postBatch(target: Target, id: string, body: Buffer, signal?: AbortSignal): Promise<Outcome> {
  const client = target.url.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    const req = client.request(
      target.url,
      {
        method: "POST",
        agent: target.agent,
        timeout: target.timeoutMs,
        ...(signal === undefined ? {} : { signal }),
        headers: {
          Authorization: `Bearer ${target.token}`,
          "Content-Type": "application/x-ndjson",
          "Content-Encoding": "gzip",
          "Content-Length": body.length,
          "Idempotency-Key": id,
          "User-Agent": "log-sender/0.1",
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          // Answers are small JSON; never hold a misbehaving server's huge body.
          if (size < 65_536) chunks.push(chunk);
          size += chunk.length;
        });
        res.on("end", () => {
          const retryAfter = res.headers["retry-after"];
          resolve(classifyResponse(res.statusCode ?? 0, retryAfter, Buffer.concat(chunks).toString("utf8")));
        });
        res.on("error", (error) =>
          resolve({ kind: "retry", reason: `response interrupted: ${error.message}` }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${target.timeoutMs} ms`)));
    req.on("error", (error: NodeJS.ErrnoException) => {
      const code = error.code ?? "network error";
      // A certificate problem does not heal by retrying: say how to fix it.
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
        resolve({
          kind: "rejected",
          status: 0,
          reason: `TLS ${code}: ${error.message} (use --ca FILE or --insecure)`,
        });
      } else {
        resolve({ kind: "retry", reason: `${code}: ${error.message}` });
      }
    });
    req.end(body);
  });
}
