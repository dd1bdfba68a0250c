import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { createMetrics } from "../../log-receiver/src/metrics";
import { requireTool } from "../../../test/lib/tools";
import type { MetricFamily, Rule } from "../src/validate";
import {
  RULES_DIR,
  alertRuleProblems,
  exposedSeriesNames,
  knownSeries,
  markdownAnchors,
  parseRuleFile,
  promqlMetricNames,
  readRuleFiles,
  ruleMetricProblems,
  unknownMetricNames,
} from "../src/validate";

const run = promisify(execFile);
const TESTS_DIR = join(RULES_DIR, "tests");
const README = readFileSync(join(__dirname, "..", "README.md"), "utf8");

const ruleFiles = readRuleFiles();
const testFiles = readdirSync(TESTS_DIR)
  .filter((name) => name.endsWith(".yml"))
  .sort()
  .map((name) => join(TESTS_DIR, name));
const allRules = ruleFiles.flatMap(({ rules }) => rules.groups.flatMap((g) => g.rules));
const alerts = allRules.filter((r) => r.alert !== undefined);

/** The families the receiver registers in production (process metrics on, as in main.ts). */
async function receiverFamilies(): Promise<MetricFamily[]> {
  return (await createMetrics(true).registry.getMetricsAsJSON()).map(({ name, type }) => ({
    name,
    type: String(type),
  }));
}

/** Runs promtool and fails with its own output (which names the failing case) when it exits non-zero. */
async function promtool(binary: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(binary, [...args]);
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  }
}

describe("apps/dashboards/rules", () => {
  it("has rule files and unit test files to check", () => {
    assert.ok(ruleFiles.length > 0, `no *.yml in ${RULES_DIR}`);
    assert.ok(testFiles.length > 0, `no *.yml in ${TESTS_DIR}`);
    assert.ok(alerts.length > 0, "no alerting rules");
  });

  describe("promtool", function () {
    let binary = "";
    before(function () {
      binary = requireTool(this, "promtool");
    });

    for (const { file } of ruleFiles) {
      it(`check rules ${file.slice(RULES_DIR.length + 1)}`, async () => {
        assert.match(await promtool(binary, ["check", "rules", file]), /SUCCESS/);
      });
    }

    for (const file of testFiles) {
      it(`test rules ${file.slice(RULES_DIR.length + 1)}`, async () => {
        assert.match(await promtool(binary, ["test", "rules", file]), /SUCCESS/);
      });
    }

    it("fails on an invalid expression and on a unit test whose alert does not fire", async () => {
      const dir = mkdtempSync(join(tmpdir(), "rules-"));
      try {
        const rules = join(dir, "bad.yml");
        writeFileSync(rules, "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(\n");
        await assert.rejects(promtool(binary, ["check", "rules", rules]), /failed:[\s\S]*bad\.yml/);

        writeFileSync(rules, "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n");
        const test = join(dir, "bad.test.yml");
        writeFileSync(
          test,
          [
            "rule_files: [bad.yml]",
            "tests:",
            "  - input_series: [{ series: 'up{job=\"x\"}', values: '1x5' }]",
            "    alert_rule_test: [{ eval_time: 5m, alertname: A, exp_alerts: [{ exp_labels: { job: x } }] }]",
          ].join("\n"),
        );
        await assert.rejects(promtool(binary, ["test", "rules", test]), /FAILED[\s\S]*alertname: A/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("unit tests cover every alert", () => {
    interface AlertCase {
      readonly alertname: string;
      readonly exp_alerts?: readonly { readonly exp_labels?: Readonly<Record<string, string>> }[];
    }
    const cases = testFiles.flatMap((file) => {
      const doc = parse(readFileSync(file, "utf8")) as { tests?: { alert_rule_test?: AlertCase[] }[] };
      return (doc.tests ?? []).flatMap((t) => t.alert_rule_test ?? []);
    });
    for (const { alert: name, labels } of alerts) {
      const severity = labels?.severity;
      it(`${name} (${severity ?? "no severity"}) has a case where it fires and one where it stays silent`, () => {
        const mine = cases.filter((c) => c.alertname === name);
        assert.ok(
          mine.some((c) => (c.exp_alerts ?? []).some((a) => a.exp_labels?.severity === severity)),
          `no alert_rule_test expects ${name} with severity ${String(severity)} to fire`,
        );
        assert.ok(
          mine.some((c) => (c.exp_alerts ?? []).length === 0),
          `no alert_rule_test expects ${name} to stay silent`,
        );
      });
    }
  });

  describe("alert metadata", () => {
    const anchors = markdownAnchors(README);
    for (const rule of alerts) {
      it(`${rule.alert} (${rule.labels?.severity ?? "no severity"}) has severity, summary, description and a runbook section`, () => {
        assert.deepEqual(alertRuleProblems(rule, anchors), []);
      });
    }

    it("reports each missing or wrong field", () => {
      const bare: Rule = { alert: "X", expr: "up == 0" };
      assert.deepEqual(alertRuleProblems(bare, anchors), [
        "alert X: no severity label",
        "alert X: no summary annotation",
        "alert X: no description annotation",
        "alert X: no runbook annotation",
      ]);
      const wrong: Rule = {
        alert: "X",
        expr: "up == 0",
        labels: { severity: "page" },
        annotations: { summary: "s", description: " ", runbook: "https://wiki/x" },
      };
      assert.deepEqual(alertRuleProblems(wrong, anchors), [
        'alert X: severity "page" is not one of critical, warning',
        "alert X: no description annotation",
        'alert X: runbook "https://wiki/x" is not apps/dashboards/README.md#<section>',
      ]);
      const dangling: Rule = {
        alert: "X",
        expr: "up == 0",
        labels: { severity: "warning" },
        annotations: { summary: "s", description: "d", runbook: "apps/dashboards/README.md#nosuchalert" },
      };
      assert.deepEqual(alertRuleProblems(dangling, anchors), [
        "alert X: runbook section #nosuchalert does not exist in apps/dashboards/README.md",
      ]);
      assert.deepEqual(alertRuleProblems({ record: "a:b:c", expr: "up" }, anchors), []);
    });

    it("derives GitHub heading anchors (punctuation dropped, repeats numbered, code fences ignored)", () => {
      const md = "# Top\n## Receiver Down!\n### ReceiverDown\n```\n# not a heading\n```\n## Top\n";
      assert.deepEqual([...markdownAnchors(md)], ["top", "receiver-down", "receiverdown", "top-1"]);
    });
  });

  describe("metric names match the receiver's registry", () => {
    let known = new Set<string>();
    before(async () => {
      known = knownSeries(
        await receiverFamilies(),
        ruleFiles.map((f) => f.rules),
      );
    });

    it("knows the receiver's series, histogram suffixes included", () => {
      for (const name of [
        "log_receiver_lines_total",
        "log_receiver_kinesis_put_seconds_bucket",
        "log_receiver_kinesis_put_seconds_count",
        "process_resident_memory_bytes",
        "up",
        "job:log_receiver_lines:rate5m",
      ]) {
        assert.ok(known.has(name), name);
      }
      assert.ok(!known.has("log_receiver_kinesis_put_seconds"), "a histogram has no bare series");
    });

    it("sees the receiver's metrics in the rules (the scan is not blind)", () => {
      const used = new Set(allRules.flatMap((r) => promqlMetricNames(r.expr)));
      for (const name of [
        "up",
        "log_receiver_lines_total",
        "log_receiver_requests_total",
        "log_receiver_rejects_total",
        "log_receiver_kinesis_put_seconds_bucket",
        "log_receiver_kinesis_put_seconds_count",
        "log_receiver_kinesis_retried_records_total",
        "job:log_receiver_requests_5xx:ratio_rate5m",
      ]) {
        assert.ok(used.has(name), `${name} not found in any rule`);
      }
    });

    for (const { file, rules } of ruleFiles) {
      it(`every expression in ${file.slice(RULES_DIR.length + 1)} selects existing series`, () => {
        assert.deepEqual(ruleMetricProblems(rules, known), []);
      });
    }

    it("reports a renamed metric", () => {
      const drifted = parseRuleFile(
        "groups:\n  - name: g\n    rules:\n      - record: job:x:rate5m\n        expr: sum(rate(log_receiver_line_total[5m]))\n",
        "drifted.yml",
      );
      assert.deepEqual(ruleMetricProblems(drifted, known), [
        "g/job:x:rate5m: unknown metric log_receiver_line_total",
      ]);
    });
  });

  describe("promqlMetricNames", () => {
    const cases: [string, string[]][] = [
      ["up", ["up"]],
      ['sum by (job, le) (rate(a_bucket{job="x", le=~"0.5|1"}[5m]))', ["a_bucket"]],
      ["histogram_quantile(0.99, sum(rate(a_bucket[5m])) by (le))", ["a_bucket"]],
      ['(a{s=~"5.."} or b * 0) / on (job) group_left (instance) c', ["a", "b", "c"]],
      ["absent(up == 1) and ignoring (x) job:a:rate5m > bool 1e6", ["up", "job:a:rate5m"]],
      ['label_replace(m, "dst", "$1", "src", "(.*)") offset 5m', ["m"]],
      ["rate(m[$__rate_interval]) > $threshold", ["m"]],
      ["max_over_time(rate(m[5m])[1h:1m]) @ end()", ["m"]],
      ["vector(1) + time()", []],
      ["sum without (instance) (m) # a comment with words", ["m"]],
    ];
    for (const [expr, names] of cases) {
      it(`finds ${JSON.stringify(names)} in ${expr}`, () => {
        assert.deepEqual(promqlMetricNames(expr), names);
      });
    }

    it("refuses selectors by __name__, which would hide the name from the check", () => {
      assert.throws(() => promqlMetricNames('{__name__="up"}'), /__name__/);
    });

    it("lists only the names missing from the known set", () => {
      assert.deepEqual(unknownMetricNames("a / b + a", new Set(["a"])), ["b"]);
    });

    it("expands histogram and summary families into their series", () => {
      assert.deepEqual(
        [
          ...exposedSeriesNames([
            { name: "h", type: "histogram" },
            { name: "s", type: "summary" },
            { name: "c_total", type: "counter" },
          ]),
        ],
        ["h_bucket", "h_sum", "h_count", "s", "s_sum", "s_count", "c_total"],
      );
    });
  });

  describe("parseRuleFile", () => {
    it("names the file and every shape problem", () => {
      assert.throws(
        () =>
          parseRuleFile(
            "groups:\n  - name: g\n    rules:\n      - alert: A\n        record: a:b:c\n        expr: up\n      - expr: up\n        alret: B\n",
            "shape.yml",
          ),
        (error: Error) =>
          error.message.startsWith("shape.yml is not a valid rule file") &&
          /exactly one of `record` or `alert`/.test(error.message) &&
          /alret/.test(error.message),
      );
    });
  });
});
