import assert from "node:assert/strict";
import type { S3Event } from "aws-lambda";
import fc from "fast-check";
import { decodeS3Key, unwrapMessage } from "../../../apps/cloudtrail-indexer/src/notifications";
import { bucketNotification, s3EncodeKey, testEvent } from "../s3-notifications";

/** One record as s3rver emits it: raw key, its odd bucket ARN. */
function s3rverEvent(bucket: string, key: string, eventName = "ObjectCreated:Put"): S3Event {
  return {
    Records: [
      {
        eventVersion: "2.0",
        eventSource: "aws:s3",
        awsRegion: "us-east-1",
        eventTime: "2024-03-01T12:00:00.000Z",
        eventName,
        userIdentity: { principalId: "AWS:LOCAL" },
        requestParameters: { sourceIPAddress: "127.0.0.1" },
        responseElements: { "x-amz-request-id": "1", "x-amz-id-2": "2" },
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: "testConfigId",
          bucket: { name: bucket, ownerIdentity: { principalId: "LOCAL" }, arn: `arn:aws:s3: : :${bucket}` },
          object: { key, size: 10, eTag: "e", sequencer: "1" },
        },
      },
    ],
  };
}

const TRAIL_KEY =
  "AWSLogs/123456789012/CloudTrail/us-east-1/2024/03/01/123456789012_CloudTrail_us-east-1_20240301T1200Z_a b+c.json.gz";

describe("local S3 bucket notifications", () => {
  it("encodes keys the way the indexer decodes them", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (key) => assert.equal(decodeS3Key(s3EncodeKey(key)), key)),
    );
    assert.equal(s3EncodeKey("AWSLogs/a b+c=d.json.gz"), "AWSLogs/a+b%2Bc%3Dd.json.gz");
  });

  it("announces a new log file of the trail bucket as S3 would, without touching the input", () => {
    const event = s3rverEvent("cloudtrail", TRAIL_KEY);
    const before = structuredClone(event);
    const notification = bucketNotification(event, { bucket: "cloudtrail" });
    assert.deepEqual(event, before);
    const record = notification?.Records[0];
    assert.equal(notification?.Records.length, 1);
    assert.equal(record?.s3.bucket.arn, "arn:aws:s3:::cloudtrail");
    assert.equal(record?.s3.configurationId, "cloudtrail-new-files");
    assert.equal(record?.s3.object.key, s3EncodeKey(TRAIL_KEY));
    // What the indexer makes of it, through the SNS envelope.
    const body = JSON.stringify({ Type: "Notification", Message: JSON.stringify(notification) });
    assert.deepEqual(unwrapMessage(body).objects, [{ bucket: "cloudtrail", key: TRAIL_KEY, size: 10 }]);
  });

  it("filters like the trail's BucketNotification: bucket, ObjectCreated:*, AWSLogs/ prefix, .json.gz suffix", () => {
    const filter = { bucket: "cloudtrail" };
    assert.equal(bucketNotification(s3rverEvent("archive", TRAIL_KEY), filter), undefined);
    assert.equal(
      bucketNotification(s3rverEvent("cloudtrail", TRAIL_KEY, "ObjectRemoved:Delete"), filter),
      undefined,
    );
    assert.equal(bucketNotification(s3rverEvent("cloudtrail", "uploads/x.json.gz"), filter), undefined);
    assert.equal(bucketNotification(s3rverEvent("cloudtrail", "AWSLogs/x.json"), filter), undefined);
    assert.notEqual(
      bucketNotification(s3rverEvent("cloudtrail", "AWSLogs/x.json.gz", "ObjectCreated:Copy"), filter),
      undefined,
    );
    assert.notEqual(
      bucketNotification(s3rverEvent("cloudtrail", "logs/x.gz"), {
        ...filter,
        prefix: "logs/",
        suffix: ".gz",
      }),
      undefined,
    );
  });

  it("sends a test event the indexer skips", () => {
    const body = JSON.stringify({ Type: "Notification", Message: JSON.stringify(testEvent("cloudtrail")) });
    assert.deepEqual(unwrapMessage(body), { objects: [], skipped: ["s3:TestEvent"] });
  });
});
