import assert from "node:assert/strict";
import { indexTemplate, retentionPolicy } from "../../../lib/opensearch/index-family";
import { findingsFamily } from "../../src/findings/family";
import { mapSecurityHubFinding } from "../../src/findings/securityhub";
import { clone, SECURITYHUB_GUARDDUTY_FINDING } from "./fixtures";

describe("findings/family", () => {
  const family = findingsFamily(30);

  it("is the findings-* family with the retention given", () => {
    assert.equal(family.name, "findings");
    assert.equal(family.prefix, "findings");
    assert.equal(family.retentionDays, 30);
    assert.deepEqual((indexTemplate(family, 1) as { index_patterns: unknown }).index_patterns, [
      "findings-*",
    ]);
    assert.match(JSON.stringify(retentionPolicy(family)), /"30d"/);
  });

  it("maps exactly the contract's fields", () => {
    const mappings = family.mappings as {
      dynamic: unknown;
      properties: Record<string, Record<string, unknown>>;
    };
    assert.equal(mappings.dynamic, false);
    const types = Object.fromEntries(Object.entries(mappings.properties).map(([k, v]) => [k, v.type]));
    assert.deepEqual(types, {
      "@timestamp": "date",
      created_at: "date",
      updated_at: "date",
      finding_id: "keyword",
      product: "keyword",
      type: "keyword",
      title: "text",
      description: "text",
      severity_label: "keyword",
      severity_score: "float",
      account_id: "keyword",
      region: "keyword",
      resource_type: "keyword",
      resource_id: "keyword",
      workflow_status: "keyword",
      record_state: "keyword",
      raw: "object",
    });
    assert.deepEqual(mappings.properties.title?.fields, { keyword: { type: "keyword", ignore_above: 1024 } });
    assert.equal(mappings.properties.raw?.enabled, false);
  });

  it("has a mapping for every field a document carries", () => {
    const mapped = mapSecurityHubFinding(clone(SECURITYHUB_GUARDDUTY_FINDING));
    assert.ok(mapped.ok);
    const properties = (family.mappings as { properties: Record<string, unknown> }).properties;
    for (const field of Object.keys(mapped.document)) assert.ok(field in properties, field);
  });
});
