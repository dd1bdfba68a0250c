import * as assert from "node:assert/strict";

import type { IamRequest } from "../../../test/lib/iam-evaluator";
import { evaluate, evaluatePolicy } from "../../../test/lib/iam-evaluator";
import { accessLogBucketPolicy, archiveBucketPolicy } from "../bucket-policies";
import { archiveKeyPolicy } from "../key-policy";

const ACCOUNT = "111122223333";
const OTHER = "999999999999";
const ctx = { accountId: ACCOUNT, region: "eu-west-1", partition: "aws" };
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/k`;
const TRAIL = `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/lp-cloudtrail-trail`;

/** A request of `service` on behalf of `account`, with TLS, as AWS services call. */
function serviceRequest(
  service: string,
  action: string,
  resource: string,
  context: IamRequest["context"] = {},
  account = ACCOUNT,
): IamRequest {
  return {
    principal: { service },
    principalAccount: account,
    action,
    resource,
    context: { "aws:SecureTransport": "true", ...context },
  };
}

describe("archive key and bucket policies (pure)", () => {
  describe("key policy", () => {
    const key = archiveKeyPolicy(ctx, { trailNames: ["lp-cloudtrail-trail"] });
    const bySid = (sid: string) => key.Statement.find((s) => s.Sid === sid);
    const decide = (request: IamRequest, policy = key) =>
      evaluate(request, { resource: policy, resourceKind: "kms" });

    it("grants kms:* only to the account root", () => {
      const everything = key.Statement.filter((s) => [s.Action].flat().includes("kms:*"));
      assert.deepEqual(everything, [
        {
          Sid: "AccountAdministration",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
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
        ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:*` },
      });
    });

    // Defect 2 of issue #12. CloudTrail's requests as its user guide documents the key policy for them:
    // https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
    describe("CloudTrail", () => {
      const describeKey = (sourceArn: string) =>
        serviceRequest("cloudtrail.amazonaws.com", "kms:DescribeKey", KEY, { "aws:SourceArn": sourceArn });
      const generateDataKey = (sourceArn: string, trailContext: string) =>
        serviceRequest("cloudtrail.amazonaws.com", "kms:GenerateDataKey", KEY, {
          "aws:SourceArn": sourceArn,
          "kms:EncryptionContext:aws:cloudtrail:arn": trailContext,
        });

      it("may describe the key for the trail (DescribeKey carries no encryption context), else CreateTrail fails", () => {
        assert.equal(decide(describeKey(TRAIL)), "Allow");
      });

      it("may generate data keys for the trail, with the trail's encryption context", () => {
        assert.equal(decide(generateDataKey(TRAIL, TRAIL)), "Allow");
      });

      it("may do neither for another trail or another account's trail", () => {
        const otherTrail = `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/someone-elses`;
        const foreign = `arn:aws:cloudtrail:eu-west-1:${OTHER}:trail/lp-cloudtrail-trail`;
        assert.equal(decide(describeKey(otherTrail)), "ImplicitDeny");
        assert.equal(decide(describeKey(foreign)), "ImplicitDeny");
        assert.equal(decide(generateDataKey(otherTrail, otherTrail)), "ImplicitDeny");
        assert.equal(decide(generateDataKey(foreign, foreign)), "ImplicitDeny");
        assert.equal(
          decide(generateDataKey(TRAIL, foreign)),
          "ImplicitDeny",
          "another account's encryption context",
        );
      });

      it("without trail names: any trail of this account and region; with none: no use at all", () => {
        const anyTrail = archiveKeyPolicy(ctx);
        const mine = `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/any`;
        assert.equal(decide(describeKey(mine), anyTrail), "Allow");
        assert.equal(decide(generateDataKey(mine, mine), anyTrail), "Allow");
        assert.equal(
          decide(describeKey(`arn:aws:cloudtrail:eu-west-1:${OTHER}:trail/any`), anyTrail),
          "ImplicitDeny",
        );
        const none = archiveKeyPolicy(ctx, { trailNames: [] });
        assert.equal(decide(describeKey(TRAIL), none), "ImplicitDeny");
        assert.ok(!JSON.stringify(none).includes("cloudtrail.amazonaws.com"));
      });
    });

    // Defect 3 of issue #12. EventBridge's KMS calls for an encrypted topic carry no source context:
    // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    it("lets EventBridge use the key for encrypted topics without source conditions", () => {
      for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
        assert.equal(decide(serviceRequest("events.amazonaws.com", action, KEY)), "Allow", action);
      }
      assert.equal(decide(serviceRequest("events.amazonaws.com", "kms:Encrypt", KEY)), "ImplicitDeny");
      assert.equal(bySid("EventBridgeToEncryptedTopics")?.Condition, undefined);
    });

    it("limits the other SNS publishers and SNS itself to this account", () => {
      for (const service of [
        "cloudwatch.amazonaws.com",
        "s3.amazonaws.com",
        "aps.amazonaws.com",
        "sns.amazonaws.com",
        "budgets.amazonaws.com",
      ]) {
        const mine = serviceRequest(service, "kms:GenerateDataKey", KEY, { "aws:SourceAccount": ACCOUNT });
        const foreign = serviceRequest(
          service,
          "kms:GenerateDataKey",
          KEY,
          { "aws:SourceAccount": OTHER },
          OTHER,
        );
        assert.equal(decide(mine), "Allow", service);
        assert.equal(decide(foreign), "ImplicitDeny", service);
      }
      assert.deepEqual(bySid("LogDeliveryOfThisAccount")?.Condition, {
        StringEquals: { "aws:SourceAccount": ACCOUNT },
        ArnLike: { "aws:SourceArn": `arn:aws:logs:eu-west-1:${ACCOUNT}:*` },
      });
      assert.deepEqual(bySid("FirehoseOfThisAccount")?.Condition, {
        StringEquals: { "aws:SourceAccount": ACCOUNT },
      });
    });
  });

  // Defect 3b of issue #12: writes that rely on the bucket's default encryption were all denied.
  // Condition keys: https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html
  describe("archive bucket policy", () => {
    const BUCKET = "arn:aws:s3:::archive";
    const policy = archiveBucketPolicy(ctx, BUCKET, KEY, "flow-logs/");
    const writer = `arn:aws:iam::${ACCOUNT}:role/writer`;
    const writerPolicy = {
      Statement: [{ Effect: "Allow" as const, Action: "s3:PutObject", Resource: `${BUCKET}/access/*` }],
    };
    const put = (headers: Record<string, string>, secure = "true"): IamRequest => ({
      principal: { aws: writer },
      principalAccount: ACCOUNT,
      action: "s3:PutObject",
      resource: `${BUCKET}/access/2024/01/01/a.json.gz`,
      context: { "aws:SecureTransport": secure, ...headers },
    });
    const decide = (request: IamRequest) => evaluate(request, { identity: [writerPolicy], resource: policy });
    const SSE = "s3:x-amz-server-side-encryption";
    const SSE_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id";

    it("admits a write without encryption headers (the bucket's default encryption applies the archive key)", () => {
      assert.equal(decide(put({})), "Allow");
    });

    it("admits SSE-KMS with the archive key", () => {
      assert.equal(decide(put({ [SSE]: "aws:kms", [SSE_KEY]: KEY })), "Allow");
    });

    it("refuses another key, another algorithm, and SSE-KMS without a key (S3 would use aws/s3)", () => {
      const foreignKey = `arn:aws:kms:eu-west-1:${OTHER}:key/theirs`;
      assert.equal(decide(put({ [SSE]: "aws:kms", [SSE_KEY]: foreignKey })), "ExplicitDeny");
      assert.equal(decide(put({ [SSE_KEY]: foreignKey })), "ExplicitDeny");
      assert.equal(decide(put({ [SSE]: "AES256" })), "ExplicitDeny");
      assert.equal(decide(put({ [SSE]: "aws:kms:dsse", [SSE_KEY]: KEY })), "ExplicitDeny");
      assert.equal(decide(put({ [SSE]: "aws:kms" })), "ExplicitDeny");
    });

    it("refuses every request without TLS", () => {
      assert.equal(decide(put({}, "false")), "ExplicitDeny");
    });

    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html#AWS-logs-infrastructure-S3
    it("lets the log delivery service of this account write flow logs under flow-logs/AWSLogs/ only", () => {
      const delivery = (account: string, key = `flow-logs/AWSLogs/${ACCOUNT}/vpcflowlogs/x.parquet`) =>
        serviceRequest(
          "delivery.logs.amazonaws.com",
          "s3:PutObject",
          `${BUCKET}/${key}`,
          {
            "aws:SourceAccount": account,
            "aws:SourceArn": `arn:aws:logs:eu-west-1:${account}:*`,
            "s3:x-amz-acl": "bucket-owner-full-control",
          },
          account,
        );
      assert.equal(evaluatePolicy(policy, delivery(ACCOUNT)), "Allow");
      assert.equal(evaluatePolicy(policy, delivery(OTHER)), "ImplicitDeny");
      assert.equal(evaluatePolicy(policy, delivery(ACCOUNT, "raw/x.gz")), "ImplicitDeny");
      const aclCheck = serviceRequest("delivery.logs.amazonaws.com", "s3:GetBucketAcl", BUCKET, {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": `arn:aws:logs:eu-west-1:${ACCOUNT}:*`,
      });
      assert.equal(evaluatePolicy(policy, aclCheck), "Allow");
    });
  });

  // https://docs.aws.amazon.com/cur/latest/userguide/dataexports-s3-bucket.html
  describe("AWS Data Exports (cost export)", () => {
    const BUCKET = "arn:aws:s3:::archive";
    const EXPORT = `arn:aws:bcm-data-exports:us-east-1:${ACCOUNT}:export/cost-1234`;
    const CUR = `arn:aws:cur:us-east-1:${ACCOUNT}:definition/abcd`;
    const SOURCE_CONDITION = {
      StringLike: {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": [
          `arn:aws:cur:us-east-1:${ACCOUNT}:definition/*`,
          `arn:aws:bcm-data-exports:us-east-1:${ACCOUNT}:export/*`,
        ],
      },
    };
    const withExports = archiveBucketPolicy(ctx, BUCKET, KEY, "flow-logs/", "cost/");
    const fromExport = (
      service: string,
      action: string,
      resource: string,
      source = EXPORT,
      account = ACCOUNT,
    ) =>
      serviceRequest(
        service,
        action,
        resource,
        { "aws:SourceAccount": account, "aws:SourceArn": source },
        account,
      );
    const object = `${BUCKET}/cost/lp-cost/data/BILLING_PERIOD=2026-11/lp-cost-00001.snappy.parquet`;

    it("grants AWS's documented principals, actions and source condition: objects under the prefix, the policy check on the bucket", () => {
      assert.deepEqual(withExports.Statement.slice(-2), [
        {
          Sid: "DataExportsWrite",
          Effect: "Allow",
          Principal: { Service: ["billingreports.amazonaws.com", "bcm-data-exports.amazonaws.com"] },
          Action: "s3:PutObject",
          Resource: `${BUCKET}/cost/*`,
          Condition: SOURCE_CONDITION,
        },
        {
          Sid: "DataExportsCheckPolicy",
          Effect: "Allow",
          Principal: { Service: ["billingreports.amazonaws.com", "bcm-data-exports.amazonaws.com"] },
          Action: "s3:GetBucketPolicy",
          Resource: BUCKET,
          Condition: SOURCE_CONDITION,
        },
      ]);
    });

    it("is absent without a prefix", () => {
      const without = archiveBucketPolicy(ctx, BUCKET, KEY, "flow-logs/");
      assert.ok(!JSON.stringify(without).includes("bcm-data-exports"));
      assert.equal(withExports.Statement.length, without.Statement.length + 2);
    });

    it("lets both services of this account write under cost/ and read the bucket policy, nothing else, nobody else", () => {
      for (const service of ["bcm-data-exports.amazonaws.com", "billingreports.amazonaws.com"]) {
        for (const source of [EXPORT, CUR]) {
          assert.equal(
            evaluatePolicy(withExports, fromExport(service, "s3:PutObject", object, source)),
            "Allow",
          );
          assert.equal(
            evaluatePolicy(withExports, fromExport(service, "s3:GetBucketPolicy", BUCKET, source)),
            "Allow",
          );
        }
        assert.equal(
          evaluatePolicy(withExports, fromExport(service, "s3:PutObject", `${BUCKET}/raw/x.gz`)),
          "ImplicitDeny",
        );
        assert.equal(
          evaluatePolicy(withExports, fromExport(service, "s3:GetObject", object)),
          "ImplicitDeny",
        );
        assert.equal(
          evaluatePolicy(withExports, fromExport(service, "s3:DeleteObject", object)),
          "ImplicitDeny",
        );
        const otherExport = EXPORT.replace(ACCOUNT, OTHER);
        assert.equal(
          evaluatePolicy(withExports, fromExport(service, "s3:PutObject", object, otherExport, OTHER)),
          "ImplicitDeny",
        );
        // An export in another region is not one AWS runs (Data Exports lives in us-east-1).
        assert.equal(
          evaluatePolicy(
            withExports,
            fromExport(service, "s3:PutObject", object, EXPORT.replace("us-east-1", "eu-west-1")),
          ),
          "ImplicitDeny",
        );
      }
    });

    it("the key lets both services generate and decrypt data keys for this account's exports only, when asked", () => {
      const key = archiveKeyPolicy(ctx, { dataExports: true });
      const on = (action: string, source: string, account = ACCOUNT) =>
        evaluate(fromExport("bcm-data-exports.amazonaws.com", action, KEY, source, account), {
          resource: key,
          resourceKind: "kms",
        });
      assert.equal(on("kms:GenerateDataKey", EXPORT), "Allow");
      assert.equal(on("kms:Decrypt", EXPORT), "Allow");
      assert.equal(on("kms:GenerateDataKey", CUR), "Allow");
      assert.equal(on("kms:GenerateDataKey", EXPORT.replace(ACCOUNT, OTHER), OTHER), "ImplicitDeny");
      assert.equal(on("kms:Encrypt", EXPORT), "ImplicitDeny");
      assert.ok(!JSON.stringify(archiveKeyPolicy(ctx)).includes("bcm-data-exports"));
    });
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
        StringEquals: { "aws:SourceAccount": ACCOUNT },
      },
    });
  });
});
