import * as assert from "node:assert/strict";

import {
  costColumns,
  costDataPrefix,
  costExportDefinition,
  costExportQuery,
  costTableInputs,
  curTagKey,
  exportNameProblems,
} from "..";

const ctx = { accountId: "111122223333", region: "eu-west-1", partition: "aws" };

describe("CostExport (pure)", () => {
  it("selects the same columns the table declares, line_item_resource_id only with resources", () => {
    const withResources = costColumns(true).map((c) => c.name);
    const without = costColumns(false).map((c) => c.name);
    assert.deepEqual(
      withResources.filter((n) => n !== "line_item_resource_id"),
      without,
    );
    assert.ok(withResources.includes("line_item_resource_id"));
    assert.ok(!without.includes("line_item_resource_id"));
    assert.equal(new Set(withResources).size, withResources.length, "a column twice");
    for (const needed of [
      "line_item_usage_start_date",
      "line_item_product_code",
      "line_item_unblended_cost",
      "bill_billing_period_start_date",
      "resource_tags",
    ])
      assert.ok(without.includes(needed), needed);
    assert.equal(costColumns(true).find((c) => c.name === "resource_tags")?.type, "map<string,string>");
  });

  it("the query is a plain SELECT of those columns from CUR 2.0", () => {
    assert.equal(
      costExportQuery([
        { name: "a", type: "string", comment: "" },
        { name: "b", type: "double", comment: "" },
      ]),
      "SELECT a, b FROM COST_AND_USAGE_REPORT",
    );
    assert.match(
      costExportQuery(costColumns(true)),
      /^SELECT identity_line_item_id, .*, resource_tags FROM COST_AND_USAGE_REPORT$/,
    );
  });

  it("CUR 2.0 tag keys: user_ and the key in lower snake case", () => {
    assert.equal(curTagKey("Environment"), "user_environment");
    assert.equal(curTagKey("Project"), "user_project");
    assert.equal(curTagKey("Component"), "user_component");
    assert.equal(curTagKey("CostCenter"), "user_cost_center");
    assert.equal(curTagKey("karpenter.sh/nodepool"), "user_karpenter_sh_nodepool");
    assert.throws(() => curTagKey("::"), /no letters or digits/);
  });

  it("defines the export as CUR 2.0 Parquet into the bucket, overwritten, refreshed with the data", () => {
    assert.deepEqual(
      costExportDefinition(ctx, {
        exportName: "lp-prod-cost",
        bucketName: "archive",
        bucketRegion: "eu-west-1",
        s3Prefix: "cost",
        timeGranularity: "DAILY",
        includeResources: true,
      }),
      {
        name: "lp-prod-cost",
        description: "CUR 2.0 of this account (Parquet), queried by Athena and Grafana",
        dataQueries: [
          {
            queryStatement: costExportQuery(costColumns(true)),
            tableConfigurations: {
              COST_AND_USAGE_REPORT: {
                BILLING_VIEW_ARN: "arn:aws:billing::111122223333:billingview/primary",
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
                s3Region: "eu-west-1",
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
    );
  });

  it("accepts only export names Data Exports takes", () => {
    assert.deepEqual(exportNameProblems("lp-prod-cost"), []);
    assert.equal(exportNameProblems("has space").length, 1);
    assert.equal(exportNameProblems("x".repeat(129)).length, 1);
    assert.equal(exportNameProblems("").length, 1);
  });

  it("the table reads the data folder, one projected partition per BILLING_PERIOD=YYYY-MM", () => {
    const dataPrefix = costDataPrefix("cost", "lp-prod-cost");
    assert.equal(dataPrefix, "cost/lp-prod-cost/data/");
    const inputs = costTableInputs("archive", dataPrefix, costColumns(false));
    assert.deepEqual(inputs.parameters, {
      classification: "parquet",
      "projection.enabled": "true",
      "projection.billing_period.type": "date",
      "projection.billing_period.format": "yyyy-MM",
      "projection.billing_period.range": "2020-01,NOW",
      "projection.billing_period.interval": "1",
      "projection.billing_period.interval.unit": "MONTHS",
      "storage.location.template": "s3://archive/cost/lp-prod-cost/data/BILLING_PERIOD=${billing_period}/",
    });
    assert.deepEqual(inputs.partitionKeys, [{ name: "billing_period", type: "string" }]);
    assert.equal(inputs.storageDescriptor.location, "s3://archive/cost/lp-prod-cost/data/");
    assert.equal(
      inputs.storageDescriptor.serDeInfo.serializationLibrary,
      "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    );
    assert.deepEqual(
      inputs.storageDescriptor.columns.map((c) => c.name),
      costColumns(false).map((c) => c.name),
    );
  });
});
