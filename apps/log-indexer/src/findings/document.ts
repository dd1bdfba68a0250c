/**
 * The `findings` document (the shared contract of the index family) and its
 * bulk item: index `findings-YYYY.MM.DD` of the finding's CREATED day and
 * `_id` = the finding id, written with `index` (overwrite), so every later
 * update of a finding replaces the same document instead of adding one.
 * (The created day never changes for a finding, so its index does not either.)
 */
import { createHash } from "node:crypto";
import type { BulkItem } from "../../../lib/opensearch/bulk";
import { bulkItem, indexName, utcDay } from "../../../lib/opensearch/bulk";
import type { SeverityLabel } from "./severity";

/** Index prefix of the family. */
export const FINDINGS_PREFIX = "findings";

/** OpenSearch refuses an `_id` longer than 512 bytes. */
export const MAX_ID_BYTES = 512;

/** Products whose findings are indexed. */
export type FindingProduct = "guardduty" | "securityhub";

/** One finding as indexed. Optional fields are left out when the finding has no value for them. */
export interface FindingDocument {
  /** = `updated_at`: the dashboards' time axis shows when a finding last changed. */
  readonly "@timestamp": string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly finding_id: string;
  readonly product: FindingProduct;
  /** GuardDuty's `type`; Security Hub's `Types` (an array). */
  readonly type?: string | readonly string[];
  readonly title?: string;
  readonly description?: string;
  readonly severity_label: SeverityLabel;
  /** 0–100: Security Hub `Normalized`, GuardDuty severity × 10. */
  readonly severity_score: number;
  readonly account_id?: string;
  readonly region?: string;
  readonly resource_type?: string;
  readonly resource_id?: string;
  readonly workflow_status?: string;
  readonly record_state?: string;
  /** The whole finding as received (stored, not indexed). */
  readonly raw: Record<string, unknown>;
}

/** A mapping's result: the document, or why the finding cannot be indexed. */
export type Mapped =
  { readonly ok: true; readonly document: FindingDocument } | { readonly ok: false; readonly reason: string };

/** The `_id` of a finding: its id, or the id's SHA-256 (hex) when longer than {@link MAX_ID_BYTES} bytes. */
export function documentId(findingId: string): string {
  if (Buffer.byteLength(findingId) <= MAX_ID_BYTES) return findingId;
  return createHash("sha256").update(findingId).digest("hex");
}

/**
 * The bulk item of a document: `index` (an update overwrites) with the
 * finding's `updated_at` (epoch ms) as an external version, `external_gte`:
 * OpenSearch keeps whichever report of a finding is the newest, whatever
 * order they arrive in (a redelivered older message answers 409, counted as
 * done, instead of overwriting a newer update), and an equal version (a
 * change that did not move `updated_at`, a retry) still overwrites.
 *
 * @throws Error when `created_at` is not an ISO-8601 time (mappers check it first).
 */
export function findingItem<P>(document: FindingDocument, payload: P): BulkItem<P> {
  const day = utcDay(document.created_at);
  if (day === undefined) throw new Error(`created_at ${JSON.stringify(document.created_at)} is not ISO-8601`);
  const index = indexName(FINDINGS_PREFIX, day);
  const id = documentId(document.finding_id);
  const json = JSON.stringify(document);
  const version = Math.max(0, Date.parse(document.updated_at));
  return bulkItem("index", index, id, json, payload, Buffer.byteLength(json), version);
}

// ---- helpers shared by the two mappers ----

/** `value` when it is an object (not an array, not null). */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `value` when it is a non-empty string. */
export function asString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** `value` when it is a finite number, or a string holding one (GuardDuty and ASFF both have numeric strings). */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * A finding time normalised to UTC ISO-8601 (`…Z`, milliseconds), so that
 * `@timestamp` and the index day agree whatever offset the product wrote.
 *
 * @returns undefined when the value is not an ISO-8601 date-time.
 */
export function isoTime(value: unknown): string | undefined {
  if (typeof value !== "string" || utcDay(value) === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Drops the `undefined` members so that the stored document has only the fields the finding has. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
