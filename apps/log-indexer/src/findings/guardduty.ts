/**
 * A GuardDuty finding (the `detail` of an EventBridge "GuardDuty Finding"
 * event; fields as in the GuardDuty API Reference, "Finding") → the findings
 * document.
 */
import type { FindingDocument, Mapped } from "./document";
import { asNumber, asObject, asString, compact, isoTime } from "./document";
import { guardDutyLabel, guardDutyScore } from "./severity";

/** EventBridge `source` of GuardDuty events. */
export const GUARDDUTY_SOURCE = "aws.guardduty";
/** EventBridge `detail-type` of GuardDuty findings. */
export const GUARDDUTY_DETAIL_TYPE = "GuardDuty Finding";

/**
 * Where each GuardDuty resource type keeps the identifier of the resource:
 * `<details object>.<field>` (an array of details → its first element).
 */
const RESOURCE_IDS: Readonly<Record<string, readonly [string, string]>> = {
  Instance: ["instanceDetails", "instanceId"],
  AccessKey: ["accessKeyDetails", "accessKeyId"],
  S3Bucket: ["s3BucketDetails", "name"],
  S3Object: ["s3BucketDetails", "name"],
  EKSCluster: ["eksClusterDetails", "name"],
  KubernetesCluster: ["eksClusterDetails", "name"],
  ECSCluster: ["ecsClusterDetails", "name"],
  Container: ["containerDetails", "id"],
  RDSDBInstance: ["rdsDbInstanceDetails", "dbInstanceIdentifier"],
  RDSLimitlessDB: ["rdsLimitlessDbDetails", "dbShardGroupIdentifier"],
  Lambda: ["lambdaDetails", "functionName"],
};

/** The identifier of the affected resource, by resource type; the access key's user name when it has no key id. */
export function guardDutyResourceId(resource: Record<string, unknown> | undefined): string | undefined {
  if (resource === undefined) return undefined;
  const type = asString(resource.resourceType);
  const path = type === undefined ? undefined : RESOURCE_IDS[type];
  if (path === undefined) return undefined;
  const [detailsKey, field] = path;
  const raw = resource[detailsKey];
  const details = asObject(Array.isArray(raw) ? (raw as unknown[])[0] : raw);
  const id = asString(details?.[field]);
  if (id !== undefined) return id;
  return type === "AccessKey" ? asString(details?.userName) : undefined;
}

/**
 * Maps one GuardDuty finding. GuardDuty has no workflow; `record_state` is
 * ARCHIVED or ACTIVE from `service.archived`, as Security Hub reports the same
 * finding.
 *
 * @returns the document, or the reason it cannot be indexed (no `id`, no
 *   valid `createdAt`/`updatedAt`, no numeric `severity`).
 */
export function mapGuardDutyFinding(finding: unknown): Mapped {
  const f = asObject(finding);
  if (f === undefined) return { ok: false, reason: "GuardDuty finding is not a JSON object" };
  const id = asString(f.id);
  if (id === undefined) return { ok: false, reason: "GuardDuty finding has no id" };
  const createdAt = isoTime(f.createdAt);
  if (createdAt === undefined) {
    return {
      ok: false,
      reason: `GuardDuty finding ${id}: createdAt ${JSON.stringify(f.createdAt)} is not ISO-8601`,
    };
  }
  const updatedAt = isoTime(f.updatedAt);
  if (updatedAt === undefined) {
    return {
      ok: false,
      reason: `GuardDuty finding ${id}: updatedAt ${JSON.stringify(f.updatedAt)} is not ISO-8601`,
    };
  }
  const severity = asNumber(f.severity);
  if (severity === undefined) {
    return {
      ok: false,
      reason: `GuardDuty finding ${id}: severity ${JSON.stringify(f.severity)} is not a number`,
    };
  }
  const resource = asObject(f.resource);
  const service = asObject(f.service);
  const document: FindingDocument = compact({
    "@timestamp": updatedAt,
    created_at: createdAt,
    updated_at: updatedAt,
    finding_id: id,
    product: "guardduty" as const,
    type: asString(f.type),
    title: asString(f.title),
    description: asString(f.description),
    severity_label: guardDutyLabel(severity),
    severity_score: guardDutyScore(severity),
    account_id: asString(f.accountId),
    region: asString(f.region),
    resource_type: asString(resource?.resourceType),
    resource_id: guardDutyResourceId(resource),
    workflow_status: undefined,
    record_state: service === undefined ? undefined : service.archived === true ? "ARCHIVED" : "ACTIVE",
    raw: f,
  });
  return { ok: true, document };
}
