/**
 * Unwraps the body of one SQS message into the CloudTrail log objects it
 * announces. Accepted shapes, in any combination:
 *
 * - SNS envelope (`{"Type":"Notification","Message":"…"}`) around any of the below;
 * - S3 event notification (`{"Records":[{"eventSource":"aws:s3","s3":{…}}]}`),
 *   as S3 → SNS → SQS, S3 → SQS directly, or SNS raw message delivery;
 * - CloudTrail's own SNS notification (`{"s3Bucket":"…","s3ObjectKey":["…"]}`);
 * - `s3:TestEvent` (sent when a notification is configured): skipped.
 *
 * Digest files (`…/CloudTrail-Digest/…`), removals and folder markers are
 * skipped with a reason. Anything else is an error, so the message ends in the
 * DLQ instead of being dropped.
 */

/** A log object to index. */
export interface S3ObjectRef {
  readonly bucket: string;
  readonly key: string;
  /** Size from the notification, when it says (for logs only). */
  readonly size?: number;
}

/** What one message asks for. */
export interface Unwrapped {
  readonly objects: S3ObjectRef[];
  /** Why parts of the message need no work (for logs). */
  readonly skipped: string[];
}

/** The message body is not a notification this indexer understands. */
export class NotificationFormatError extends Error {
  override readonly name = "NotificationFormatError";
}

const DIGEST_SEGMENT = "/CloudTrail-Digest/";

/** Whether a key is a CloudTrail digest file (integrity hashes, not events). */
export function isDigestKey(key: string): boolean {
  return key.includes(DIGEST_SEGMENT) || key.startsWith(DIGEST_SEGMENT.slice(1));
}

/** S3 event notifications URL-encode keys with `+` for spaces. */
export function decodeS3Key(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    throw new NotificationFormatError(`object key is not URL-encoded: ${JSON.stringify(key)}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new NotificationFormatError(`${what} is not JSON: ${text.slice(0, 120)}`);
  }
}

function addObject(out: Unwrapped, bucket: string, key: string, size?: number): void {
  if (isDigestKey(key)) out.skipped.push(`digest file ${key}`);
  else if (key.endsWith("/")) out.skipped.push(`folder marker ${key}`);
  else out.objects.push(size === undefined ? { bucket, key } : { bucket, key, size });
}

function unwrapS3Record(record: unknown, index: number, out: Unwrapped): void {
  if (!isRecord(record) || !isRecord(record.s3)) {
    throw new NotificationFormatError(`Records[${index}] is not an S3 event record`);
  }
  const eventName = typeof record.eventName === "string" ? record.eventName : "";
  const bucket = isRecord(record.s3.bucket) ? record.s3.bucket.name : undefined;
  const object = isRecord(record.s3.object) ? record.s3.object : undefined;
  if (typeof bucket !== "string" || object === undefined || typeof object.key !== "string") {
    throw new NotificationFormatError(`Records[${index}] has no s3.bucket.name / s3.object.key`);
  }
  const key = decodeS3Key(object.key);
  if (!eventName.startsWith("ObjectCreated:")) {
    out.skipped.push(`${eventName || "unnamed event"} for ${key}`);
    return;
  }
  addObject(out, bucket, key, typeof object.size === "number" ? object.size : undefined);
}

function unwrapValue(value: unknown, out: Unwrapped, depth: number): void {
  if (!isRecord(value)) throw new NotificationFormatError("message is not a JSON object");
  if (value.Type === "Notification" && typeof value.Message === "string" && depth === 0) {
    unwrapValue(parseJson(value.Message, "SNS Message"), out, depth + 1);
    return;
  }
  if (value.Type === "SubscriptionConfirmation" || value.Type === "UnsubscribeConfirmation") {
    out.skipped.push(`SNS ${value.Type}`);
    return;
  }
  if (value.Event === "s3:TestEvent") {
    out.skipped.push("s3:TestEvent");
    return;
  }
  if (Array.isArray(value.Records)) {
    value.Records.forEach((record, i) => unwrapS3Record(record, i, out));
    return;
  }
  if (typeof value.s3Bucket === "string" && Array.isArray(value.s3ObjectKey)) {
    const bucket = value.s3Bucket;
    for (const key of value.s3ObjectKey) {
      if (typeof key !== "string") throw new NotificationFormatError("s3ObjectKey holds a non-string");
      addObject(out, bucket, key);
    }
    return;
  }
  throw new NotificationFormatError(
    `not an S3 or CloudTrail notification (keys: ${Object.keys(value).slice(0, 8).join(", ")})`,
  );
}

/**
 * Lists the log objects announced by one SQS message body.
 *
 * @throws NotificationFormatError when the body is not a notification this indexer understands.
 */
export function unwrapMessage(body: string): Unwrapped {
  const out: Unwrapped = { objects: [], skipped: [] };
  unwrapValue(parseJson(body, "message body"), out, 0);
  return out;
}
