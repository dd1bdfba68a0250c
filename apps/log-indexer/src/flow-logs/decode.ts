/**
 * CloudWatch Logs subscription payloads → `vpcflow` bulk items.
 *
 * A subscription filter delivers `event.awslogs.data`: base64 of gzip of the
 * JSON `{ messageType, owner, logGroup, logStream, subscriptionFilters,
 * logEvents: [{ id, timestamp, message }] }`. `CONTROL_MESSAGE`s (sent when
 * the subscription is created, to check the destination) carry no records.
 * Each log event of a flow-log group is one flow log record; its `id` is
 * stable across redeliveries and becomes the document `_id`, so a retried
 * invocation meets 409 instead of indexing twice.
 */
import { gunzipSync } from "node:zlib";
import type { BulkItem } from "../../../lib/opensearch/bulk";
import { bulkItem, indexName, utcDay } from "../../../lib/opensearch/bulk";
import { VPCFLOW_PREFIX } from "./family";
import type { FlowDocument, FlowLogFormat } from "./format";
import { parseRecord } from "./format";

/** One log event of a subscription payload. */
export interface SubscriptionLogEvent {
  readonly id: string;
  /** Epoch milliseconds at which CloudWatch Logs received the event. */
  readonly timestamp: number;
  readonly message: string;
}

/** The decoded `awslogs.data` of a subscription filter's event. */
export interface SubscriptionPayload {
  readonly messageType: string;
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters: readonly string[];
  readonly logEvents: readonly SubscriptionLogEvent[];
}

/** `awslogs.data` that is not a subscription payload: retrying cannot fix it. */
export class SubscriptionDecodeError extends Error {
  override readonly name = "SubscriptionDecodeError";
}

/** The message types CloudWatch Logs sends to a subscription's destination. */
const MESSAGE_TYPES: ReadonlySet<string> = new Set(["DATA_MESSAGE", "CONTROL_MESSAGE"]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Decodes `event.awslogs.data` (base64 → gunzip → JSON) and checks its shape.
 *
 * @throws SubscriptionDecodeError saying which step failed or which key is missing.
 */
export function decodeSubscriptionData(data: string): SubscriptionPayload {
  // Buffer.from(…, "base64") skips invalid characters silently; check first.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data.trim()) || data.trim() === "")
    throw new SubscriptionDecodeError("awslogs.data is not base64");
  let json: string;
  try {
    json = gunzipSync(Buffer.from(data, "base64")).toString("utf8");
  } catch (error) {
    throw new SubscriptionDecodeError(`awslogs.data is not gzip: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new SubscriptionDecodeError(`awslogs.data is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(value)) throw new SubscriptionDecodeError("awslogs.data is not a JSON object");
  const problems: string[] = [];
  for (const key of ["messageType", "owner", "logGroup", "logStream"] as const)
    if (typeof value[key] !== "string") problems.push(`${key} is not a string`);
  if (typeof value.messageType === "string" && !MESSAGE_TYPES.has(value.messageType))
    problems.push(
      `messageType ${JSON.stringify(value.messageType)} is neither DATA_MESSAGE nor CONTROL_MESSAGE`,
    );
  const filters = value.subscriptionFilters ?? [];
  if (!Array.isArray(filters) || !filters.every((f) => typeof f === "string"))
    problems.push("subscriptionFilters is not a list of strings");
  const control = value.messageType === "CONTROL_MESSAGE";
  // A control message's event has an empty id and a health-check text: not checked, not kept.
  const events = control ? [] : (value.logEvents ?? []);
  if (!Array.isArray(events)) problems.push("logEvents is not a list");
  else
    events.forEach((event, i) => {
      if (
        !isRecord(event) ||
        typeof event.id !== "string" ||
        event.id === "" ||
        typeof event.timestamp !== "number" ||
        typeof event.message !== "string"
      )
        problems.push(`logEvents[${i}] is not { id, timestamp, message }`);
    });
  if (problems.length > 0) throw new SubscriptionDecodeError(`awslogs.data: ${problems.join("; ")}`);
  return {
    messageType: value.messageType as string,
    owner: value.owner as string,
    logGroup: value.logGroup as string,
    logStream: value.logStream as string,
    subscriptionFilters: filters as string[],
    logEvents: events as SubscriptionLogEvent[],
  };
}

/** What a `vpcflow` item was built from: kept for the failed prefix when a document is rejected. */
export interface FlowLinePayload {
  /** The log event id (= the document `_id`). */
  readonly id: string;
  readonly logGroup: string;
  readonly logStream: string;
  /** Epoch milliseconds of the log event. */
  readonly timestamp: number;
  /** The record line as received. */
  readonly line: string;
}

/** A record line that gives no document, and why. */
export interface UnparseableLine {
  readonly payload: FlowLinePayload;
  readonly reason: string;
}

/** The items of one payload, and the lines that could not be parsed (none is dropped). */
export interface FlowItems {
  readonly items: BulkItem<FlowLinePayload>[];
  readonly unparseable: UnparseableLine[];
}

/** ISO-8601 of epoch milliseconds, or undefined when the number is no time. */
function isoOf(ms: number): string | undefined {
  const time = new Date(ms);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/**
 * The `create` items of a subscription payload, one per log event, in
 * `vpcflow-YYYY.MM.DD` of the record's `start` (of the event's timestamp
 * when the record has no start). A `CONTROL_MESSAGE` gives nothing.
 */
export function flowLogItems(payload: SubscriptionPayload, format: FlowLogFormat): FlowItems {
  const items: BulkItem<FlowLinePayload>[] = [];
  const unparseable: UnparseableLine[] = [];
  if (payload.messageType !== "DATA_MESSAGE") return { items, unparseable };
  for (const event of payload.logEvents) {
    const line: FlowLinePayload = {
      id: event.id,
      logGroup: payload.logGroup,
      logStream: payload.logStream,
      timestamp: event.timestamp,
      line: event.message,
    };
    const parsed = parseRecord(event.message, format);
    if (!parsed.ok) {
      unparseable.push({ payload: line, reason: parsed.reason });
      continue;
    }
    const document: FlowDocument = parsed.document;
    document["@timestamp"] ??= isoOf(event.timestamp);
    const day = document["@timestamp"] === undefined ? undefined : utcDay(document["@timestamp"]);
    if (day === undefined) {
      unparseable.push({ payload: line, reason: `no time: no start and event timestamp ${event.timestamp}` });
      continue;
    }
    document.log_group = payload.logGroup;
    document.log_stream = payload.logStream;
    items.push(bulkItem("create", indexName(VPCFLOW_PREFIX, day), event.id, JSON.stringify(document), line));
  }
  return { items, unparseable };
}
