/**
 * The wire format of the "ingest" Kinesis stream, shared by every producer
 * (log-receiver) and consumer (access-log-transformer, Firehose archive).
 *
 * One Kinesis record carries one or more envelopes as NDJSON (one JSON object
 * per line, `\n` separated, no trailing newline required). Producers pack as
 * many envelopes as fit under {@link MAX_RECORD_BYTES}.
 *
 * Other producers (fluentd's fluent-plugin-kinesis, raw `PutRecord` calls)
 * write records that are not envelopes; consumers must accept those too.
 */
export interface IngestEnvelope {
  /** Stable id of the line: the same line re-sent after a failure keeps its id, so consumers can deduplicate. */
  readonly id: string;
  /** ISO-8601 UTC time the receiver accepted the line. */
  readonly receivedAt: string;
  /** Host name of the receiver that accepted the line. */
  readonly receiver: string;
  /** Address of the client that sent the line (the real one, as seen through the NLB). */
  readonly client: string;
  /** Name of the ingest token the client authenticated with (never the token itself). */
  readonly source?: string;
  /** The original line, when it was plain text. */
  readonly message?: string;
  /** The original line parsed, when it was a JSON value. */
  readonly event?: unknown;
}

/** Kinesis accepts records of at most 1 MiB (data plus partition key). */
export const MAX_RECORD_BYTES = 1024 * 1024;

/** Marker key that tells an envelope apart from other JSON producers' records. */
export function isIngestEnvelope(value: unknown): value is IngestEnvelope {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.id === "string" &&
    typeof candidate.receivedAt === "string" &&
    typeof candidate.receiver === "string" &&
    ("message" in candidate || "event" in candidate)
  );
}
