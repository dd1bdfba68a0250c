/**
 * Pure pieces of OpenSearch `_bulk` indexing shared by every indexer: the
 * daily index name, the action/document line pair of one document,
 * byte-bounded bodies, and the per-item reading of a bulk response.
 */
import type { PairWriter, WrittenPair } from "./pair-writer";

/** Default upper bound of one `_bulk` request body (OpenSearch's smallest HTTP limit is 10 MiB). */
export const DEFAULT_BULK_MAX_BYTES = 5 * 1024 * 1024;

/** A UTC day (zero-padded), the unit of the daily indices. */
export interface EventDay {
  readonly year: string;
  readonly month: string;
  readonly day: string;
}

const UTC_DAY = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * The UTC day of an ISO-8601 date-time. `…Z` is read directly; an explicit
 * offset is converted to UTC first so a document lands in the same index
 * whoever wrote its time.
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

/**
 * The bulk operation of an item: `create` makes a retry of an already indexed
 * document answer 409 instead of rewriting it (append-only logs); `index`
 * overwrites (documents that are updated in place, e.g. findings).
 */
export type BulkOp = "create" | "index";

/** One document ready for `_bulk`, carrying the caller's source record as `payload`. */
export interface BulkItem<P = unknown> {
  /** The document's `_id`. */
  readonly id: string;
  readonly index: string;
  readonly op: BulkOp;
  /** `{"<op>":{"_index":…,"_id":…}}`. */
  readonly action: string;
  /** The document source, on one line (no `\n`). */
  readonly document: string;
  /**
   * `document` as the pieces it was concatenated from, when it was (their
   * join is `document`). {@link bulkBody} writes them one by one: writing the
   * concatenation itself would make V8 flatten it into a copy first, and those
   * copies, kept until the body is full, halved the CloudTrail indexer's
   * throughput (measured), whose documents are a time prefix and a slice of
   * the file's text.
   */
  readonly documentParts?: readonly string[];
  /** UTF-8 size of `action\ndocument\n`. */
  readonly bytes: number;
  /** What the caller built the document from (kept for rejections: failed-prefix archives). */
  readonly payload: P;
}

/**
 * Builds a bulk item: the action line and the UTF-8 size of the pair.
 *
 * @param document the source on one line; it must not contain `\n`.
 * @param documentBytes UTF-8 size of `document` when the caller already knows it
 *   (saves a pass over large documents); default: measured.
 * @param externalVersion a version the source assigns (e.g. a finding's update
 *   time in ms), sent with `version_type: external_gte`: an older version
 *   arriving late is answered 409 (done) instead of overwriting a newer one,
 *   and an equal one (a retry) still writes.
 */
export function bulkItem<P>(
  op: BulkOp,
  index: string,
  id: string,
  document: string,
  payload: P,
  documentBytes: number = Buffer.byteLength(document),
  externalVersion?: number,
): BulkItem<P> {
  const start = actionStart(op, index);
  const plainId = PLAIN_ASCII.test(id);
  const version =
    externalVersion === undefined ? "" : `,"version":${externalVersion},"version_type":"external_gte"`;
  const action = `${start.text}${plainId ? `"${id}"` : JSON.stringify(id)}${version}}}`;
  // A plain ASCII action has as many bytes as characters: no measuring pass (a third of this
  // function's time when every line of a batch was measured).
  const actionBytes = start.ascii && plainId ? action.length : Buffer.byteLength(action);
  return { id, index, op, action, document, bytes: actionBytes + documentBytes + 2, payload };
}

/** Printable ASCII without `"` and `\`: JSON-quoted by adding the quotes, one byte per character. */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `{"<op>":{"_index":<index>,"_id":` per op and index (a batch has a handful of indices). */
const actionStarts = new Map<string, { readonly text: string; readonly ascii: boolean }>();
/** The last one asked for: consecutive items nearly always share op and index (no key to build). */
let lastStart = { op: "", index: "", start: { text: "", ascii: true } };

function actionStart(op: BulkOp, index: string): { readonly text: string; readonly ascii: boolean } {
  if (op === lastStart.op && index === lastStart.index) return lastStart.start;
  const key = `${op} ${index}`;
  let start = actionStarts.get(key);
  if (start === undefined) {
    if (actionStarts.size >= 10_000) actionStarts.clear();
    const text = `{"${op}":{"_index":${JSON.stringify(index)},"_id":`;
    start = { text, ascii: Buffer.byteLength(text) === text.length };
    actionStarts.set(key, start);
  }
  lastStart = { op, index, start };
  return start;
}

/** Writes the action line of a `create`/`index` of `id` into `writer` (see pair-writer.ts). */
export function writeAction(writer: PairWriter, op: BulkOp, index: string, id: string): void {
  const start = actionStart(op, index);
  if (start.ascii) writer.ascii(start.text);
  else writer.utf8(start.text);
  if (!writer.plainString(id)) writer.utf8(JSON.stringify(id));
  writer.ascii("}}");
  writer.endAction();
}

/**
 * A bulk item whose pair is already UTF-8 bytes (written by a
 * {@link PairWriter}): {@link bulkBody} copies them as they are. `action`
 * and `document` are decoded when read (tests, diagnostics), not kept.
 */
export class BufferedBulkItem<P = unknown> implements BulkItem<P> {
  readonly bytes: number;

  constructor(
    readonly op: BulkOp,
    readonly index: string,
    readonly id: string,
    readonly pair: WrittenPair,
    readonly payload: P,
  ) {
    this.bytes = pair.end - pair.start;
  }

  get action(): string {
    return this.pair.buffer.toString("utf8", this.pair.start, this.pair.documentStart - 1);
  }

  get document(): string {
    return this.pair.buffer.toString("utf8", this.pair.documentStart, this.pair.end - 1);
  }
}

/**
 * The NDJSON body of a `_bulk` request, written straight into a Buffer of the
 * items' known size. Joining the pairs as one string instead made V8 build a
 * rope of every document, flatten it, and measure and encode it again at
 * send time: about a third of the log indexer's CPU for a 5 MiB body.
 *
 * @throws Error when an item's `bytes` is not the UTF-8 size of its pair (a
 *   `documentBytes` passed to {@link bulkItem} that was wrong): a body with a
 *   cut document must never be sent.
 */
export function bulkBody(items: readonly BulkItem[]): Buffer {
  let total = 0;
  for (const item of items) total += item.bytes;
  const body = Buffer.allocUnsafe(total + UTF8_MAX_CHAR_BYTES);
  let offset = 0;
  // Buffered pairs written one after the other lie one after the other in their chunk:
  // they are copied as one run (one call instead of one per item).
  let run: Buffer | undefined;
  let runStart = 0;
  let runEnd = 0;
  const flushRun = () => {
    if (run !== undefined) offset += run.copy(body, offset, runStart, runEnd);
    run = undefined;
  };
  for (const item of items) {
    if (item instanceof BufferedBulkItem) {
      const { pair } = item;
      if (pair.buffer === run && pair.start === runEnd) {
        runEnd = pair.end;
      } else {
        flushRun();
        run = pair.buffer;
        runStart = pair.start;
        runEnd = pair.end;
      }
      continue;
    }
    flushRun();
    const start = offset;
    offset += body.write(item.action, offset);
    body[offset++] = NEWLINE;
    const parts = item.documentParts;
    if (parts === undefined) offset += offset <= body.length ? body.write(item.document, offset) : 0;
    else for (const part of parts) offset += offset <= body.length ? body.write(part, offset) : 0;
    body[offset++] = NEWLINE;
    if (offset - start !== item.bytes) {
      const actual = Buffer.byteLength(`${item.action}\n${item.document}\n`);
      throw new Error(`bulk item ${item.index}/${item.id} says ${item.bytes} bytes but takes ${actual}`);
    }
  }
  flushRun();
  return body.subarray(0, total);
}

const NEWLINE = 0x0a;
/**
 * Slack past the end of a body: a pair longer than its `bytes` then always
 * writes at least one byte more than it claims (a whole character fits), so
 * the size check cannot be fooled by a write cut at a character boundary.
 */
const UTF8_MAX_CHAR_BYTES = 4;

/** Accumulates items into bodies of at most `maxBytes` (a single larger item still gets a body of its own). */
export class BulkBatcher<P = unknown> {
  private items: BulkItem<P>[] = [];
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  /** Adds an item; returns the full batch it displaced, if adding it would exceed the bound. */
  add(item: BulkItem<P>): BulkItem<P>[] | undefined {
    let full: BulkItem<P>[] | undefined;
    if (this.items.length > 0 && this.size + item.bytes > this.maxBytes) full = this.take();
    this.items.push(item);
    this.size += item.bytes;
    return full;
  }

  /** Removes and returns what is pending (possibly nothing). */
  take(): BulkItem<P>[] {
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

/** Where `_bulk` bodies go: OpenSearch over HTTPS in Lambda, a local fake or preview sink otherwise. */
export interface BulkSink {
  /** POSTs one NDJSON body (see {@link bulkBody}) to `_bulk`; throws only when no HTTP response arrived. */
  bulk(body: Buffer): Promise<BulkResponse>;
}

/** Fate of one item of a bulk request. */
export type ItemOutcome =
  | { readonly kind: "indexed" }
  | { readonly kind: "duplicate" }
  | { readonly kind: "retry"; readonly status: number; readonly reason: string }
  /** The document itself is at fault: the caller files it as failed and the batch succeeds. */
  | { readonly kind: "rejected"; readonly status: number; readonly reason: string }
  /** The domain refuses writes (permissions, missing index, block): the batch must fail and wait. */
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
 * same bytes can never succeed, so the record is kept aside as failed.
 * Anything else that is not 2xx/409/429/5xx — 401/403/404, a cluster or index
 * block, a closed index — is about the domain, not the document, and fails
 * the batch so that it is retried once the domain is fixed.
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
