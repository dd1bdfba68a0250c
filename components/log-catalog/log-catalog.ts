import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import type { GlueTableInputs } from "../lib/glue-table";
import { ARCHIVE_PREFIXES } from "../log-archive/lifecycle";
import { accessErrorsTableInputs, cloudTrailEventsTableInputs, rawEnvelopesTableInputs } from "./tables";

/** Glue names of the tables this component creates (Athena: `"<database>"."<table>"`). */
export const LOG_CATALOG_TABLES = {
  rawEnvelopes: "raw_envelopes",
  cloudTrailEvents: "cloudtrail_events",
  accessErrors: "access_errors",
} as const;

export interface LogCatalogArgs {
  /** The Glue database to add the tables to (the access-log pipeline's). */
  readonly databaseName: pulumi.Input<string>;
  /** The archive bucket. */
  readonly archiveBucketName: pulumi.Input<string>;
  /**
   * Whether `cloudtrail-events/` has a writer (the CloudTrail pipeline is
   * enabled); without one the table would only ever be empty. Default: true.
   */
  readonly cloudTrailEvents?: boolean;
  /** Key prefixes of the writers. Default: those of {@link ARCHIVE_PREFIXES}. */
  readonly prefixes?: {
    readonly raw?: string;
    readonly cloudTrailEvents?: string;
    readonly accessErrors?: string;
  };
}

/**
 * Athena tables over the archive prefixes that have no other table: the raw
 * copy of the ingest stream, the CloudTrail indexer's split events and the
 * access-log transformer's rejected lines. Partition projection only: no
 * crawler, nothing to run when a new hour or day arrives.
 */
export class LogCatalog extends pulumi.ComponentResource {
  public readonly rawEnvelopesTableName: pulumi.Output<string>;
  /** Absent when `cloudTrailEvents` is false. */
  public readonly cloudTrailEventsTableName?: pulumi.Output<string>;
  public readonly accessErrorsTableName: pulumi.Output<string>;

  constructor(name: string, args: LogCatalogArgs, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:catalog:LogCatalog", name, {}, opts);
    const table = (
      suffix: string,
      tableName: string,
      description: string,
      inputs: (bucket: string) => GlueTableInputs,
    ) => {
      const resolved = pulumi.output(args.archiveBucketName).apply(inputs);
      return new aws.glue.CatalogTable(
        `${name}-${suffix}`,
        {
          databaseName: args.databaseName,
          name: tableName,
          description,
          tableType: resolved.tableType,
          parameters: resolved.parameters,
          partitionKeys: resolved.partitionKeys,
          storageDescriptor: resolved.storageDescriptor,
        },
        { parent: this },
      ).name;
    };

    this.rawEnvelopesTableName = table(
      "raw-envelopes",
      LOG_CATALOG_TABLES.rawEnvelopes,
      "Everything that entered the ingest stream, as Firehose archived it (hourly by arrival); lines that are not JSON are skipped",
      (bucket) => rawEnvelopesTableInputs(bucket, args.prefixes?.raw ?? ARCHIVE_PREFIXES.raw),
    );
    if (args.cloudTrailEvents ?? true) {
      this.cloudTrailEventsTableName = table(
        "cloudtrail-events",
        LOG_CATALOG_TABLES.cloudTrailEvents,
        "CloudTrail events split one per line by the CloudTrail indexer (daily by event time)",
        (bucket) =>
          cloudTrailEventsTableInputs(
            bucket,
            args.prefixes?.cloudTrailEvents ?? ARCHIVE_PREFIXES.cloudTrailEvents,
          ),
      );
    }
    this.accessErrorsTableName = table(
      "access-errors",
      LOG_CATALOG_TABLES.accessErrors,
      "Access-log lines the transformer could not parse, with the reason (hourly)",
      (bucket) =>
        accessErrorsTableInputs(bucket, args.prefixes?.accessErrors ?? ARCHIVE_PREFIXES.accessErrors),
    );
    this.registerOutputs({
      rawEnvelopesTableName: this.rawEnvelopesTableName,
      ...(this.cloudTrailEventsTableName !== undefined
        ? { cloudTrailEventsTableName: this.cloudTrailEventsTableName }
        : {}),
      accessErrorsTableName: this.accessErrorsTableName,
    });
  }
}
