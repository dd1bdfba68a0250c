import * as assert from "node:assert/strict";

import { LogArchive } from "..";
import type { ProgramRun } from "../../../test/lib/mocks";
import { MOCK_ACCOUNT, resourceNamed, runUnderMocks, valueOf, parseJsonInput } from "../../../test/lib/mocks";

const NO_CONFIG = { config: {}, secretKeys: [] };
const tags = { Project: "log-platform", Environment: "test", ManagedBy: "pulumi" };

async function archiveRun(retainData: boolean): Promise<ProgramRun<{ keyArn: string; bucketName: string }>> {
  return runUnderMocks("test", NO_CONFIG, async () => {
    const archive = new LogArchive("arc", { retainData, tags });
    return { keyArn: await valueOf(archive.keyArn), bucketName: await valueOf(archive.bucketName) };
  });
}

describe("LogArchive (mocks)", () => {
  let disposable: Awaited<ReturnType<typeof archiveRun>>;
  let retained: Awaited<ReturnType<typeof archiveRun>>;
  before(async () => {
    disposable = await archiveRun(false);
    retained = await archiveRun(true);
  });

  it("creates a rotating KMS key whose policy is the archive key policy", () => {
    const key = resourceNamed(disposable.resources, "aws:kms/key:Key", "arc-key");
    assert.equal(key.props.enableKeyRotation, true);
    assert.equal(key.props.deletionWindowInDays, 30);
    const policy = parseJsonInput<{ Statement: { Sid: string }[] }>(key.props.policy);
    assert.deepEqual(
      policy.Statement.map((s) => s.Sid),
      [
        "AccountAdministration",
        "CloudWatchLogsOfThisAccount",
        "CloudTrailDescribeKey",
        "CloudTrailEncryptLogs",
        "PublishersToEncryptedTopics",
        "EventBridgeToEncryptedTopics",
        "BudgetsToEncryptedTopics",
        "LogDeliveryOfThisAccount",
        "FirehoseOfThisAccount",
      ],
    );
    assert.ok(String(key.props.policy).includes(`arn:aws:iam::${MOCK_ACCOUNT}:root`));
  });

  it("encrypts the archive with the key (bucket key on) and the log bucket with SSE-S3", () => {
    const archive = resourceNamed(
      disposable.resources,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      "arc-bucket-encryption",
    );
    assert.deepEqual(archive.props, {
      bucket: "arc-bucket-id",
      rules: [
        {
          applyServerSideEncryptionByDefault: {
            sseAlgorithm: "aws:kms",
            kmsMasterKeyId: disposable.outputs.keyArn,
          },
          bucketKeyEnabled: true,
        },
      ],
    });
    const logs = resourceNamed(
      disposable.resources,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      "arc-access-logs-encryption",
    );
    assert.deepEqual(logs.props.rules, [
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: false },
    ]);
  });

  it("blocks public access, enforces ownership and versions both buckets", () => {
    for (const bucket of ["arc-bucket", "arc-access-logs"]) {
      assert.deepEqual(
        resourceNamed(
          disposable.resources,
          "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
          `${bucket}-public-access`,
        ).props,
        {
          bucket: `${bucket}-id`,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
      );
      assert.deepEqual(
        resourceNamed(
          disposable.resources,
          "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
          `${bucket}-ownership`,
        ).props.rule,
        {
          objectOwnership: "BucketOwnerEnforced",
        },
      );
      assert.deepEqual(
        resourceNamed(
          disposable.resources,
          "aws:s3/bucketVersioning:BucketVersioning",
          `${bucket}-versioning`,
        ).props.versioningConfiguration,
        {
          status: "Enabled",
        },
      );
    }
  });

  it("logs archive access into the log bucket and applies the default lifecycle", () => {
    assert.deepEqual(
      resourceNamed(disposable.resources, "aws:s3/bucketLogging:BucketLogging", "arc-bucket-logging").props,
      {
        bucket: "arc-bucket-id",
        targetBucket: "arc-access-logs-id",
        targetPrefix: "archive/",
      },
    );
    const lifecycle = resourceNamed(
      disposable.resources,
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "arc-bucket-lifecycle",
    );
    assert.deepEqual(
      (lifecycle.props.rules as { id: string }[]).map((r) => r.id),
      ["expire-raw", "cleanup-noncurrent-and-incomplete"],
    );
  });

  it("dev mode: buckets force-destroy, nothing protected", () => {
    for (const name of ["arc-bucket", "arc-access-logs"]) {
      const bucket = resourceNamed(disposable.resources, "aws:s3/bucket:Bucket", name);
      assert.equal(bucket.props.forceDestroy, true);
      assert.deepEqual(bucket.options, { protect: false, retainOnDelete: false });
      assert.deepEqual(bucket.props.tags, tags);
    }
  });

  it("prod mode: key and buckets protected and retained, no force-destroy", () => {
    for (const [type, name] of [
      ["aws:s3/bucket:Bucket", "arc-bucket"],
      ["aws:s3/bucket:Bucket", "arc-access-logs"],
      ["aws:kms/key:Key", "arc-key"],
    ] as const) {
      const resource = resourceNamed(retained.resources, type, name);
      assert.deepEqual(resource.options, { protect: true, retainOnDelete: true }, name);
      if (type === "aws:s3/bucket:Bucket") assert.equal(resource.props.forceDestroy, false);
    }
  });

  it("parents every child to the component", () => {
    const children = disposable.resources.filter((r) => r.custom);
    assert.ok(children.length >= 15);
    assert.deepEqual([...new Set(children.map((r) => r.parent))], ["arc"]);
  });

  it("lets CloudTrail use the key for the named trails only", async () => {
    const run = await runUnderMocks(
      "test",
      NO_CONFIG,
      () => new LogArchive("arc", { trailNames: ["t1"], tags }),
    );
    const policy = parseJsonInput<{ Statement: { Sid: string; Condition?: unknown }[] }>(
      resourceNamed(run.resources, "aws:kms/key:Key", "arc-key").props.policy,
    );
    const trail = `arn:aws:cloudtrail:eu-west-1:${MOCK_ACCOUNT}:trail/t1`;
    for (const sid of ["CloudTrailDescribeKey", "CloudTrailEncryptLogs"]) {
      const statement = policy.Statement.find((s) => s.Sid === sid);
      assert.deepEqual((statement?.Condition as Record<string, unknown>).StringEquals, {
        "aws:SourceArn": [trail],
      });
    }
  });

  it("with dataExportsPrefix: grants Data Exports the prefix (bucket policy) and the key; exposes the bucket policy", async () => {
    const run = await runUnderMocks("test", NO_CONFIG, () => {
      const archive = new LogArchive("arc", { dataExportsPrefix: "cost/", tags });
      return { policyUrn: archive.bucketPolicy.urn };
    });
    const bucketPolicy = parseJsonInput<{ Statement: { Sid: string; Resource: unknown }[] }>(
      resourceNamed(run.resources, "aws:s3/bucketPolicy:BucketPolicy", "arc-bucket-policy").props.policy,
    );
    assert.deepEqual(
      bucketPolicy.Statement.filter((s) => s.Sid.startsWith("DataExports")).map((s) => [s.Sid, s.Resource]),
      [
        ["DataExportsWrite", "arn:aws:s3:::arc-bucket/cost/*"],
        ["DataExportsCheckPolicy", "arn:aws:s3:::arc-bucket"],
      ],
    );
    const key = parseJsonInput<{ Statement: { Sid: string }[] }>(
      resourceNamed(run.resources, "aws:kms/key:Key", "arc-key").props.policy,
    );
    assert.equal(key.Statement.at(-1)?.Sid, "DataExportsOfThisAccount");
    assert.match(String(run.outputs.policyUrn), /arc-bucket-policy$/);
    // Without it (the default, as in the runs above): no grant at all.
    assert.ok(!JSON.stringify(disposable.resources).includes("bcm-data-exports"));
  });

  it("rejects invalid arguments with every problem listed", async () => {
    await assert.rejects(
      runUnderMocks(
        "test",
        NO_CONFIG,
        () =>
          new LogArchive("bad", {
            keyDeletionWindowDays: 3,
            lifecycle: [{ prefix: "x", expireAfterDays: 1 }],
            dataExportsPrefix: "cost",
          }),
      ),
      (error: Error) =>
        error.message.includes('LogArchive "bad" has invalid arguments') &&
        error.message.includes("keyDeletionWindowDays must be a whole number from 7 to 30 (got 3)") &&
        error.message.includes('lifecycle rule for "x": prefix must be') &&
        error.message.includes(
          'dataExportsPrefix must be lowercase letters, digits or hyphens ending in "/" (got "cost")',
        ),
    );
  });
});
