import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { costColumns, COST_TABLE_NAME, curTagKey } from "../../../components/cost-export";
import { BILLING_PERIOD } from "../../../components/cost-export/table";
import { COMPONENT_TAG, PROJECT } from "../../../components/lib/tags";

/*
 * cost.json against the table it queries (components/cost-export): the Glue
 * table's name and columns, the billing-period partition every query must be
 * pruned by, and the CUR 2.0 keys of the platform's cost allocation tags.
 */

interface Target {
  readonly rawSQL?: string;
  readonly format?: number;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}
interface Panel {
  readonly id: number;
  readonly title: string;
  readonly type: string;
  readonly targets?: readonly Target[];
}

const cost = JSON.parse(readFileSync(join(__dirname, "..", "cost.json"), "utf8")) as {
  readonly panels: readonly Panel[];
};
const athena = cost.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p, sql: t.rawSQL ?? "", target: t })),
);
const COLUMNS = new Set([...costColumns(true).map((c) => c.name), BILLING_PERIOD]);
const TAG_KEYS = new Set(["Project", "Environment", COMPONENT_TAG].map(curTagKey));

describe("cost.json (the cost dashboard)", () => {
  it("shows cost per service per day, the platform per environment and per component, and top resources", () => {
    const titles = cost.panels.map((p) => p.title);
    for (const wanted of [/per service per day/i, /per environment/i, /per component/i, /top resources/i])
      assert.ok(
        titles.some((t) => wanted.test(t)),
        `no panel matches ${String(wanted)} in ${titles.join(", ")}`,
      );
  });

  it("queries only Athena, through the athena data source variable", () => {
    assert.ok(athena.length >= 5);
    for (const { panel, target } of athena)
      assert.deepEqual(
        target.datasource,
        { type: "grafana-athena-datasource", uid: "${athena}" },
        panel.title,
      );
  });

  for (const { panel, sql, target } of athena) {
    describe(`panel ${panel.id} "${panel.title}"`, () => {
      it(`reads ${COST_TABLE_NAME}, pruned to the billing periods and usage of the time range`, () => {
        assert.match(sql, new RegExp(`\\bFROM ${COST_TABLE_NAME}\\b`));
        // Without it Athena projects every month since 2020 and reads each period's files.
        assert.match(
          sql,
          /billing_period BETWEEN date_format\(\$__timeFrom\(\), '%Y-%m'\) AND date_format\(\$__timeTo\(\), '%Y-%m'\)/,
        );
        assert.match(sql, /line_item_usage_start_date BETWEEN \$__timeFrom\(\) AND \$__timeTo\(\)/);
      });

      it("names only columns the export selects, and tags by their CUR 2.0 keys", () => {
        const names = [
          ...sql.matchAll(/\b(?:identity|bill|line_item|product|pricing|resource_tags)\w*/g),
        ].map((m) => m[0]);
        for (const name of names)
          assert.ok(COLUMNS.has(name), `${name} is not a column of ${COST_TABLE_NAME}`);
        for (const [, key] of sql.matchAll(/resource_tags\['([^']+)'\]/g))
          assert.ok(TAG_KEYS.has(key!), `resource_tags['${key}'] is not one of ${[...TAG_KEYS].join(", ")}`);
      });

      it("the platform's panels select its Project tag value", () => {
        if (!/platform/i.test(panel.title)) return;
        assert.ok(sql.includes(`resource_tags['${curTagKey("Project")}'] = '${PROJECT}'`), sql);
      });

      it("time series put the day first as time; tables and stats use the table format", () => {
        if (panel.type === "timeseries") {
          assert.equal(target.format, 0);
          assert.match(sql, /^SELECT\n {2}date_trunc\('day', line_item_usage_start_date\) AS "time",/);
        } else {
          assert.equal(target.format, 1);
        }
      });

      it("passes no parenthesised argument to a macro (the plugin cuts it at the first ')')", () => {
        for (const match of sql.matchAll(/\$__\w+\(([^)]*)\)/g))
          assert.doesNotMatch(match[1] ?? "", /\(/, match[0]);
      });
    });
  }
});
