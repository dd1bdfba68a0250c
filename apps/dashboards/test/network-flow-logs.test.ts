import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_FLOW_LOG_FILTERS } from "../../../components/flow-log-monitor/filters";

interface Target {
  readonly refId?: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly namespace?: string;
  readonly metricName?: string;
  readonly statistic?: string;
  readonly period?: string;
  readonly expression?: string;
}

interface ThresholdSteps {
  readonly steps: readonly { readonly color: string; readonly value: number | null }[];
}

interface FieldOverride {
  readonly matcher: { readonly id: string; readonly options: string };
  readonly properties: readonly { readonly id: string; readonly value: unknown }[];
}

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: Target["datasource"];
  readonly targets?: readonly Target[];
  readonly fieldConfig?: { readonly overrides?: readonly FieldOverride[] };
}

interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly templating: {
    readonly list: readonly { readonly name: string; readonly type: string; readonly query: string }[];
  };
  readonly panels: readonly Panel[];
}

const dashboard = JSON.parse(
  readFileSync(join(__dirname, "..", "network-flow-logs.json"), "utf8"),
) as Dashboard;

/** `namespace/metricName`, the identity of a CloudWatch metric in these checks. */
const metricKey = (t: { readonly namespace?: string; readonly metricName?: string }): string =>
  `${t.namespace ?? ""}/${t.metricName ?? ""}`;

/** The CloudWatch (metric filter) panels; the OpenSearch ones are checked with every family's dashboards. */
const cloudWatchPanels = dashboard.panels.filter((p) => p.datasource?.type === "cloudwatch");
const timeSeries = cloudWatchPanels.filter((p) => p.type === "timeseries");
const alarmPanel = dashboard.panels.find((p) => p.type === "stat" && /alarm state/i.test(p.title));

describe("apps/dashboards/network-flow-logs.json", () => {
  it("identifies itself and uses schema version 39", () => {
    assert.equal(dashboard.uid, "network-flow-logs");
    assert.equal(dashboard.schemaVersion, 39);
    assert.ok(dashboard.title.trim().length > 0);
  });

  it("selects its CloudWatch data source through the 'datasource' template variable, OpenSearch as opensearch-vpcflow", () => {
    const variable = dashboard.templating.list.find((v) => v.name === "datasource");
    assert.deepEqual(variable && { type: variable.type, query: variable.query }, {
      type: "datasource",
      query: "cloudwatch",
    });
    assert.ok(cloudWatchPanels.length > 0);
    for (const panel of dashboard.panels) {
      const expected =
        panel.datasource?.type === "cloudwatch"
          ? { type: "cloudwatch", uid: "${datasource}" }
          : { type: "grafana-opensearch-datasource", uid: "opensearch-vpcflow" };
      for (const ref of [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)]) {
        assert.deepEqual(ref, expected, `panel ${panel.id}`);
      }
    }
  });

  it("has unique panel ids and unique refIds within each panel", () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `duplicate ids in ${ids.join(", ")}`);
    for (const panel of dashboard.panels) {
      const refIds = (panel.targets ?? []).map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `panel ${panel.id}`);
    }
  });

  it("gives every CloudWatch panel at least one non-empty query", () => {
    for (const panel of cloudWatchPanels) {
      assert.ok((panel.targets ?? []).length > 0, `panel ${panel.id} "${panel.title}" has no query`);
      for (const t of panel.targets ?? []) {
        const metricQuery =
          Boolean(t.namespace?.trim()) && Boolean(t.metricName?.trim()) && Boolean(t.statistic);
        assert.ok(
          metricQuery || Boolean(t.expression?.trim()),
          `panel ${panel.id} query ${String(t.refId)} is empty`,
        );
      }
    }
  });

  for (const filter of DEFAULT_FLOW_LOG_FILTERS) {
    it(`graphs the ${filter.name} metric (${filter.namespace}/${filter.metricName}) with the alarm's statistic and period`, () => {
      const targets = timeSeries
        .flatMap((p) => p.targets ?? [])
        .filter((t) => metricKey(t) === metricKey(filter));
      assert.ok(
        targets.length > 0,
        `no time series panel queries ${metricKey(filter)}; add one to the dashboard`,
      );
      for (const t of targets) {
        assert.equal(t.statistic, filter.statistic);
        assert.equal(t.period, String(filter.period));
      }
    });
  }

  it("shows, in the alarm-state panel, every alarmed metric against its alarm threshold", () => {
    assert.ok(alarmPanel, "no stat panel titled 'Alarm state'");
    const alarmed = DEFAULT_FLOW_LOG_FILTERS.filter((f) => f.createAlarm);
    assert.deepEqual((alarmPanel.targets ?? []).map(metricKey).sort(), alarmed.map(metricKey).sort());
    for (const filter of alarmed) {
      // The panel turns red at value >= step, which is only the alarm's rule for this operator.
      assert.equal(filter.comparison, "GreaterThanOrEqualToThreshold", filter.name);
      const refId = alarmPanel.targets?.find((t) => metricKey(t) === metricKey(filter))?.refId;
      const override: FieldOverride | undefined = alarmPanel.fieldConfig?.overrides?.find(
        (o) => o.matcher.id === "byFrameRefID" && o.matcher.options === refId,
      );
      const thresholds = override?.properties.find((p) => p.id === "thresholds")?.value as
        ThresholdSteps | undefined;
      assert.deepEqual(thresholds?.steps.at(-1), { color: "red", value: filter.threshold }, filter.name);
    }
  });
});
