/**
 * The CloudTrail index family: its mappings, and thin wrappers over the
 * shared template/ISM installation (apps/lib/opensearch/index-family.ts)
 * keyed by index prefix, as this app's callers use them.
 *
 * Without the template the first event would create its index with dynamic
 * mappings: `requestParameters` & co. differ per API and would explode into
 * thousands of conflicting fields. They are stored (in `_source`) but not
 * indexed (`"enabled": false`).
 */
import type { IndexFamily, IndexFamilyReport, Mapping } from "../../lib/opensearch/index-family";
import {
  DEFAULT_INDEX_REPLICAS,
  ensureIndexFamily,
  indexTemplate as familyTemplate,
  retentionPolicy as familyPolicy,
  retentionPolicyId as familyPolicyId,
  setField,
} from "../../lib/opensearch/index-family";
import type { HttpResponse, OpenSearchTransport } from "../../lib/signed-http";

export { DEFAULT_INDEX_REPLICAS, indexPatternFor, once } from "../../lib/opensearch/index-family";

/** Fields the dashboards aggregate on: exact-value `keyword` fields. */
export const KEYWORD_FIELDS = [
  "eventName",
  "eventSource",
  "userAgent",
  "sourceIPAddress",
  "userIdentity.arn",
  "userIdentity.type",
  "errorCode",
  "awsRegion",
  "recipientAccountId",
  "eventType",
] as const;

/** Date fields. */
export const DATE_FIELDS = ["@timestamp", "eventTime"] as const;

/** Per-API payloads: kept in `_source`, never mapped. */
export const UNMAPPED_OBJECT_FIELDS = [
  "requestParameters",
  "responseElements",
  "additionalEventData",
  "serviceEventDetails",
] as const;

/** Bump when the template changes, so running indexers replace the installed one. */
export const TEMPLATE_VERSION = 2;

/** Longest keyword indexed; longer strings (user agents, error messages) are stored but not aggregatable. */
const IGNORE_ABOVE = 1024;

/** The mappings of a CloudTrail index. */
export function cloudTrailMappings(): Mapping {
  const properties: Mapping = {};
  for (const field of DATE_FIELDS) setField(properties, field, { type: "date" });
  for (const field of KEYWORD_FIELDS)
    setField(properties, field, { type: "keyword", ignore_above: IGNORE_ABOVE });
  for (const field of UNMAPPED_OBJECT_FIELDS) setField(properties, field, { type: "object", enabled: false });
  return {
    // Other strings (sessionContext, resources, tlsDetails…) become keywords
    // rather than text + keyword pairs: exact filters, half the fields.
    dynamic_templates: [
      {
        strings_as_keywords: {
          match_mapping_type: "string",
          mapping: { type: "keyword", ignore_above: IGNORE_ABOVE },
        },
      },
    ],
    properties,
  };
}

/** The CloudTrail indices `<prefix>-YYYY.MM.DD` as an index family, deleted `retentionDays` after creation. */
export function cloudTrailFamily(prefix: string, retentionDays: number): IndexFamily {
  return {
    name: "cloudtrail",
    prefix,
    mappings: cloudTrailMappings(),
    version: TEMPLATE_VERSION,
    retentionDays,
  };
}

/** The composable index template for `<prefix>-*` with `replicas` replicas (default 1). */
export function indexTemplate(prefix: string, replicas: number = DEFAULT_INDEX_REPLICAS): Mapping {
  // Retention is not part of the template.
  return familyTemplate(cloudTrailFamily(prefix, 0), replicas);
}

/** Name of the ISM policy for `<prefix>-*`. */
export function retentionPolicyId(prefix: string): string {
  return familyPolicyId({ prefix });
}

/** The ISM policy: delete indices `retentionDays` after creation; attaches itself to new `<prefix>-*` indices. */
export function retentionPolicy(prefix: string, retentionDays: number): Mapping {
  return familyPolicy(cloudTrailFamily(prefix, retentionDays));
}

/** What {@link ensureBootstrap} did, for logs. */
export type BootstrapReport = IndexFamilyReport;

/**
 * Installs the CloudTrail index template (with `replicas` replicas per index,
 * default 1) and retention policy unless the same ones are already there
 * ({@link ensureIndexFamily}). Safe to run from many containers at once.
 *
 * @throws Error when OpenSearch refuses a request.
 */
export function ensureBootstrap(
  transport: OpenSearchTransport,
  prefix: string,
  retentionDays: number,
  replicas: number = DEFAULT_INDEX_REPLICAS,
): Promise<BootstrapReport> {
  return ensureIndexFamily(transport, cloudTrailFamily(prefix, retentionDays), replicas);
}

export type { HttpResponse, OpenSearchTransport };
