import * as assert from "node:assert/strict";

import { resourceNamed, runUnderMocks } from "../../../test/lib/mocks";
import type { PrometheusWorkspaceArgs } from "..";
import { PrometheusWorkspace, prometheusWorkspaceArgProblems } from "..";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const tags = { Project: "log-platform", Environment: "test", ManagedBy: "pulumi" };
const RULES = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n";
const args: PrometheusWorkspaceArgs = {
  kmsKeyArn: KEY,
  alarmTopicArn: TOPIC,
  ruleNamespaces: [
    { name: "first", data: RULES },
    { name: "second.v2", data: RULES.replace("A", "B") },
  ],
  logRetentionDays: 30,
  tags,
};

describe("PrometheusWorkspace (mocks)", () => {
  it("creates exactly the given namespaces, the workspace, its log group and alertmanager, as children", async () => {
    const run = await runUnderMocks("test", { config: {}, secretKeys: [] }, () => {
      const amp = new PrometheusWorkspace("amp", args);
      return { remoteWriteUrl: amp.remoteWriteUrl };
    });
    assert.deepEqual(
      run.resources.map((r) => [r.type, r.name, r.parent]).sort(),
      [
        ["aws:amp/alertManagerDefinition:AlertManagerDefinition", "amp-alertmanager", "amp"],
        ["aws:amp/ruleGroupNamespace:RuleGroupNamespace", "amp-rules-first", "amp"],
        ["aws:amp/ruleGroupNamespace:RuleGroupNamespace", "amp-rules-second.v2", "amp"],
        ["aws:amp/workspace:Workspace", "amp-amp", "amp"],
        ["aws:cloudwatch/logGroup:LogGroup", "amp-amp-logs", "amp"],
        ["log-platform:prometheus:PrometheusWorkspace", "amp", null],
      ].sort(),
    );
    const type = "aws:amp/ruleGroupNamespace:RuleGroupNamespace";
    assert.deepEqual(resourceNamed(run.resources, type, "amp-rules-second.v2").props, {
      workspaceId: "amp-amp-id",
      name: "second.v2",
      data: RULES.replace("A", "B"),
      tags,
    });
    assert.deepEqual(resourceNamed(run.resources, "aws:amp/workspace:Workspace", "amp-amp").props, {
      alias: "amp",
      kmsKeyArn: KEY,
      loggingConfiguration: {
        logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/prometheus/amp:*",
      },
      tags,
    });
    assert.deepEqual(resourceNamed(run.resources, "aws:cloudwatch/logGroup:LogGroup", "amp-amp-logs").props, {
      name: "/aws/vendedlogs/prometheus/amp",
      retentionInDays: 30,
      kmsKeyId: KEY,
      tags,
    });
    const definition = resourceNamed(
      run.resources,
      "aws:amp/alertManagerDefinition:AlertManagerDefinition",
      "amp-alertmanager",
    ).props.definition as string;
    assert.match(definition, new RegExp(TOPIC));
    assert.match(run.outputs.remoteWriteUrl, /\/api\/v1\/remote_write$/);
  });

  it("lists every problem at once and refuses to build", () => {
    const bad: PrometheusWorkspaceArgs = {
      ...args,
      logRetentionDays: 10,
      ruleNamespaces: [
        { name: "ok", data: RULES },
        { name: "ok", data: RULES },
        { name: "bad name", data: RULES },
        { name: "empty", data: " \n" },
      ],
    };
    const expected = [
      "logRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 10)",
      'ruleNamespaces: "ok" is given twice',
      `ruleNamespaces: "bad name" must be 1–64 letters, digits, '.', '_' or '-' starting with a letter or digit`,
      'ruleNamespaces: "empty" has no rules',
    ];
    assert.deepEqual(prometheusWorkspaceArgProblems(bad), expected);
    assert.throws(
      () => new PrometheusWorkspace("amp", bad),
      (error: Error) =>
        error.message === `PrometheusWorkspace "amp" has invalid arguments:\n  - ${expected.join("\n  - ")}`,
    );
    assert.deepEqual(prometheusWorkspaceArgProblems(args), []);
  });
});
