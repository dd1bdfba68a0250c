import * as assert from "node:assert/strict";

import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { policies } from "../policies";
import { UNKNOWN, unknownCheckingProxy } from "../unknowns";
import type { ResourceRule, ResourceUnderTest } from "../rules";
import { advisories, lambdaRuntimeRule, resourceRules, stackRules, TYPES, violations } from "../rules";

/** What @pulumi/policy's unknownCheckingProxy treats as an unknown string (see test/unknowns.test.ts). */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The runtime rule on a fixed day, so these cases do not change with the calendar. */
const runtimeRuleOn = (day: string): ResourceRule => lambdaRuntimeRule(() => new Date(`${day}T12:00:00Z`));
const fn = (props: Record<string, unknown>): ResourceUnderTest => ({
  type: TYPES.lambdaFunction,
  name: "f",
  props: { tags: TAGS, ...props },
});

const TAGS = { Project: "log-platform", Environment: "dev", ManagedBy: "pulumi" };
const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const tlsDeny = {
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};

/** For each rule: a resource that complies and one that must be reported (`rule`: the rule as tested, when not the shipped one). */
const CASES: Record<
  string,
  { good: ResourceUnderTest; bad: ResourceUnderTest; expect: RegExp; rule?: ResourceRule }
> = {
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
  "lambda-trusted-layers": {
    good: fn({
      layers: ["arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-collector-arm64-ver-0-117-0:1"],
    }),
    bad: fn({ layers: ["arn:aws:lambda:eu-west-1:123456789012:layer:anything:3"] }),
    expect: /layers\[0\] comes from account 123456789012, not a trusted layer publisher \(901920570463\)/,
  },
  "lambda-supported-runtime": {
    rule: runtimeRuleOn("2026-12-03"),
    good: fn({ runtime: "nodejs24.x" }),
    bad: fn({ runtime: "nodejs20.x" }),
    expect: /nodejs20\.x is deprecated since 2026-04-30/,
  },
};

describe("policy rules", () => {
  it("every resource rule has a case here", () => {
    assert.deepEqual(resourceRules.map((r) => r.name).sort(), Object.keys(CASES).sort());
  });

  for (const shipped of resourceRules) {
    it(`${shipped.name}: passes a compliant resource and reports a bad one`, () => {
      const { good, bad, expect, rule = shipped } = CASES[shipped.name]!;
      assert.deepEqual(rule.check(good), []);
      const found = rule.check(bad);
      assert.ok(
        found.some((f) => f.level === "mandatory" && expect.test(f.message)),
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
      { level: "mandatory", message: 'statement #1 allows "kms:*"' },
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

  it("every resource rule is a mandatory policy and an advisory twin", () => {
    const levels = new Map(policies.map((p) => [p.name, p.enforcementLevel]));
    for (const rule of resourceRules) {
      assert.equal(levels.get(rule.name), "mandatory", rule.name);
      assert.equal(levels.get(`${rule.name}-advisory`), "advisory", rule.name);
    }
  });

  it("meeting unknowns (preview), a policy still reports what it decides and says what it cannot", () => {
    // As @pulumi/policy hands props to a policy during a preview: a proxy that throws on an unknown.
    const props = unknownCheckingProxy({
      kmsMasterKeyId: UNKNOWN_STRING,
      tags: { Project: "log-platform", Environment: UNKNOWN_STRING },
    });
    const run = (name: string): string[] => {
      const policy = policies.find((p) => p.name === name) as ResourceValidationPolicy;
      const validate = policy.validateResource as (a: unknown, report: (message: string) => void) => void;
      const reported: string[] = [];
      validate({ type: TYPES.topic, name: "t", props }, (message) => reported.push(message));
      return reported;
    };
    assert.deepEqual(run("required-tags"), ["tag ManagedBy is missing"]);
    assert.deepEqual(run("required-tags-advisory"), [
      "cannot decide during preview: tag Environment is not known yet (decided again when the update runs)",
    ]);
    assert.deepEqual(run("sns-encrypted"), []);
    assert.deepEqual(run("sns-encrypted-advisory"), [
      "cannot decide during preview: kmsMasterKeyId is not known yet (decided again when the update runs)",
    ]);
  });

  it("each rule decides what it can around an unknown and leaves only the rest undecided", () => {
    const levels = (rule: string, resource: ResourceUnderTest) =>
      resourceRules
        .find((r) => r.name === rule)!
        .check(resource)
        .map((f) => `${f.level}: ${f.message}`);
    const undecided = (what: string) =>
      `advisory: cannot decide during preview: ${what} is not known yet (decided again when the update runs)`;
    assert.deepEqual(
      levels("s3-encryption-at-rest", {
        type: TYPES.bucketEncryption,
        name: "e",
        props: {
          rules: [
            {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: UNKNOWN },
              bucketKeyEnabled: false,
            },
          ],
        },
      }),
      [undecided("kmsMasterKeyId"), "mandatory: bucketKeyEnabled must be true with SSE-KMS"],
    );
    assert.deepEqual(
      levels("s3-block-public-access", {
        type: TYPES.bucketPublicAccess,
        name: "p",
        props: {
          blockPublicAcls: UNKNOWN,
          blockPublicPolicy: false,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
      }),
      [undecided("blockPublicAcls"), "mandatory: blockPublicPolicy must be true"],
    );
    // A policy document built from outputs is unknown as a whole until the update.
    assert.deepEqual(
      levels("s3-tls-only", { type: TYPES.bucketPolicy, name: "bp", props: { policy: UNKNOWN } }),
      [undecided("policy")],
    );
    assert.deepEqual(
      levels("no-wildcard-actions", {
        type: TYPES.role,
        name: "r",
        props: { tags: TAGS, inlinePolicies: [{ name: "p", policy: UNKNOWN }] },
      }),
      [undecided("inlinePolicies[0].policy")],
    );
    // A missing setting is not an unknown: it fails.
    assert.deepEqual(
      levels("log-group-retention-and-encryption", {
        type: TYPES.logGroup,
        name: "lg",
        props: { kmsKeyId: UNKNOWN, tags: TAGS },
      }),
      ["mandatory: retentionInDays must be set (logs are otherwise kept forever)", undecided("kmsKeyId")],
    );
    // Stack rules link settings to their bucket by name while the bucket id is unknown.
    const baseline = stackRules.find((r) => r.name === "s3-bucket-baseline")!;
    const settings = [
      TYPES.bucketEncryption,
      TYPES.bucketPublicAccess,
      TYPES.bucketOwnership,
      TYPES.bucketVersioning,
      TYPES.bucketPolicy,
    ].map((type, i) => ({ type, name: `b-setting-${i}`, props: { bucket: UNKNOWN } }));
    assert.deepEqual(
      baseline.check([{ type: TYPES.bucket, name: "b", props: { id: UNKNOWN } }, ...settings]),
      [],
    );
  });

  it("lambda-trusted-layers: no layers is fine; an unversioned ARN is reported, an unknown one left undecided", () => {
    const rule = resourceRules.find((r) => r.name === "lambda-trusted-layers")!;
    assert.deepEqual(rule.check(fn({})), []);
    assert.deepEqual(
      rule.check(
        fn({ layers: ["arn:aws:lambda:eu-west-1:901920570463:layer:aws-otel-collector-arm64-ver-0-117-0"] }),
      ),
      [{ level: "mandatory", message: "layers[0] is not a layer version ARN (…:layer:<name>:<version>)" }],
    );
    // In a preview the ARN may not be known yet: undecided, not a failure.
    assert.notEqual(rule.check(fn({ layers: [UNKNOWN] }))[0]?.level, "mandatory");
    assert.equal(rule.check(fn({ layers: [UNKNOWN] })).length, 1);
  });

  describe("lambda-supported-runtime", () => {
    // Dates: https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html (supported Node.js runtimes)
    const findings = (day: string, props: Record<string, unknown>) =>
      runtimeRuleOn(day)
        .check(fn(props))
        .map((f) => `${f.level}: ${f.message}`);

    it("fails nodejs20.x today (deprecated 2026-04-30, create blocked 2026-08-31, update 2026-09-30)", () => {
      assert.deepEqual(findings("2026-12-03", { runtime: "nodejs20.x" }), [
        "mandatory: nodejs20.x is deprecated since 2026-04-30 (no more patches); Lambda blocks creating functions on it from 2026-08-31 and updating them from 2026-09-30",
      ]);
      // The shipped rule reads the real clock, which is past all three dates from now on.
      const shipped = resourceRules.find((r) => r.name === "lambda-supported-runtime")!;
      assert.equal(shipped.check(fn({ runtime: "nodejs20.x" }))[0]?.level, "mandatory");
    });

    it("warns (advisory) from 60 days before the deprecation date, fails from that date", () => {
      assert.deepEqual(findings("2027-02-28", { runtime: "nodejs22.x" }), []);
      assert.deepEqual(findings("2027-03-01", { runtime: "nodejs22.x" }), [
        "advisory: nodejs22.x is deprecated on 2027-04-30, in 60 days; Lambda blocks creating functions on it from 2027-06-01 and updating them from 2027-07-01",
      ]);
      assert.match(
        findings("2027-04-30", { runtime: "nodejs22.x" })[0] ?? "",
        /^mandatory: nodejs22\.x is deprecated since/,
      );
      assert.match(
        findings("2028-03-15", { runtime: "nodejs24.x" })[0] ?? "",
        /^advisory: nodejs24\.x is deprecated on 2028-04-30/,
      );
    });

    it("fails a runtime the table does not list, with what to do", () => {
      for (const runtime of ["nodejs26.x", "python3.13", "nodejs18.x"]) {
        assert.deepEqual(findings("2026-12-03", { runtime }), [
          `mandatory: runtime ${runtime} is not in policy/lambda-runtimes.ts: add its deprecation, block-create and block-update dates from https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html, or use a runtime listed there`,
        ]);
      }
      assert.deepEqual(findings("2026-12-03", {}), ["mandatory: runtime must be set"]);
    });

    it("cannot decide an unknown runtime during a preview; skips container-image functions", () => {
      assert.deepEqual(findings("2026-12-03", { runtime: UNKNOWN }), [
        "advisory: cannot decide during preview: runtime is not known yet (decided again when the update runs)",
      ]);
      assert.deepEqual(findings("2026-12-03", { packageType: "Image" }), []);
    });
  });

  it("advisories() lists the advisory findings in the same format", () => {
    assert.deepEqual(
      advisories([{ type: TYPES.topic, name: "t", props: { kmsMasterKeyId: UNKNOWN, tags: TAGS } }]),
      [
        "sns-encrypted: t: cannot decide during preview: kmsMasterKeyId is not known yet (decided again when the update runs)",
      ],
    );
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
