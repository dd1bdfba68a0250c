import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import * as fc from "fast-check";

import { ACTIONS_WITHOUT_RESOURCE_SCOPE, violations } from "../../../policy/rules";
import {
  bucketNameFromArn,
  dashboardDatasourceUses,
  dataSourceSettings,
  GRAFANA_UNSCOPED_ACTIONS,
  grafanaStatements,
  readDashboards,
  serviceAccountTokenName,
} from "../../grafana-workspace";
import {
  bootstrapStatements,
  domainAccessPolicy,
  openSearchAlarmSpecs,
  openSearchIndexReplicas,
  openSearchVersionNumber,
} from "../../opensearch-domain";
import { readRuleNamespaces, remoteWriteUrl } from "../../prometheus-workspace";
import {
  COST_DASHBOARD,
  familyIndexPattern,
  familyIndexPatterns,
  INDEX_FAMILIES,
  INDEX_FAMILY_PREFIXES,
  platformDashboards,
  provisionedDataSources,
} from "..";

const ctx = { accountId: "123456789012", region: "eu-west-1", partition: "aws" };
const DOMAIN = "arn:aws:es:eu-west-1:123456789012:domain/logs";
const MASTER = "arn:aws:iam::123456789012:role/obs-opensearch-bootstrap-role";
const ALL_METHODS = [
  "es:ESHttpGet",
  "es:ESHttpHead",
  "es:ESHttpPost",
  "es:ESHttpPut",
  "es:ESHttpPatch",
  "es:ESHttpDelete",
];

describe("OpenSearch alarm specs", () => {
  it("are AWS's recommended alarms, exactly, with free storage at 20 % of a node's volume in MiB", () => {
    const rows = openSearchAlarmSpecs({ volumeGiB: 100, dedicatedMasters: false, dataNodes: 3 }).map((s) => [
      s.name,
      s.metricName,
      s.statistic,
      s.comparisonOperator,
      s.threshold,
      s.period,
      s.evaluationPeriods,
    ]);
    assert.deepEqual(rows, [
      ["cluster-red", "ClusterStatus.red", "Maximum", "GreaterThanOrEqualToThreshold", 1, 60, 1],
      ["cluster-yellow", "ClusterStatus.yellow", "Maximum", "GreaterThanOrEqualToThreshold", 1, 60, 5],
      ["free-storage-low", "FreeStorageSpace", "Minimum", "LessThanOrEqualToThreshold", 20480, 60, 1],
      ["jvm-memory-pressure", "JVMMemoryPressure", "Maximum", "GreaterThanOrEqualToThreshold", 80, 300, 3],
      ["cpu-utilization", "CPUUtilization", "Maximum", "GreaterThanOrEqualToThreshold", 80, 900, 3],
      ["master-unreachable", "MasterReachableFromNode", "Maximum", "LessThanThreshold", 1, 86400, 1],
      [
        "index-writes-blocked",
        "ClusterIndexWritesBlocked",
        "Maximum",
        "GreaterThanOrEqualToThreshold",
        1,
        300,
        1,
      ],
      [
        "automated-snapshot-failure",
        "AutomatedSnapshotFailure",
        "Maximum",
        "GreaterThanOrEqualToThreshold",
        1,
        60,
        1,
      ],
      ["kms-key-error", "KMSKeyError", "Maximum", "GreaterThanOrEqualToThreshold", 1, 60, 1],
      ["kms-key-inaccessible", "KMSKeyInaccessible", "Maximum", "GreaterThanOrEqualToThreshold", 1, 60, 1],
    ]);
    assert.equal(
      openSearchAlarmSpecs({ volumeGiB: 10, dedicatedMasters: false, dataNodes: 3 }).find(
        (s) => s.name === "free-storage-low",
      )?.threshold,
      2048,
    );
  });

  it("add the master node's CPU and JVM when dedicated masters run", () => {
    const extra = openSearchAlarmSpecs({ volumeGiB: 10, dedicatedMasters: true, dataNodes: 3 }).slice(10);
    assert.deepEqual(
      extra.map((s) => [s.metricName, s.threshold, s.period, s.evaluationPeriods]),
      [
        ["MasterCPUUtilization", 50, 900, 3],
        ["MasterJVMMemoryPressure", 95, 60, 3],
      ],
    );
  });

  // "Single-node clusters always initialize with a yellow cluster status because there's no
  // other node to which OpenSearch Service can assign a replica":
  // https://docs.aws.amazon.com/opensearch-service/latest/developerguide/handling-errors.html#handling-errors-yellow-cluster-status
  it("leave out the yellow alarm on one data node, where yellow is the healthy state, and keep red", () => {
    const names = (dataNodes: number) =>
      openSearchAlarmSpecs({ volumeGiB: 10, dedicatedMasters: false, dataNodes }).map((s) => s.name);
    assert.ok(!names(1).includes("cluster-yellow"));
    assert.ok(names(1).includes("cluster-red"));
    assert.deepEqual(
      names(1),
      names(2).filter((n) => n !== "cluster-yellow"),
    );
    assert.ok(names(2).includes("cluster-yellow"));
  });
});

describe("openSearchIndexReplicas", () => {
  it("is one replica from two data nodes on, none on a single node", () => {
    assert.deepEqual([1, 2, 3, 6, 80].map(openSearchIndexReplicas), [0, 1, 1, 1, 1]);
  });
});

describe("domainAccessPolicy", () => {
  it("lets the master role and operators from known ranges reach fine-grained access control, nobody else unsigned", () => {
    assert.deepEqual(
      domainAccessPolicy({
        domainArn: DOMAIN,
        masterRoleArn: MASTER,
        writerRoleArns: [],
        readerRoleArns: [],
        operatorCidrs: ["198.51.100.0/24"],
      }),
      {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "Master",
            Effect: "Allow",
            Principal: { AWS: [MASTER] },
            Action: ALL_METHODS,
            Resource: `${DOMAIN}/*`,
          },
          {
            Sid: "OperatorsFromKnownNetworks",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: ALL_METHODS,
            Resource: `${DOMAIN}/*`,
            Condition: { IpAddress: { "aws:SourceIp": ["198.51.100.0/24"] } },
          },
        ],
      },
    );
  });
});

describe("bootstrapStatements", () => {
  const scope = {
    domainArn: DOMAIN,
    secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:obs-master-user-AbCdEf",
    keyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
    logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:boot",
  };

  it("administers this domain, reads its one secret with its key, logs and traces; VPC networking only in a VPC", () => {
    const outside = bootstrapStatements({ ...scope, inVpc: false });
    assert.deepEqual(outside, [
      { Sid: "AdministerTheDomain", Effect: "Allow", Action: ALL_METHODS, Resource: `${DOMAIN}/*` },
      {
        Sid: "ReadTheMasterPassword",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: scope.secretArn,
      },
      { Sid: "DecryptTheSecret", Effect: "Allow", Action: "kms:Decrypt", Resource: scope.keyArn },
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${scope.logGroupArn}:log-stream:*`,
      },
      {
        Sid: "Tracing",
        Effect: "Allow",
        Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        Resource: "*",
      },
    ]);
    const inside = bootstrapStatements({ ...scope, inVpc: true });
    assert.deepEqual(inside.slice(0, -1), outside);
    assert.equal(inside.at(-1)?.Sid, "AttachToTheVpc");
    assert.deepEqual(
      violations([
        {
          type: "aws:iam/rolePolicy:RolePolicy",
          name: "boot",
          props: { policy: JSON.stringify({ Version: "2012-10-17", Statement: inside }) },
        },
      ]),
      [],
    );
  });
});

describe("grafanaStatements", () => {
  const minimal = { ctx, alertTopicArn: "arn:aws:sns:eu-west-1:123456789012:alerts", topicKeyArn: "key" };

  it('grants on "*" only actions the policy rules know AWS cannot scope', () => {
    for (const action of GRAFANA_UNSCOPED_ACTIONS)
      assert.ok(ACTIONS_WITHOUT_RESOURCE_SCOPE.has(action), action);
    const star = grafanaStatements(minimal).filter((s) => s.Resource === "*");
    assert.deepEqual(
      star.map((s) => s.Sid),
      ["ReadMetricsTracesAndRegions"],
    );
  });

  it("would be flagged if a scopable action slipped into the unscoped statement", () => {
    const statements = grafanaStatements(minimal).map((s) =>
      s.Sid === "ReadMetricsTracesAndRegions"
        ? { ...s, Action: [...(s.Action as string[]), "cloudwatch:DescribeAlarms"] }
        : s,
    );
    assert.deepEqual(
      violations([
        {
          type: "aws:iam/rolePolicy:RolePolicy",
          name: "grafana",
          props: { policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) },
        },
      ]),
      [
        'least-privilege-resources: grafana: statement "ReadMetricsTracesAndRegions" grants cloudwatch:DescribeAlarms on "*"',
      ],
    );
  });

  it("uses each key once when the topic and the archive share it", () => {
    const statements = grafanaStatements({
      ...minimal,
      athena: {
        workgroupArn: "wg",
        databaseName: "db",
        tableName: "t",
        archiveBucketArn: "arn:aws:s3:::archive",
        kmsKeyArn: "key",
      },
    });
    assert.deepEqual(statements.find((s) => s.Sid === "UseTheKeys")?.Resource, ["key"]);
    assert.deepEqual(statements.find((s) => s.Sid === "ListAccessLogsAndResults")?.Condition, {
      StringLike: { "s3:prefix": ["access/*", "athena-results/grafana/*"] },
    });
    assert.equal(
      statements.find((s) => s.Sid === "ReadCostExport"),
      undefined,
    );
  });

  it("with the cost table: its definition, its objects and listing its prefix too, nothing else", () => {
    const athena = {
      workgroupArn: "wg",
      databaseName: "db",
      tableName: "t",
      archiveBucketArn: "arn:aws:s3:::archive",
      kmsKeyArn: "key",
    };
    const without = grafanaStatements({ ...minimal, athena });
    const withCost = grafanaStatements({
      ...minimal,
      athena: { ...athena, cost: { tableName: "c", prefix: "cost/" } },
    });
    const sid = (list: typeof without, id: string) => list.find((s) => s.Sid === id);
    assert.deepEqual(sid(withCost, "ReadTheTableDefinition")?.Resource, [
      ...(sid(without, "ReadTheTableDefinition")?.Resource as string[]),
      "arn:aws:glue:eu-west-1:123456789012:table/db/c",
    ]);
    assert.deepEqual(sid(withCost, "ReadCostExport"), {
      Sid: "ReadCostExport",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::archive/cost/*",
    });
    assert.deepEqual(sid(withCost, "ListAccessLogsAndResults")?.Condition, {
      StringLike: { "s3:prefix": ["access/*", "athena-results/grafana/*", "cost/*"] },
    });
    assert.equal(withCost.length, without.length + 1);
  });
});

describe("platformDashboards", () => {
  it("every dashboard of the repository with cost data; without, all but the cost dashboard", () => {
    const all = platformDashboards({ cost: true }).map((d) => d.name);
    assert.ok(all.includes(COST_DASHBOARD), all.join(", "));
    assert.deepEqual(
      platformDashboards({ cost: false }).map((d) => d.name),
      all.filter((name) => name !== COST_DASHBOARD),
    );
  });
});

describe("small helpers", () => {
  it("bucketNameFromArn takes the name from an S3 ARN and refuses anything else", () => {
    assert.equal(bucketNameFromArn("arn:aws:s3:::lp-dev-archive-1a2b"), "lp-dev-archive-1a2b");
    assert.throws(() => bucketNameFromArn("arn:aws:sns:eu-west-1:123456789012:x"), /not an S3 bucket ARN/);
  });

  it("openSearchVersionNumber turns an engine version into Grafana's version string", () => {
    assert.equal(openSearchVersionNumber("OpenSearch_2.19"), "2.19.0");
    assert.throws(() => openSearchVersionNumber("Elasticsearch_7.10"), /not an OpenSearch engine version/);
  });

  it("remoteWriteUrl appends the remote-write path with exactly one slash", () => {
    assert.equal(
      remoteWriteUrl("https://aps/workspaces/ws-1/"),
      "https://aps/workspaces/ws-1/api/v1/remote_write",
    );
    assert.equal(
      remoteWriteUrl("https://aps/workspaces/ws-1"),
      "https://aps/workspaces/ws-1/api/v1/remote_write",
    );
  });

  it("serviceAccountTokenName: a plain name, different for every rotation timestamp", () => {
    const timestamp = fc
      .date({
        min: new Date("2020-01-01T00:00:00Z"),
        max: new Date("2100-01-01T00:00:00Z"),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().replace(/\.\d{3}Z$/, "Z"));
    fc.assert(
      fc.property(timestamp, timestamp, (a, b) => {
        const [nameA, nameB] = [serviceAccountTokenName(a), serviceAccountTokenName(b)];
        assert.match(nameA, /^pulumi-[A-Za-z0-9-]+$/);
        assert.equal(nameA === nameB, a === b);
      }),
    );
  });

  it("dataSourceSettings refuses a data source whose target is missing", () => {
    assert.throws(() => dataSourceSettings("prometheus", { region: "eu-west-1" }), /needs AMP/);
    assert.throws(() => dataSourceSettings("opensearch", { region: "eu-west-1" }), /needs the domain/);
    assert.throws(() => dataSourceSettings("athena", { region: "eu-west-1" }), /needs the table/);
  });

  it("provisionedDataSources: the kind's uid, and one OpenSearch data source per index family", () => {
    assert.deepEqual(
      provisionedDataSources(["prometheus", "opensearch", "xray"]).map((s) => [s.uid, s.kind, s.family]),
      [
        ["prometheus", "prometheus", undefined],
        ["opensearch-cloudtrail", "opensearch", "cloudtrail"],
        ["opensearch-logs", "opensearch", "logs"],
        ["opensearch-access", "opensearch", "access"],
        ["opensearch-vpcflow", "opensearch", "vpcflow"],
        ["opensearch-findings", "opensearch", "findings"],
        ["xray", "xray", undefined],
      ],
    );
    assert.deepEqual(provisionedDataSources(["cloudwatch"]), [
      { uid: "cloudwatch", name: "CloudWatch", kind: "cloudwatch" },
    ]);
  });

  it("familyIndexPatterns: <prefix>-* per family, CloudTrail's configurable", () => {
    assert.deepEqual(familyIndexPatterns(), {
      cloudtrail: "cloudtrail-*",
      logs: "logs-*",
      access: "access-*",
      vpcflow: "vpcflow-*",
      findings: "findings-*",
    });
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}\*$/), (pattern) => {
        const patterns = familyIndexPatterns(pattern);
        assert.equal(patterns.cloudtrail, pattern);
        for (const family of INDEX_FAMILIES.filter((f) => f !== "cloudtrail")) {
          assert.equal(patterns[family], familyIndexPattern(INDEX_FAMILY_PREFIXES[family]));
        }
      }),
    );
  });

  it("dataSourceSettings: each family's data source searches that family's pattern", () => {
    const targets = {
      region: "eu-west-1",
      openSearch: {
        endpoint: "search-x.eu-west-1.es.amazonaws.com",
        version: "2.19.0",
        indexPatterns: familyIndexPatterns(),
      },
    };
    for (const family of INDEX_FAMILIES) {
      assert.equal(dataSourceSettings("opensearch", targets, family).jsonData.database, `${family}-*`);
    }
    assert.equal(
      dataSourceSettings("opensearch", targets).jsonData.database,
      "cloudtrail-*",
      "default family",
    );
  });
});

describe("dashboardDatasourceUses", () => {
  it("resolves variables to their default, keeps fixed uids, skips Grafana's own, looks inside rows", () => {
    const dashboard = {
      annotations: { list: [{ datasource: { type: "grafana", uid: "-- Grafana --" } }] },
      templating: {
        list: [
          { name: "prom", type: "datasource", query: "prometheus", current: { value: "prometheus" } },
          { name: "region", type: "query", datasource: { type: "cloudwatch", uid: "${cw}" } },
          { name: "cw", type: "datasource", query: "cloudwatch", current: { value: "cloudwatch" } },
        ],
      },
      panels: [
        {
          datasource: { type: "prometheus", uid: "${prom}" },
          targets: [{ datasource: { type: "prometheus", uid: "$prom" } }],
        },
        {
          type: "row",
          panels: [
            { targets: [{ datasource: { type: "grafana-opensearch-datasource", uid: "opensearch-logs" } }] },
          ],
        },
        { targets: [{ datasource: { type: "grafana-athena-datasource", uid: "${undeclared}" } }] },
      ],
    };
    assert.deepEqual(dashboardDatasourceUses(dashboard), [
      // An undeclared variable stays as written, so the provisioning check reports it.
      { type: "grafana-athena-datasource", uid: "${undeclared}" },
      { type: "cloudwatch", uid: "cloudwatch" },
      { type: "grafana-opensearch-datasource", uid: "opensearch-logs" },
      { type: "prometheus", uid: "prometheus" },
    ]);
  });
});

describe("repository files", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "observability-"));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("readRuleNamespaces: every .yml at the top, sorted, named by file; tests and other files left out", () => {
    fs.writeFileSync(path.join(dir, "b.yml"), "groups: []\n");
    fs.writeFileSync(path.join(dir, "a.yml"), "groups:\n  - name: a\n");
    fs.writeFileSync(path.join(dir, "notes.txt"), "x");
    fs.mkdirSync(path.join(dir, "tests"));
    fs.writeFileSync(path.join(dir, "tests", "a.test.yml"), "rule_files: []\n");
    assert.deepEqual(readRuleNamespaces(dir), [
      { name: "a", data: "groups:\n  - name: a\n" },
      { name: "b", data: "groups: []\n" },
    ]);
  });

  it("readDashboards: every .json, sorted, named by file", () => {
    fs.writeFileSync(path.join(dir, "z.json"), "{}");
    fs.writeFileSync(path.join(dir, "a.json"), '{"uid":"a"}');
    fs.writeFileSync(path.join(dir, "readme.md"), "#");
    assert.deepEqual(readDashboards(dir), [
      { name: "a", configJson: '{"uid":"a"}' },
      { name: "z", configJson: "{}" },
    ]);
  });
});
