import * as assert from "node:assert/strict";

import * as aws from "@pulumi/aws";

import { COST_TABLE_NAME, CostExport, costColumns, costExportQuery } from "..";
import { MOCK_ACCOUNT, MOCK_REGION, resourceNamed, runUnderMocks, valueOf } from "../../../test/lib/mocks";

const NO_CONFIG = { config: {}, secretKeys: [] };
const EXPORT = "aws:bcmdata/export:Export";
const TABLE = "aws:glue/catalogTable:CatalogTable";
const PROVIDER = "pulumi:providers:aws";

/** The bucket's policy the export must wait for (created inside each run). */
const policy = () => new aws.s3.BucketPolicy("archive-policy", { bucket: "archive", policy: "{}" });
const ARGS = {
  bucketName: "archive",
  prefix: "cost/",
  databaseName: "logs",
  timeGranularity: "DAILY",
  includeResources: true,
  tags: { Project: "p" },
} as const;

describe("CostExport (mocks)", () => {
  it("creates the export through its own us-east-1 provider, into the bucket's region", async () => {
    const run = await runUnderMocks("test", NO_CONFIG, async () => {
      const cost = new CostExport("lp-cost", { ...ARGS, bucketPolicy: policy() });
      return { table: await valueOf(cost.tableName), name: await valueOf(cost.exportName) };
    });
    const provider = resourceNamed(run.resources, PROVIDER, "lp-cost-us-east-1");
    assert.equal(provider.parent, "lp-cost");
    assert.equal(provider.props.region, "us-east-1");
    const exp = resourceNamed(run.resources, EXPORT, "lp-cost");
    assert.equal(exp.provider, `${PROVIDER}::lp-cost-us-east-1`);
    assert.equal(exp.parent, "lp-cost");
    assert.ok(
      exp.dependsOn.includes("aws:s3/bucketPolicy:BucketPolicy::archive-policy"),
      exp.dependsOn.join(),
    );
    assert.deepEqual(exp.props, {
      export: {
        name: "lp-cost",
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
                s3Bucket: "archive",
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
      },
      tags: { Project: "p" },
    });
    assert.deepEqual(run.outputs, { table: COST_TABLE_NAME, name: "lp-cost" });
  });

  it("creates the Glue table in the stack's region (default provider) over the export's data folder", async () => {
    const run = await runUnderMocks(
      "test",
      NO_CONFIG,
      () => new CostExport("lp-cost", { ...ARGS, bucketPolicy: policy(), includeResources: false }),
    );
    const table = resourceNamed(run.resources, TABLE, "lp-cost-table");
    assert.equal(table.provider, null, "the default provider, not the us-east-1 one");
    assert.deepEqual(table.props, {
      databaseName: "logs",
      name: "cost_and_usage",
      description:
        "CUR 2.0 of this account from the Data Exports export lp-cost (Parquet, monthly by billing period)",
      tableType: "EXTERNAL_TABLE",
      parameters: {
        classification: "parquet",
        "projection.enabled": "true",
        "projection.billing_period.type": "date",
        "projection.billing_period.format": "yyyy-MM",
        "projection.billing_period.range": "2020-01,NOW",
        "projection.billing_period.interval": "1",
        "projection.billing_period.interval.unit": "MONTHS",
        "storage.location.template": "s3://archive/cost/lp-cost/data/BILLING_PERIOD=${billing_period}/",
      },
      partitionKeys: [{ name: "billing_period", type: "string" }],
      storageDescriptor: {
        location: "s3://archive/cost/lp-cost/data/",
        inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        serDeInfo: { serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" },
        columns: costColumns(false).map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
      },
    });
    const exp = resourceNamed(run.resources, EXPORT, "lp-cost");
    const query = (exp.props.export as { dataQueries: { queryStatement: string }[] }).dataQueries[0]!
      .queryStatement;
    assert.ok(!query.includes("line_item_resource_id"));
  });

  it("lists every invalid argument at once", () => {
    assert.throws(
      () =>
        new CostExport("has space", {
          ...ARGS,
          bucketPolicy: policy(),
          prefix: "Cost",
          timeGranularity: "WEEKLY" as "DAILY",
        }),
      (error: Error) => {
        for (const expected of [
          `export name "has space" must be 1–128 letters`,
          `prefix must be lowercase letters, digits or hyphens ending in "/" (got "Cost")`,
          "timeGranularity must be one of HOURLY, DAILY, MONTHLY (got WEEKLY)",
        ])
          assert.ok(error.message.includes(expected), `${expected} in ${error.message}`);
        return true;
      },
    );
  });
});
