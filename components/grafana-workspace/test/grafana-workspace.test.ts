import * as assert from "node:assert/strict";

import { violations } from "../../../policy/rules";
import { asPolicyInputs, resourceNamed, runUnderMocks } from "../../../test/lib/mocks";
import type { GrafanaWorkspaceArgs } from "..";
import { GRAFANA_WORKSPACE_DEFAULTS, GrafanaWorkspace, grafanaWorkspaceArgProblems } from "..";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const tags = { Project: "log-platform", Environment: "test", ManagedBy: "pulumi" };
const DASHBOARD = JSON.stringify({ title: "Mine", panels: [] });
const args: GrafanaWorkspaceArgs = {
  authenticationProviders: ["SAML"],
  alarmTopicArn: TOPIC,
  kmsKeyArn: KEY,
  openSearch: {
    domainArn: "arn:aws:es:eu-west-1:123456789012:domain/d",
    endpoint: "search-d.eu-west-1.es.amazonaws.com",
    version: "2.19.0",
    indexPatterns: { apps: "apps-*" },
  },
  dataSources: [
    { uid: "cloudwatch", name: "CloudWatch", kind: "cloudwatch" },
    { uid: "apps", name: "Apps", kind: "opensearch", family: "apps" },
  ],
  dashboards: [{ name: "mine", configJson: DASHBOARD }],
  retainData: false,
  tags,
};

describe("GrafanaWorkspace (mocks)", () => {
  it("provisions exactly the given data sources and dashboards, and declares only their kinds", async () => {
    const run = await runUnderMocks("test", { config: {}, secretKeys: [] }, () => {
      new GrafanaWorkspace("g", args);
    });
    const workspace = resourceNamed(run.resources, "aws:grafana/workspace:Workspace", "g-grafana");
    assert.equal(workspace.parent, "g");
    assert.deepEqual(workspace.props.dataSources, ["CLOUDWATCH", "AMAZON_OPENSEARCH_SERVICE"]);
    assert.deepEqual(workspace.props.authenticationProviders, ["SAML"]);
    assert.equal(workspace.props.grafanaVersion, GRAFANA_WORKSPACE_DEFAULTS.grafanaVersion);
    const rotation = resourceNamed(run.resources, "time:index/rotating:Rotating", "g-grafana-token-rotation");
    assert.deepEqual(rotation.props, { rotationDays: GRAFANA_WORKSPACE_DEFAULTS.tokenRotationDays });
    assert.deepEqual(
      run.resources.filter((r) => r.type === "grafana:oss/dataSource:DataSource").map((r) => r.name),
      ["g-datasource-cloudwatch", "g-datasource-apps"],
    );
    const apps = resourceNamed(run.resources, "grafana:oss/dataSource:DataSource", "g-datasource-apps");
    assert.equal(apps.props.url, "https://search-d.eu-west-1.es.amazonaws.com");
    assert.equal(
      (JSON.parse(apps.props.jsonDataEncoded as string) as { database: unknown }).database,
      "apps-*",
    );
    const dashboards = run.resources.filter((r) => r.type === "grafana:oss/dashboard:Dashboard");
    assert.deepEqual(
      dashboards.map((d) => [d.name, d.inputs.configJson, d.deletedWith]),
      [["g-dashboard-mine", DASHBOARD, "g-grafana"]],
    );
    assert.deepEqual(
      run.resources.filter((r) => r.type === "aws:athena/workgroup:Workgroup"),
      [],
      "no Athena, no workgroup",
    );
    assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
  });

  it("lists every problem with settings and content at once, and refuses to build", () => {
    const bad: GrafanaWorkspaceArgs = {
      ...args,
      authenticationProviders: [],
      tokenRotationDays: 0,
      dataSources: [
        { uid: "prometheus", name: "AMP", kind: "prometheus" },
        { uid: "apps", name: "Apps", kind: "opensearch", family: "apps" },
        { uid: "apps", name: "Apps again", kind: "opensearch", family: "missing" },
      ],
      dashboards: [
        { name: "mine", configJson: "[]" },
        { name: "mine", configJson: "{" },
      ],
    };
    const expected = [
      "authenticationProviders must be AWS_SSO and/or SAML (got [])",
      "tokenRotationDays must be 1–29 (got 0)",
      'dataSources: "prometheus" is a prometheus data source, but prometheus is not given',
      'dataSources: uid "apps" is given twice',
      'dataSources: "apps" searches family "missing", which openSearch.indexPatterns lacks',
      'dashboards: "mine" is not a JSON object',
      'dashboards: "mine" is given twice',
      'dashboards: "mine" is not a JSON object',
    ];
    assert.deepEqual(grafanaWorkspaceArgProblems(bad), expected);
    assert.throws(
      () => new GrafanaWorkspace("g", bad),
      (error: Error) =>
        error.message === `GrafanaWorkspace "g" has invalid arguments:\n  - ${expected.join("\n  - ")}`,
    );
    assert.deepEqual(grafanaWorkspaceArgProblems(args), []);
  });
});
