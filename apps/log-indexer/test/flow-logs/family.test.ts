import assert from "node:assert/strict";
import { FakeOpenSearch } from "../../../cloudtrail-indexer/test/fake-opensearch";
import type { OpenSearchTransport } from "../../../lib/signed-http";
import { ensureIndexFamily, indexTemplate } from "../../../lib/opensearch/index-family";
import { VPCFLOW_TEMPLATE_VERSION, vpcflowFamily, vpcflowMappings } from "../../src/flow-logs/family";
import { DEFAULT_FLOW_LOG_FORMAT, FLOW_FIELDS, parseLogFormat } from "../../src/flow-logs/format";

const keyword = { type: "keyword", ignore_above: 1024 };

describe("flow-logs family", () => {
  it("maps the v2 format exactly, with nothing dynamic", () => {
    assert.deepEqual(vpcflowMappings(parseLogFormat(DEFAULT_FLOW_LOG_FORMAT).fields), {
      dynamic: false,
      properties: {
        "@timestamp": { type: "date" },
        version: { type: "integer" },
        account_id: keyword,
        interface_id: keyword,
        srcaddr: { type: "ip" },
        dstaddr: { type: "ip" },
        srcport: { type: "integer" },
        dstport: { type: "integer" },
        protocol: { type: "integer" },
        packets: { type: "long" },
        bytes: { type: "long" },
        start: { type: "date" },
        end: { type: "date" },
        action: keyword,
        log_status: keyword,
        protocol_name: keyword,
        log_group: keyword,
        log_stream: keyword,
      },
    });
  });

  it("maps every known field by default: packet addresses as ip, counters as numbers, ids as keywords", () => {
    const { properties } = vpcflowMappings() as { properties: Record<string, { type: string }> };
    assert.equal(Object.keys(properties).length, FLOW_FIELDS.length + 4);
    const typeOf = (key: string): string | undefined => properties[key]?.type;
    assert.deepEqual(
      [
        "pkt_srcaddr",
        "pkt_dstaddr",
        "tcp_flags",
        "traffic_path",
        "vpc_id",
        "ecs_task_arn",
        "reject_reason",
      ].map(typeOf),
      ["ip", "ip", "integer", "integer", "keyword", "keyword", "keyword"],
    );
    for (const f of FLOW_FIELDS) assert.ok(properties[f.key] !== undefined, f.key);
  });

  it("is the vpcflow-* family with its retention, installable through the shared bootstrap", async () => {
    const family = vpcflowFamily(30);
    assert.equal(family.name, "vpcflow");
    assert.equal(family.prefix, "vpcflow");
    assert.equal(family.retentionDays, 30);
    assert.equal(family.version, VPCFLOW_TEMPLATE_VERSION);
    const template = indexTemplate(family, 0) as {
      index_patterns: string[];
      template: { mappings: unknown };
    };
    assert.deepEqual(template.index_patterns, ["vpcflow-*"]);
    assert.deepEqual(template.template.mappings, vpcflowMappings());

    const fake = new FakeOpenSearch();
    const transport: OpenSearchTransport = {
      request: (method, path, body) => Promise.resolve(fake.handle(method, path, body ?? "")),
    };
    assert.deepEqual(await ensureIndexFamily(transport, family, 0), {
      template: "created",
      policy: "created",
    });
    assert.deepEqual(await ensureIndexFamily(transport, family, 0), {
      template: "present",
      policy: "present",
    });
    assert.ok(fake.templates.has("vpcflow"));
  });
});
