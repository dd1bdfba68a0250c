import type * as aws from "@pulumi/aws";

import type { AwsContext } from "../lib/iam";
import { costColumns, costExportQuery, CUR2_TABLE } from "./columns";

/** Line item granularity of the export (CUR 2.0's TIME_GRANULARITY). */
export const TIME_GRANULARITIES = ["HOURLY", "DAILY", "MONTHLY"] as const;
export type TimeGranularity = (typeof TIME_GRANULARITIES)[number];

/** Data Exports serves its API from us-east-1 only, whatever the bucket's region. */
export const DATA_EXPORTS_REGION = "us-east-1";

export interface CostExportDefinition {
  readonly exportName: string;
  readonly bucketName: string;
  /** Region of the bucket. */
  readonly bucketRegion: string;
  /** Key prefix without a trailing `/` (Data Exports adds `/<export name>/data/…`). */
  readonly s3Prefix: string;
  readonly timeGranularity: TimeGranularity;
  readonly includeResources: boolean;
}

/**
 * The `export` block of `aws.bcmdata.Export`: CUR 2.0 of this account's
 * primary billing view, Parquet, each delivery overwriting the billing
 * period's files (one current copy, no versions piling up in the archive),
 * refreshed whenever AWS updates the data (SYNCHRONOUS, up to three times a
 * day). With table configurations set, the provider wants every one of them,
 * and BILLING_VIEW_ARN for CUR 2.0 (Pulumi's aws.bcmdata.Export page).
 * https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-cur2.html
 * https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_DataExports_S3Destination.html
 * https://www.pulumi.com/registry/packages/aws/api-docs/bcmdata/export
 */
export function costExportDefinition(
  ctx: AwsContext,
  d: CostExportDefinition,
): aws.types.input.bcmdata.ExportExport {
  return {
    name: d.exportName,
    description: "CUR 2.0 of this account (Parquet), queried by Athena and Grafana",
    dataQueries: [
      {
        queryStatement: costExportQuery(costColumns(d.includeResources)),
        tableConfigurations: {
          [CUR2_TABLE]: {
            BILLING_VIEW_ARN: `arn:${ctx.partition}:billing::${ctx.accountId}:billingview/primary`,
            TIME_GRANULARITY: d.timeGranularity,
            INCLUDE_RESOURCES: d.includeResources ? "TRUE" : "FALSE",
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
            s3Bucket: d.bucketName,
            s3Prefix: d.s3Prefix,
            s3Region: d.bucketRegion,
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
  };
}

/** Export names Data Exports accepts: 1–128 of letters, digits and `!-_.*'()`. */
export function exportNameProblems(exportName: string): string[] {
  return /^[0-9A-Za-z!\-_.*'()]{1,128}$/.test(exportName)
    ? []
    : [`export name "${exportName}" must be 1–128 letters, digits or !-_.*'()`];
}
