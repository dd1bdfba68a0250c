/**
 * The findings index family: exact mappings (`dynamic: false` at the top so
 * product-specific fields never add mappings; `raw`, the whole finding, is
 * stored in `_source` but not indexed), retention from settings.
 */
import type { IndexFamily, Mapping } from "../../../lib/opensearch/index-family";
import { FINDINGS_PREFIX } from "./document";

/** Bump when the mappings change, so running indexers replace the installed template. */
export const FINDINGS_TEMPLATE_VERSION = 1;

const KEYWORD = { type: "keyword", ignore_above: 1024 } as const;

/** The mappings of a findings index (the contract's field list, nothing dynamic). */
export function findingsMappings(): Mapping {
  return {
    dynamic: false,
    properties: {
      "@timestamp": { type: "date" },
      created_at: { type: "date" },
      updated_at: { type: "date" },
      finding_id: KEYWORD,
      product: KEYWORD,
      type: KEYWORD,
      title: { type: "text", fields: { keyword: KEYWORD } },
      description: { type: "text" },
      severity_label: KEYWORD,
      severity_score: { type: "float" },
      account_id: KEYWORD,
      region: KEYWORD,
      resource_type: KEYWORD,
      resource_id: KEYWORD,
      workflow_status: KEYWORD,
      record_state: KEYWORD,
      raw: { type: "object", enabled: false },
    },
  };
}

/** The `findings-YYYY.MM.DD` indices as an index family, deleted `retentionDays` after creation. */
export function findingsFamily(retentionDays: number): IndexFamily {
  return {
    name: "findings",
    prefix: FINDINGS_PREFIX,
    mappings: findingsMappings(),
    version: FINDINGS_TEMPLATE_VERSION,
    retentionDays,
  };
}
