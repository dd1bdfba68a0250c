import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { awsContext } from "../lib/aws-context";
import type { Tags } from "../lib/tags";
import { throwIfInvalid } from "../lib/validation";
import { costColumns } from "./columns";
import type { TimeGranularity } from "./export-definition";
import {
  costExportDefinition,
  DATA_EXPORTS_REGION,
  exportNameProblems,
  TIME_GRANULARITIES,
} from "./export-definition";
import { costDataPrefix, costTableInputs } from "./table";

const TYPE = "log-platform:cost:CostExport";

/** Glue name of the cost table (Athena: `"<database>"."cost_and_usage"`; the cost dashboard queries it). */
export const COST_TABLE_NAME = "cost_and_usage";

export interface CostExportArgs {
  /**
   * The bucket the export is delivered to (the archive). Its policy must let
   * Data Exports write under `prefix` and its key must let it encrypt
   * (LogArchive's `dataExportsPrefix`). Required.
   */
  readonly bucketName: pulumi.Input<string>;
  /**
   * The bucket's policy with that grant: Data Exports checks it when the
   * export is created, so the export waits for it. Required.
   */
  readonly bucketPolicy: pulumi.Resource;
  /** Key prefix of the export in the bucket, ending in `/` (e.g. `cost/`). Required. */
  readonly prefix: string;
  /** The Glue database the cost table goes into (the access-log pipeline's). Required. */
  readonly databaseName: pulumi.Input<string>;
  /** Line item granularity: HOURLY, DAILY or MONTHLY. Required (a stack setting). */
  readonly timeGranularity: TimeGranularity;
  /**
   * One line item per resource (adds `line_item_resource_id`), which the
   * "top resources" panel needs; makes the export larger. Required (a stack setting).
   */
  readonly includeResources: boolean;
  /** Tags of the export. Required (the platform's tags). */
  readonly tags: Tags;
}

/**
 * AWS Data Exports (CUR 2.0, Parquet) of this account into the archive, and
 * a Glue table over it. Data Exports is served from us-east-1 only, so the
 * export is created through a us-east-1 provider of its own; the table lives
 * with the other tables in the stack's region. One export per payer or
 * member account is enough: it covers the whole account, not one stack.
 */
export class CostExport extends pulumi.ComponentResource {
  /** Name of the export (also its folder under `prefix`). */
  public readonly exportName: pulumi.Output<string>;
  /** ARN of the export. */
  public readonly exportArn: pulumi.Output<string>;
  /** Name of the Glue table over the export. */
  public readonly tableName: pulumi.Output<string>;

  constructor(name: string, args: CostExportArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE, name, {}, opts);
    const exportName = name;
    throwIfInvalid(TYPE, name, [
      ...exportNameProblems(exportName),
      ...(/^[a-z0-9][a-z0-9-]*\/$/.test(args.prefix)
        ? []
        : [`prefix must be lowercase letters, digits or hyphens ending in "/" (got "${args.prefix}")`]),
      ...((TIME_GRANULARITIES as readonly string[]).includes(args.timeGranularity)
        ? []
        : [`timeGranularity must be one of ${TIME_GRANULARITIES.join(", ")} (got ${args.timeGranularity})`]),
    ]);
    const ctx = awsContext(this);
    const s3Prefix = args.prefix.replace(/\/$/, "");
    const columns = costColumns(args.includeResources);

    // An explicit provider reads no `aws:` stack config, only the environment; the profile is passed on.
    const profile = new pulumi.Config("aws").get("profile");
    const usEast1 = new aws.Provider(
      `${name}-${DATA_EXPORTS_REGION}`,
      { region: DATA_EXPORTS_REGION, ...(profile !== undefined ? { profile } : {}) },
      { parent: this },
    );
    const dataExport = new aws.bcmdata.Export(
      name,
      {
        export: pulumi.all([ctx, args.bucketName]).apply(([c, bucketName]) =>
          costExportDefinition(c, {
            exportName,
            bucketName,
            bucketRegion: c.region,
            s3Prefix,
            timeGranularity: args.timeGranularity,
            includeResources: args.includeResources,
          }),
        ),
        tags: { ...args.tags },
      },
      { parent: this, provider: usEast1, dependsOn: [args.bucketPolicy] },
    );

    const inputs = pulumi
      .output(args.bucketName)
      .apply((bucket) => costTableInputs(bucket, costDataPrefix(s3Prefix, exportName), columns));
    const table = new aws.glue.CatalogTable(
      `${name}-table`,
      {
        databaseName: args.databaseName,
        name: COST_TABLE_NAME,
        description: `CUR 2.0 of this account from the Data Exports export ${exportName} (Parquet, monthly by billing period)`,
        tableType: inputs.tableType,
        parameters: inputs.parameters,
        partitionKeys: inputs.partitionKeys,
        storageDescriptor: inputs.storageDescriptor,
      },
      { parent: this },
    );

    this.exportName = pulumi.output(exportName);
    this.exportArn = dataExport.arn;
    this.tableName = table.name;
    this.registerOutputs({
      exportName: this.exportName,
      exportArn: this.exportArn,
      tableName: this.tableName,
    });
  }
}
