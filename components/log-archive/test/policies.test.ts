import * as assert from "node:assert/strict";

import { accessLogBucketPolicy, archiveBucketPolicy } from "../bucket-policies";
import { archiveKeyPolicy } from "../key-policy";

const ctx = { accountId: "111122223333", region: "eu-west-1", partition: "aws" };

describe("archive key and bucket policies (pure)", () => {
  const key = archiveKeyPolicy(ctx);
  const bySid = (sid: string) => key.Statement.find((s) => s.Sid === sid);

  it("grants kms:* only to the account root", () => {
    const wildcard = key.Statement.filter((s) => [s.Action].flat().some((a) => a.endsWith("*")));
    assert.deepEqual(wildcard, [
      {
        Sid: "AccountAdministration",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111122223333:root" },
        Action: "kms:*",
        Resource: "*",
      },
    ]);
  });

  it("limits CloudWatch Logs to log groups of this account and region", () => {
    assert.deepEqual(bySid("CloudWatchLogsOfThisAccount")?.Principal, {
      Service: "logs.eu-west-1.amazonaws.com",
    });
    assert.deepEqual(bySid("CloudWatchLogsOfThisAccount")?.Condition, {
      ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:111122223333:log-group:*" },
    });
  });

  it("limits CloudTrail, the SNS publishers and Firehose to this account", () => {
    assert.deepEqual(bySid("CloudTrailEncryptForThisAccount")?.Condition, {
      StringEquals: { "aws:SourceAccount": "111122223333" },
      StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111122223333:trail/*" },
    });
    assert.deepEqual(bySid("LogDeliveryOfThisAccount")?.Condition, {
      StringEquals: { "aws:SourceAccount": "111122223333" },
      ArnLike: { "aws:SourceArn": "arn:aws:logs:eu-west-1:111122223333:*" },
    });
    for (const sid of ["PublishersToEncryptedTopics", "FirehoseOfThisAccount"]) {
      assert.deepEqual(bySid(sid)?.Condition, { StringEquals: { "aws:SourceAccount": "111122223333" } }, sid);
    }
    assert.deepEqual(bySid("PublishersToEncryptedTopics")?.Principal, {
      Service: [
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
        "s3.amazonaws.com",
        "aps.amazonaws.com",
        "sns.amazonaws.com",
      ],
    });
  });

  it("archive bucket: TLS only, KMS only, archive key only", () => {
    const policy = archiveBucketPolicy(
      ctx,
      "arn:aws:s3:::archive",
      "arn:aws:kms:eu-west-1:111122223333:key/k",
      "flow-logs/",
    );
    assert.deepEqual(
      policy.Statement.slice(0, 3).map((s) => [s.Sid, s.Effect, s.Resource, s.Condition]),
      [
        [
          "DenyInsecureTransport",
          "Deny",
          ["arn:aws:s3:::archive", "arn:aws:s3:::archive/*"],
          { Bool: { "aws:SecureTransport": "false" } },
        ],
        [
          "DenyOtherEncryption",
          "Deny",
          "arn:aws:s3:::archive/*",
          { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } },
        ],
        [
          "DenyOtherKmsKeys",
          "Deny",
          "arn:aws:s3:::archive/*",
          {
            StringNotEqualsIfExists: {
              "s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:eu-west-1:111122223333:key/k",
            },
          },
        ],
      ],
    );
  });

  it("archive bucket: the log delivery service of this account may write flow logs under flow-logs/ only", () => {
    const policy = archiveBucketPolicy(
      ctx,
      "arn:aws:s3:::archive",
      "arn:aws:kms:eu-west-1:111122223333:key/k",
      "flow-logs/",
    );
    const source = {
      StringEquals: { "aws:SourceAccount": "111122223333" },
      ArnLike: { "aws:SourceArn": "arn:aws:logs:eu-west-1:111122223333:*" },
    };
    assert.deepEqual(policy.Statement.slice(3), [
      {
        Sid: "FlowLogDeliveryWrite",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: "arn:aws:s3:::archive/flow-logs/AWSLogs/*",
        Condition: {
          ...source,
          StringEquals: { "aws:SourceAccount": "111122223333", "s3:x-amz-acl": "bucket-owner-full-control" },
        },
      },
      {
        Sid: "FlowLogDeliveryCheck",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Action: ["s3:GetBucketAcl", "s3:ListBucket"],
        Resource: "arn:aws:s3:::archive",
        Condition: source,
      },
    ]);
  });

  it("access-log bucket: only S3 logging for the archive bucket of this account, under the prefix", () => {
    const policy = accessLogBucketPolicy(ctx, "arn:aws:s3:::logs", "arn:aws:s3:::archive", "archive/");
    assert.deepEqual(policy.Statement[1], {
      Sid: "S3ServerAccessLogsFromTheArchive",
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: "arn:aws:s3:::logs/archive/*",
      Condition: {
        ArnLike: { "aws:SourceArn": "arn:aws:s3:::archive" },
        StringEquals: { "aws:SourceAccount": "111122223333" },
      },
    });
  });
});
