import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { parse } from "yaml";
import { requireTool } from "../../../test/lib/tools";
import {
  ALERTMANAGER_CONFIG_PATH,
  TEMPLATE_FILE_NAMES,
  ampAlertManagerDefinition,
  readTemplateFiles,
  renderAlertmanagerConfig,
  substitutePlaceholders,
} from "../src/alertmanager";
import { SEVERITIES } from "../src/validate";

const run = promisify(execFile);
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:log-platform-dev-alerts";
const REGION = "eu-west-1";
const TEMPLATE = readFileSync(ALERTMANAGER_CONFIG_PATH, "utf8");

interface SnsConfig {
  readonly topic_arn: string;
  readonly sigv4: { readonly region: string };
  readonly attributes?: Readonly<Record<string, string>>;
}
interface AlertmanagerConfig {
  readonly templates?: readonly string[];
  readonly receivers: readonly { readonly name: string; readonly sns_configs?: readonly SnsConfig[] }[];
}

const snsConfigs = (yamlText: string): SnsConfig[] =>
  (parse(yamlText) as AlertmanagerConfig).receivers.flatMap((r) => r.sns_configs ?? []);

describe("apps/dashboards/alertmanager", () => {
  describe("substitutePlaceholders", () => {
    it("replaces every occurrence in one pass", () => {
      assert.equal(substitutePlaceholders("${A}-${B}-${A}", { A: "${B}", B: "b" }), "${B}-b-${B}");
    });

    it("refuses a placeholder without a value", () => {
      assert.throws(
        () => substitutePlaceholders("x: ${A}\ny: ${TYPO}", { A: "a" }),
        /no value for .*\$\{TYPO\}/,
      );
    });

    it("refuses a value the text never uses", () => {
      assert.throws(() => substitutePlaceholders("x: ${A}", { A: "a", B: "b" }), /\$\{B\} do not occur/);
    });
  });

  describe("renderAlertmanagerConfig", () => {
    it("fills the topic and region into every SNS receiver and leaves no placeholder", () => {
      const config = renderAlertmanagerConfig(TOPIC, REGION);
      assert.doesNotMatch(config, /\$\{/);
      const sns = snsConfigs(config);
      assert.equal(sns.length, SEVERITIES.length, "one SNS receiver per severity");
      for (const c of sns) {
        assert.equal(c.topic_arn, TOPIC);
        assert.equal(c.sigv4.region, REGION);
      }
      assert.deepEqual(sns.map((c) => c.attributes?.severity).sort(), [...SEVERITIES].sort());
    });

    it("refuses a malformed ARN, a malformed region and a topic of another region", () => {
      assert.throws(() => renderAlertmanagerConfig("log-platform-alerts", REGION), /is not an SNS topic ARN/);
      assert.throws(
        () => renderAlertmanagerConfig("arn:aws:sqs:eu-west-1:123456789012:q", REGION),
        /is not an SNS topic ARN/,
      );
      assert.throws(() => renderAlertmanagerConfig(TOPIC, "Europe"), /is not an AWS region name/);
      assert.throws(
        () => renderAlertmanagerConfig(TOPIC, "us-east-1"),
        /is in eu-west-1, but alertmanager signs for us-east-1/,
      );
    });

    it("refuses a template with an unknown placeholder or without the region placeholder", () => {
      assert.throws(
        () => renderAlertmanagerConfig(TOPIC, REGION, `${TEMPLATE}\n# \${ALERT_EMAIL}\n`),
        /no value for placeholder\(s\) \$\{ALERT_EMAIL\}/,
      );
      assert.throws(
        () => renderAlertmanagerConfig(TOPIC, REGION, TEMPLATE.replaceAll("${AWS_REGION}", "eu-west-1")),
        /\$\{AWS_REGION\} do not occur/,
      );
    });

    it("yields YAML whose topic and region are exactly the inputs, for any valid ARN (property)", () => {
      const segment = fc.stringMatching(/^[a-z]{2,10}$/);
      const arb = fc.record({
        partition: fc.constantFrom("aws", "aws-cn", "aws-us-gov"),
        region: fc.tuple(fc.stringMatching(/^[a-z]{2}$/), segment, fc.integer({ min: 1, max: 9 })),
        account: fc.stringMatching(/^\d{12}$/),
        name: fc.stringMatching(/^[A-Za-z0-9_-]{1,256}$/),
        fifo: fc.boolean(),
      });
      fc.assert(
        fc.property(arb, ({ partition, region: [geo, area, n], account, name, fifo }) => {
          const region = `${geo}-${area}-${n}`;
          const arn = `arn:${partition}:sns:${region}:${account}:${name}${fifo ? ".fifo" : ""}`;
          for (const c of snsConfigs(renderAlertmanagerConfig(arn, region, TEMPLATE))) {
            assert.equal(c.topic_arn, arn);
            assert.equal(c.sigv4.region, region);
          }
        }),
        { numRuns: 200 },
      );
    });
  });

  it("inhibits a warning while its critical twin (same alertname and job) fires", () => {
    const { inhibit_rules: rules } = parse(renderAlertmanagerConfig(TOPIC, REGION)) as {
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    assert.deepEqual(rules[0], {
      source_matchers: ['severity="critical"'],
      target_matchers: ['severity="warning"'],
      equal: ["alertname", "job"],
    });
  });

  describe("ampAlertManagerDefinition", () => {
    it("wraps the rendered config and the template files as AMP expects", () => {
      const config = renderAlertmanagerConfig(TOPIC, REGION);
      const definition = parse(ampAlertManagerDefinition(config)) as Record<string, unknown>;
      assert.deepEqual(Object.keys(definition).sort(), ["alertmanager_config", "template_files"]);
      assert.equal(definition.alertmanager_config, config);
      assert.deepEqual(definition.template_files, readTemplateFiles());
      assert.deepEqual((parse(config) as AlertmanagerConfig).templates, [...TEMPLATE_FILE_NAMES]);
    });

    it("refuses template files that the config does not name, or names without files", () => {
      const config = renderAlertmanagerConfig(TOPIC, REGION);
      assert.throws(
        () => ampAlertManagerDefinition(config, {}),
        /names templates \[log-platform\.tmpl\] but \[\] were given/,
      );
      assert.throws(
        () => ampAlertManagerDefinition(config, { ...readTemplateFiles(), "extra.tmpl": "" }),
        /but \[log-platform\.tmpl, extra\.tmpl\] were given/,
      );
    });
  });

  describe("amtool", function () {
    let amtool = "";
    let dir = "";
    let configFile = "";
    before(function () {
      amtool = requireTool(this, "amtool");
      dir = mkdtempSync(join(tmpdir(), "alertmanager-"));
      configFile = join(dir, "alertmanager.yml");
      writeFileSync(configFile, renderAlertmanagerConfig(TOPIC, REGION));
      // Templates resolve relative to the config file, as AMP resolves them by name.
      for (const [name, text] of Object.entries(readTemplateFiles())) writeFileSync(join(dir, name), text);
    });
    after(() => {
      if (dir !== "") rmSync(dir, { recursive: true, force: true });
    });

    const amtoolRun = async (args: readonly string[]): Promise<string> => {
      try {
        return (await run(amtool, [...args])).stdout;
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string; message: string };
        throw new Error(`amtool ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
      }
    };

    it("check-config accepts the rendered configuration and finds its templates", async () => {
      const out = await amtoolRun(["check-config", configFile]);
      assert.match(out, /SUCCESS/);
      assert.match(out, /2 receivers/);
      assert.match(out, /1 templates/);
    });

    it("check-config rejects a broken configuration", async () => {
      const bad = join(dir, "bad.yml");
      writeFileSync(
        bad,
        readFileSync(configFile, "utf8").replace("receiver: sns-critical", "receiver: pager"),
      );
      await assert.rejects(amtoolRun(["check-config", bad]), /undefined receiver "pager"/);
    });

    it("check-config alone would accept an unrendered placeholder: rendering is the guard", async () => {
      const raw = join(dir, "raw.yml");
      writeFileSync(raw, TEMPLATE);
      assert.match(await amtoolRun(["check-config", raw]), /SUCCESS/);
      assert.throws(() => substitutePlaceholders(TEMPLATE, {}), /no value/);
    });

    for (const [labels, receiver] of [
      [["severity=critical", "alertname=ReceiverDown"], "sns-critical"],
      [["severity=warning", "alertname=ReceiverDown"], "sns-warning"],
      [["alertname=Unlabelled"], "sns-warning"],
    ] as const) {
      it(`routes {${labels.join(", ")}} to ${receiver}`, async () => {
        const out = await amtoolRun(["config", "routes", "test", `--config.file=${configFile}`, ...labels]);
        assert.equal(out.trim(), receiver);
      });
    }

    it("renders the SNS subject and message from an alert group", async () => {
      const data = join(dir, "data.json");
      const alert = (instance: string) => ({
        status: "firing",
        labels: { alertname: "ReceiverDown", severity: "warning", job: "log-receiver", instance },
        annotations: {
          summary: `Receiver ${instance} does not answer scrapes`,
          description: "d",
          runbook: "apps/dashboards/README.md#receiverdown",
        },
        startsAt: "2024-05-01T10:00:00Z",
        endsAt: "0001-01-01T00:00:00Z",
      });
      writeFileSync(
        data,
        JSON.stringify({
          receiver: "sns-warning",
          status: "firing",
          alerts: [alert("10.0.1.7:8080"), alert("10.0.2.9:8080")],
          groupLabels: { alertname: "ReceiverDown" },
          commonLabels: { alertname: "ReceiverDown", severity: "warning", job: "log-receiver" },
          commonAnnotations: {},
          externalURL: "http://alertmanager",
        }),
      );
      const render = (text: string) =>
        amtoolRun([
          "template",
          "render",
          `--template.glob=${join(dir, "*.tmpl")}`,
          `--template.data=${data}`,
          `--template.text=${text}`,
        ]);
      const subject = (await render('{{ template "logplatform.sns.subject" . }}')).trim();
      assert.equal(subject, "[FIRING:2] ReceiverDown (warning)");
      assert.ok(subject.length <= 100, "SNS subjects are at most 100 characters");
      const message = await render('{{ template "logplatform.sns.message" . }}');
      assert.match(message, /^FIRING ReceiverDown \[warning\] on 10\.0\.1\.7:8080$/m);
      assert.match(message, /^Receiver 10\.0\.2\.9:8080 does not answer scrapes$/m);
      assert.match(message, /^Runbook: apps\/dashboards\/README\.md#receiverdown$/m);
      assert.match(message, /^Since: 2024-05-01 10:00:00 UTC$/m);
    });
  });
});
