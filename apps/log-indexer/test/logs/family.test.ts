import assert from "node:assert/strict";
import type { FieldType } from "../../../dashboards/src/families";
import { indexTemplate } from "../../../lib/opensearch/index-family";
import { accessFamily, logsFamily } from "../../src/logs/family";
import { envelope, items, parse } from "./helpers";

type Properties = Record<string, Record<string, unknown>>;

/** The dashboards' name for the type of a mapped field. */
function fieldType(mapping: Record<string, unknown>): FieldType {
  if (mapping.index === false || mapping.enabled === false) return "unindexed";
  return (mapping.type ?? "object") as FieldType;
}

const LOGS_FIELDS: Record<string, FieldType> = {
  "@timestamp": "date",
  receivedAt: "date",
  receiver: "keyword",
  client: "keyword",
  source: "keyword",
  message: "text",
  level: "keyword",
  host: "keyword",
  fields: "object",
  fields_overflow: "unindexed",
  time_source: "keyword",
  truncated: "boolean",
  error: "keyword",
};

const ACCESS_FIELDS: Record<string, FieldType> = {
  "@timestamp": "date",
  receivedAt: "date",
  receiver: "keyword",
  client: "keyword",
  source: "keyword",
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
};

const typesOf = (properties: Properties) =>
  Object.fromEntries(Object.entries(properties).map(([name, mapping]) => [name, fieldType(mapping)]));

describe("logs/family", () => {
  const logs = logsFamily(14);
  const access = accessFamily(30);

  it("maps every logs field of the contract with its type, and nothing else", () => {
    assert.deepEqual(typesOf(logs.mappings.properties as Properties), LOGS_FIELDS);
    assert.equal(logs.mappings.dynamic, false);
    assert.equal((logs.mappings.properties as Properties).fields!.dynamic, true);
    assert.deepEqual(logs.mappings.dynamic_templates, [
      { fields_as_keywords: { path_match: "fields.*", mapping: { type: "keyword", ignore_above: 1024 } } },
    ]);
    assert.equal(logs.mappings.date_detection, false);
    assert.equal(logs.mappings.numeric_detection, false);
  });

  it("maps every access field of the contract with its type, and nothing else", () => {
    assert.deepEqual(typesOf(access.mappings.properties as Properties), ACCESS_FIELDS);
    assert.equal(access.mappings.dynamic, false);
  });

  it("names, prefixes and retention", () => {
    assert.deepEqual(
      [logs.name, logs.prefix, logs.retentionDays, access.name, access.prefix, access.retentionDays],
      ["logs", "logs", 14, "access", "access", 30],
    );
    assert.equal(logsFamily(7, "test-logs").prefix, "test-logs");
    assert.deepEqual((indexTemplate(logs) as { index_patterns: string[] }).index_patterns, ["logs-*"]);
    assert.deepEqual((indexTemplate(access) as { index_patterns: string[] }).index_patterns, ["access-*"]);
  });

  it("every field a document carries is mapped (logs: fields.* by the dynamic template)", () => {
    const result = items(
      [
        envelope("d-0", { event: { level: "info", msg: "m", a: { b: [1, 2] }, n: null } }),
        envelope("d-1", {
          message: `1.2.3.4 - - [04/Dec/2026:01:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8" "x"`,
        }),
      ],
      { accessLogSources: "all", maxFields: 1 },
    );
    for (const item of result.items) {
      const family = item.index.startsWith("access-") ? access : logs;
      const properties = family.mappings.properties as Properties;
      for (const field of Object.keys(parse(item.document)))
        assert.ok(field in properties, `${item.index}: ${field}`);
    }
  });
});
