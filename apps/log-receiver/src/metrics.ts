import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The receiver's Prometheus metrics, in a registry of its own (several receivers can share a process in tests). */
export interface ReceiverMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"status">;
  readonly lines: Counter<"source">;
  readonly requestSeconds: Histogram<"route" | "status">;
  /** Requests waiting for memory, by budget (raw, work, put); the server sets how it is read. */
  readonly queueDepth: Gauge<"stage">;
  /** Bytes of each budget held now. */
  readonly budgetUsed: Gauge<"stage">;
  readonly bytesIn: Counter<"encoding">;
  readonly rejects: Counter<"reason">;
  readonly putSeconds: Histogram<"outcome">;
  readonly retries: Counter;
  readonly inFlight: Gauge;
}

/**
 * Creates the metrics. `withProcessMetrics` adds prom-client's default
 * process metrics (memory, event loop lag); the container turns it on, tests
 * leave it off so many receivers in one process do not add observers.
 */
export function createMetrics(withProcessMetrics: boolean): ReceiverMetrics {
  const registry = new Registry();
  if (withProcessMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: "log_receiver_requests_total",
      help: "HTTP requests answered, by status code",
      labelNames: ["status"],
      registers,
    }),
    lines: new Counter({
      name: "log_receiver_lines_total",
      help: "Lines acknowledged (stored in the stream), by source (the token's name)",
      labelNames: ["source"],
      registers,
    }),
    requestSeconds: new Histogram({
      name: "log_receiver_request_duration_seconds",
      help: "Time from request to answer, by route (/v1/logs, /healthz, /readyz, /metrics, other) and status",
      labelNames: ["route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30],
      registers,
    }),
    queueDepth: new Gauge({
      name: "log_receiver_queue_depth",
      help: "Requests waiting for memory, by stage (raw: before their body is read; work: to decode; put: to store)",
      labelNames: ["stage"],
      registers,
    }),
    budgetUsed: new Gauge({
      name: "log_receiver_memory_budget_used_bytes",
      help: "Bytes of each memory budget held by requests, by stage (raw, work, put)",
      labelNames: ["stage"],
      registers,
    }),
    bytesIn: new Counter({
      name: "log_receiver_bytes_in_total",
      help: "Request body bytes received, by content encoding (before decompression)",
      labelNames: ["encoding"],
      registers,
    }),
    rejects: new Counter({
      name: "log_receiver_rejects_total",
      help: "Requests not acknowledged, by reason",
      labelNames: ["reason"],
      registers,
    }),
    putSeconds: new Histogram({
      name: "log_receiver_kinesis_put_seconds",
      help: "Latency of one PutRecords call, by outcome (ok, partial, error)",
      labelNames: ["outcome"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    retries: new Counter({
      name: "log_receiver_kinesis_retried_records_total",
      help: "Kinesis records sent again after a failed entry or call",
      registers,
    }),
    inFlight: new Gauge({
      name: "log_receiver_requests_in_flight",
      help: "Requests being received or processed",
      registers,
    }),
  };
}
