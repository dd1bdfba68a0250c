import assert from "node:assert/strict";
import fc from "fast-check";
import { mapGuardDutyFinding } from "../../src/findings/guardduty";
import { guardDutyLabel, guardDutyScore } from "../../src/findings/severity";
import { clone, GUARDDUTY_FINDING } from "./fixtures";

describe("findings/guardduty", () => {
  it("maps GuardDuty's sample finding field by field", () => {
    const mapped = mapGuardDutyFinding(clone(GUARDDUTY_FINDING));
    assert.ok(mapped.ok);
    assert.deepEqual(mapped.document, {
      "@timestamp": "2018-05-11T14:56:39.976Z",
      created_at: "2018-05-11T14:56:39.976Z",
      updated_at: "2018-05-11T14:56:39.976Z",
      finding_id: "02be5693b63eea1d67e6f321c6aee4f3",
      product: "guardduty",
      type: "UnauthorizedAccess:EC2/SSHBruteForce",
      title: GUARDDUTY_FINDING.title,
      description: GUARDDUTY_FINDING.description,
      severity_label: "LOW",
      severity_score: 20,
      account_id: "111122223333",
      region: "us-east-1",
      resource_type: "Instance",
      resource_id: "i-99999999",
      record_state: "ACTIVE",
      raw: GUARDDUTY_FINDING,
    });
  });

  it("uses updatedAt as @timestamp and normalises offsets to UTC", () => {
    const finding = { ...clone(GUARDDUTY_FINDING), updatedAt: "2018-05-12T01:00:00+02:00" };
    const mapped = mapGuardDutyFinding(finding);
    assert.ok(mapped.ok);
    assert.equal(mapped.document["@timestamp"], "2018-05-11T23:00:00.000Z");
    assert.equal(mapped.document.updated_at, "2018-05-11T23:00:00.000Z");
  });

  it("reads the resource id of other resource types", () => {
    const accessKey = {
      ...clone(GUARDDUTY_FINDING),
      resource: {
        resourceType: "AccessKey",
        accessKeyDetails: { accessKeyId: "ASIASZ4SI7REXAMPLE", userName: "alice", userType: "IAMUser" },
      },
    };
    const bucket = {
      ...clone(GUARDDUTY_FINDING),
      resource: { resourceType: "S3Bucket", s3BucketDetails: [{ name: "amzn-s3-demo-bucket" }] },
    };
    const a = mapGuardDutyFinding(accessKey);
    const b = mapGuardDutyFinding(bucket);
    assert.ok(a.ok && b.ok);
    assert.equal(a.document.resource_id, "ASIASZ4SI7REXAMPLE");
    assert.equal(b.document.resource_type, "S3Bucket");
    assert.equal(b.document.resource_id, "amzn-s3-demo-bucket");
  });

  it("marks archived findings", () => {
    const finding = clone(GUARDDUTY_FINDING);
    finding.service.archived = true;
    const mapped = mapGuardDutyFinding(finding);
    assert.ok(mapped.ok);
    assert.equal(mapped.document.record_state, "ARCHIVED");
  });

  for (const [field, value, reason] of [
    ["id", undefined, /no id/],
    ["createdAt", undefined, /createdAt undefined is not ISO-8601/],
    ["updatedAt", "yesterday", /updatedAt "yesterday" is not ISO-8601/],
    ["severity", "high", /severity "high" is not a number/],
  ] as const) {
    it(`keeps a finding whose ${field} is ${String(value)} with its reason`, () => {
      const finding: Record<string, unknown> = clone(GUARDDUTY_FINDING);
      if (value === undefined) delete finding[field];
      else finding[field] = value;
      const mapped = mapGuardDutyFinding(finding);
      assert.equal(mapped.ok, false);
      assert.match(mapped.ok ? "" : mapped.reason, reason);
    });
  }

  it("refuses a detail that is not an object", () => {
    assert.deepEqual(mapGuardDutyFinding([1]), {
      ok: false,
      reason: "GuardDuty finding is not a JSON object",
    });
  });

  describe("severity", () => {
    it("puts the documented band edges in the documented bands", () => {
      const cases: [number, string][] = [
        [1.0, "LOW"],
        [3.9, "LOW"],
        [4.0, "MEDIUM"],
        [6.9, "MEDIUM"],
        [7.0, "HIGH"],
        [8.9, "HIGH"],
        [9.0, "CRITICAL"],
        [10.0, "CRITICAL"],
      ];
      for (const [severity, label] of cases) assert.equal(guardDutyLabel(severity), label, String(severity));
    });

    it("labels every score in 0–10 like the bands and scales it to 0–100", () => {
      const bands: [number, string][] = [
        [9, "CRITICAL"],
        [7, "HIGH"],
        [4, "MEDIUM"],
        [0, "LOW"],
      ];
      fc.assert(
        fc.property(fc.double({ min: 0, max: 10, noNaN: true }), (severity) => {
          const expected = bands.find(([floor]) => severity >= floor)?.[1];
          assert.equal(guardDutyLabel(severity), expected);
          const score = guardDutyScore(severity);
          assert.ok(score >= 0 && score <= 100);
          assert.ok(Math.abs(score - severity * 10) <= 0.005 + 1e-9, `${severity} → ${score}`);
        }),
      );
    });

    it("scales one-decimal severities exactly", () => {
      for (let tenths = 10; tenths <= 100; tenths++) {
        assert.equal(guardDutyScore(tenths / 10), tenths);
      }
    });
  });
});
