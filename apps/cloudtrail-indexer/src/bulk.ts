/**
 * Pure pieces of OpenSearch `_bulk` indexing: the daily index name, the
 * action/document line pair of one event, byte-bounded bodies, and the
 * per-item reading of a bulk response.
 */
import type { RawCloudTrailRecord } from "./split";

/** Default index prefix: events go to `cloudtrail-YYYY.MM.DD`. */
export const DEFAULT_INDEX_PREFIX = "cloudtrail";
/** Default upper bound of one `_bulk` request body (OpenSearch's smallest HTTP limit is 10 MiB). */
export const DEFAULT_BULK_MAX_BYTES = 5 * 1024 * 1024;

/** The UTC day of an event, from its `eventTime`. */
export interface EventDay {
  readonly year: string;
  readonly month: string;
  readonly day: string;
}

const UTC_DAY = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * The UTC day of an ISO-8601 time. CloudTrail writes `…Z`; an explicit offset
 * is converted to UTC first so an event lands in the same index whoever wrote it.
 *
 * @returns undefined when the text is not an ISO-8601 date-time.
 */
export function utcDay(time: string): EventDay | undefined {
  const direct = UTC_DAY.exec(time);
  if (direct !== null) {
    const [, year, month, day] = direct as unknown as [string, string, string, string];
    return { year, month, day };
  }
  if (!ISO_WITH_OFFSET.test(time)) return undefined;
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return { year: iso.slice(0, 4), month: iso.slice(5, 7), day: iso.slice(8, 10) };
}

/** `<prefix>-YYYY.MM.DD`. */
export function indexName(prefix: string, day: EventDay): string {
  return `${prefix}-${day.year}.${day.month}.${day.day}`;
}

/** One event ready for `_bulk`. */
export interface BulkItem {
  readonly eventID: string;
  readonly index: string;
  readonly day: EventDay;
  /** `{"create":{…}}` — `create`, so a retry of an indexed event answers 409 instead of rewriting it. */
  readonly action: string;
  /** The event with `@timestamp` first, on one line. */
  readonly document: string;
  /** UTF-8 size of `action\ndocument\n`. */
  readonly bytes: number;
  readonly record: RawCloudTrailRecord;
}

/** Why a record cannot be indexed (it is written to the failed prefix with this reason). */
export interface Unindexable {
  readonly reason: string;
  readonly record: RawCloudTrailRecord;
}

/**
 * Turns a raw record into a bulk item: `_id` = `eventID`, index from the
 * `eventTime` day, `@timestamp` = `eventTime` spliced into the raw JSON (no
 * parse/serialise round trip).
 */
export function prepareRecord(record: RawCloudTrailRecord, prefix: string): BulkItem | Unindexable {
  if (record.invalid !== undefined) return { reason: record.invalid, record };
  if (!record.isObject) return { reason: "record is not a JSON object", record };
  if (record.eventID === undefined || record.eventID === "") {
    return { reason: "record has no eventID string", record };
  }
  if (record.eventTime === undefined) return { reason: "record has no eventTime string", record };
  const day = utcDay(record.eventTime);
  if (day === undefined) {
    return { reason: `eventTime is not an ISO-8601 time: ${JSON.stringify(record.eventTime)}`, record };
  }
  const index = indexName(prefix, day);
  const action = `{"create":{"_index":"${index}","_id":${JSON.stringify(record.eventID)}}}`;
  const timestamp = `{"@timestamp":${JSON.stringify(record.eventTime)}`;
  // An object element always has at least `eventID`, so `{` is followed by a key and needs a comma.
  const document = `${timestamp},${record.json.slice(1)}`;
  const bytes = Buffer.byteLength(action) + Buffer.byteLength(timestamp) + 1 + record.bytes - 1 + 2;
  return { eventID: record.eventID, index, day, action, document, bytes, record };
}

/** Whether {@link prepareRecord} produced a bulk item. */
export function isBulkItem(prepared: BulkItem | Unindexable): prepared is BulkItem {
  return "action" in prepared;
}

/** The NDJSON body of a `_bulk` request. */
export function bulkBody(items: readonly BulkItem[]): string {
  let body = "";
  for (const item of items) body += `${item.action}\n${item.document}\n`;
  return body;
}

/** Accumulates items into bodies of at most `maxBytes` (a single larger item still gets a body of its own). */
export class BulkBatcher {
  private items: BulkItem[] = [];
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  /** Adds an item; returns the full batch it displaced, if adding it would exceed the bound. */
  add(item: BulkItem): BulkItem[] | undefined {
    let full: BulkItem[] | undefined;
    if (this.items.length > 0 && this.size + item.bytes > this.maxBytes) full = this.take();
    this.items.push(item);
    this.size += item.bytes;
    return full;
  }

  /** Removes and returns what is pending (possibly nothing). */
  take(): BulkItem[] {
    const items = this.items;
    this.items = [];
    this.size = 0;
    return items;
  }
}

/** What an OpenSearch endpoint answered to one `_bulk` request. */
export interface BulkResponse {
  readonly statusCode: number;
  /** The response body as received (JSON for OpenSearch itself, anything from a proxy). */
  readonly body: string;
}

/** Where `_bulk` bodies go: OpenSearch over HTTPS in Lambda, a local fake in tests. */
export interface BulkSink {
  /** POSTs one NDJSON body to `_bulk`; throws only when no HTTP response arrived. */
  bulk(body: string): Promise<BulkResponse>;
}

/** Fate of one item of a bulk request. */
export type ItemOutcome =
  | { readonly kind: "indexed" }
  | { readonly kind: "duplicate" }
  | { readonly kind: "retry"; readonly status: number; readonly reason: string }
  /** The document itself is at fault: it goes to the failed prefix and the message succeeds. */
  | { readonly kind: "rejected"; readonly status: number; readonly reason: string }
  /** The domain refuses writes (permissions, missing index, block): the message must fail and wait. */
  | { readonly kind: "refused"; readonly status: number; readonly reason: string };

interface BulkItemResult {
  readonly status?: number;
  readonly error?: { readonly type?: string; readonly reason?: string } | string;
}

/** Whether a status is worth retrying: throttling and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Bulk item error types that say the document cannot be indexed as it is
 * (mapping conflicts, unparsable fields, field-limit overflows): retrying the
 * same bytes can never succeed, so the record is kept in the failed prefix.
 * Anything else that is not 2xx/409/429/5xx — 401/403/404, a cluster or index
 * block, a closed index — is about the domain, not the document, and fails
 * the message so that it is retried once the domain is fixed.
 */
export const DOCUMENT_ERROR_TYPES: ReadonlySet<string> = new Set([
  "mapper_parsing_exception",
  "document_parsing_exception",
  "illegal_argument_exception",
  "strict_dynamic_mapping_exception",
  "mapper_exception",
  "parse_exception",
  "json_parse_exception",
  "x_content_parse_exception",
  "number_format_exception",
]);

/** Errors that are blocks (read-only index, flood-stage disk watermark, write block), whatever their status. */
const BLOCK_ERROR_TYPES: ReadonlySet<string> = new Set([
  "cluster_block_exception",
  "index_create_block_exception",
]);

function describeError(result: BulkItemResult): string {
  const error = result.error;
  if (error === undefined) return `status ${result.status ?? "missing"}`;
  if (typeof error === "string") return error;
  return [error.type, error.reason].filter((part) => part !== undefined).join(": ");
}

/**
 * Classifies one item: 2xx done, 409 already indexed (done), a block
 * refused (even as 429: a flood-stage block lasts until disk is freed), other
 * 429/5xx retried, 400 with a {@link DOCUMENT_ERROR_TYPES} type rejected,
 * everything else refused.
 */
export function itemOutcome(status: number, reason: string, type?: string): ItemOutcome {
  if (status >= 200 && status < 300) return { kind: "indexed" };
  if (status === 409) return { kind: "duplicate" };
  if (type !== undefined && BLOCK_ERROR_TYPES.has(type)) return { kind: "refused", status, reason };
  if (isRetryableStatus(status)) return { kind: "retry", status, reason };
  if (status === 400 && type !== undefined && DOCUMENT_ERROR_TYPES.has(type)) {
    return { kind: "rejected", status, reason };
  }
  return { kind: "refused", status, reason };
}

/**
 * Reads the per-item results of a successful (2xx) `_bulk` response, in request order.
 *
 * @throws Error when the body is not a bulk response for `expected` items.
 */
export function parseBulkItems(body: string, expected: number): ItemOutcome[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`_bulk response is not JSON: ${body.slice(0, 200)}`);
  }
  const items = (parsed as { items?: unknown }).items;
  if (!Array.isArray(items) || items.length !== expected) {
    throw new Error(
      `_bulk response has ${Array.isArray(items) ? items.length : "no"} items for ${expected} actions`,
    );
  }
  if ((parsed as { errors?: unknown }).errors === false) return items.map(() => ({ kind: "indexed" }));
  return items.map((entry: unknown) => {
    const result = Object.values(entry as Record<string, BulkItemResult>)[0] ?? {};
    const status = typeof result.status === "number" ? result.status : 0;
    const type = typeof result.error === "object" ? result.error.type : undefined;
    return itemOutcome(status, describeError(result), type);
  });
}
