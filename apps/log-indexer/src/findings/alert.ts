/**
 * Alerts for findings at or above a severity (`ALERT_SEVERITY`): whether a
 * finding alerts, and the SNS message (Subject and plain-text Message) that
 * says what it is, where, and how to open it.
 *
 * When to alert, from the finding's own fields (no state is kept between
 * invocations; both products re-send a finding every time it changes):
 *
 * - GuardDuty sends a finding when it is generated, then again for its
 *   later occurrences (aggregated under the same id, `service.count`
 *   increasing) every 15 minutes, 1 hour or 6 hours. It alerts on the first
 *   report only: `service.count` ≤ 1, or `updatedAt` within
 *   {@link FIRST_REPORT_WINDOW_MS} of `createdAt` (the first event may already
 *   aggregate the occurrences of its first minutes, so a count above 1 alone
 *   does not mean an update). Archived findings (`service.archived`) do not
 *   alert. A GuardDuty finding carries no earlier severity, so a rise cannot
 *   be seen on an update; GuardDuty reports an escalation as a new finding
 *   (a new id, e.g. an attack sequence), which alerts as new.
 * - Security Hub sends "Findings - Imported" on every import and update of
 *   a finding (control findings on every re-evaluation). It alerts when the
 *   finding is ACTIVE, its workflow is NEW (NOTIFIED, RESOLVED and
 *   SUPPRESSED mean someone has it), and either it is the first report
 *   (`UpdatedAt` within the window of `CreatedAt`) or its severity label
 *   rose above the provider's own (`Severity.Label` higher than
 *   `FindingProviderFields.Severity.Label`: raised by an analyst or an
 *   automation rule). A raised finding then alerts on each of its updates
 *   until its workflow leaves NEW: setting it to NOTIFIED is Security Hub's
 *   own way to say "the owner knows".
 *
 * - A GuardDuty finding also reaches Security Hub (ProductArn
 *   `…:product/aws/guardduty`) when both are on, under another id. When the
 *   platform also receives GuardDuty's own events (`guardDutyDirect`), that
 *   copy is indexed but does not alert: its GuardDuty event already did.
 *
 * The window errs towards one duplicate alert rather than a missed one.
 */
import type { PublishCommandInput } from "@aws-sdk/client-sns";
import type { FindingDocument } from "./document";
import { asNumber, asObject, asString } from "./document";
import type { SeverityLabel } from "./severity";
import { atLeast, isSeverityLabel, severityRank } from "./severity";

/** How close to its creation an update still counts as the finding's first report. */
export const FIRST_REPORT_WINDOW_MS = 5 * 60 * 1000;

/** SNS: Subject must be shorter than 100 characters, without line breaks or control characters. */
export const MAX_SUBJECT_CHARS = 99;

/** Longest description quoted in a message (SNS allows 256 KB; an alert is read, not archived). */
export const MAX_DESCRIPTION_CHARS = 4000;

/** Whether a finding alerts, and why (the reason is logged). */
export type AlertDecision =
  { readonly alert: true; readonly reason: string } | { readonly alert: false; readonly reason: string };

const PRODUCT_NAMES = { guardduty: "GuardDuty", securityhub: "Security Hub" } as const;

/** The finding's type(s) as a list (GuardDuty has one, Security Hub an array). */
function types(document: FindingDocument): readonly string[] {
  const type = document.type;
  if (type === undefined) return [];
  return typeof type === "string" ? [type] : type;
}

function elapsedMs(from: string, to: string): number {
  return Date.parse(to) - Date.parse(from);
}

/** Security Hub's product ARN of GuardDuty findings (`arn:<partition>:securityhub:<region>::product/aws/guardduty`). */
const GUARDDUTY_PRODUCT_ARN = /:product\/aws\/guardduty$/;

/**
 * Decides whether a finding alerts at `threshold` (see the module comment).
 *
 * @param guardDutyDirect true when GuardDuty's own events reach this handler too,
 *   so Security Hub's copies of GuardDuty findings must not alert a second time.
 */
export function alertDecision(
  document: FindingDocument,
  threshold: SeverityLabel,
  guardDutyDirect = false,
): AlertDecision {
  if (!atLeast(document.severity_label, threshold)) {
    return { alert: false, reason: `severity ${document.severity_label} is below ${threshold}` };
  }
  const productArn = asString(document.raw.ProductArn);
  if (
    guardDutyDirect &&
    document.product === "securityhub" &&
    productArn !== undefined &&
    GUARDDUTY_PRODUCT_ARN.test(productArn)
  ) {
    return { alert: false, reason: "GuardDuty finding imported by Security Hub: its GuardDuty event alerts" };
  }
  const firstReport = elapsedMs(document.created_at, document.updated_at) < FIRST_REPORT_WINDOW_MS;
  if (document.product === "guardduty") {
    const service = asObject(document.raw.service);
    if (service?.archived === true) return { alert: false, reason: "finding is archived" };
    const count = asNumber(service?.count) ?? 1;
    if (count <= 1) return { alert: true, reason: "first report (count 1)" };
    if (firstReport) return { alert: true, reason: "first report (updated within the window of creation)" };
    return { alert: false, reason: `update of an already reported finding (count ${count})` };
  }
  if (document.record_state !== undefined && document.record_state !== "ACTIVE") {
    return { alert: false, reason: `record state is ${document.record_state}` };
  }
  if (document.workflow_status !== undefined && document.workflow_status !== "NEW") {
    return { alert: false, reason: `workflow status is ${document.workflow_status}` };
  }
  if (firstReport) return { alert: true, reason: "first report (updated within the window of creation)" };
  const provider = asObject(asObject(document.raw.FindingProviderFields)?.Severity)?.Label;
  if (isSeverityLabel(provider) && severityRank(document.severity_label) > severityRank(provider)) {
    return {
      alert: true,
      reason: `severity raised from the provider's ${provider} to ${document.severity_label}`,
    };
  }
  return { alert: false, reason: "update of an already reported finding" };
}

/** Printable ASCII only, blanks collapsed: what SNS (and every mail client) shows as is. */
export function printableAscii(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\x20-\x7e]+/g, " ")
    .replace(/ {2,}/g, " ")
    .trim();
}

/** `text` cut to `max` characters, with `...` where it was cut. */
function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3).trimEnd()}...`;
}

/**
 * The Subject: `[HIGH] GuardDuty: <title>` — printable ASCII, at most
 * {@link MAX_SUBJECT_CHARS} characters, never empty (the type or the id
 * stands in for a missing or unprintable title).
 */
export function alertSubject(document: FindingDocument): string {
  const head = `[${document.severity_label}] ${PRODUCT_NAMES[document.product]}: `;
  const what =
    [document.title, types(document)[0], `finding ${document.finding_id}`]
      .map((candidate) => printableAscii(candidate ?? ""))
      .find((candidate) => candidate !== "") ?? "finding";
  return truncate(`${head}${what}`, MAX_SUBJECT_CHARS);
}

const CONSOLE_DOMAINS: Readonly<Record<string, string>> = {
  aws: "console.aws.amazon.com",
  "aws-cn": "console.amazonaws.cn",
  "aws-us-gov": "console.amazonaws-us-gov.com",
};

/** The partition of a finding: GuardDuty's `partition`, else the one in an ASFF ARN, else `aws`. */
function partitionOf(document: FindingDocument): string {
  const stated = asString(document.raw.partition);
  if (stated !== undefined) return stated;
  const arn = asString(document.raw.ProductArn) ?? document.finding_id;
  return arn.startsWith("arn:") ? (arn.split(":")[1] ?? "aws") : "aws";
}

/**
 * A console link that opens the finding: GuardDuty's findings page with
 * `fId` (the link Security Hub itself puts in GuardDuty's `SourceUrl`), or
 * Security Hub's findings page filtered on the finding `Id`.
 */
export function consoleLink(document: FindingDocument): string | undefined {
  const region = document.region;
  const domain = CONSOLE_DOMAINS[partitionOf(document)];
  if (region === undefined || domain === undefined) return undefined;
  const base = `https://${region}.${domain}`;
  if (document.product === "guardduty") {
    return `${base}/guardduty/home?region=${region}#/findings?macros=current&fId=${encodeURIComponent(document.finding_id)}`;
  }
  // The console's filter syntax: `Id=\operator\:EQUALS\:<id>`, its value URL-encoded twice.
  const filter = encodeURIComponent(encodeURIComponent(`\\operator\\:EQUALS\\:${document.finding_id}`));
  return `${base}/securityhub/home?region=${region}#/findings?search=Id%3D${filter}`;
}

/** First and last seen: the activity's times when the product gives them, else created/updated. */
function seen(document: FindingDocument): { first: string; last: string } {
  const raw = document.raw;
  if (document.product === "guardduty") {
    const service = asObject(raw.service);
    return {
      first: asString(service?.eventFirstSeen) ?? document.created_at,
      last: asString(service?.eventLastSeen) ?? document.updated_at,
    };
  }
  return {
    first: asString(raw.FirstObservedAt) ?? document.created_at,
    last: asString(raw.LastObservedAt) ?? document.updated_at,
  };
}

/** The plain-text Message: one fact per line, the description last. */
export function alertMessage(document: FindingDocument): string {
  const { first, last } = seen(document);
  const type = types(document).join(", ") || undefined;
  const lines = [
    `${PRODUCT_NAMES[document.product]} finding, severity ${document.severity_label} (${document.severity_score}/100)`,
    "",
    `Title:      ${document.title ?? "(none)"}`,
    `Type:       ${type ?? "(none)"}`,
    `Account:    ${document.account_id ?? "(unknown)"}`,
    `Region:     ${document.region ?? "(unknown)"}`,
    `Resource:   ${[document.resource_type, document.resource_id].filter((part) => part !== undefined).join(" ") || "(none)"}`,
    `First seen: ${first}`,
    `Last seen:  ${last}`,
  ];
  if (document.product === "guardduty") {
    const count = asNumber(asObject(document.raw.service)?.count);
    if (count !== undefined) lines.push(`Count:      ${count}`);
  } else {
    lines.push(
      `Workflow:   ${document.workflow_status ?? "(none)"}, record ${document.record_state ?? "(none)"}`,
    );
  }
  lines.push(`Finding id: ${document.finding_id}`);
  const link = consoleLink(document);
  if (link !== undefined) lines.push(`Console:    ${link}`);
  if (document.description !== undefined) {
    lines.push("", truncate(document.description, MAX_DESCRIPTION_CHARS));
  }
  return `${lines.join("\n")}\n`;
}

/** The SNS Publish input of an alert. */
export function alertPublishInput(document: FindingDocument, topicArn: string): PublishCommandInput {
  return { TopicArn: topicArn, Subject: alertSubject(document), Message: alertMessage(document) };
}
