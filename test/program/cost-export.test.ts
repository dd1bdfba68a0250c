/**
 * The cost export of each stack, from the real program and Pulumi.<stack>.yaml
 * (mocks): off in dev (and nothing of it in the archive's policies or the
 * tags), on in prod with the export, its provider, the archive's grants and
 * lifecycle rule, the Glue table and a Component tag on every resource; with
 * Grafana, the cost dashboard and the role's access to the table.
 * https://docs.aws.amazon.com/cur/latest/userguide/dataexports-s3-bucket.html
 */
import * as assert from "node:assert/strict";

import { costColumns, costExportQuery } from "../../components/cost-export";
import type { PolicyJson, ProgramRun, RecordedResource } from "../lib/mocks";
import { MOCK_ACCOUNT, MOCK_REGION, parseJsonInput, resourceNamed } from "../lib/mocks";
import { runPlatform } from "../lib/platform-run";

const EXPORT = "aws:bcmdata/export:Export";
const TABLE = "aws:glue/catalogTable:CatalogTable";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const KEY = "aws:kms/key:Key";

const runStack = (stack: string, overrides: Record<string, unknown> = {}): Promise<ProgramRun<unknown>> =>
  runPlatform(stack, overrides);

const statements = (r: RecordedResource & { props: Record<string, unknown> }) =>
  parseJsonInput<PolicyJson>(r.props.policy).Statement;

/** Every custom resource given tags (a map), by `type::name`. */
function tagged(run: ProgramRun<unknown>): [string, Record<string, string>][] {
  return run.resources
    .filter((r) => r.custom && typeof r.inputs.tags === "object" && r.inputs.tags !== null)
    .map((r) => [`${r.type}::${r.name}`, r.inputs.tags as Record<string, string>]);
}

describe("cost export, per stack (mocks, real Pulumi.<stack>.yaml)", function () {
  this.timeout(120_000);

  it("dev: off — no export, no grant to Data Exports, no cost/ rule, no Component tag", async () => {
    const run = await runStack("dev");
    assert.deepEqual(
      run.resources.filter((r) => r.type.startsWith("log-platform:cost:CostExport") || r.type === EXPORT),
      [],
    );
    assert.ok(!JSON.stringify(run.resources).includes("bcm-data-exports"));
    assert.ok(!JSON.stringify(run.resources).includes('"cost/"'));
    assert.deepEqual(
      tagged(run).filter(([, tags]) => "Component" in tags),
      [],
    );
  });

  describe("prod: on", () => {
    let run: ProgramRun<unknown>;
    before(async () => {
      run = await runStack("prod");
    });

    it("creates the daily, per-resource CUR 2.0 export into the archive under cost/, through a us-east-1 provider", () => {
      const provider = resourceNamed(run.resources, "pulumi:providers:aws", "lp-prod-cost-us-east-1");
      assert.equal(provider.props.region, "us-east-1");
      const exp = resourceNamed(run.resources, EXPORT, "lp-prod-cost");
      assert.equal(exp.provider, "pulumi:providers:aws::lp-prod-cost-us-east-1");
      assert.deepEqual(exp.props.export, {
        name: "lp-prod-cost",
        description: "CUR 2.0 of this account (Parquet), queried by Athena and Grafana",
        dataQueries: [
          {
            queryStatement: costExportQuery(costColumns(true)),
            tableConfigurations: {
              COST_AND_USAGE_REPORT: {
                BILLING_VIEW_ARN: `arn:aws:billing::${MOCK_ACCOUNT}:billingview/primary`,
                TIME_GRANULARITY: "DAILY",
                INCLUDE_RESOURCES: "TRUE",
                INCLUDE_MANUAL_DISCOUNT_COMPATIBILITY: "FALSE",
                INCLUDE_SPLIT_COST_ALLOCATION_DATA: "FALSE",
              },
            },
          },
        ],
        destinationConfigurations: [
          {
            s3Destinations: [
              {
                s3Bucket: "lp-prod-archive-bucket",
                s3Prefix: "cost",
                s3Region: MOCK_REGION,
                s3OutputConfigurations: [
                  {
                    compression: "PARQUET",
                    format: "PARQUET",
                    outputType: "CUSTOM",
                    overwrite: "OVERWRITE_REPORT",
                  },
                ],
              },
            ],
          },
        ],
        refreshCadences: [{ frequency: "SYNCHRONOUS" }],
      });
      // Data Exports checks the bucket policy when the export is created.
      assert.ok(
        exp.dependsOn.includes(`${BUCKET_POLICY}::lp-prod-archive-bucket-policy`),
        exp.dependsOn.join(", "),
      );
    });

    it("the archive's bucket policy grants exactly AWS's documented access, under cost/ only", () => {
      const policy = statements(resourceNamed(run.resources, BUCKET_POLICY, "lp-prod-archive-bucket-policy"));
      const condition = {
        StringLike: {
          "aws:SourceAccount": MOCK_ACCOUNT,
          "aws:SourceArn": [
            `arn:aws:cur:us-east-1:${MOCK_ACCOUNT}:definition/*`,
            `arn:aws:bcm-data-exports:us-east-1:${MOCK_ACCOUNT}:export/*`,
          ],
        },
      };
      const principal = { Service: ["billingreports.amazonaws.com", "bcm-data-exports.amazonaws.com"] };
      assert.deepEqual(
        policy.filter((s) => String(s.Sid).startsWith("DataExports")),
        [
          {
            Sid: "DataExportsWrite",
            Effect: "Allow",
            Principal: principal,
            Action: "s3:PutObject",
            Resource: "arn:aws:s3:::lp-prod-archive-bucket/cost/*",
            Condition: condition,
          },
          {
            Sid: "DataExportsCheckPolicy",
            Effect: "Allow",
            Principal: principal,
            Action: "s3:GetBucketPolicy",
            Resource: "arn:aws:s3:::lp-prod-archive-bucket",
            Condition: condition,
          },
        ],
      );
      const key = statements(resourceNamed(run.resources, KEY, "lp-prod-archive-key"));
      assert.deepEqual(
        key.find((s) => s.Sid === "DataExportsOfThisAccount"),
        {
          Sid: "DataExportsOfThisAccount",
          Effect: "Allow",
          Principal: principal,
          Action: ["kms:GenerateDataKey", "kms:Decrypt"],
          Resource: "*",
          Condition: condition,
        },
      );
    });

    it("keeps cost/ 1096 days (the costExport setting), after the archive's own rules", () => {
      const lifecycle = resourceNamed(
        run.resources,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "lp-prod-archive-bucket-lifecycle",
      );
      const rules = lifecycle.props.rules as { id: string }[];
      assert.deepEqual(
        rules.find((r) => r.id === "expire-cost"),
        { id: "expire-cost", status: "Enabled", filter: { prefix: "cost/" }, expiration: { days: 1096 } },
      );
      assert.equal(rules.at(-2)?.id, "expire-cost");
    });

    it("the Glue table sits in the access-log database, over the export's data folder", () => {
      const table = resourceNamed(run.resources, TABLE, "lp-prod-cost-table");
      assert.equal(table.provider, null, "the stack's region");
      assert.equal(table.props.databaseName, "lp_prod_access_logs_logs");
      assert.equal(table.props.name, "cost_and_usage");
      assert.equal(
        (table.props.storageDescriptor as { location: string }).location,
        "s3://lp-prod-archive-bucket/cost/lp-prod-cost/data/",
      );
    });

    it("every tagged resource names its component (the dashboard's cost per component)", () => {
      const resources = tagged(run);
      assert.ok(resources.length > 50);
      const missing = resources.filter(([, tags]) => typeof tags.Component !== "string").map(([n]) => n);
      assert.deepEqual(missing, []);
      const components = new Set(resources.map(([, tags]) => tags.Component));
      for (const c of ["archive", "alerting", "ingest", "access-logs", "observability", "receiver", "cost"])
        assert.ok(components.has(c), `${c} in ${[...components].join(", ")}`);
      assert.deepEqual(resourceNamed(run.resources, EXPORT, "lp-prod-cost").props.tags, {
        CostCenter: "platform",
        Project: "log-platform",
        Environment: "prod",
        ManagedBy: "pulumi",
        Component: "cost",
      });
    });
  });

  it("with Grafana: the cost dashboard is provisioned and the role reads the cost table and cost/", async () => {
    const run = await runStack("dev", {
      costExport: { enabled: true },
      observability: { grafana: { enabled: true } },
    });
    resourceNamed(run.resources, "grafana:oss/dashboard:Dashboard", "lp-dev-obs-dashboard-cost");
    const role = statements(
      resourceNamed(run.resources, "aws:iam/rolePolicy:RolePolicy", "lp-dev-obs-grafana-role-policy"),
    );
    assert.deepEqual(
      role.find((s) => s.Sid === "ReadCostExport")?.Resource,
      "arn:aws:s3:::lp-dev-archive-bucket/cost/*",
    );
    assert.ok(
      (role.find((s) => s.Sid === "ReadTheTableDefinition")?.Resource as string[]).includes(
        `arn:aws:glue:${MOCK_REGION}:${MOCK_ACCOUNT}:table/lp_dev_access_logs_logs/cost_and_usage`,
      ),
    );
  });

  it("with Grafana but no export: no cost dashboard", async () => {
    const run = await runStack("dev", { observability: { grafana: { enabled: true } } });
    const dashboards = run.resources
      .filter((r) => r.type === "grafana:oss/dashboard:Dashboard")
      .map((r) => r.name);
    assert.ok(dashboards.length > 3, dashboards.join(", "));
    assert.ok(!dashboards.includes("lp-dev-obs-dashboard-cost"), dashboards.join(", "));
  });
});
