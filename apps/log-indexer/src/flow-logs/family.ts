/**
 * The `vpcflow` index family: exact mappings of the flow log fields, so that
 * addresses are `ip` (CIDR queries), ports and counters numbers, and start/end
 * dates; installed as a template + ISM policy by the shared index-family code.
 */
import type { IndexFamily, Mapping } from "../../../lib/opensearch/index-family";
import { setField } from "../../../lib/opensearch/index-family";
import type { FlowField, FlowFieldKind } from "./format";
import { FLOW_FIELDS } from "./format";

/** Index prefix: indices are `vpcflow-YYYY.MM.DD` (day of the record's `start`). */
export const VPCFLOW_PREFIX = "vpcflow";

/** Bump when the mappings change, so running indexers replace the installed template. */
export const VPCFLOW_TEMPLATE_VERSION = 1;

/** Longest keyword indexed (ARNs and ids are far shorter); longer ones stay in `_source`. */
const IGNORE_ABOVE = 1024;

const MAPPING_OF: Readonly<Record<FlowFieldKind, Mapping>> = {
  integer: { type: "integer" },
  long: { type: "long" },
  date: { type: "date" },
  ip: { type: "ip" },
  keyword: { type: "keyword", ignore_above: IGNORE_ABOVE },
};

/**
 * The mappings of a `vpcflow` index for `fields` (default: every field of
 * flow log versions 2–8) plus the fields every document gets.
 */
export function vpcflowMappings(fields: readonly FlowField[] = FLOW_FIELDS): Mapping {
  const properties: Mapping = {};
  setField(properties, "@timestamp", MAPPING_OF.date);
  for (const f of fields) setField(properties, f.key, MAPPING_OF[f.kind]);
  setField(properties, "protocol_name", MAPPING_OF.keyword);
  setField(properties, "log_group", MAPPING_OF.keyword);
  setField(properties, "log_stream", MAPPING_OF.keyword);
  // Nothing outside the flow log fields: a field nobody mapped is kept in
  // `_source` but never guessed into a type.
  return { dynamic: false, properties };
}

/**
 * The `vpcflow-*` indices as an index family, deleted `retentionDays` after
 * creation, mapping `fields` (default every known field).
 *
 * The installed template is replaced only when {@link VPCFLOW_TEMPLATE_VERSION}
 * grows, not when the flow log's format changes: a caller whose format may
 * change should map every known field (the default), which costs nothing
 * for fields no document carries.
 */
export function vpcflowFamily(
  retentionDays: number,
  fields: readonly FlowField[] = FLOW_FIELDS,
): IndexFamily {
  return {
    name: "vpcflow",
    prefix: VPCFLOW_PREFIX,
    mappings: vpcflowMappings(fields),
    version: VPCFLOW_TEMPLATE_VERSION,
    retentionDays,
  };
}
