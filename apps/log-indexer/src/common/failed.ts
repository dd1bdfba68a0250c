/**
 * Records that could not be indexed as they are, kept in the archive bucket
 * with their reason: a document OpenSearch rejected, a line that did not
 * parse, an event that is not a finding. Nothing the platform received is
 * dropped; these objects are where an operator finds it (and can replay it).
 *
 * One object per failed batch, gzip NDJSON, under a key the caller derives
 * from the batch (shard and first sequence number, log event id, message id),
 * so a retried batch overwrites its earlier object instead of adding one.
 */
import { GzipNdjson } from "../../../lib/gzip-ndjson";
import { normalizePrefix } from "../../../lib/s3-keys";
import type { ObjectWriter } from "./s3";
import { putObject } from "./s3";

/** One line of a failed-records object. */
export interface FailedEntry {
  /** Why the record was not indexed. */
  readonly reason: string;
  /** HTTP status of OpenSearch's answer, when OpenSearch rejected it. */
  readonly status?: number;
  /** The index it was meant for. */
  readonly index?: string;
  /** Its document id, when it had one. */
  readonly id?: string;
  /** Where it came from (stream and sequence number, log group and stream, queue message). */
  readonly source?: Readonly<Record<string, unknown>>;
  /** The original line, as text (base64 when it was not valid UTF-8; say so in `encoding`). */
  readonly line?: string;
  /** `base64` when `line` holds raw bytes. */
  readonly encoding?: "base64";
  /** The original record, when it was JSON (events, findings). */
  readonly record?: unknown;
}

/** `<prefix>year=YYYY/month=MM/day=DD/<name>.json.gz`, the day (UTC) of `time`: Hive-style partitions for Athena. */
export function failedObjectKey(prefix: string, time: Date, name: string): string {
  const iso = time.toISOString();
  const partitions = `year=${iso.slice(0, 4)}/month=${iso.slice(5, 7)}/day=${iso.slice(8, 10)}`;
  return `${normalizePrefix(prefix)}${partitions}/${name}.json.gz`;
}

/** The failed records of one batch, written only when there are some. */
export class FailedObject {
  private out: GzipNdjson | undefined;

  constructor(
    private readonly writer: ObjectWriter,
    private readonly bucket: string,
    private readonly key: string,
  ) {}

  /** Entries kept so far. */
  get count(): number {
    return this.out?.lines ?? 0;
  }

  /** Adds one entry. */
  async keep(entry: FailedEntry): Promise<void> {
    await (this.out ??= new GzipNdjson()).write(JSON.stringify(entry));
  }

  /** Writes the object (nothing when no entry was kept); returns its key, or undefined. */
  async put(): Promise<string | undefined> {
    if (this.out === undefined) return undefined;
    await putObject(this.writer, this.bucket, this.key, await this.out.finish(), "application/gzip");
    return this.key;
  }

  /** Drops what was kept (the batch failed as a whole and will be retried). */
  discard(): void {
    this.out?.discard();
    this.out = undefined;
  }
}
