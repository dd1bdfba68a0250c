import assert from "node:assert/strict";
import { FakeOpenSearch } from "../../../cloudtrail-indexer/test/fake-opensearch";
import type { OpenSearchTransport } from "../../signed-http";
import type { IndexFamily, Mapping } from "../index-family";
import { ensureIndexFamily, indexTemplate, retentionPolicy, setField } from "../index-family";

function transportOver(fake: FakeOpenSearch): OpenSearchTransport {
  return { request: (method, path, body) => Promise.resolve(fake.handle(method, path, body ?? "")) };
}

function vpcflow(overrides: Partial<IndexFamily> = {}): IndexFamily {
  const properties: Mapping = {};
  setField(properties, "@timestamp", { type: "date" });
  setField(properties, "srcaddr", { type: "ip" });
  return {
    name: "vpcflow",
    prefix: "vpcflow",
    mappings: { properties },
    version: 1,
    retentionDays: 14,
    ...overrides,
  };
}

describe("apps/lib/opensearch index-family", () => {
  it("nests dotted paths into properties without losing siblings", () => {
    const properties: Mapping = {};
    setField(properties, "a.b", { type: "keyword" });
    setField(properties, "a.c.d", { type: "ip" });
    setField(properties, "e", { type: "date" });
    assert.deepEqual(properties, {
      a: { properties: { b: { type: "keyword" }, c: { properties: { d: { type: "ip" } } } } },
      e: { type: "date" },
    });
  });

  it("builds the template from the family: pattern, version, mappings, field limit", () => {
    const template = indexTemplate(vpcflow({ fieldLimit: 500, version: 3 }), 0) as {
      index_patterns: string[];
      version: number;
      template: { settings: unknown; mappings: unknown };
    };
    assert.deepEqual(template.index_patterns, ["vpcflow-*"]);
    assert.equal(template.version, 3);
    assert.deepEqual(template.template.mappings, vpcflow().mappings);
    assert.deepEqual(template.template.settings, {
      index: { number_of_shards: 1, number_of_replicas: 0, "mapping.total_fields.limit": 500 },
    });
  });

  it("installs a non-CloudTrail family once, then only what changed", async () => {
    const fake = new FakeOpenSearch();
    const transport = transportOver(fake);
    assert.deepEqual(await ensureIndexFamily(transport, vpcflow(), 1), {
      template: "created",
      policy: "created",
    });
    assert.deepEqual(fake.templates.get("vpcflow"), indexTemplate(vpcflow(), 1));
    assert.deepEqual(fake.policies.get("vpcflow-retention")?.policy, retentionPolicy(vpcflow()));

    fake.log.length = 0;
    assert.deepEqual(await ensureIndexFamily(transport, vpcflow(), 1), {
      template: "present",
      policy: "present",
    });
    assert.deepEqual(fake.log, [
      "GET /_index_template/vpcflow",
      "GET /_plugins/_ism/policies/vpcflow-retention",
    ]);

    // Shrunk domain: new replicas for the template and the existing indices; new retention: ISM update by seq_no.
    assert.deepEqual(await ensureIndexFamily(transport, vpcflow({ retentionDays: 30 }), 0), {
      template: "updated",
      policy: "updated",
    });
    assert.deepEqual(fake.templates.get("vpcflow"), indexTemplate(vpcflow(), 0));
    assert.deepEqual(fake.settingsUpdates, [
      { indices: "vpcflow-*", body: { index: { number_of_replicas: 0 } } },
    ]);
    assert.deepEqual(fake.policies.get("vpcflow-retention"), {
      policy: retentionPolicy(vpcflow({ retentionDays: 30 })),
      seqNo: 1,
    });

    // A newer family version replaces the template even with the same replicas.
    assert.equal(
      (await ensureIndexFamily(transport, vpcflow({ retentionDays: 30, version: 2 }), 0)).template,
      "updated",
    );
    assert.equal((fake.templates.get("vpcflow") as { version: number }).version, 2);
  });
});
