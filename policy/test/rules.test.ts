import * as assert from "node:assert/strict";

import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { policies } from "../policies";
import type { ResourceUnderTest } from "../rules";
import { resourceRules, stackRules, TYPES, violations } from "../rules";

const TAGS = { Project: "log-platform", Environment: "dev", ManagedBy: "pulumi" };
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const tlsDeny = {
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};

/** For each rule: a resource that complies and one that must be reported. */
const CASES: Record<string, { good: ResourceUnderTest; bad: ResourceUnderTest; expect: RegExp }> = {
  "kms-key-rotation": {
    good: { type: TYPES.kmsKey, name: "k", props: { enableKeyRotation: true } },
    bad: { type: TYPES.kmsKey, name: "k", props: { enableKeyRotation: false } },
    expect: /enableKeyRotation must be true/,
  },
  "s3-encryption-at-rest": {
    good: {
      type: TYPES.bucketEncryption,
      name: "e",
      props: {
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:k" },
            bucketKeyEnabled: true,
          },
        ],
      },
    },
    bad: {
      type: TYPES.bucketEncryption,
      name: "e",
      props: {
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: false }],
      },
    },
    expect: /SSE-KMS without kmsMasterKeyId/,
  },
  "s3-block-public-access": {
    good: {
      type: TYPES.bucketPublicAccess,
      name: "p",
      props: {
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
    },
    bad: {
      type: TYPES.bucketPublicAccess,
      name: "p",
      props: {
        blockPublicAcls: true,
        blockPublicPolicy: false,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
    },
    expect: /blockPublicPolicy must be true/,
  },
  "s3-acls-disabled": {
    good: {
      type: TYPES.bucketOwnership,
      name: "o",
      props: { rule: { objectOwnership: "BucketOwnerEnforced" } },
    },
    bad: { type: TYPES.bucketOwnership, name: "o", props: { rule: { objectOwnership: "ObjectWriter" } } },
    expect: /objectOwnership must be BucketOwnerEnforced/,
  },
  "s3-tls-only": {
    good: { type: TYPES.bucketPolicy, name: "bp", props: { policy: doc(tlsDeny) } },
    bad: {
      type: TYPES.bucketPolicy,
      name: "bp",
      props: { policy: doc({ ...tlsDeny, Resource: "arn:aws:s3:::b" }) },
    },
    expect: /needs a Deny of "s3:\*"/,
  },
  "sqs-tls-only": {
    good: {
      type: TYPES.queuePolicy,
      name: "qp",
      props: { policy: doc({ ...tlsDeny, Action: "sqs:*", Resource: "arn:aws:sqs:eu-west-1:1:q" }) },
    },
    bad: {
      type: TYPES.queuePolicy,
      name: "qp",
      props: { policy: doc({ Effect: "Allow", Action: "sqs:SendMessage", Resource: "q" }) },
    },
    expect: /needs a Deny of "sqs:\*"/,
  },
  "sns-encrypted": {
    good: { type: TYPES.topic, name: "t", props: { kmsMasterKeyId: "arn:k", tags: TAGS } },
    bad: { type: TYPES.topic, name: "t", props: { tags: TAGS } },
    expect: /kmsMasterKeyId must be set/,
  },
  "sqs-encrypted": {
    good: { type: TYPES.queue, name: "q", props: { kmsMasterKeyId: "arn:k", tags: TAGS } },
    bad: { type: TYPES.queue, name: "q", props: { sqsManagedSseEnabled: true, tags: TAGS } },
    expect: /kmsMasterKeyId must be set/,
  },
  "kinesis-encrypted": {
    good: { type: TYPES.stream, name: "s", props: { encryptionType: "KMS", kmsKeyId: "arn:k", tags: TAGS } },
    bad: { type: TYPES.stream, name: "s", props: { encryptionType: "NONE", tags: TAGS } },
    expect: /encryptionType must be KMS/,
  },
  "log-group-retention-and-encryption": {
    good: { type: TYPES.logGroup, name: "lg", props: { retentionInDays: 14, kmsKeyId: "arn:k", tags: TAGS } },
    bad: { type: TYPES.logGroup, name: "lg", props: { kmsKeyId: "arn:k", tags: TAGS } },
    expect: /retentionInDays must be set/,
  },
  "no-wildcard-actions": {
    good: {
      type: TYPES.kmsKey,
      name: "k",
      props: {
        enableKeyRotation: true,
        tags: TAGS,
        policy: doc({
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123456789012:root" },
          Action: "kms:*",
          Resource: "*",
        }),
      },
    },
    bad: {
      type: TYPES.rolePolicy,
      name: "rp",
      props: {
        policy: doc({
          Sid: "TooBroad",
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:*"],
          Resource: "arn:aws:s3:::b/*",
        }),
      },
    },
    expect: /statement "TooBroad" allows "s3:\*"/,
  },
  "least-privilege-resources": {
    good: {
      type: TYPES.rolePolicy,
      name: "rp",
      props: { policy: doc({ Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" }) },
    },
    bad: {
      type: TYPES.role,
      name: "r",
      props: {
        tags: TAGS,
        inlinePolicies: [
          { name: "p", policy: doc({ Effect: "Allow", Action: ["kinesis:PutRecords"], Resource: "*" }) },
        ],
      },
    },
    expect: /grants kinesis:PutRecords on "\*"/,
  },
  "required-tags": {
    good: { type: TYPES.topic, name: "t", props: { kmsMasterKeyId: "arn:k", tags: TAGS } },
    bad: {
      type: TYPES.topic,
      name: "t",
      props: { kmsMasterKeyId: "arn:k", tags: { Project: "log-platform" } },
    },
    expect: /tag Environment is missing/,
  },
};

describe("policy rules", () => {
  it("every resource rule has a case here", () => {
    assert.deepEqual(resourceRules.map((r) => r.name).sort(), Object.keys(CASES).sort());
  });

  for (const rule of resourceRules) {
    it(`${rule.name}: passes a compliant resource and reports a bad one`, () => {
      const { good, bad, expect } = CASES[rule.name]!;
      assert.deepEqual(rule.check(good), []);
      const found = rule.check(bad);
      assert.ok(
        found.some((v) => expect.test(v)),
        `expected ${String(expect)} in ${JSON.stringify(found)}`,
      );
    });
  }

  it("no-wildcard-actions: kms:* is allowed only for the root of a key policy", () => {
    const rule = resourceRules.find((r) => r.name === "no-wildcard-actions")!;
    const toRole = doc({
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:role/app" },
      Action: "kms:*",
      Resource: "*",
    });
    assert.deepEqual(rule.check({ type: TYPES.kmsKey, name: "k", props: { policy: toRole } }), [
      'statement #1 allows "kms:*"',
    ]);
    const inRolePolicy = doc({
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::123456789012:root" },
      Action: "kms:*",
      Resource: "*",
    });
    assert.equal(
      rule.check({ type: TYPES.rolePolicy, name: "rp", props: { policy: inRolePolicy } }).length,
      1,
    );
  });

  it("s3-bucket-baseline: reports each missing setting of a bucket, by id or by name when unknown", () => {
    const rule = stackRules.find((r) => r.name === "s3-bucket-baseline")!;
    const bucket = { type: TYPES.bucket, name: "b", props: { id: "b-id" } };
    const complete: ResourceUnderTest[] = [
      bucket,
      { type: TYPES.bucketEncryption, name: "x1", props: { bucket: "b-id" } },
      { type: TYPES.bucketPublicAccess, name: "x2", props: { bucket: "b-id" } },
      { type: TYPES.bucketOwnership, name: "x3", props: { bucket: "b-id" } },
      { type: TYPES.bucketVersioning, name: "b-versioning", props: {} },
      { type: TYPES.bucketPolicy, name: "x5", props: { bucket: "b-id" } },
    ];
    assert.deepEqual(rule.check(complete), []);
    assert.deepEqual(
      rule.check(
        complete.filter((r) => r.type !== TYPES.bucketPublicAccess && r.type !== TYPES.bucketPolicy),
      ),
      ["bucket b has no a public access block", "bucket b has no a bucket policy (TLS only)"],
    );
  });

  it("sqs-queue-policy: reports a queue without a policy, by URL or by name", () => {
    const rule = stackRules.find((r) => r.name === "sqs-queue-policy")!;
    const queue = { type: TYPES.queue, name: "q", props: { url: "https://sqs/q" } };
    assert.deepEqual(
      rule.check([queue, { type: TYPES.queuePolicy, name: "x", props: { queueUrl: "https://sqs/q" } }]),
      [],
    );
    assert.deepEqual(rule.check([queue, { type: TYPES.queuePolicy, name: "q-policy", props: {} }]), []);
    assert.deepEqual(
      rule.check([queue, { type: TYPES.queuePolicy, name: "x", props: { queueUrl: "https://sqs/other" } }]),
      ["queue q has no queue policy"],
    );
  });

  it("the @pulumi/policy adapters report through reportViolation", () => {
    const rotation = policies.find((p) => p.name === "kms-key-rotation") as ResourceValidationPolicy;
    const reported: string[] = [];
    const args = { type: TYPES.kmsKey, name: "k", props: { enableKeyRotation: false } };
    const validate = rotation.validateResource as (a: unknown, report: (message: string) => void) => void;
    validate(args, (message) => reported.push(message));
    assert.deepEqual(reported, ["enableKeyRotation must be true"]);
    const baseline = policies.find((p) => p.name === "s3-bucket-baseline") as StackValidationPolicy;
    const stackReported: string[] = [];
    void baseline.validateStack(
      { resources: [{ type: TYPES.bucket, name: "b", props: {} }] } as never,
      (message) => stackReported.push(String(message)),
    );
    assert.equal(stackReported.length, 5);
  });

  it("violations() prefixes each finding with its rule and resource", () => {
    assert.deepEqual(violations([CASES["kms-key-rotation"]!.bad]), [
      "kms-key-rotation: k: enableKeyRotation must be true",
      "required-tags: k: tag Project is missing",
      "required-tags: k: tag Environment is missing",
      "required-tags: k: tag ManagedBy is missing",
    ]);
  });
});
