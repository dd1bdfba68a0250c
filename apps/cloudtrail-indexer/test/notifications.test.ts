import assert from "node:assert/strict";
import { decodeS3Key, isDigestKey, NotificationFormatError, unwrapMessage } from "../src/notifications";
import { digestKey, trailKey } from "./fixtures";

/** An S3 event notification record as S3 sends it (keys URL-encoded). */
function s3Record(key: string, eventName = "ObjectCreated:Put", bucket = "trail-bucket"): object {
  return {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: "us-east-1",
    eventTime: "2024-03-01T12:05:00.000Z",
    eventName,
    userIdentity: { principalId: "AWS:AROAEXAMPLE:regionalDeliverySession" },
    requestParameters: { sourceIPAddress: "10.0.0.1" },
    responseElements: { "x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE" },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "cloudtrail-indexer",
      bucket: { name: bucket, ownerIdentity: { principalId: "EXAMPLE" }, arn: `arn:aws:s3:::${bucket}` },
      object: {
        key: encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+"),
        size: 1234,
        sequencer: "0A1B",
      },
    },
  };
}

/** The SNS envelope SQS receives when raw message delivery is off. */
function snsEnvelope(message: unknown): string {
  return JSON.stringify({
    Type: "Notification",
    MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
    TopicArn: "arn:aws:sns:us-east-1:111122223333:cloudtrail-objects",
    Subject: "Amazon S3 Notification",
    Message: JSON.stringify(message),
    Timestamp: "2024-03-01T12:05:01.000Z",
    SignatureVersion: "1",
    Signature: "EXAMPLE",
    SigningCertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
    UnsubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
  });
}

const TEST_EVENT = {
  Service: "Amazon S3",
  Event: "s3:TestEvent",
  Time: "2024-03-01T12:00:00.000Z",
  Bucket: "trail-bucket",
  RequestId: "EXAMPLE",
  HostId: "EXAMPLE",
};

describe("apps/cloudtrail-indexer notifications", () => {
  it("unwraps SNS → S3 notifications with several records", () => {
    const body = snsEnvelope({ Records: [s3Record(trailKey("a")), s3Record(trailKey("b"))] });
    assert.deepEqual(unwrapMessage(body), {
      objects: [
        { bucket: "trail-bucket", key: trailKey("a"), size: 1234 },
        { bucket: "trail-bucket", key: trailKey("b"), size: 1234 },
      ],
      skipped: [],
    });
  });

  it("accepts S3 → SQS directly and SNS raw delivery (the same body)", () => {
    assert.deepEqual(unwrapMessage(JSON.stringify({ Records: [s3Record(trailKey("a"))] })).objects, [
      { bucket: "trail-bucket", key: trailKey("a"), size: 1234 },
    ]);
  });

  it("accepts CloudTrail's own SNS notification", () => {
    const body = snsEnvelope({ s3Bucket: "trail-bucket", s3ObjectKey: [trailKey("a"), digestKey("d")] });
    assert.deepEqual(unwrapMessage(body), {
      objects: [{ bucket: "trail-bucket", key: trailKey("a") }],
      skipped: [`digest file ${digestKey("d")}`],
    });
  });

  it("skips s3:TestEvent, raw or through SNS", () => {
    for (const body of [JSON.stringify(TEST_EVENT), snsEnvelope(TEST_EVENT)]) {
      assert.deepEqual(unwrapMessage(body), { objects: [], skipped: ["s3:TestEvent"] });
    }
  });

  it("skips digest files, removals and folder markers but keeps the rest of the message", () => {
    const body = snsEnvelope({
      Records: [
        s3Record(digestKey("d")),
        s3Record(trailKey("gone"), "ObjectRemoved:Delete"),
        s3Record("AWSLogs/111122223333/CloudTrail/"),
        s3Record(trailKey("kept")),
      ],
    });
    const { objects, skipped } = unwrapMessage(body);
    assert.deepEqual(
      objects.map((o) => o.key),
      [trailKey("kept")],
    );
    assert.equal(skipped.length, 3);
    assert.match(skipped[0] ?? "", /^digest file /);
    assert.match(skipped[1] ?? "", /^ObjectRemoved:Delete for /);
    assert.match(skipped[2] ?? "", /^folder marker /);
  });

  it("decodes URL-encoded keys", () => {
    assert.equal(decodeS3Key("logs/a+b%2Bc%C3%A9.json.gz"), "logs/a b+c\u00e9.json.gz");
    const body = JSON.stringify({ Records: [s3Record("odd dir/a+b é.json.gz")] });
    assert.equal(unwrapMessage(body).objects[0]?.key, "odd dir/a+b é.json.gz");
  });

  it("recognises digest keys", () => {
    assert.equal(isDigestKey(digestKey("x")), true);
    assert.equal(isDigestKey("CloudTrail-Digest/us-east-1/x.json.gz"), true);
    assert.equal(isDigestKey(trailKey("x")), false);
  });

  it("rejects what it does not understand, so the message reaches the DLQ", () => {
    const bad = [
      "not json",
      "[]",
      JSON.stringify({ hello: "world" }),
      JSON.stringify({ Records: [{ eventSource: "aws:s3" }] }),
      snsEnvelope("just a string"),
      JSON.stringify({ Records: [{ s3: { bucket: { name: "b" }, object: { key: "%E0%A4%A" } } }] }),
    ];
    for (const body of bad) {
      assert.throws(() => unwrapMessage(body), NotificationFormatError, body);
    }
  });
});
