import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import type { IndexFamilyName } from "../../../components/observability-stack/index-families";
import {
  familyIndexPatterns,
  INDEX_FAMILIES,
  openSearchDataSourceUid,
} from "../../../components/observability-stack/index-families";
import { FAMILY_FIELDS, fieldType } from "../src/families";
import type { Dashboard, SavedObject } from "../src/validate";
import {
  FIXED_DATASOURCES,
  familyOfDatasourceUid,
  luceneFields,
  OPENSEARCH_TYPE,
  openSearchFieldProblems,
  parseSavedObjects,
  savedObjectProblems,
} from "../src/validate";

/*
 * The search dashboards of every OpenSearch index family (Grafana JSON and
 * OpenSearch Dashboards saved objects) against the families' document
 * fields (src/families.ts): a panel on a field that does not exist, or that
 * cannot be aggregated (text, unindexed), fails here instead of showing
 * nothing. The generic checks (uids, panel ids, queries) run on the same
 * files in dashboards.test.ts.
 */

const DIR = join(__dirname, "..");

interface Target {
  readonly refId: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly query?: string;
  readonly metrics?: readonly {
    readonly type: string;
    readonly field?: string;
    readonly settings?: { readonly order?: string };
  }[];
  readonly bucketAggs?: readonly {
    readonly type: string;
    readonly field?: string;
    readonly settings?: { readonly filters?: readonly { readonly query: string }[] };
  }[];
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: Target["datasource"];
  readonly targets?: readonly Target[];
}
interface GrafanaDashboard {
  readonly uid: string;
  readonly panels: readonly Panel[];
  readonly templating: {
    readonly list: readonly { readonly name: string; readonly type: string; readonly query?: unknown }[];
  };
}

const grafanaFiles = readdirSync(DIR)
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(DIR, file), "utf8")) as Dashboard }));
const grafanaFile = (file: string): GrafanaDashboard => {
  const found = grafanaFiles.find((d) => d.file === file);
  assert.ok(found, `${file} is missing`);
  return found.dashboard as unknown as GrafanaDashboard;
};

const savedObjectFiles = readdirSync(join(DIR, "opensearch"))
  .filter((name) => name.endsWith(".ndjson"))
  .sort()
  .map((file) => ({
    file,
    objects: parseSavedObjects(readFileSync(join(DIR, "opensearch", file), "utf8"), file),
  }));

/** The OpenSearch targets of a dashboard on one family's data source. */
const familyTargets = (d: GrafanaDashboard, family: IndexFamilyName): { panel: Panel; target: Target }[] =>
  d.panels.flatMap((panel) =>
    (panel.targets ?? [])
      .filter((t) => (t.datasource ?? panel.datasource)?.uid === openSearchDataSourceUid(family))
      .map((target) => ({ panel, target })),
  );
/** `query → terms field` of every target, the view a panel shows. */
const termsViews = (targets: readonly { target: Target }[]): string[] =>
  targets.flatMap(({ target }) =>
    (target.bucketAggs ?? [])
      .filter((b) => b.type === "terms")
      .map((b) => `${target.query ?? ""} → ${b.field ?? ""}`),
  );
const metricFields = (targets: readonly { target: Target }[]): string[] =>
  targets.flatMap(({ target }) => (target.metrics ?? []).map((m) => `${m.type}:${m.field ?? ""}`));

/** Which Grafana dashboard holds each family's search panels. */
const GRAFANA_FILE: Readonly<Record<IndexFamilyName, string>> = {
  cloudtrail: "cloudtrail.json",
  logs: "logs.json",
  access: "access-logs.json",
  vpcflow: "network-flow-logs.json",
  findings: "findings.json",
};

describe("search dashboards (every OpenSearch index family)", () => {
  it("provisions one OpenSearch data source per family and no other", () => {
    const openSearch = Object.entries(FIXED_DATASOURCES)
      .filter(([, type]) => type === OPENSEARCH_TYPE)
      .map(([uid]) => uid);
    assert.deepEqual(openSearch, [
      "opensearch-cloudtrail",
      "opensearch-logs",
      "opensearch-access",
      "opensearch-vpcflow",
      "opensearch-findings",
    ]);
    assert.equal(FIXED_DATASOURCES.opensearch, undefined, "the old uid is gone");
  });

  for (const { file, dashboard } of grafanaFiles) {
    it(`${file}: every OpenSearch query uses existing fields of its family, by type`, () => {
      assert.deepEqual(openSearchFieldProblems(dashboard), []);
    });
  }

  for (const family of INDEX_FAMILIES) {
    it(`${family}: a Grafana dashboard (${GRAFANA_FILE[family]}) and a saved objects file search it`, () => {
      assert.ok(familyTargets(grafanaFile(GRAFANA_FILE[family]), family).length >= 4);
      const saved = savedObjectFiles.find((f) => f.file === `${family}-saved-objects.ndjson`);
      assert.ok(saved, `opensearch/${family}-saved-objects.ndjson is missing`);
    });
  }

  for (const { file, objects } of savedObjectFiles) {
    describe(`opensearch/${file}`, () => {
      it("references resolve, index pattern is a family's, fields exist with the right types", () => {
        assert.deepEqual(savedObjectProblems(objects), []);
      });

      it("has one index pattern and one dashboard showing every visualization and saved search", () => {
        const family = file.replace(/-saved-objects\.ndjson$/, "");
        const patterns = objects.filter((o) => o.type === "index-pattern");
        assert.deepEqual(
          patterns.map((p) => p.attributes.title),
          [familyIndexPatterns()[family as IndexFamilyName]],
        );
        const dashboards = objects.filter((o) => o.type === "dashboard");
        assert.equal(dashboards.length, 1);
        const shown = (dashboards[0] as SavedObject).references.map((r) => `${r.type}:${r.id}`).sort();
        const members = objects
          .filter((o) => o.type === "visualization" || o.type === "search")
          .map((o) => `${o.type}:${o.id}`)
          .sort();
        assert.deepEqual(shown, members);
        // Ids are global in an OpenSearch Dashboards tenant: prefix them by family.
        for (const o of objects) assert.ok(o.id.startsWith(`${family}-`), o.id);
      });
    });
  }

  describe("logs.json", () => {
    const logs = grafanaFile("logs.json");
    const targets = familyTargets(logs, "logs");

    it("counts lines over time by source, and tops hosts and levels", () => {
      const views = termsViews(targets);
      for (const field of ["source", "host", "level"])
        assert.ok(
          views.some((v) => v.endsWith(`→ ${field}`)),
          field,
        );
      assert.ok(targets.some(({ target }) => target.bucketAggs?.some((b) => b.type === "date_histogram")));
    });

    it("tails the latest lines in a logs panel", () => {
      const tail = logs.panels.find((p) => p.type === "logs");
      assert.deepEqual(
        tail?.targets?.map((t) => t.metrics?.map((m) => m.type)),
        [["logs"]],
      );
    });

    it("filters every panel by the $source variable, which lists the indexed sources", () => {
      const variable = logs.templating.list.find((v) => v.name === "source");
      assert.equal(variable?.type, "query");
      assert.deepEqual(JSON.parse(String(variable?.query)), { find: "terms", field: "source" });
      for (const { panel, target } of targets)
        assert.match(target.query ?? "", /\bsource:\$source\b/, panel.title);
    });
  });

  describe("access-logs.json", () => {
    const access = grafanaFile("access-logs.json");
    const targets = familyTargets(access, "access");

    it("keeps its Athena and CloudWatch panels", () => {
      const types = new Set(access.panels.map((p) => p.datasource?.type));
      assert.ok(types.has("grafana-athena-datasource") && types.has("cloudwatch"));
    });

    it("has status codes over time, top URLs, top clients and user agents by browser, OS and device type", () => {
      const views = termsViews(targets);
      for (const field of ["statuscode", "url", "remoteaddr", "ua_browser", "ua_os", "ua_device_type"]) {
        assert.ok(
          views.some((v) => v.endsWith(`→ ${field}`)),
          `no panel aggregates ${field}`,
        );
      }
    });

    it("graphs the error ratio as the 4xx + 5xx share against the rest, stacked to 100 %", () => {
      const ratio = access.panels.find((p) => /error ratio/i.test(p.title)) as
        (Panel & { fieldConfig: { defaults: { custom: { stacking: { mode: string } } } } }) | undefined;
      assert.equal(ratio?.fieldConfig.defaults.custom.stacking.mode, "percent");
      const filters = ratio?.targets?.[0]?.bucketAggs?.find((b) => b.type === "filters")?.settings?.filters;
      assert.deepEqual(
        filters?.map((f) => f.query),
        ["statuscode:[400 TO 599]", "NOT statuscode:[400 TO 599]"],
      );
    });
  });

  describe("network-flow-logs.json", () => {
    const targets = familyTargets(grafanaFile("network-flow-logs.json"), "vpcflow");

    it("shows rejected flows by srcaddr, dstaddr and dstport", () => {
      const views = termsViews(targets);
      for (const field of ["srcaddr", "dstaddr", "dstport"])
        assert.ok(views.includes(`action:REJECT → ${field}`), field);
    });

    it("ranks top talkers by the sum of bytes", () => {
      assert.ok(metricFields(targets).includes("sum:bytes"));
      const talkers = targets.filter(({ target }) => target.metrics?.some((m) => m.type === "sum"));
      for (const { target } of talkers) {
        // Ordered by the sum (metric "1"), not by the record count.
        assert.deepEqual(
          target.bucketAggs?.map((b) => (b as { settings?: { orderBy?: string } }).settings?.orderBy),
          ["1"],
        );
      }
    });
  });

  describe("findings.json", () => {
    const findings = grafanaFile("findings.json");
    const targets = familyTargets(findings, "findings");

    it("counts findings by severity_label, type, account_id and resource_type", () => {
      const views = termsViews(targets);
      for (const field of ["severity_label", "type", "account_id", "resource_type"]) {
        assert.ok(
          views.some((v) => v.endsWith(`→ ${field}`)),
          field,
        );
      }
    });

    it("lists the latest findings as raw documents, newest first", () => {
      const table = findings.panels.find((p) => p.type === "table");
      const metric = table?.targets?.[0]?.metrics?.[0];
      assert.deepEqual([metric?.type, metric?.settings?.order], ["raw_data", "desc"]);
    });
  });
});

describe("openSearchFieldProblems", () => {
  const ds = { type: OPENSEARCH_TYPE, uid: "opensearch-access" };
  const panel = (target: Record<string, unknown>): Dashboard => ({
    templating: { list: [] },
    panels: [
      {
        id: 1,
        title: "p",
        datasource: ds,
        targets: [{ refId: "A", queryType: "lucene", timeField: "@timestamp", query: "*", ...target }],
      },
    ],
  });
  const count = [{ id: "1", type: "count" }];

  it("accepts counts by keyword and number, sums of numbers, date histograms on @timestamp", () => {
    assert.deepEqual(
      openSearchFieldProblems(
        panel({
          query: "statuscode:[500 TO 599] AND method:GET",
          metrics: [{ id: "1", type: "sum", field: "bytessent" }],
          bucketAggs: [
            { id: "2", type: "terms", field: "url" },
            { id: "3", type: "date_histogram", field: "@timestamp" },
          ],
        }),
      ),
      [],
    );
  });

  it("reports unknown, text and non-numeric fields, a non-date histogram, a wrong time field and PPL", () => {
    assert.deepEqual(
      openSearchFieldProblems(
        panel({
          queryType: "PPL",
          timeField: "receivedAt2",
          query: "status:500",
          metrics: [{ id: "1", type: "avg", field: "url" }],
          bucketAggs: [
            { id: "2", type: "terms", field: "srcaddr" },
            { id: "3", type: "date_histogram", field: "statuscode" },
            { id: "4", type: "filters", settings: { filters: [{ query: "level:error" }] } },
          ],
        }),
      ),
      [
        'panel 1 "p" query A (access): queryType is PPL, not lucene',
        'panel 1 "p" query A (access): timeField is receivedAt2, not @timestamp',
        'panel 1 "p" query A (access): query "status:500": no searchable field status',
        'panel 1 "p" query A (access): avg url: not a numeric field',
        'panel 1 "p" query A (access): terms srcaddr: not an aggregatable field',
        'panel 1 "p" query A (access): date_histogram statuscode: not a date field',
        'panel 1 "p" query A (access): query "level:error": no searchable field level',
      ],
    );
  });

  it("checks each query against its own family, resolving data source variables to their default", () => {
    const dashboard: Dashboard = {
      templating: {
        list: [
          {
            name: "os",
            type: "datasource",
            query: OPENSEARCH_TYPE,
            current: { value: "opensearch-findings" },
          },
          {
            name: "tag",
            type: "query",
            datasource: { type: OPENSEARCH_TYPE, uid: "${os}" },
            query: '{"find": "terms", "field": "description"}',
          },
        ],
      },
      panels: [
        {
          id: 2,
          title: "q",
          datasource: { type: OPENSEARCH_TYPE, uid: "${os}" },
          targets: [
            {
              refId: "A",
              queryType: "lucene",
              timeField: "@timestamp",
              query: "*",
              metrics: count,
              bucketAggs: [{ id: "2", type: "terms", field: "url" }],
            },
          ],
        },
      ],
    };
    assert.deepEqual(openSearchFieldProblems(dashboard), [
      "variable tag (findings): description is not an aggregatable field",
      'panel 2 "q" query A (findings): terms url: not an aggregatable field',
    ]);
  });

  it("treats a JSON leaf under logs' fields object as a keyword, but not the object or fields_overflow", () => {
    assert.equal(fieldType(FAMILY_FIELDS.logs, "fields.user.id"), "keyword");
    assert.equal(fieldType(FAMILY_FIELDS.logs, "fields"), "object");
    assert.equal(fieldType(FAMILY_FIELDS.logs, "fields_overflow"), "unindexed");
    assert.equal(fieldType(FAMILY_FIELDS.logs, "nope.x"), undefined);
    assert.equal(familyOfDatasourceUid("opensearch-logs"), "logs");
    assert.equal(familyOfDatasourceUid("opensearch"), undefined);
  });
});

describe("savedObjectProblems", () => {
  const ref = "kibanaSavedObjectMeta.searchSourceJSON.index";
  const source = (query: string): { searchSourceJSON: string } => ({
    searchSourceJSON: JSON.stringify({ query: { query, language: "lucene" }, indexRefName: ref }),
  });
  const pattern: SavedObject = {
    type: "index-pattern",
    id: "vpcflow-index-pattern",
    attributes: { title: "vpcflow-*", timeFieldName: "@timestamp" },
    references: [],
  };
  const onPattern = [{ name: ref, type: "index-pattern", id: "vpcflow-index-pattern" }];
  const vis = (id: string, query: string, aggs: unknown[]): SavedObject => ({
    type: "visualization",
    id,
    attributes: { visState: JSON.stringify({ aggs }), kibanaSavedObjectMeta: source(query) },
    references: onPattern,
  });

  it("accepts a consistent set and reports each kind of problem", () => {
    const ok = vis("v1", "action:REJECT", [
      { type: "count", schema: "metric", params: {} },
      { type: "terms", schema: "bucket", params: { field: "dstport" } },
    ]);
    assert.deepEqual(savedObjectProblems([pattern, ok]), []);
    const bad = [
      pattern,
      { ...pattern, id: "x", attributes: { title: "nope-*", timeFieldName: "@timestamp" } },
      ok,
      ok,
      vis("v2", "verdict:REJECT", [
        { type: "sum", schema: "metric", params: { field: "action" } },
        { type: "filters", schema: "group", params: { filters: [{ input: { query: "statuscode:500" } }] } },
      ]),
      {
        type: "search",
        id: "s",
        attributes: {
          columns: ["srcaddr", "nope"],
          sort: [["message", "desc"]],
          kibanaSavedObjectMeta: source("*"),
        },
        references: onPattern,
      },
      {
        type: "dashboard",
        id: "d",
        attributes: {
          panelsJSON: JSON.stringify([{ panelRefName: "panel_0" }, { panelRefName: "panel_9" }]),
        },
        references: [{ name: "panel_0", type: "visualization", id: "gone" }],
      },
    ];
    assert.deepEqual(savedObjectProblems(bad), [
      "visualization:v1: duplicate",
      "index-pattern x: nope-* is no family's pattern",
      'visualization v2: query "verdict:REJECT": no searchable field verdict',
      "visualization v2: sum action: not a numeric field",
      'visualization v2: query "statuscode:500": no searchable field statuscode',
      "search s: no field nope",
      "search s: cannot sort by message",
      "dashboard d: reference panel_0 → missing visualization gone",
      "dashboard d: panel panel_9 has no reference",
    ]);
  });
});

describe("luceneFields", () => {
  it("finds fields of ranges, negations, groups and _exists_, never of variables or values", () => {
    assert.deepEqual(
      luceneFields("NOT statuscode:[400 TO 599] AND (source:$source OR -host:a) AND _exists_:error"),
      ["statuscode", "source", "host", "error"],
    );
    assert.deepEqual(luceneFields("url:/a/b"), ["url"]);
    assert.deepEqual(luceneFields("*"), []);
  });

  it("finds every field of a conjunction of field:value terms, in order", () => {
    const field = fc.constantFrom(...Object.keys(FAMILY_FIELDS.access));
    const value = fc.stringMatching(/^[a-z0-9*$]{1,8}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(field, value), { minLength: 1, maxLength: 5 }), (terms) => {
        const query = terms.map(([f, v]) => `${f}:${v}`).join(" AND ");
        assert.deepEqual(
          luceneFields(query),
          terms.map(([f]) => f),
        );
      }),
    );
  });
});
