/**
 * The CloudTrail path of `npm start` end to end: files put into the local
 * trail bucket (s3rver) → the bucket-notification stand-in → SNS → SQS with a
 * DLQ (fauxqs, a child process) → the SQS event source → the indexer → split
 * events in the archive bucket. A log file comes out event for event; a
 * digest file and a `.json.gz` outside `AWSLogs/` produce nothing; a corrupt
 * file fails each of its receives and ends in the DLQ. After `close()` no
 * fauxqs process is left.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";

import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";

import { eventsKey } from "../../../apps/cloudtrail-indexer/src/archive";
import type { LocalPlatform } from "../../../scripts/local/platform";
import { CLOUDTRAIL_MAX_RECEIVE_COUNT, startLocalPlatform } from "../../../scripts/local/platform";
import { digestFileKey, sampleTrailFile, trailFileKey } from "../../../scripts/local/put-cloudtrail-sample";

const CONTEXT = { account: "123456789012", region: "eu-west-1", now: new Date() };

/** Command lines of this process's fauxqs children (the platform spawns one). */
async function fauxqsChildren(): Promise<string[]> {
  const { stdout } = await promisify(execFile)("ps", ["-o", "args=", "--ppid", String(process.pid)]).catch(
    // ps exits 1 when it finds no process.
    (error: { stdout?: string; code?: number }) => {
      if (error.code === 1) return { stdout: error.stdout ?? "" };
      throw error;
    },
  );
  return stdout.split("\n").filter((line) => line.includes("fauxqs"));
}

describe("local platform: CloudTrail → trail bucket → SNS → SQS (+DLQ) → indexer → archive", function () {
  this.timeout(30_000);

  let platform: LocalPlatform | undefined;

  after(async () => {
    await platform?.close();
  });

  async function list(prefix: string): Promise<string[]> {
    const { Contents = [], IsTruncated } = await platform!.s3.send(
      new ListObjectsV2Command({ Bucket: platform!.bucket, Prefix: prefix }),
    );
    assert.equal(IsTruncated, false); // one page (paged listing needs --openssl-legacy-provider with s3rver)
    return Contents.map((object) => object.Key ?? "").sort();
  }

  async function ndjsonGz(key: string): Promise<Record<string, unknown>[]> {
    const { Body } = await platform!.s3.send(new GetObjectCommand({ Bucket: platform!.bucket, Key: key }));
    const text = gunzipSync(await Body!.transformToByteArray()).toString("utf8");
    return text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it("splits a log file into the archive once per event, skips the digest, dead-letters the corrupt file", async () => {
    platform = await startLocalPlatform({ logLevel: "silent", cloudTrailVisibilityTimeoutSeconds: 1 });
    assert.equal((await fauxqsChildren()).length, 1, "fauxqs runs as a child process");
    const { s3, sqs, trailBucket } = platform;
    const put = (key: string, body: Buffer) =>
      s3.send(new PutObjectCommand({ Bucket: trailBucket, Key: key, Body: body }));

    const sample = sampleTrailFile(CONTEXT);
    const corruptKey = trailFileKey(CONTEXT);
    const whole = sampleTrailFile(CONTEXT).body;
    await put(sample.key, sample.body);
    await put(
      digestFileKey(CONTEXT),
      gzipSync(JSON.stringify({ awsAccountId: CONTEXT.account, logFiles: [] })),
    );
    await put(corruptKey, whole.subarray(0, Math.floor(whole.length / 2))); // a truncated upload
    // Outside the notification's filter: never announced, so never a failure either.
    await put("uploads/not-a-trail.json.gz", Buffer.from("not gzip"));

    await platform.cloudTrailEventSource.idle();

    // Every event of the log file, exactly as written, once; in one object per UTC day of its events.
    const days = new Set(sample.events.map((event) => String(event.eventTime).slice(0, 10)));
    const expectedKeys = [...days]
      .map((day) => {
        const [year = "", month = "", dayOfMonth = ""] = day.split("-");
        return eventsKey(
          "cloudtrail-events/",
          { year, month, day: dayOfMonth },
          { bucket: trailBucket, key: sample.key },
        );
      })
      .sort();
    assert.deepEqual(await list("cloudtrail-events/"), expectedKeys, "only the log file produced events");
    const archived = (await Promise.all(expectedKeys.map(ndjsonGz))).flat();
    const byId = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      String(a.eventID).localeCompare(String(b.eventID));
    assert.deepEqual([...archived].sort(byId), [...sample.events].sort(byId));
    assert.deepEqual(await list("cloudtrail-failed/"), []);

    // The corrupt file: failed on each delivery, then moved to the DLQ with its notification intact.
    const { Messages: dead = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: platform.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    assert.equal(dead.length, 1);
    const notification = JSON.parse((JSON.parse(dead[0]?.Body ?? "{}") as { Message: string }).Message) as {
      Records: { eventName: string; s3: { bucket: { name: string }; object: { key: string } } }[];
    };
    assert.equal(notification.Records.length, 1);
    assert.equal(notification.Records[0]?.eventName, "ObjectCreated:Put");
    assert.equal(notification.Records[0]?.s3.bucket.name, trailBucket);
    assert.equal(decodeURIComponent(notification.Records[0]?.s3.object.key ?? ""), corruptKey);
    assert.equal(Number(dead[0]?.Attributes?.ApproximateReceiveCount) >= CLOUDTRAIL_MAX_RECEIVE_COUNT, true);
    assert.equal(platform.cloudTrailEventSource.stats.failed, CLOUDTRAIL_MAX_RECEIVE_COUNT);

    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: platform.queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    assert.deepEqual(
      [Attributes.ApproximateNumberOfMessages, Attributes.ApproximateNumberOfMessagesNotVisible],
      ["0", "0"],
    );

    await platform.close();
    platform = undefined;
    assert.deepEqual(await fauxqsChildren(), [], "no fauxqs process left after close()");
  });
});
