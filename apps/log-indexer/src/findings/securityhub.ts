/**
 * A Security Hub finding in the AWS Security Finding Format (one element of
 * `detail.findings` of an EventBridge "Security Hub Findings - Imported"
 * event; attributes as in the Security Hub User Guide, "Required top-level
 * ASFF attributes" / "Optional top-level ASFF attributes") → the findings document.
 */
import type { FindingDocument, Mapped } from "./document";
import { asNumber, asObject, asString, compact, isoTime } from "./document";
import type { SeverityLabel } from "./severity";
import { clampScore, isSeverityLabel, LABEL_SCORES, normalizedLabel } from "./severity";

/** EventBridge `source` of Security Hub events. */
export const SECURITYHUB_SOURCE = "aws.securityhub";
/** EventBridge `detail-type` of imported (new or updated) findings. */
export const SECURITYHUB_DETAIL_TYPE = "Security Hub Findings - Imported";

/**
 * The severity of an ASFF finding: `Label` when valid (the preferred
 * attribute), else the band of `Normalized`; the score is `Normalized`, else
 * the label's documented score. Security Hub rejects a finding with neither,
 * so undefined here means a malformed finding.
 */
export function securityHubSeverity(
  severity: unknown,
): { readonly label: SeverityLabel; readonly score: number } | undefined {
  const s = asObject(severity);
  if (s === undefined) return undefined;
  const normalized = asNumber(s.Normalized);
  const label = isSeverityLabel(s.Label) ? s.Label : undefined;
  if (label !== undefined)
    return { label, score: normalized === undefined ? LABEL_SCORES[label] : clampScore(normalized) };
  if (normalized === undefined) return undefined;
  return { label: normalizedLabel(normalized), score: clampScore(normalized) };
}

/** The region of a finding: `Region`, else its first resource's, else the region of `ProductArn`. */
function findingRegion(
  f: Record<string, unknown>,
  firstResource: Record<string, unknown> | undefined,
): string | undefined {
  const fromArn = asString(f.ProductArn)?.split(":")[3];
  return asString(f.Region) ?? asString(firstResource?.Region) ?? (fromArn === "" ? undefined : fromArn);
}

/**
 * Maps one ASFF finding. The resource is the first of `Resources` (the one
 * the finding is about; the others are context). `workflow_status` is
 * `Workflow.Status`, else the deprecated `WorkflowState`.
 *
 * @returns the document, or the reason it cannot be indexed (no `Id`, no
 *   valid `CreatedAt`/`UpdatedAt`, no usable `Severity`).
 */
export function mapSecurityHubFinding(finding: unknown): Mapped {
  const f = asObject(finding);
  if (f === undefined) return { ok: false, reason: "Security Hub finding is not a JSON object" };
  const id = asString(f.Id);
  if (id === undefined) return { ok: false, reason: "Security Hub finding has no Id" };
  const createdAt = isoTime(f.CreatedAt);
  if (createdAt === undefined) {
    return {
      ok: false,
      reason: `Security Hub finding ${id}: CreatedAt ${JSON.stringify(f.CreatedAt)} is not ISO-8601`,
    };
  }
  const updatedAt = isoTime(f.UpdatedAt);
  if (updatedAt === undefined) {
    return {
      ok: false,
      reason: `Security Hub finding ${id}: UpdatedAt ${JSON.stringify(f.UpdatedAt)} is not ISO-8601`,
    };
  }
  const severity = securityHubSeverity(f.Severity);
  if (severity === undefined) {
    return {
      ok: false,
      reason: `Security Hub finding ${id}: Severity has neither a valid Label nor Normalized`,
    };
  }
  const resources = Array.isArray(f.Resources) ? (f.Resources as unknown[]) : [];
  const first = asObject(resources[0]);
  const types = Array.isArray(f.Types)
    ? (f.Types as unknown[]).filter((t): t is string => typeof t === "string")
    : [];
  const document: FindingDocument = compact({
    "@timestamp": updatedAt,
    created_at: createdAt,
    updated_at: updatedAt,
    finding_id: id,
    product: "securityhub" as const,
    type: types.length === 0 ? undefined : types,
    title: asString(f.Title),
    description: asString(f.Description),
    severity_label: severity.label,
    severity_score: severity.score,
    account_id: asString(f.AwsAccountId),
    region: findingRegion(f, first),
    resource_type: asString(first?.Type),
    resource_id: asString(first?.Id),
    workflow_status: asString(asObject(f.Workflow)?.Status) ?? asString(f.WorkflowState),
    record_state: asString(f.RecordState),
    raw: f,
  });
  return { ok: true, document };
}
