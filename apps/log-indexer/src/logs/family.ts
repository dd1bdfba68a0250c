/**
 * The `logs` and `access` index families written by the Kinesis handler:
 * exact mappings for every document field, so no document ever creates a
 * field by accident.
 *
 * `logs`: the top level is `dynamic: false` (a stray field stays in
 * `_source` and is not mapped); only `fields` is dynamic, and its dynamic
 * template maps every leaf to `keyword`. fields.ts never sends an object
 * below `fields` (paths are joined with `_`), so one sender's `{"a":1}` and
 * another's `{"a":{"b":2}}` become `fields.a` and `fields.a_b`, both keyword:
 * no mapping conflict is possible. Date and number detection are off so the
 * first value of a field cannot pick another type either.
 */
import type { IndexFamily, Mapping } from "../../../lib/opensearch/index-family";

/** Longest keyword indexed; longer values are kept in `_source` but not indexed. */
export const IGNORE_ABOVE = 1024;
/** Longer bound for values that are long by nature (URLs, user agents). */
export const LONG_IGNORE_ABOVE = 4096;
/** Bump when the mappings change, so running indexers replace the installed templates. */
export const LOGS_TEMPLATE_VERSION = 1;
export const ACCESS_TEMPLATE_VERSION = 1;
/**
 * `index.mapping.total_fields.limit` of a logs index: every distinct
 * `fields.*` name of a source's day counts, and a document that would pass
 * the limit is rejected (to the failed-records output), so it is well above
 * one line's field bound.
 */
export const LOGS_FIELD_LIMIT = 5000;
/** Prefix of the access indices. */
export const ACCESS_PREFIX = "access";
/** Default prefix of the logs indices (`logs-<source>-YYYY.MM.DD`). */
export const LOGS_PREFIX = "logs";

const keyword = (ignoreAbove = IGNORE_ABOVE): Mapping => ({ type: "keyword", ignore_above: ignoreAbove });
const DATE: Mapping = { type: "date" };

/** Fields every document of the Kinesis handler carries about its sender. */
const envelopeProperties = (): Mapping => ({
  "@timestamp": DATE,
  receivedAt: DATE,
  receiver: keyword(),
  client: keyword(),
  source: keyword(),
});

/** Mappings of a logs index. */
export function logsMappings(): Mapping {
  return {
    dynamic: false,
    date_detection: false,
    numeric_detection: false,
    dynamic_templates: [{ fields_as_keywords: { path_match: "fields.*", mapping: keyword() } }],
    properties: {
      ...envelopeProperties(),
      message: { type: "text" },
      level: keyword(),
      host: keyword(),
      fields: { type: "object", dynamic: true },
      // JSON text of what did not fit: kept, never indexed (no size limit applies then).
      fields_overflow: { type: "keyword", index: false, doc_values: false },
      time_source: keyword(),
      truncated: { type: "boolean" },
      error: keyword(),
    },
  };
}

/** Mappings of an access index. */
export function accessMappings(): Mapping {
  return {
    dynamic: false,
    properties: {
      ...envelopeProperties(),
      remoteaddr: keyword(),
      remoteuser: keyword(),
      method: keyword(),
      url: keyword(LONG_IGNORE_ABOVE),
      protocol: keyword(),
      statuscode: { type: "integer" },
      bytessent: { type: "long" },
      referrer: keyword(LONG_IGNORE_ABOVE),
      useragent: keyword(LONG_IGNORE_ABOVE),
      ua_browser: keyword(),
      ua_browser_version: keyword(),
      ua_os: keyword(),
      ua_os_version: keyword(),
      ua_device_type: keyword(),
      ua_device_vendor: keyword(),
      ua_device_model: keyword(),
      extra: keyword(LONG_IGNORE_ABOVE),
    },
  };
}

/**
 * The logs indices `<prefix>-<source>-YYYY.MM.DD` (one template over
 * `<prefix>-*` covers every source), deleted `retentionDays` after creation.
 */
export function logsFamily(retentionDays: number, prefix: string = LOGS_PREFIX): IndexFamily {
  return {
    name: "logs",
    prefix,
    mappings: logsMappings(),
    version: LOGS_TEMPLATE_VERSION,
    fieldLimit: LOGS_FIELD_LIMIT,
    retentionDays,
  };
}

/** The access indices `access-YYYY.MM.DD`, deleted `retentionDays` after creation. */
export function accessFamily(retentionDays: number): IndexFamily {
  return {
    name: "access",
    prefix: ACCESS_PREFIX,
    mappings: accessMappings(),
    version: ACCESS_TEMPLATE_VERSION,
    retentionDays,
  };
}
