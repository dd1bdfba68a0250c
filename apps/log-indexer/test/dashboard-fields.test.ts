import assert from "node:assert/strict";
import { FAMILY_FIELDS, type FieldType } from "../../dashboards/src/families";
import type { Mapping } from "../../lib/opensearch/index-family";
import { findingsFamily } from "../src/findings/family";
import { vpcflowFamily } from "../src/flow-logs/family";
import { accessFamily, logsFamily } from "../src/logs/family";

/** The dashboards' name for the type of a mapped field. */
function fieldType(mapping: Mapping): FieldType {
  if (mapping.index === false || mapping.enabled === false) return "unindexed";
  return (mapping.type ?? "object") as FieldType;
}

/** Every mapped field by dotted name: object properties and multi-fields (`title.keyword`) included. */
function mappedFields(properties: Record<string, Mapping>, prefix = ""): Map<string, FieldType> {
  const fields = new Map<string, FieldType>();
  for (const [name, mapping] of Object.entries(properties)) {
    const path = `${prefix}${name}`;
    fields.set(path, fieldType(mapping));
    for (const [sub, subMapping] of Object.entries((mapping.fields ?? {}) as Record<string, Mapping>)) {
      fields.set(`${path}.${sub}`, fieldType(subMapping));
    }
    const nested = mapping.properties as Record<string, Mapping> | undefined;
    if (nested !== undefined) for (const [k, v] of mappedFields(nested, `${path}.`)) fields.set(k, v);
  }
  return fields;
}

describe("the dashboards' field lists and the log indexer's mappings", () => {
  const families = {
    logs: logsFamily(14),
    access: accessFamily(14),
    vpcflow: vpcflowFamily(14),
    findings: findingsFamily(30),
  } as const;

  for (const [name, family] of Object.entries(families)) {
    it(`${name}: every field a dashboard may use is mapped, with the same type`, () => {
      const mapped = mappedFields(family.mappings.properties as Record<string, Mapping>);
      const listed = Object.entries(FAMILY_FIELDS[name as keyof typeof families]);
      assert.ok(listed.length > 0);
      for (const [field, type] of listed) assert.equal(mapped.get(field), type, `${name}.${field}`);
    });
  }
});
