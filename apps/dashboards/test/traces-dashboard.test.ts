import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { DATA_SOURCE_TYPES } from "../../../components/grafana-workspace/data-sources";
import { TRACED_SERVICES } from "../../../components/lib/tracing";
import type { Dashboard, DashboardTarget } from "../src/validate";
import { dashboardProblems, promqlMetricNames, XRAY_TYPE, xrayServiceNames } from "../src/validate";

/*
 * traces.json, the Traces dashboard: the receiver's latency histograms beside
 * its X-Ray traces and the service map. The generic checks of every
 * dashboard (apps/dashboards/test/dashboards.test.ts) run on it too; these are
 * the ones that tie it to what the program traces.
 */

interface Target extends DashboardTarget {
  readonly expr?: string;
  readonly query?: string;
  readonly queryType?: string;
}
interface Panel {
  readonly id: number;
  readonly title: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets: readonly Target[];
  readonly fieldConfig?: { readonly defaults?: { readonly links?: readonly { url: string }[] } };
}
interface TracesDashboard {
  readonly uid: string;
  readonly panels: readonly Panel[];
  readonly templating: {
    readonly list: readonly {
      name: string;
      type: string;
      query?: string;
      current?: { value?: string };
    }[];
  };
}

const dashboard = JSON.parse(readFileSync(join(__dirname, "..", "traces.json"), "utf8")) as TracesDashboard;
const targets = dashboard.panels.flatMap((p) =>
  p.targets.map((t) => ({ panel: p, target: t, type: (t.datasource ?? p.datasource)?.type })),
);
const xrayTargets = targets.filter((t) => t.type === XRAY_TYPE);
const promTargets = targets.filter((t) => t.type === "prometheus");
const variable = (name: string) => dashboard.templating.list.find((v) => v.name === name);

describe("traces.json", () => {
  it("queries X-Ray through a data source variable whose default is the provisioned X-Ray data source", () => {
    assert.ok(xrayTargets.length >= 4, `${xrayTargets.length} X-Ray queries`);
    for (const { target, panel } of xrayTargets) {
      assert.deepEqual(target.datasource, { type: XRAY_TYPE, uid: "${xray}" }, `panel ${panel.id}`);
    }
    // The observability stack provisions the X-Ray data source with uid = its kind.
    assert.equal(DATA_SOURCE_TYPES.xray, XRAY_TYPE);
    assert.deepEqual(
      [variable("xray")?.type, variable("xray")?.query, variable("xray")?.current?.value],
      ["datasource", XRAY_TYPE, "xray"],
    );
  });

  it("every service it asks X-Ray about is one the program traces, and every traced service is on it", () => {
    const asked = new Set(xrayTargets.flatMap(({ target }) => xrayServiceNames(target.query ?? "")));
    const traced = new Set<string>(Object.values(TRACED_SERVICES));
    assert.deepEqual(
      [...asked].filter((name) => !traced.has(name)),
      [],
      "unknown services",
    );
    assert.deepEqual(
      [...traced].filter((name) => !asked.has(name)),
      [],
      "traced services missing",
    );
  });

  it("X-Ray filter expressions balance their parentheses and quotes", () => {
    for (const { target, panel } of xrayTargets) {
      const query = target.query ?? "";
      let depth = 0;
      for (const char of query.replace(/"[^"]*"/g, "")) {
        depth += char === "(" ? 1 : char === ")" ? -1 : 0;
        assert.ok(depth >= 0, `panel ${panel.id}: ${query}`);
      }
      assert.equal(depth, 0, `panel ${panel.id}: ${query}`);
      assert.equal((query.match(/"/g) ?? []).length % 2, 0, `panel ${panel.id}: ${query}`);
    }
  });

  it("the latency panels graph the receiver's own histograms", () => {
    const used = new Set(promTargets.flatMap(({ target }) => promqlMetricNames(target.expr ?? "")));
    for (const name of [
      "log_receiver_request_duration_seconds_bucket",
      "log_receiver_kinesis_put_seconds_bucket",
      "log_receiver_request_duration_seconds_sum",
      "log_receiver_request_duration_seconds_count",
    ]) {
      assert.ok(used.has(name), name);
    }
  });

  it("every latency panel links a point to the receiver's traces slower than its value, on this dashboard", () => {
    const latencyPanels = dashboard.panels.filter((p) =>
      p.targets.some((t) => (t.datasource ?? p.datasource)?.type === "prometheus"),
    );
    assert.ok(latencyPanels.length >= 2);
    const traceList = dashboard.panels.find((p) =>
      p.targets.some(
        (t) => t.queryType === "getTraceSummaries" && /service\("log-receiver"\)/.test(t.query ?? ""),
      ),
    );
    assert.match(traceList?.targets[0]?.query ?? "", /responsetime > \$minSeconds/);
    assert.equal(variable("minSeconds")?.type, "textbox");
    for (const panel of latencyPanels) {
      const urls = (panel.fieldConfig?.defaults?.links ?? []).map((l) => l.url);
      assert.equal(urls.length, 1, `panel ${panel.id} "${panel.title}"`);
      const url = new URL(urls[0]!, "https://grafana.example");
      assert.equal(url.pathname, `/d/${dashboard.uid}/traces`);
      assert.equal(url.searchParams.get("var-minSeconds"), "${__value.numeric}");
      assert.ok(urls[0]!.includes("${__url_time_range}"), "the same time range");
      for (const name of ["prometheus", "xray"]) {
        assert.equal(
          url.searchParams.get(`var-${name}`),
          `\${${name}}`,
          `keeps the chosen ${name} data source`,
        );
      }
    }
  });

  it("shows a trace list, trace statistics and the service map", () => {
    const kinds = new Set(xrayTargets.map(({ target }) => target.queryType));
    assert.deepEqual([...kinds].sort(), [
      "getServiceMap",
      "getTimeSeriesServiceStatistics",
      "getTraceSummaries",
    ]);
    const map = dashboard.panels.find((p) => p.targets.some((t) => t.queryType === "getServiceMap"));
    assert.equal((map as { type?: string } | undefined)?.type, "nodeGraph");
  });
});

describe("dashboardProblems on X-Ray queries", () => {
  const base = {
    uid: "u",
    title: "T",
    schemaVersion: 39,
    templating: { list: [{ name: "xray", type: "datasource", query: XRAY_TYPE }] },
  };
  const withTargets = (targets: DashboardTarget[]): Dashboard => ({
    ...base,
    panels: [{ id: 1, type: "table", title: "p1", datasource: { type: XRAY_TYPE, uid: "${xray}" }, targets }],
  });

  it("accepts a trace list with a filter and a service map without one, by variable or by the fixed uid", () => {
    assert.deepEqual(
      dashboardProblems(
        withTargets([
          { refId: "A", queryType: "getTraceSummaries", query: 'service("log-receiver")' },
          { refId: "B", queryType: "getServiceMap", query: "" },
          {
            refId: "C",
            queryType: "getTimeSeriesServiceStatistics",
            query: 'service("x")',
            datasource: { type: XRAY_TYPE, uid: "xray" },
          },
        ]),
        new Set(),
      ),
      [],
    );
  });

  it("reports a trace list or statistics without a filter, and a query type it does not know", () => {
    assert.deepEqual(
      dashboardProblems(
        withTargets([
          { refId: "A", queryType: "getTraceSummaries", query: " " },
          { refId: "B", queryType: "getTimeSeriesServiceStatistics" },
          { refId: "C", queryType: "getTraces", query: 'service("x")' },
        ]),
        new Set(),
      ),
      [
        'panel 1 "p1" query A: empty query',
        'panel 1 "p1" query B: empty query',
        'panel 1 "p1" query C: empty query',
      ],
    );
  });

  it('xrayServiceNames reads every service("…") of a filter expression', () => {
    assert.deepEqual(
      xrayServiceNames('(service("a") OR service( "b" )) AND fault AND http.url CONTAINS "service"'),
      ["a", "b"],
    );
  });
});
