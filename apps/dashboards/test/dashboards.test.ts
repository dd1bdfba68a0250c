import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createMetrics } from "../../log-receiver/src/metrics";
import type { Dashboard, DashboardPanel, DashboardTarget } from "../src/validate";
import {
  dashboardProblems,
  duplicateIdentityProblems,
  knownSeries,
  promqlMetricNames,
  readRuleFiles,
  recordedNames,
} from "../src/validate";

/*
 * Generic checks run on every dashboard in apps/dashboards, including the flow
 * log and CloudTrail dashboards that have tests of their own; the checks
 * specific to receiver.json and access-logs.json follow.
 */

const DIR = join(__dirname, "..");

interface Target {
  readonly refId: string;
  readonly expr?: string;
  readonly rawSQL?: string;
  readonly namespace?: string;
  readonly metricName?: string;
  readonly statistic?: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}
interface Panel {
  readonly id: number;
  readonly title: string;
  readonly datasource?: Target["datasource"];
  readonly targets?: readonly Target[];
}
/** The typed view used by the per-dashboard checks; the generic checks take the loose {@link Dashboard}. */
interface GrafanaDashboard {
  readonly uid: string;
  readonly panels: readonly Panel[];
}

const dashboards = readdirSync(DIR)
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((file) => {
    const text = readFileSync(join(DIR, file), "utf8");
    try {
      return { file, dashboard: JSON.parse(text) as Dashboard };
    } catch (error) {
      throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
    }
  });

const byFile = (file: string): GrafanaDashboard => {
  const found = dashboards.find((d) => d.file === file);
  assert.ok(found, `${file} is missing`);
  return found.dashboard as GrafanaDashboard;
};
const targetsOf = (d: GrafanaDashboard): Target[] => d.panels.flatMap((p) => p.targets ?? []);

const ruleFiles = readRuleFiles().map((f) => f.rules);

describe("apps/dashboards/*.json", () => {
  let known = new Set<string>();
  before(async () => {
    const families = await createMetrics(true).registry.getMetricsAsJSON();
    known = knownSeries(
      families.map(({ name, type }) => ({ name, type: String(type) })),
      ruleFiles,
    );
  });

  it("includes the receiver and access-log dashboards", () => {
    const files = dashboards.map((d) => d.file);
    assert.ok(files.includes("receiver.json") && files.includes("access-logs.json"), files.join(", "));
  });

  for (const { file, dashboard } of dashboards) {
    it(`${file}: uid, title, schema 39, unique panel ids, a data source and a query on every panel, known metrics`, () => {
      assert.deepEqual(dashboardProblems(dashboard, known), []);
    });
  }

  it("no two dashboards share a uid or a title", () => {
    assert.deepEqual(duplicateIdentityProblems(dashboards), []);
  });

  describe("receiver.json", () => {
    const receiver = byFile("receiver.json");
    const exprs = targetsOf(receiver).map((t) => t.expr ?? "");

    it("queries Prometheus only, through the 'prometheus' variable", () => {
      for (const panel of receiver.panels) {
        for (const ref of [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)]) {
          assert.deepEqual(ref, { type: "prometheus", uid: "${prometheus}" }, `panel ${panel.id}`);
        }
      }
    });

    it("graphs every recording rule, so what the alerts see is on screen", () => {
      const used = new Set(exprs.flatMap(promqlMetricNames));
      const missing = [...recordedNames(ruleFiles)].filter((name) => !used.has(name));
      assert.deepEqual(missing, []);
    });

    it("shows the receiver's own series: in-flight, tasks up, process memory", () => {
      const used = new Set(exprs.flatMap(promqlMetricNames));
      for (const name of ["log_receiver_requests_in_flight", "up", "process_resident_memory_bytes"]) {
        assert.ok(used.has(name), name);
      }
    });
  });

  describe("access-logs.json", () => {
    const access = byFile("access-logs.json");
    const athena = targetsOf(access).filter((t) => t.datasource?.type === "grafana-athena-datasource");
    const cloudwatch = targetsOf(access).filter((t) => t.datasource?.type === "cloudwatch");

    it("has Athena panels for status codes over time, top URLs and top clients", () => {
      const titles = access.panels
        .filter((p) => p.datasource?.type === "grafana-athena-datasource")
        .map((p) => p.title);
      for (const wanted of [/status/i, /top urls/i, /top clients/i]) {
        assert.ok(
          titles.some((t) => wanted.test(t)),
          `no Athena panel matches ${String(wanted)} in ${titles.join(", ")}`,
        );
      }
    });

    for (const [i, target] of athena.entries()) {
      it(`Athena query ${i + 1} reads nginx_access pruned to the dashboard's hours`, () => {
        const sql = target.rawSQL ?? "";
        assert.match(sql, /\bFROM nginx_access\b/);
        // Without these Athena projects every hour from 2020 to 2099 and scans the archive.
        assert.match(
          sql,
          /year BETWEEN date_format\(\$__timeFrom\(\), '%Y'\) AND date_format\(\$__timeTo\(\), '%Y'\)/,
        );
        assert.match(
          sql,
          /concat\(year, month, day, hour\) BETWEEN date_format\(\$__timeFrom\(\), '%Y%m%d%H'\) AND date_format\(\$__timeTo\(\), '%Y%m%d%H'\)/,
        );
        assert.match(sql, /from_iso8601_timestamp\("time"\) BETWEEN \$__timeFrom\(\) AND \$__timeTo\(\)/);
      });

      it(`Athena query ${i + 1} passes no parenthesised argument to a macro (the plugin cuts it at the first ')')`, () => {
        for (const match of (target.rawSQL ?? "").matchAll(/\$__\w+\(([^)]*)\)/g)) {
          assert.doesNotMatch(match[1] ?? "", /\(/, match[0]);
        }
      });
    }

    it("graphs the transformer's IteratorAge (Maximum) and Errors (Sum), the statistics its alarms use", () => {
      const series = cloudwatch.map((t) => `${t.namespace}/${t.metricName}/${t.statistic}`);
      assert.ok(series.includes("AWS/Lambda/IteratorAge/Maximum"), series.join(", "));
      assert.ok(series.includes("AWS/Lambda/Errors/Sum"), series.join(", "));
      for (const t of cloudwatch) assert.deepEqual(t.dimensions, { FunctionName: "$function" });
    });
  });
});

describe("dashboardProblems", () => {
  const known = new Set(["up", "job:a:rate5m"]);
  const promDs = { type: "prometheus", uid: "${prom}" };
  const base = {
    uid: "u",
    title: "T",
    schemaVersion: 39,
    templating: { list: [{ name: "prom", type: "datasource", query: "prometheus" }] },
  };
  const panel = (id: number, targets: DashboardTarget[], extra: DashboardPanel = {}): DashboardPanel => ({
    id,
    type: "timeseries",
    title: `p${id}`,
    datasource: promDs,
    targets,
    ...extra,
  });

  it("accepts a well-formed dashboard", () => {
    const ok = { ...base, panels: [panel(1, [{ refId: "A", expr: "sum(up)" }])] };
    assert.deepEqual(dashboardProblems(ok, known), []);
  });

  it("reports identity and schema problems", () => {
    assert.deepEqual(dashboardProblems({ schemaVersion: 27, panels: [] }, known), [
      "no uid",
      "no title",
      "schemaVersion is 27, expected 39",
      "no panels",
    ]);
  });

  it("reports duplicate panel ids, also inside collapsed rows", () => {
    const d = {
      ...base,
      panels: [
        panel(1, [{ refId: "A", expr: "up" }]),
        { id: 2, type: "row", title: "r", panels: [panel(1, [{ refId: "A", expr: "up" }])] },
      ],
    };
    assert.deepEqual(dashboardProblems(d, known), ['panel 1 "p1": duplicate id']);
  });

  it("reports panels without queries, empty queries and duplicate refIds", () => {
    const d = {
      ...base,
      panels: [
        panel(1, []),
        panel(2, [
          { refId: "A", expr: " " },
          { refId: "A", expr: "up" },
        ]),
      ],
    };
    assert.deepEqual(dashboardProblems(d, known), [
      'panel 1 "p1": no query',
      'panel 2 "p2" query A: empty query',
      'panel 2 "p2" query A: missing or duplicate refId',
    ]);
  });

  it("reports missing, undeclared, mismatched and unprovisioned data sources", () => {
    const d = {
      ...base,
      templating: { list: [{ name: "cw", type: "datasource", query: "cloudwatch" }] },
      panels: [
        panel(1, [{ refId: "A", expr: "up" }], { datasource: null }),
        panel(2, [{ refId: "A", expr: "up" }], { datasource: { type: "prometheus", uid: "${nope}" } }),
        panel(3, [{ refId: "A", expr: "up" }], { datasource: { type: "prometheus", uid: "$cw" } }),
        panel(4, [{ refId: "A", expr: "up" }], {
          datasource: { type: "prometheus", uid: "P1809F7CD0C75ACF3" },
        }),
        panel(5, [{ refId: "A", expr: "up" }], { datasource: { type: "cloudwatch", uid: "prometheus" } }),
        panel(6, [{ refId: "A", query: "x" }], { datasource: { type: "loki", uid: "${loki}" } }),
      ],
    };
    assert.deepEqual(dashboardProblems(d, known), [
      'panel 1 "p1" query A: no data source',
      'panel 2 "p2" query A: data source variable $nope is not declared',
      'panel 3 "p3" query A: variable $cw selects cloudwatch data sources, not prometheus',
      'panel 4 "p4" query A: data source uid "P1809F7CD0C75ACF3" is not provisioned',
      'panel 5 "p5" query A: data source uid "prometheus" is a prometheus, not cloudwatch',
      'panel 6 "p6" query A: data source variable $loki is not declared',
    ]);
  });

  it("reports an unsupported data source type and each type's empty query", () => {
    const d = {
      ...base,
      templating: { list: [{ name: "loki", type: "datasource", query: "loki" }] },
      panels: [
        panel(1, [{ refId: "A", expr: '{app="x"}' }], { datasource: { type: "loki", uid: "${loki}" } }),
        panel(2, [{ refId: "A", namespace: "AWS/Lambda", metricName: "Errors", expression: "" }], {
          datasource: { type: "cloudwatch", uid: "cloudwatch" },
        }),
        panel(3, [{ refId: "A", rawSQL: "" }], {
          datasource: { type: "grafana-athena-datasource", uid: "athena" },
        }),
        panel(4, [{ refId: "A", query: "*", metrics: [] }], {
          datasource: { type: "grafana-opensearch-datasource", uid: "opensearch-logs" },
        }),
      ],
    };
    assert.deepEqual(dashboardProblems(d, known), [
      'panel 1 "p1" query A: unsupported data source type loki',
      'panel 2 "p2" query A: empty query',
      'panel 3 "p3" query A: empty query',
      'panel 4 "p4" query A: empty query',
    ]);
  });

  it("uses a target's own data source over the panel's, and skips rows and text panels", () => {
    const d = {
      ...base,
      panels: [
        { id: 1, type: "row", title: "r" },
        { id: 2, type: "text", title: "t" },
        panel(
          3,
          [
            {
              refId: "A",
              rawSQL: "SELECT 1",
              datasource: { type: "grafana-athena-datasource", uid: "athena" },
            },
          ],
          {
            datasource: { type: "datasource", uid: "-- Mixed --" },
          },
        ),
      ],
    };
    assert.deepEqual(dashboardProblems(d, known), []);
  });

  it("reports Prometheus metrics that neither the receiver nor a recording rule provides", () => {
    const d = {
      ...base,
      panels: [panel(1, [{ refId: "A", expr: "rate(log_receiver_line_total[5m]) / job:a:rate5m" }])],
    };
    assert.deepEqual(dashboardProblems(d, known), [
      'panel 1 "p1" query A: unknown metric log_receiver_line_total',
    ]);
  });

  it("reports uids and titles shared between dashboards", () => {
    assert.deepEqual(
      duplicateIdentityProblems([
        { file: "a.json", dashboard: { uid: "x", title: "A" } },
        { file: "b.json", dashboard: { uid: "x", title: "B" } },
        { file: "c.json", dashboard: { uid: "y", title: "A" } },
      ]),
      ['uid "x" is used by a.json, b.json', 'title "A" is used by a.json, c.json'],
    );
  });
});
