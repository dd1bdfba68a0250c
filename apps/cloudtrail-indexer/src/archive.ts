/**
 * S3 outputs of the indexer: split events as NDJSON gzip (for Athena and for
 * running without OpenSearch) and the records that could not be indexed, with
 * their reason. Keys are a pure function of the source object, so a retried
 * message overwrites its earlier output instead of duplicating it.
 */
import { createHash } from "node:crypto";
import type { EventDay } from "./bulk";
import type { S3ObjectRef } from "./notifications";
import { GzipNdjson } from "../../lib/gzip-ndjson";
import { normalizePrefix } from "../../lib/s3-keys";

export { GzipNdjson };

/** Default prefix of the split events. */
export const DEFAULT_EVENTS_PREFIX = "cloudtrail-events/";
/** Default prefix of records that could not be indexed. */
export const DEFAULT_FAILED_PREFIX = "cloudtrail-failed/";

/** `<basename without .json.gz>-<12 hex of sha256(bucket/key)>`: readable, and unique across buckets and folders. */
export function sourceName(source: S3ObjectRef): string {
  const base = source.key.slice(source.key.lastIndexOf("/") + 1).replace(/\.json\.gz$|\.gz$|\.json$/, "");
  const hash = createHash("sha256").update(`${source.bucket}/${source.key}`).digest("hex").slice(0, 12);
  return `${base}-${hash}`;
}

/** `<prefix>year=YYYY/month=MM/day=DD/<sourceName>.json.gz` — Hive-style partitions for Athena. */
export function eventsKey(prefix: string, day: EventDay, source: S3ObjectRef): string {
  return `${normalizePrefix(prefix)}year=${day.year}/month=${day.month}/day=${day.day}/${sourceName(source)}.json.gz`;
}

/** `<prefix><source key without .json.gz>-<hash>.failed.json.gz`, next to where the source lives in the trail bucket's layout. */
export function failedKey(prefix: string, source: S3ObjectRef): string {
  const folder = source.key.slice(0, source.key.lastIndexOf("/") + 1);
  return `${normalizePrefix(prefix)}${folder}${sourceName(source)}.failed.json.gz`;
}

/** NDJSON gzip objects keyed by partition (one per UTC day of the events in a source file). */
export class PartitionedWriter {
  private readonly parts = new Map<string, { readonly key: string; readonly out: GzipNdjson }>();

  constructor(private readonly keyOf: (day: EventDay) => string) {}

  /** Appends a line to the object of `day`. */
  write(day: EventDay, line: string): Promise<void> {
    const id = `${day.year}-${day.month}-${day.day}`;
    let part = this.parts.get(id);
    if (part === undefined) {
      part = { key: this.keyOf(day), out: new GzipNdjson() };
      this.parts.set(id, part);
    }
    return part.out.write(line);
  }

  /** Finishes every object: `[key, gzip bytes, lines]`. */
  async finish(): Promise<{ key: string; body: Buffer; lines: number }[]> {
    const done = [];
    for (const { key, out } of this.parts.values())
      done.push({ key, body: await out.finish(), lines: out.lines });
    return done;
  }

  /** Drops everything (on failure). */
  discard(): void {
    for (const { out } of this.parts.values()) out.discard();
  }
}

/** One line of a failed-records object. */
export interface FailedLine {
  /** Why the record was not indexed. */
  readonly reason: string;
  /** HTTP status from OpenSearch (absent when the record was refused before sending). */
  readonly status?: number;
  readonly index?: string;
  readonly eventID?: string;
  readonly source: { readonly bucket: string; readonly key: string };
  /** The record's JSON text, embedded as JSON (or as a string when it was not valid JSON). */
  readonly recordJson: string;
}

/**
 * Serialises a {@link FailedLine}: the record goes under `event` as JSON, or
 * as a string (`eventText`) when its text is not valid JSON, so every line of
 * the object stays parseable and nothing of the record is lost.
 */
export function failedLine(line: FailedLine): string {
  let valid = true;
  try {
    JSON.parse(line.recordJson);
  } catch {
    valid = false;
  }
  const meta = {
    reason: line.reason,
    ...(line.status === undefined ? {} : { status: line.status }),
    ...(line.index === undefined ? {} : { index: line.index }),
    ...(line.eventID === undefined ? {} : { eventID: line.eventID }),
    source: line.source,
  };
  const head = JSON.stringify(meta).slice(0, -1);
  return valid
    ? `${head},"event":${line.recordJson}}`
    : `${head},"eventText":${JSON.stringify(line.recordJson)}}`;
}
