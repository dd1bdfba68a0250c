import assert from "node:assert/strict";
import type { OpenSearchTransport } from "../src/bootstrap";
import {
  cloudTrailMappings,
  ensureBootstrap,
  indexTemplate,
  KEYWORD_FIELDS,
  indexPatternFor,
  once,
  retentionPolicy,
  retentionPolicyId,
  TEMPLATE_VERSION,
} from "../src/bootstrap";
import { FakeOpenSearch } from "./fake-opensearch";

function transportOver(fake: FakeOpenSearch): OpenSearchTransport {
  return { request: (method, path, body) => Promise.resolve(fake.handle(method, path, body ?? "")) };
}

/** The mapping of a dotted field path in a mappings object. */
function mappingAt(mappings: Record<string, unknown>, path: string): unknown {
  let node: unknown = mappings;
  for (const part of path.split("."))
    node = (node as { properties: Record<string, unknown> }).properties[part];
  return node;
}

describe("apps/cloudtrail-indexer bootstrap", () => {
  it("maps the dashboard fields as keywords, the times as dates, and stores payloads unexploded", () => {
    const mappings = cloudTrailMappings();
    for (const field of KEYWORD_FIELDS) {
      assert.deepEqual(mappingAt(mappings, field), { type: "keyword", ignore_above: 1024 }, field);
    }
    for (const field of ["@timestamp", "eventTime"])
      assert.deepEqual(mappingAt(mappings, field), { type: "date" });
    for (const field of [
      "requestParameters",
      "responseElements",
      "additionalEventData",
      "serviceEventDetails",
    ]) {
      assert.deepEqual(mappingAt(mappings, field), { type: "object", enabled: false }, field);
    }
    assert.deepEqual(indexTemplate("audit", 1).index_patterns, ["audit-*"]);
  });

  it("writes a retention policy that deletes after N days and attaches to new indices", () => {
    const { policy } = retentionPolicy("cloudtrail", 30) as {
      policy: { states: { name: string; transitions: unknown[] }[]; ism_template: unknown[] };
    };
    assert.deepEqual(policy.states[0]?.transitions, [
      { state_name: "delete", conditions: { min_index_age: "30d" } },
    ]);
    assert.deepEqual(policy.ism_template, [{ index_patterns: ["cloudtrail-*"], priority: 100 }]);
    assert.equal(retentionPolicyId("cloudtrail"), "cloudtrail-retention");
  });

  it("creates both when absent, then leaves them alone", async () => {
    const fake = new FakeOpenSearch();
    assert.deepEqual(await ensureBootstrap(transportOver(fake), "cloudtrail", 90, 1), {
      template: "created",
      policy: "created",
    });
    assert.deepEqual(fake.templates.get("cloudtrail"), indexTemplate("cloudtrail", 1));
    assert.deepEqual(fake.policies.get("cloudtrail-retention")?.policy, retentionPolicy("cloudtrail", 90));
    fake.log.length = 0;
    assert.deepEqual(await ensureBootstrap(transportOver(fake), "cloudtrail", 90, 1), {
      template: "present",
      policy: "present",
    });
    assert.deepEqual(fake.log, [
      "GET /_index_template/cloudtrail",
      "GET /_plugins/_ism/policies/cloudtrail-retention",
    ]);
  });

  it("replaces an older template and a policy with another retention", async () => {
    const fake = new FakeOpenSearch();
    await ensureBootstrap(transportOver(fake), "cloudtrail", 90, 1);
    fake.templates.set("cloudtrail", { ...indexTemplate("cloudtrail", 1), version: TEMPLATE_VERSION - 1 });
    assert.deepEqual(await ensureBootstrap(transportOver(fake), "cloudtrail", 30, 1), {
      template: "updated",
      policy: "updated",
    });
    assert.deepEqual(fake.policies.get("cloudtrail-retention"), {
      policy: retentionPolicy("cloudtrail", 30),
      seqNo: 1,
    });
    assert.equal((fake.templates.get("cloudtrail") as { version: number }).version, TEMPLATE_VERSION);
  });

  it("gives indices the replicas the domain can hold: none on one data node, one on three", () => {
    const settingsOf = (replicas: number) =>
      (indexTemplate("cloudtrail", replicas).template as { settings: unknown }).settings;
    assert.deepEqual(settingsOf(0), {
      index: { number_of_shards: 1, number_of_replicas: 0, "mapping.total_fields.limit": 2000 },
    });
    assert.deepEqual(settingsOf(1), {
      index: { number_of_shards: 1, number_of_replicas: 1, "mapping.total_fields.limit": 2000 },
    });
    assert.equal(indexPatternFor("audit"), "audit-*");
  });

  it("replaces a current template whose replicas do not fit the domain, and fixes existing indices", async () => {
    const fake = new FakeOpenSearch();
    // Installed by an earlier version: the OpenSearch default of one replica, on a one-node domain.
    const { template: old, ...rest } = indexTemplate("cloudtrail", 1) as { template: { settings: unknown } };
    fake.templates.set("cloudtrail", {
      ...rest,
      template: { ...old, settings: { index: { number_of_shards: "1", number_of_replicas: "1" } } },
    });
    assert.deepEqual(await ensureBootstrap(transportOver(fake), "cloudtrail", 90, 0), {
      template: "updated",
      policy: "created",
    });
    assert.deepEqual(fake.templates.get("cloudtrail"), indexTemplate("cloudtrail", 0));
    assert.deepEqual(fake.settingsUpdates, [
      { indices: "cloudtrail-*", body: { index: { number_of_replicas: 0 } } },
    ]);
    fake.log.length = 0;
    assert.deepEqual((await ensureBootstrap(transportOver(fake), "cloudtrail", 90, 0)).template, "present");
    assert.deepEqual(fake.log, [
      "GET /_index_template/cloudtrail",
      "GET /_plugins/_ism/policies/cloudtrail-retention",
    ]);
  });

  it("accepts losing the creation race to another container", async () => {
    const fake = new FakeOpenSearch();
    const transport: OpenSearchTransport = {
      request: (method, path, body) => {
        // Another container creates the policy between our GET and PUT.
        if (method === "PUT" && path.startsWith("/_plugins/_ism/policies/")) {
          fake.handle(method, path, body ?? "");
        }
        return Promise.resolve(fake.handle(method, path, body ?? ""));
      },
    };
    assert.deepEqual(await ensureBootstrap(transport, "cloudtrail", 90, 1), {
      template: "created",
      policy: "created",
    });
  });

  it("fails with the status and body when OpenSearch refuses", async () => {
    const transport: OpenSearchTransport = {
      request: () =>
        Promise.resolve({ statusCode: 403, body: '{"message":"no permissions for [indices:admin]"}' }),
    };
    await assert.rejects(
      ensureBootstrap(transport, "cloudtrail", 90, 1),
      /GET \/_index_template\/cloudtrail answered 403: .*no permissions/,
    );
  });

  it("runs once per container, and again after a failure", async () => {
    let calls = 0;
    let fail = true;
    const run = once(() => {
      calls++;
      return fail ? Promise.reject(new Error("boom")) : Promise.resolve(calls);
    });
    await assert.rejects(Promise.all([run(), run()]), /boom/);
    assert.equal(calls, 1);
    fail = false;
    assert.deepEqual(await Promise.all([run(), run()]), [2, 2]);
    assert.equal(await run(), 2);
    assert.equal(calls, 2);
  });
});
