import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import type { Span } from "@opentelemetry/api";
import { SpanKind } from "@opentelemetry/api";
import pino from "pino";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { MAX_RECORD_BYTES } from "../../lib/ingest-record";
import { traceLogFields } from "../../lib/tracing/log-fields";
import { NOOP_TRACING, markError } from "../../lib/tracing/tracing";
import { createAuthenticator } from "./auth";
import { negotiateEncoding, negotiateFormat } from "./body";
import { encodeRequest } from "./encode-body";
import { clientAddress, envelopeOverhead, idBaseFromKey, lineId } from "./envelope";
import { HttpError } from "./errors";
import type { Grant } from "./budget";
import { ByteBudget, QueueFullError } from "./budget";
import {
  budgetsFor,
  detectMemoryLimit,
  gzipSizeHint,
  limitsWithin,
  workAfterEncoding,
  workBound,
} from "./memory";
import { loadNativeEncoder } from "./native";
import { createMetrics } from "./metrics";
import type { ReceiverLimits, ReceiverOptions } from "./options";
import { DEFAULT_LIMITS, DEFAULT_MAX_QUEUED_REQUESTS, DEFAULT_TIMEOUTS, validateTokens } from "./options";
import { EnvelopeTooLargeError, KINESIS_LIMITS, cutRecords } from "./pack";
import { acceptProxyProtocol, isLoopback, proxiedClientAddress } from "./proxy-protocol";
import { DEFAULT_RETRY_POLICY, StoreError, putAllRecords } from "./put";

export type { IngestToken, ReceiverLimits, ReceiverOptions, ReceiverTimeouts } from "./options";
export type { PutRecordsClient, RetryPolicy } from "./put";

/** A running receiver. */
export interface Receiver {
  /** Base URL, e.g. `https://127.0.0.1:41234`. */
  readonly url: string;
  /** The receiver's own Prometheus registry (also served on /metrics). */
  readonly metrics: Registry;
  /**
   * Graceful stop: refuse new connections and new batches (503), let
   * in-flight requests finish (cut after `timeouts.drainMs`), then resolve.
   */
  close(): Promise<void>;
}

/** Paths that get their own `route` label; anything else is `other` (no unbounded label values). */
const KNOWN_ROUTES = new Set(["/v1/logs", "/healthz", "/readyz", "/metrics"]);

/** How long a failed PutRecords call keeps /readyz at 503. */
const READY_HOLD_MS = 10_000;

/** The client went away (mid-body, or while its batch was being stored): there is nobody to answer. */
class ClientGoneError extends Error {}

/** The request ran past `timeouts.deadlineMs`: answered 503 before the client gives up. */
class DeadlineError extends Error {}

/**
 * Starts the HTTP(S) log intake. `POST /v1/logs` turns every line into an
 * envelope, packs envelopes into Kinesis records and answers 200 only once
 * the stream accepted all of them. See the README for the protocol.
 */
export async function startReceiver(options: ReceiverOptions): Promise<Receiver> {
  validateTokens(options.tokens);
  if (options.streamName === "") throw new Error("streamName is required");
  const budgets = budgetsFor(options.memoryLimitBytes ?? detectMemoryLimit(), options.memoryBudgetBytes);
  const limits: ReceiverLimits = limitsWithin(budgets, { ...DEFAULT_LIMITS, ...options.limits });
  if (limits.maxRecordBytes > MAX_RECORD_BYTES) {
    throw new Error(`limits.maxRecordBytes must be at most ${MAX_RECORD_BYTES} (the Kinesis record limit)`);
  }
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const packLimits = { ...KINESIS_LIMITS, maxRecordBytes: limits.maxRecordBytes };
  const logger = options.logger ?? pino({ enabled: false });
  const tracing = options.tracing ?? NOOP_TRACING;
  const receiverName = options.hostname ?? os.hostname();
  const metrics = createMetrics(options.processMetrics ?? false);
  const authenticate = createAuthenticator(options.tokens);
  const native = options.nativeEncoder === false ? {} : loadNativeEncoder();
  const nativeEncoder = native.encoder;
  // Raw bodies wait in a bounded line (an open connection each); later stages
  // wait unbounded, but only requests already holding raw budget get there.
  const rawBudget = new ByteBudget(
    budgets.rawBytes,
    options.maxQueuedRequests ?? DEFAULT_MAX_QUEUED_REQUESTS,
  );
  const workBudget = new ByteBudget(budgets.workBytes);
  const putBudget = new ByteBudget(budgets.putBytes);
  const stages = { raw: rawBudget, work: workBudget, put: putBudget };
  // Set at scrape time: the budgets are the truth, the gauges only report them.
  const reportBudgets = (): void => {
    for (const [stage, budget] of Object.entries(stages)) {
      metrics.queueDepth.set({ stage }, budget.waiting);
      metrics.budgetUsed.set({ stage }, budget.used);
    }
  };
  // Readiness: Kinesis takes writes unless the last PutRecords call failed
  // as a whole (network, 5xx, access denied) within READY_HOLD_MS; entries
  // throttled in an answered call still mean the stream is there. After the
  // hold the task reports ready again, so traffic (the only probe) resumes.
  let lastCallFailedAt: number | undefined;
  const putHooks = {
    onCall: (seconds: number, outcome: string) => {
      metrics.putSeconds.observe({ outcome }, seconds);
      lastCallFailedAt = outcome === "error" ? Date.now() : undefined;
    },
    onRetry: (records: number) => metrics.retries.inc(records),
  };
  let draining = false;

  const sendJson = (
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Readonly<Record<string, string>> = {},
  ): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(text)),
      "Cache-Control": "no-store",
      // While draining, every answer closes its connection so the drain finishes.
      ...(draining ? { Connection: "close" } : {}),
      ...headers,
    });
    res.end(text);
  };

  /** Answers `error`; returns the answer, or undefined when nobody is left to answer. */
  const respondError = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    error: unknown,
    log: Logger,
  ): HttpError | undefined => {
    if (error instanceof ClientGoneError) return undefined;
    let failure: HttpError;
    if (error instanceof HttpError) {
      failure = error;
    } else if (error instanceof QueueFullError) {
      failure = new HttpError(503, "busy", "Receiver is at its memory limit; retry later", {
        "Retry-After": String(retry.retryAfterSeconds),
      });
    } else if (error instanceof DeadlineError) {
      failure = new HttpError(503, "deadline", "Request not stored in time; retry later", {
        "Retry-After": String(retry.retryAfterSeconds),
      });
    } else if (error instanceof StoreError) {
      log.warn({ reason: error.reason, unstored: error.unstored }, error.message);
      failure = new HttpError(503, error.reason, `Lines not stored, retry later: ${error.message}`, {
        "Retry-After": String(retry.retryAfterSeconds),
      });
    } else {
      log.error({ err: error }, "unexpected error while handling a request");
      failure = new HttpError(500, "internal", "Internal error; nothing was stored");
    }
    metrics.rejects.inc({ reason: failure.reason });
    if (res.headersSent) {
      res.destroy();
      return failure;
    }
    discardRest(req, res, limits.maxBodyBytes);
    sendJson(res, failure.status, { error: failure.reason, message: failure.message }, failure.headers);
    return failure;
  };

  const ingest = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    span: Span,
    log: Logger,
  ): Promise<void> => {
    if (draining) {
      throw new HttpError(503, "draining", "Receiver is shutting down; retry", { "Retry-After": "1" });
    }
    const source = authenticate(req.headers.authorization);
    const format = negotiateFormat(req.headers["content-type"]);
    const encoding = negotiateEncoding(req.headers["content-encoding"]);
    const key = headerValue(req, "idempotency-key") ?? headerValue(req, "x-batch-id");
    const keyedBase = key === undefined ? undefined : idBaseFromKey(source, key);
    span.setAttributes({
      "log_receiver.source": source,
      "log_receiver.format": format,
      "log_receiver.content_encoding": encoding,
    });
    const length = req.headers["content-length"];
    const declared = length === undefined ? undefined : Number(length);
    if (declared !== undefined && declared > limits.maxBodyBytes) throw bodyTooLarge(limits.maxBodyBytes);

    // Abandon the work when the client goes away or the deadline passes: the
    // Kinesis calls are cancelled and the budgets given back.
    const abandon = new AbortController();
    const signal = abandon.signal;
    const onClose = (): void => {
      if (!res.writableFinished) abandon.abort(new ClientGoneError("client closed the connection"));
    };
    res.once("close", onClose);
    let deadline: NodeJS.Timeout | undefined;
    const startDeadline = (): void => {
      clearTimeout(deadline);
      deadline = setTimeout(
        () => abandon.abort(new DeadlineError(`no answer within ${timeouts.deadlineMs} ms`)),
        timeouts.deadlineMs,
      );
    };
    const grants: Grant[] = [];
    const acquire = async (budget: ByteBudget, bytes: number): Promise<Grant> => {
      const grant = await budget.acquire(bytes, signal);
      grants.push(grant);
      return grant;
    };
    try {
      // 1. The raw body, charged before a byte of it is read: an unread body
      //    stays in the socket buffers (TCP backpressure on the client).
      startDeadline();
      const rawGrant = await acquire(rawBudget, declared ?? limits.maxBodyBytes);
      clearTimeout(deadline); // the upload itself is bounded by timeouts.requestMs
      const raw = await readBody(req, limits.maxBodyBytes, declared);
      rawGrant.shrink(raw.length);
      metrics.bytesIn.inc({ encoding }, raw.length);
      span.setAttribute("http.request.body.size", raw.length);
      startDeadline();

      // 2. Decoding and encoding, charged at their largest for this body.
      const client = proxiedClientAddress(req.socket) ?? clientAddress(req.socket.remoteAddress);
      const context = {
        source,
        client,
        receiver: receiverName,
        receivedAt: new Date().toISOString(),
        ...(keyedBase === undefined ? {} : { idBase: keyedBase }),
      };
      const perLine = envelopeOverhead(context);
      const decodedIsRaw = encoding === "identity";
      const encodeWithin = (decodedCap: number) =>
        tracing.withSpan(
          "decode",
          {
            parent: span,
            attributes: {
              "log_receiver.content_encoding": encoding,
              "log_receiver.format": format,
              "log_receiver.decoded_cap_bytes": decodedCap,
              "log_receiver.native": nativeEncoder !== undefined,
            },
          },
          async (decodeSpan) => {
            const work = await acquire(
              workBudget,
              workBound(decodedCap, decodedIsRaw, perLine, limits.maxLines),
            );
            const encoded = await encodeRequest(
              raw,
              encoding,
              format,
              { ...limits, maxDecompressedBytes: decodedCap },
              context,
              nativeEncoder,
            );
            signal.throwIfAborted();
            decodeSpan.setAttributes({
              "log_receiver.lines": encoded.batch.count,
              "log_receiver.envelope_bytes": encoded.batch.data.length,
            });
            return { work, encoded, decodedCap };
          },
        );
      // A gzip body is charged what its trailer says it inflates to, and
      // inflated with that as the cap; a body that lied (or has several
      // members) is charged the full limit and inflated again.
      const hint = decodedIsRaw ? raw.length : gzipSizeHint(raw, limits.maxDecompressedBytes);
      let step;
      try {
        step = await encodeWithin(hint);
      } catch (error) {
        const capped =
          error instanceof HttpError &&
          error.reason === "decompressed_too_large" &&
          hint < limits.maxDecompressedBytes;
        if (!capped) throw error;
        grants.pop()?.release();
        step = await encodeWithin(limits.maxDecompressedBytes);
      }
      const { batch, idBase } = step.encoded;
      step.work.shrink(workAfterEncoding(step.decodedCap, decodedIsRaw, batch.data.length));
      let accepted = 0;
      if (batch.count > 0) {
        let records;
        try {
          records = cutRecords(
            batch.data,
            batch.ends,
            (position) => lineId(idBase, batch.indexes[position] as number),
            limits.maxRecordBytes,
          );
        } catch (error) {
          if (!(error instanceof EnvelopeTooLargeError)) throw error;
          throw new HttpError(
            413,
            "line_too_long",
            `Line ${batch.indexes[error.position] as number} does not fit in one Kinesis record once encoded`,
          );
        }
        // 3. Storing: each PutRecords call is charged the SDK's copies while in flight.
        span.setAttribute("log_receiver.records", records.length);
        await putAllRecords(options.kinesis, options.streamName, records, packLimits, retry, putHooks, {
          signal,
          budget: putBudget,
          ...(tracing.enabled ? { trace: { tracing, parent: span } } : {}),
        });
        accepted = batch.count;
      }
      span.setAttribute("log_receiver.lines", accepted);
      metrics.lines.inc({ source }, accepted);
      log.debug({ source, accepted }, "batch stored");
      sendJson(res, 200, { accepted });
    } catch (error) {
      // Whatever failed after the abort, the abort is the reason.
      throw signal.aborted ? signal.reason : error;
    } finally {
      clearTimeout(deadline);
      res.off("close", onClose);
      for (const grant of grants) grant.release();
    }
  };

  /**
   * `POST /v1/logs` in a SERVER span "receive" (children: "decode", one
   * "PutRecords" per call and attempt); its log lines carry the trace id.
   * ERROR status for a 5xx answer (OpenTelemetry's rule for server spans:
   * a 4xx is the client's fault), `error.type` the reason of any error answer.
   */
  const receive = (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> =>
    tracing.withSpan(
      "receive",
      {
        kind: SpanKind.SERVER,
        attributes: {
          "http.request.method": req.method ?? "",
          "http.route": "/v1/logs",
          "url.path": "/v1/logs",
        },
      },
      async (span) => {
        const log = span.isRecording() ? logger.child(traceLogFields(span)) : logger;
        let failure: HttpError | undefined;
        try {
          if (req.method !== "POST") throw methodNotAllowed("POST");
          await ingest(req, res, span, log);
        } catch (error) {
          failure = respondError(req, res, error, log);
          span.setAttribute("error.type", failure?.reason ?? "client_gone");
        }
        if (res.headersSent) span.setAttribute("http.response.status_code", res.statusCode);
        if (failure !== undefined && failure.status >= 500) {
          markError(span, `${failure.status} ${failure.reason}: ${failure.message}`);
        }
      },
    );

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    metrics.inFlight.inc();
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const route = KNOWN_ROUTES.has(path) ? path : "other";
    const timer = metrics.requestSeconds.startTimer({ route });
    res.once("close", () => metrics.inFlight.dec());
    res.once("finish", () => {
      metrics.requests.inc({ status: String(res.statusCode) });
      timer({ status: String(res.statusCode) });
    });
    try {
      if (path === "/v1/logs") {
        await receive(req, res);
      } else if (path === "/healthz") {
        // Liveness: the process serves HTTP (503 only while draining, for the NLB).
        if (req.method !== "GET" && req.method !== "HEAD") throw methodNotAllowed("GET, HEAD");
        sendJson(res, draining ? 503 : 200, { status: draining ? "draining" : "ok" });
      } else if (path === "/readyz") {
        if (req.method !== "GET" && req.method !== "HEAD") throw methodNotAllowed("GET, HEAD");
        const kinesisDown = lastCallFailedAt !== undefined && Date.now() - lastCallFailedAt < READY_HOLD_MS;
        const status = draining ? "draining" : kinesisDown ? "kinesis_unavailable" : "ready";
        sendJson(res, status === "ready" ? 200 : 503, { status });
      } else if (
        path === "/metrics" &&
        (options.publicMetrics === true || isLoopback(req.socket.remoteAddress))
      ) {
        if (req.method !== "GET") throw methodNotAllowed("GET");
        reportBudgets();
        const text = await metrics.registry.metrics();
        res.writeHead(200, { "Content-Type": metrics.registry.contentType });
        res.end(text);
      } else {
        throw new HttpError(404, "not_found", `No route for ${path ?? "/"}; POST /v1/logs to send lines`);
      }
    } catch (error) {
      respondError(req, res, error, logger);
    }
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => void handle(req, res);
  const server: http.Server =
    options.tls === undefined
      ? http.createServer(listener)
      : https.createServer({ cert: options.tls.cert, key: options.tls.key }, listener);
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = timeouts.requestMs;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  const proxyFront =
    options.proxyProtocol === true
      ? acceptProxyProtocol(server, {
          headerTimeoutMs: timeouts.headersMs,
          onReject: ({ reason, detail, remoteAddress }) => {
            metrics.rejects.inc({ reason: `proxy_header_${reason}` });
            logger.warn(
              { reason, detail, remoteAddress },
              "connection closed: no valid PROXY protocol header",
            );
          },
        })
      : undefined;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `${options.tls === undefined ? "http" : "https"}://${host}:${address.port}`;
  logger.info(
    { url, stream: options.streamName, tokens: options.tokens.map((t) => t.name), budgets, limits },
    "receiver listening",
  );
  if (native.problem !== undefined) {
    logger.warn(
      { problem: native.problem },
      "native encoder unavailable; using the TypeScript path (slower)",
    );
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    metrics: metrics.registry,
    close() {
      closing ??= new Promise<void>((resolve) => {
        draining = true;
        const force = setTimeout(() => server.closeAllConnections(), timeouts.drainMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          logger.info("receiver closed");
          resolve();
        });
        server.closeIdleConnections();
        proxyFront?.closePending();
      });
      return closing;
    },
  };
}

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function methodNotAllowed(allow: string): HttpError {
  return new HttpError(405, "method_not_allowed", `Method not allowed; use ${allow}`, { Allow: allow });
}

function bodyTooLarge(max: number): HttpError {
  return new HttpError(
    413,
    "body_too_large",
    `Request body is larger than ${max} bytes; send smaller batches`,
  );
}

/**
 * Reads the whole body, failing fast (413) once it passes `max` bytes. With a
 * declared length the body is copied into one buffer of that size as it
 * arrives (no chunk list and concatenation: half the peak memory).
 */
function readBody(req: http.IncomingMessage, max: number, declared: number | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const into = declared === undefined ? undefined : Buffer.allocUnsafe(declared);
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      if (size + chunk.length > (into?.length ?? max)) {
        // Node's parser stops at Content-Length, so only a chunked body gets here.
        failed = true;
        chunks.length = 0;
        reject(bodyTooLarge(max));
        return;
      }
      if (into === undefined) chunks.push(chunk);
      else chunk.copy(into, size);
      size += chunk.length;
    });
    req.once("end", () => {
      if (!failed) resolve(into === undefined ? Buffer.concat(chunks, size) : into.subarray(0, size));
    });
    req.once("close", () => {
      if (!req.complete && !failed) reject(new ClientGoneError("client closed the connection mid-body"));
    });
  });
}

/**
 * After an early error answer, reads and drops the rest of the body so the
 * client (still uploading) can read the answer, instead of getting a reset.
 * Past `cap` more bytes the connection is cut: nobody should upload gigabytes
 * just to learn it was too much.
 */
function discardRest(req: http.IncomingMessage, res: http.ServerResponse, cap: number): void {
  if (req.complete) return;
  if (Number(req.headers["content-length"] ?? 0) > cap) res.setHeader("Connection", "close");
  let discarded = 0;
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > cap) req.socket.destroy();
  });
  req.resume();
}
