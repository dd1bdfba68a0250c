/**
 * S3 bucket notifications for s3rver, which does not implement them: it only
 * emits an in-process `event` (an S3 notification with the raw key) for every
 * object written or removed. This module turns those into what the trail
 * bucket's `BucketNotification` (components/cloudtrail-pipeline) sends to its
 * SNS topic: the same event and key filter, URL-encoded keys, a proper bucket
 * ARN, one publish per object, and the `s3:TestEvent` S3 sends when the
 * notification is configured.
 */
import type { SNSClient } from "@aws-sdk/client-sns";
import { PublishCommand } from "@aws-sdk/client-sns";
import type { S3Event, S3EventRecord } from "aws-lambda";

/** Which objects of which bucket are announced (S3's `filterPrefix` / `filterSuffix`). */
export interface NotificationFilter {
  readonly bucket: string;
  /** Default: `AWSLogs/`, as the CloudTrail pipeline's notification. */
  readonly prefix?: string;
  /** Default: `.json.gz`. */
  readonly suffix?: string;
  /** `s3.configurationId` of the records. Default: `cloudtrail-new-files`. */
  readonly configurationId?: string;
}

/** S3's key encoding in event notifications: URL-encoded, `/` kept, space as `+` (s3rver emits raw keys). */
export function s3EncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+");
}

/**
 * The notification S3 would send for one s3rver event, or undefined when the
 * filter lets none of its records through (another bucket, not
 * `ObjectCreated:*`, key outside the prefix/suffix).
 */
export function bucketNotification(event: S3Event, filter: NotificationFilter): S3Event | undefined {
  const prefix = filter.prefix ?? "AWSLogs/";
  const suffix = filter.suffix ?? ".json.gz";
  const records = event.Records.filter(
    (record) =>
      record.s3.bucket.name === filter.bucket &&
      record.eventName.startsWith("ObjectCreated:") &&
      record.s3.object.key.startsWith(prefix) &&
      record.s3.object.key.endsWith(suffix),
  ).map((record): S3EventRecord => ({
    ...record,
    s3: {
      ...record.s3,
      configurationId: filter.configurationId ?? "cloudtrail-new-files",
      bucket: { ...record.s3.bucket, arn: `arn:aws:s3:::${record.s3.bucket.name}` },
      object: { ...record.s3.object, key: s3EncodeKey(record.s3.object.key) },
    },
  }));
  return records.length === 0 ? undefined : { Records: records };
}

/** The test message S3 sends when a notification configuration is saved. */
export function testEvent(bucket: string, now = new Date()): object {
  return {
    Service: "Amazon S3",
    Event: "s3:TestEvent",
    Time: now.toISOString(),
    Bucket: bucket,
    RequestId: "LOCAL",
    HostId: "LOCAL",
  };
}

/** Something that emits s3rver's events. */
export interface S3EventEmitter {
  on(event: "event", listener: (event: S3Event) => void): unknown;
  off(event: "event", listener: (event: S3Event) => void): unknown;
}

/** A running forwarder. */
export interface NotificationForwarder {
  /** Resolves once every publish started so far has finished. */
  flushed(): Promise<void>;
  /** Stops listening and waits for the publishes in flight. */
  stop(): Promise<void>;
  readonly stats: { published: number; failed: number };
}

/**
 * Publishes the filtered notifications of `emitter` to `topicArn` (after the
 * `s3:TestEvent`). A failed publish is counted and reported to `onError`: S3
 * itself does not retry either, so the object simply stays unannounced.
 */
export async function forwardS3Notifications(options: {
  readonly emitter: S3EventEmitter;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly filter: NotificationFilter;
  readonly onError?: (error: unknown) => void;
}): Promise<NotificationForwarder> {
  const { emitter, sns, topicArn, filter } = options;
  const stats = { published: 0, failed: 0 };
  const inflight = new Set<Promise<void>>();
  const publish = async (message: object): Promise<void> => {
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: "Amazon S3 Notification",
        Message: JSON.stringify(message),
      }),
    );
    stats.published++;
  };
  await publish(testEvent(filter.bucket));
  const listener = (event: S3Event): void => {
    const notification = bucketNotification(event, filter);
    if (notification === undefined) return;
    // S3 sends one notification per record.
    for (const record of notification.Records) {
      const sent = publish({ Records: [record] }).catch((error: unknown) => {
        stats.failed++;
        options.onError?.(error);
      });
      inflight.add(sent);
      void sent.finally(() => inflight.delete(sent));
    }
  };
  emitter.on("event", listener);
  const flushed = async (): Promise<void> => {
    await Promise.all(inflight);
  };
  return {
    stats,
    flushed,
    stop: async () => {
      emitter.off("event", listener);
      await flushed();
    },
  };
}
