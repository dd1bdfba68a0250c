import assert from "node:assert/strict";
import fc from "fast-check";
import {
  alertDecision,
  alertMessage,
  alertPublishInput,
  alertSubject,
  consoleLink,
  FIRST_REPORT_WINDOW_MS,
  MAX_SUBJECT_CHARS,
} from "../../src/findings/alert";
import type { FindingDocument } from "../../src/findings/document";
import { mapGuardDutyFinding } from "../../src/findings/guardduty";
import { mapSecurityHubFinding } from "../../src/findings/securityhub";
import { parseAlertSeverity, SEVERITY_LABELS } from "../../src/findings/severity";
import {
  clone,
  GUARDDUTY_FINDING,
  SECURITYHUB_CONTROL_FINDING,
  SECURITYHUB_GUARDDUTY_FINDING,
} from "./fixtures";

function guardDuty(
  change: (f: ReturnType<typeof clone<typeof GUARDDUTY_FINDING>>) => void = () => {},
): FindingDocument {
  const finding = clone(GUARDDUTY_FINDING);
  change(finding);
  const mapped = mapGuardDutyFinding(finding);
  assert.ok(mapped.ok);
  return mapped.document;
}

function securityHub(
  change: (f: Record<string, unknown>) => void = () => {},
  base: object = SECURITYHUB_GUARDDUTY_FINDING,
): FindingDocument {
  const finding = clone(base) as Record<string, unknown>;
  change(finding);
  const mapped = mapSecurityHubFinding(finding);
  assert.ok(mapped.ok);
  return mapped.document;
}

const later = (time: string, ms: number): string => new Date(Date.parse(time) + ms).toISOString();

describe("findings/alert", () => {
  describe("threshold", () => {
    it("reads ALERT_SEVERITY, default HIGH", () => {
      assert.equal(parseAlertSeverity(undefined), "HIGH");
      assert.equal(parseAlertSeverity(" critical "), "CRITICAL");
      assert.match(
        (parseAlertSeverity("INFORMATIONAL") as { error: string }).error,
        /LOW, MEDIUM, HIGH, CRITICAL/,
      );
      assert.match((parseAlertSeverity("urgent") as { error: string }).error, /"urgent"/);
    });

    it("alerts on a new finding exactly when its label is at or above the threshold", () => {
      const labels = SEVERITY_LABELS.slice(1);
      fc.assert(
        fc.property(
          fc.double({ min: 1, max: 10, noNaN: true }),
          fc.constantFrom(...labels),
          (severity, threshold) => {
            const document = guardDuty((f) => (f.severity = severity));
            const expected =
              SEVERITY_LABELS.indexOf(document.severity_label) >= SEVERITY_LABELS.indexOf(threshold);
            assert.equal(alertDecision(document, threshold).alert, expected);
          },
        ),
      );
    });

    it("does not alert GuardDuty's LOW sample at HIGH, does at LOW", () => {
      assert.deepEqual(alertDecision(guardDuty(), "HIGH"), {
        alert: false,
        reason: "severity LOW is below HIGH",
      });
      assert.equal(alertDecision(guardDuty(), "LOW").alert, true);
    });
  });

  describe("updates", () => {
    it("GuardDuty: a later occurrence (count > 1, updated later) does not re-alert", () => {
      const update = guardDuty((f) => {
        f.severity = 8;
        f.service.count = 5;
        f.updatedAt = later(f.createdAt, 6 * 3600_000);
      });
      assert.deepEqual(alertDecision(update, "HIGH"), {
        alert: false,
        reason: "update of an already reported finding (count 5)",
      });
    });

    it("GuardDuty: a first report that already aggregates occurrences still alerts", () => {
      const first = guardDuty((f) => {
        f.severity = 8;
        f.service.count = 3;
        f.updatedAt = later(f.createdAt, FIRST_REPORT_WINDOW_MS - 1);
      });
      assert.equal(alertDecision(first, "HIGH").alert, true);
    });

    it("GuardDuty: archived findings do not alert", () => {
      const archived = guardDuty((f) => {
        f.severity = 9.5;
        f.service.archived = true;
      });
      assert.deepEqual(alertDecision(archived, "HIGH"), { alert: false, reason: "finding is archived" });
    });

    it("Security Hub: the first import alerts, a re-import does not", () => {
      assert.equal(alertDecision(securityHub(), "HIGH").alert, true);
      const reimport = securityHub((f) => (f.UpdatedAt = later(f.CreatedAt as string, 86_400_000)));
      assert.deepEqual(alertDecision(reimport, "HIGH"), {
        alert: false,
        reason: "update of an already reported finding",
      });
    });

    it("Security Hub's copy of a GuardDuty finding alerts only when GuardDuty's own events do not come", () => {
      assert.equal(alertDecision(securityHub(), "HIGH", false).alert, true);
      assert.deepEqual(alertDecision(securityHub(), "HIGH", true), {
        alert: false,
        reason: "GuardDuty finding imported by Security Hub: its GuardDuty event alerts",
      });
      const control = securityHub((f) => (f.UpdatedAt = f.CreatedAt), SECURITYHUB_CONTROL_FINDING);
      assert.equal(alertDecision(control, "LOW", true).alert, alertDecision(control, "LOW", false).alert);
      assert.equal(alertDecision(guardDuty(), "LOW", true).alert, true);
    });

    it("Security Hub: an update whose label rose above the provider's alerts again", () => {
      const raised = securityHub((f) => {
        f.Severity = { Label: "CRITICAL" };
      }, SECURITYHUB_CONTROL_FINDING);
      const decision = alertDecision(raised, "HIGH");
      assert.deepEqual(decision, {
        alert: true,
        reason: "severity raised from the provider's MEDIUM to CRITICAL",
      });
      const same = securityHub((f) => (f.Severity = { Label: "MEDIUM" }), SECURITYHUB_CONTROL_FINDING);
      assert.equal(alertDecision(same, "MEDIUM").alert, false);
    });

    it("Security Hub: handled or archived findings do not alert", () => {
      const notified = securityHub((f) => (f.Workflow = { Status: "NOTIFIED" }));
      const archived = securityHub((f) => (f.RecordState = "ARCHIVED"));
      assert.deepEqual(alertDecision(notified, "HIGH"), {
        alert: false,
        reason: "workflow status is NOTIFIED",
      });
      assert.deepEqual(alertDecision(archived, "HIGH"), { alert: false, reason: "record state is ARCHIVED" });
    });
  });

  describe("subject", () => {
    it("reads like a headline", () => {
      assert.equal(
        alertSubject(securityHub()),
        "[HIGH] Security Hub: EC2 instance i-99999999 communicating outbound with C&C Server.",
      );
      assert.equal(
        alertSubject(guardDuty()),
        "[LOW] GuardDuty: 198.51.100.0 is performing SSH brute force attacks against i-99999999.",
      );
    });

    it("is always 1–99 printable ASCII characters, whatever the title", () => {
      fc.assert(
        fc.property(
          fc.option(fc.string({ unit: "binary", maxLength: 400 })),
          fc.option(fc.string({ unit: "grapheme", maxLength: 60 })),
          (title, type) => {
            const document = guardDuty((f) => {
              f.title = title as string;
              f.type = type as string;
            });
            const subject = alertSubject(document);
            assert.ok(subject.length >= 1 && subject.length <= MAX_SUBJECT_CHARS, JSON.stringify(subject));
            assert.match(subject, /^[\x20-\x7e]+$/);
            assert.match(subject, /^\[(LOW|MEDIUM|HIGH|CRITICAL)\] GuardDuty: \S/);
          },
        ),
      );
    });

    it("cuts long titles with an ellipsis and drops line breaks and accents", () => {
      const long = alertSubject(guardDuty((f) => (f.title = `Crème brûlée\nattack ${"x".repeat(200)}`)));
      assert.equal(long.length, MAX_SUBJECT_CHARS);
      assert.ok(long.startsWith("[LOW] GuardDuty: Creme brulee attack xxx"));
      assert.ok(long.endsWith("..."));
    });

    it("falls back to the type, then the id, when the title has nothing printable", () => {
      assert.equal(
        alertSubject(guardDuty((f) => (f.title = "\u{1F525}\u{1F525}"))),
        "[LOW] GuardDuty: UnauthorizedAccess:EC2/SSHBruteForce",
      );
      const untitled = securityHub((f) => {
        delete f.Title;
        delete f.Types;
      });
      assert.equal(
        alertSubject(untitled),
        `[HIGH] Security Hub: finding ${untitled.finding_id}`.slice(0, 96) + "...",
      );
    });
  });

  describe("message", () => {
    it("says what, where, when and how to open it", () => {
      const document = securityHub();
      const message = alertMessage(document);
      for (const expected of [
        "Security Hub finding, severity HIGH (80/100)",
        "Title:      EC2 instance i-99999999 communicating outbound with C&C Server.",
        "Type:       Software and Configuration Checks/Backdoor:EC2.C&CActivity.B",
        "Account:    123456789012",
        "Region:     us-east-1",
        "Resource:   AwsEc2Instance arn:aws:ec2:us-east-1:123456789012:instance/i-99999999",
        "First seen: 2021-01-05T01:15:01.549Z",
        "Last seen:  2021-01-05T01:15:01.549Z",
        "Workflow:   NEW, record ACTIVE",
        `Console:    ${consoleLink(document)}`,
        SECURITYHUB_GUARDDUTY_FINDING.Description,
      ]) {
        assert.ok(message.includes(expected), `${expected}\n--- in ---\n${message}`);
      }
    });

    it("links GuardDuty findings to the GuardDuty console page Security Hub itself uses", () => {
      const document = guardDuty();
      assert.equal(
        consoleLink(document),
        "https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1#/findings?macros=current&fId=02be5693b63eea1d67e6f321c6aee4f3",
      );
      const message = alertMessage(document);
      assert.ok(message.includes("First seen: 2018-05-11T14:56:39.976Z"));
      assert.ok(message.includes("Count:      1"));
      assert.ok(message.includes("Resource:   Instance i-99999999"));
    });

    it("links Security Hub findings to the findings page filtered on their Id", () => {
      const link = consoleLink(securityHub()) ?? "";
      assert.ok(
        link.startsWith(
          "https://us-east-1.console.aws.amazon.com/securityhub/home?region=us-east-1#/findings?search=Id%3D",
        ),
      );
      const filter = decodeURIComponent(decodeURIComponent(link.split("search=Id%3D")[1] ?? ""));
      assert.equal(filter, `\\operator\\:EQUALS\\:${SECURITYHUB_GUARDDUTY_FINDING.Id}`);
    });

    it("builds the Publish input for the topic", () => {
      const input = alertPublishInput(securityHub(), "arn:aws:sns:us-east-1:123456789012:alerts");
      assert.equal(input.TopicArn, "arn:aws:sns:us-east-1:123456789012:alerts");
      assert.equal(input.Subject, alertSubject(securityHub()));
      assert.equal(input.Message, alertMessage(securityHub()));
    });
  });
});
