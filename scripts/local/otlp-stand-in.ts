/**
 * A local stand-in for an OpenTelemetry collector: an HTTP server on
 * 127.0.0.1 that accepts `POST /v1/traces` with OTLP/HTTP JSON bodies (what
 * `@opentelemetry/exporter-trace-otlp-http` sends), records every span and
 * prints span trees. `npm start` points the apps at it; tests use it to check
 * the spans of one request.
 *
 * Protobuf bodies (`application/x-protobuf`, the other OTLP/HTTP encoding)
 * are answered 415 with a message naming the setting to change, rather than
 * decoded: the apps only send JSON.
 * Format: https://opentelemetry.io/docs/specs/otlp/#otlphttp (JSON ids are hex strings).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/** OTLP span kinds (`SPAN_KIND_*`; the API's SpanKind plus one). */
export const OTLP_KINDS = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"] as const;
/** OTLP status codes. */
export const OTLP_STATUS = ["UNSET", "OK", "ERROR"] as const;

/** One span as the stand-in recorded it. */
export interface RecordedSpan {
  /** `service.name` of its resource. */
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Absent for a root span. */
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: (typeof OTLP_KINDS)[number];
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly status: { readonly code: (typeof OTLP_STATUS)[number]; readonly message?: string };
  readonly events: readonly {
    readonly name: string;
    readonly attributes: Readonly<Record<string, unknown>>;
  }[];
}

/** A running stand-in. */
export interface OtlpStandIn {
  /** `http://127.0.0.1:<port>`: what `OTEL_EXPORTER_OTLP_ENDPOINT` takes. */
  readonly url: string;
  /** `<url>/v1/traces`: what `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` takes. */
  readonly tracesUrl: string;
  /** Every span received, in arrival order. */
  readonly spans: readonly RecordedSpan[];
  /** Resolves with the spans once `predicate` holds for them (rejects after `timeoutMs`, default 5000). */
  waitFor(
    predicate: (spans: readonly RecordedSpan[]) => boolean,
    timeoutMs?: number,
  ): Promise<readonly RecordedSpan[]>;
  /** Forgets the spans received so far. */
  clear(): void;
  /** Spans per service, e.g. `log-receiver 12, access-log-transformer 4` (or `no spans`). */
  summary(): string;
  /** The span trees of `traceId` (default: every trace), one line per span, children indented. */
  tree(traceId?: string): string;
  close(): Promise<void>;
}

/** Bodies above this are refused (413): the SDK exports at most 512 spans per request. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Starts the stand-in on 127.0.0.1:`port` (0, the default, picks a free one). */
export async function startOtlpStandIn(options: { readonly port?: number } = {}): Promise<OtlpStandIn> {
  const spans: RecordedSpan[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (req.url?.split("?", 1)[0] !== "/v1/traces")
      return answer(404, { error: "only /v1/traces is served" });
    if (req.method !== "POST") return answer(405, { error: "POST only" });
    const type = (req.headers["content-type"] ?? "").split(";", 1)[0]?.trim().toLowerCase();
    if (type !== "application/json") {
      req.resume();
      return answer(415, {
        error: `this stand-in decodes OTLP/HTTP JSON only, got ${JSON.stringify(type)}; set OTEL_EXPORTER_OTLP_PROTOCOL=http/json`,
      });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) return answer(413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
      let parsed: RecordedSpan[];
      try {
        const raw = Buffer.concat(chunks);
        const body = req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
        parsed = parseExport(JSON.parse(body.toString("utf8")) as unknown);
      } catch (error) {
        return answer(400, { error: `not an OTLP JSON trace export: ${(error as Error).message}` });
      }
      spans.push(...parsed);
      for (const wake of waiters) wake();
      // ExportTraceServiceResponse: empty means every span was accepted.
      answer(200, {});
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tracesUrl: `${url}/v1/traces`,
    spans,
    waitFor: (predicate, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!predicate(spans)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(spans);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`spans not as expected after ${timeoutMs} ms; got:\n${renderTrees(spans)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    clear: () => void spans.splice(0),
    summary: () => summarize(spans),
    tree: (traceId) =>
      renderTrees(traceId === undefined ? spans : spans.filter((s) => s.traceId === traceId)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface OtlpValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpValue;
}

/** The spans of an `ExportTraceServiceRequest` in JSON. */
export function parseExport(body: unknown): RecordedSpan[] {
  const request = body as {
    resourceSpans?: {
      resource?: { attributes?: OtlpKeyValue[] };
      scopeSpans?: {
        spans?: {
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          name: string;
          kind?: number;
          startTimeUnixNano: string | number;
          endTimeUnixNano: string | number;
          attributes?: OtlpKeyValue[];
          status?: { code?: number; message?: string };
          events?: { name: string; attributes?: OtlpKeyValue[] }[];
        }[];
      }[];
    }[];
  };
  if (!Array.isArray(request.resourceSpans)) throw new Error("resourceSpans is missing");
  return request.resourceSpans.flatMap((resourceSpans) => {
    const name = attributesOf(resourceSpans.resource?.attributes)["service.name"];
    const service = typeof name === "string" ? name : "unknown";
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span): RecordedSpan => {
        const message = span.status?.message;
        return {
          service,
          traceId: span.traceId,
          spanId: span.spanId,
          ...(span.parentSpanId === undefined || span.parentSpanId === ""
            ? {}
            : { parentSpanId: span.parentSpanId }),
          name: span.name,
          kind: OTLP_KINDS[span.kind ?? 0] ?? "UNSPECIFIED",
          startNs: BigInt(span.startTimeUnixNano),
          endNs: BigInt(span.endTimeUnixNano),
          attributes: attributesOf(span.attributes),
          status: {
            code: OTLP_STATUS[span.status?.code ?? 0] ?? "UNSET",
            ...(message === undefined || message === "" ? {} : { message }),
          },
          events: (span.events ?? []).map((event) => ({
            name: event.name,
            attributes: attributesOf(event.attributes),
          })),
        };
      }),
    );
  });
}

function attributesOf(list: readonly OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]));
}

function valueOf(value: OtlpValue | undefined): unknown {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

function summarize(spans: readonly RecordedSpan[]): string {
  if (spans.length === 0) return "no spans";
  const counts = new Map<string, number>();
  for (const span of spans) counts.set(span.service, (counts.get(span.service) ?? 0) + 1);
  const errors = spans.filter((span) => span.status.code === "ERROR").length;
  const services = [...counts].map(([service, count]) => `${service} ${count}`).join(", ");
  return `${spans.length} spans (${services}), ${errors} with ERROR status`;
}

/** One line per span, children under their parent; spans whose parent is not here count as roots. */
export function renderTrees(spans: readonly RecordedSpan[]): string {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string, RecordedSpan[]>();
  const roots: RecordedSpan[] = [];
  for (const span of [...spans].sort((a, b) =>
    a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0,
  )) {
    if (span.parentSpanId === undefined || !ids.has(span.parentSpanId)) roots.push(span);
    else children.set(span.parentSpanId, [...(children.get(span.parentSpanId) ?? []), span]);
  }
  const lines: string[] = [];
  const visit = (span: RecordedSpan, depth: number): void => {
    const ms = (Number(span.endNs - span.startNs) / 1e6).toFixed(1);
    const status =
      span.status.code === "ERROR"
        ? ` ERROR${span.status.message === undefined ? "" : ` (${span.status.message})`}`
        : "";
    const attributes = Object.entries(span.attributes)
      .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
      .join(" ");
    const head = depth === 0 ? `${span.service} trace ${span.traceId} ` : "";
    lines.push(
      `${"  ".repeat(depth)}${head}${span.name} [${span.kind}] ${ms} ms${status}${attributes === "" ? "" : ` ${attributes}`}`,
    );
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return lines.join("\n");
}
