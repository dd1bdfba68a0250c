import assert from "node:assert/strict";
import fc from "fast-check";
import { mapSecurityHubFinding, securityHubSeverity } from "../../src/findings/securityhub";
import { normalizedLabel } from "../../src/findings/severity";
import { clone, SECURITYHUB_CONTROL_FINDING, SECURITYHUB_GUARDDUTY_FINDING } from "./fixtures";

describe("findings/securityhub", () => {
  it("maps the imported GuardDuty finding field by field", () => {
    const mapped = mapSecurityHubFinding(clone(SECURITYHUB_GUARDDUTY_FINDING));
    assert.ok(mapped.ok);
    assert.deepEqual(mapped.document, {
      "@timestamp": "2021-01-05T01:15:01.549Z",
      created_at: "2021-01-05T01:15:01.549Z",
      updated_at: "2021-01-05T01:15:01.549Z",
      finding_id: SECURITYHUB_GUARDDUTY_FINDING.Id,
      product: "securityhub",
      type: ["Software and Configuration Checks/Backdoor:EC2.C&CActivity.B"],
      title: "EC2 instance i-99999999 communicating outbound with C&C Server.",
      description: SECURITYHUB_GUARDDUTY_FINDING.Description,
      severity_label: "HIGH",
      severity_score: 80,
      account_id: "123456789012",
      region: "us-east-1",
      resource_type: "AwsEc2Instance",
      resource_id: "arn:aws:ec2:us-east-1:123456789012:instance/i-99999999",
      workflow_status: "NEW",
      record_state: "ACTIVE",
      raw: SECURITYHUB_GUARDDUTY_FINDING,
    });
  });

  it("maps the control finding: label without Normalized gets the documented score", () => {
    const mapped = mapSecurityHubFinding(clone(SECURITYHUB_CONTROL_FINDING));
    assert.ok(mapped.ok);
    const d = mapped.document;
    assert.equal(d.finding_id, SECURITYHUB_CONTROL_FINDING.Id);
    assert.equal(d.severity_label, "MEDIUM");
    assert.equal(d.severity_score, 40);
    assert.equal(d.created_at, "2017-03-22T13:22:13.933Z");
    assert.equal(d["@timestamp"], "2017-04-22T13:22:13.933Z");
    assert.equal(d.account_id, "111111111111");
    assert.equal(d.region, "eu-central-1");
    assert.equal(d.resource_type, "AwsAccount");
    assert.equal(d.resource_id, "AWS::::Account:111111111111");
  });

  it("falls back to the deprecated WorkflowState and the ProductArn's region", () => {
    const finding: Record<string, unknown> = clone(SECURITYHUB_GUARDDUTY_FINDING);
    delete finding.Workflow;
    finding.WorkflowState = "ASSIGNED";
    finding.Resources = [];
    const mapped = mapSecurityHubFinding(finding);
    assert.ok(mapped.ok);
    assert.equal(mapped.document.workflow_status, "ASSIGNED");
    assert.equal(mapped.document.region, "us-east-1");
    assert.equal(mapped.document.resource_id, undefined);
    assert.ok(!("resource_id" in mapped.document), "absent fields are left out of the document");
  });

  for (const [field, reason] of [
    ["Id", /no Id/],
    ["CreatedAt", /CreatedAt undefined is not ISO-8601/],
    ["UpdatedAt", /UpdatedAt undefined is not ISO-8601/],
    ["Severity", /neither a valid Label nor Normalized/],
  ] as const) {
    it(`keeps a finding without ${field} with its reason`, () => {
      const finding: Record<string, unknown> = clone(SECURITYHUB_CONTROL_FINDING);
      delete finding[field];
      const mapped = mapSecurityHubFinding(finding);
      assert.equal(mapped.ok, false);
      assert.match(mapped.ok ? "" : mapped.reason, reason);
    });
  }

  describe("severity", () => {
    it("puts the documented Normalized edges in the documented bands", () => {
      const cases: [number, string][] = [
        [0, "INFORMATIONAL"],
        [1, "LOW"],
        [39, "LOW"],
        [40, "MEDIUM"],
        [69, "MEDIUM"],
        [70, "HIGH"],
        [89, "HIGH"],
        [90, "CRITICAL"],
        [100, "CRITICAL"],
      ];
      for (const [normalized, label] of cases) {
        assert.deepEqual(securityHubSeverity({ Normalized: normalized }), { label, score: normalized });
      }
    });

    it("labels every integer Normalized 0–100 by its band; Label wins when both are given", () => {
      const floors: [number, string][] = [
        [90, "CRITICAL"],
        [70, "HIGH"],
        [40, "MEDIUM"],
        [1, "LOW"],
        [0, "INFORMATIONAL"],
      ];
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 100 }), fc.constantFrom("LOW", "CRITICAL"), (n, label) => {
          assert.equal(normalizedLabel(n), floors.find(([floor]) => n >= floor)?.[1]);
          assert.deepEqual(securityHubSeverity({ Normalized: n, Label: label }), { label, score: n });
        }),
      );
    });

    it("derives from Normalized when the Label is not a valid one", () => {
      assert.deepEqual(securityHubSeverity({ Label: "high", Normalized: "75" }), {
        label: "HIGH",
        score: 75,
      });
      assert.equal(securityHubSeverity({ Label: "high" }), undefined);
    });
  });
});
