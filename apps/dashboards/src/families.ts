import { DATE_FIELDS, KEYWORD_FIELDS } from "../../cloudtrail-indexer/src/bootstrap";
import type { IndexFamilyName } from "../../../components/observability-stack/index-families";

/*
 * The document fields of each OpenSearch index family, with their mapping
 * types, as the dashboards may use them (the README's document
 * schemas). CloudTrail's come from its indexer's template; the others mirror
 * the mappings of apps/log-indexer, which this list must follow when a
 * mapping changes (apps/log-indexer/test/dashboard-fields.test.ts fails
 * otherwise; the dashboards' tests read it to reject a panel on a field that
 * does not exist or cannot be aggregated).
 */

/** An OpenSearch field type; `unindexed` for `enabled: false` objects and `index: false` fields. */
export type FieldType =
  "date" | "keyword" | "text" | "integer" | "long" | "float" | "ip" | "boolean" | "object" | "unindexed";

/** Fields of a family: dotted name → type. */
export type FamilyFields = Readonly<Record<string, FieldType>>;

/** Fields every family written by apps/log-indexer's Kinesis handler carries about the sender. */
const ENVELOPE_FIELDS: FamilyFields = {
  "@timestamp": "date",
  receivedAt: "date",
  receiver: "keyword",
  client: "keyword",
  source: "keyword",
};

/** Document fields by family. */
export const FAMILY_FIELDS: Readonly<Record<IndexFamilyName, FamilyFields>> = {
  cloudtrail: {
    ...Object.fromEntries(DATE_FIELDS.map((f) => [f, "date" as const])),
    ...Object.fromEntries(KEYWORD_FIELDS.map((f) => [f, "keyword" as const])),
  },
  logs: {
    ...ENVELOPE_FIELDS,
    message: "text",
    level: "keyword",
    host: "keyword",
    // The JSON line's leaves, flattened, all keyword: `fields.<name>` is looked up by prefix.
    fields: "object",
    fields_overflow: "unindexed",
    time_source: "keyword",
    truncated: "boolean",
    error: "keyword",
  },
  access: {
    ...ENVELOPE_FIELDS,
    remoteaddr: "keyword",
    remoteuser: "keyword",
    method: "keyword",
    url: "keyword",
    protocol: "keyword",
    statuscode: "integer",
    bytessent: "long",
    referrer: "keyword",
    useragent: "keyword",
    ua_browser: "keyword",
    ua_browser_version: "keyword",
    ua_os: "keyword",
    ua_os_version: "keyword",
    ua_device_type: "keyword",
    ua_device_vendor: "keyword",
    ua_device_model: "keyword",
    extra: "keyword",
  },
  vpcflow: {
    "@timestamp": "date",
    start: "date",
    end: "date",
    version: "integer",
    account_id: "keyword",
    interface_id: "keyword",
    srcaddr: "ip",
    dstaddr: "ip",
    srcport: "integer",
    dstport: "integer",
    protocol: "integer",
    protocol_name: "keyword",
    packets: "long",
    bytes: "long",
    action: "keyword",
    log_status: "keyword",
    log_group: "keyword",
    log_stream: "keyword",
    // v3+ fields the dashboards use (present when the flow log's format has them).
    vpc_id: "keyword",
    subnet_id: "keyword",
    instance_id: "keyword",
    flow_direction: "keyword",
  },
  findings: {
    "@timestamp": "date",
    created_at: "date",
    updated_at: "date",
    finding_id: "keyword",
    product: "keyword",
    type: "keyword",
    title: "text",
    "title.keyword": "keyword",
    description: "text",
    severity_label: "keyword",
    severity_score: "float",
    account_id: "keyword",
    region: "keyword",
    resource_type: "keyword",
    resource_id: "keyword",
    workflow_status: "keyword",
    record_state: "keyword",
    raw: "unindexed",
  },
};

const AGGREGATABLE: ReadonlySet<FieldType> = new Set([
  "date",
  "keyword",
  "integer",
  "long",
  "float",
  "ip",
  "boolean",
]);
const NUMERIC: ReadonlySet<FieldType> = new Set(["integer", "long", "float"]);

/**
 * The type of `field` in `fields`; a dotted name under an `object` field
 * (`fields.user` under logs' `fields`) is a keyword, as the indexer maps
 * every flattened leaf. Undefined when the family has no such field.
 */
export function fieldType(fields: FamilyFields, field: string): FieldType | undefined {
  const own = fields[field];
  if (own !== undefined) return own;
  const parts = field.split(".");
  for (let i = parts.length - 1; i > 0; i--) {
    if (fields[parts.slice(0, i).join(".")] === "object") return "keyword";
  }
  return undefined;
}

/** Whether terms/histogram aggregations and sorts work on a field of this type (not text, not unindexed). */
export const isAggregatable = (type: FieldType | undefined): boolean =>
  type !== undefined && AGGREGATABLE.has(type);

/** Whether sum/avg/min/max work on a field of this type. */
export const isNumeric = (type: FieldType | undefined): boolean => type !== undefined && NUMERIC.has(type);

/** Whether a Lucene query can filter on a field of this type (anything indexed). */
export const isSearchable = (type: FieldType | undefined): boolean =>
  type !== undefined && type !== "unindexed" && type !== "object";
