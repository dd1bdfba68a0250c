/**
 * One SQS message body (an EventBridge event, as the rule's SQS target
 * delivers it) → the bulk items of its findings, and what cannot be indexed
 * with the reason. Nothing is dropped: a message that is not a finding
 * event, and a finding without id or times, come back as `unindexable` for
 * the failed prefix.
 */
import type { BulkItem } from "../../../lib/opensearch/bulk";
import type { FindingDocument, Mapped } from "./document";
import { asObject, asString, findingItem } from "./document";
import { GUARDDUTY_DETAIL_TYPE, GUARDDUTY_SOURCE, mapGuardDutyFinding } from "./guardduty";
import { mapSecurityHubFinding, SECURITYHUB_DETAIL_TYPE, SECURITYHUB_SOURCE } from "./securityhub";

/** Where a finding came from: kept with every item and every unindexable finding. */
export interface FindingPayload {
  /** The SQS message it arrived in. */
  readonly messageId: string;
  /** The EventBridge event as received (the SQS body). */
  readonly event: string;
  /** Position in `detail.findings` (Security Hub); 0 for GuardDuty and for events that are not findings. */
  readonly findingIndex: number;
  /** The mapped document (for indexed items: what alerting reads). */
  readonly document?: FindingDocument;
}

/** What one message yields. */
export interface EventItems {
  readonly items: BulkItem<FindingPayload>[];
  readonly unindexable: { readonly payload: FindingPayload; readonly reason: string }[];
}

/**
 * Maps one message body. A GuardDuty event yields one item; a Security Hub
 * event one per element of `detail.findings` (AWS sends one, the format
 * allows several).
 */
export function eventItems(body: string, messageId: string): EventItems {
  const result: EventItems = { items: [], unindexable: [] };
  const keep = (findingIndex: number, reason: string): void => {
    result.unindexable.push({ payload: { messageId, event: body, findingIndex }, reason });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    keep(0, `message body is not JSON: ${(error as Error).message}`);
    return result;
  }
  const event = asObject(parsed);
  if (event === undefined) {
    keep(0, "message body is not an EventBridge event (not a JSON object)");
    return result;
  }
  const source = asString(event.source);
  const detailType = asString(event["detail-type"]);
  const add = (findingIndex: number, mapped: Mapped): void => {
    if (!mapped.ok) {
      keep(findingIndex, mapped.reason);
      return;
    }
    const payload: FindingPayload = { messageId, event: body, findingIndex, document: mapped.document };
    result.items.push(findingItem(mapped.document, payload));
  };
  if (source === GUARDDUTY_SOURCE && detailType === GUARDDUTY_DETAIL_TYPE) {
    add(0, mapGuardDutyFinding(event.detail));
  } else if (source === SECURITYHUB_SOURCE && detailType === SECURITYHUB_DETAIL_TYPE) {
    const findings = asObject(event.detail)?.findings;
    if (!Array.isArray(findings) || findings.length === 0) {
      keep(0, "Security Hub event has no detail.findings");
      return result;
    }
    (findings as unknown[]).forEach((finding, i) => add(i, mapSecurityHubFinding(finding)));
  } else {
    keep(
      0,
      `not a finding event (source ${JSON.stringify(source ?? null)}, detail-type ${JSON.stringify(detailType ?? null)})`,
    );
  }
  return result;
}
