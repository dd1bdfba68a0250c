import type { GlueColumn, GlueTableInputs } from "../lib/glue-table";
import { tableLocation } from "../lib/glue-table";

/**
 * Where the platform puts its cost export in the archive. Not one of
 * ARCHIVE_PREFIXES: AWS writes it, and only in a stack with the export (whose
 * lifecycle rule the stack adds with it).
 */
export const COST_EXPORT_PREFIX = "cost/";

/** The partition column, named after the key segment Data Exports writes (`BILLING_PERIOD=YYYY-MM`). */
export const BILLING_PERIOD = "billing_period";

/**
 * Where Data Exports puts the export's data files:
 * `<prefix>/<export name>/data/BILLING_PERIOD=YYYY-MM/` (the manifests go to
 * `metadata/`, outside the table).
 * https://docs.aws.amazon.com/cur/latest/userguide/dataexports-export-delivery.html
 */
export function costDataPrefix(s3Prefix: string, exportName: string): string {
  return `${s3Prefix}/${exportName}/data/`;
}

/**
 * Glue table over the export's Parquet files, one partition per billing
 * period, projected as a monthly date from 2020-01 to now (no crawler, a new
 * month is queryable as soon as it is written). The partition is a string
 * (`billing_period = '2026-11'`), as the key has it.
 * https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
 * https://docs.aws.amazon.com/athena/latest/ug/parquet-serde.html
 */
export function costTableInputs(
  bucketName: string,
  dataPrefix: string,
  columns: readonly GlueColumn[],
): GlueTableInputs {
  const location = tableLocation(bucketName, dataPrefix);
  return {
    tableType: "EXTERNAL_TABLE",
    parameters: {
      classification: "parquet",
      "projection.enabled": "true",
      [`projection.${BILLING_PERIOD}.type`]: "date",
      [`projection.${BILLING_PERIOD}.format`]: "yyyy-MM",
      [`projection.${BILLING_PERIOD}.range`]: "2020-01,NOW",
      [`projection.${BILLING_PERIOD}.interval`]: "1",
      [`projection.${BILLING_PERIOD}.interval.unit`]: "MONTHS",
      "storage.location.template": `${location}BILLING_PERIOD=\${${BILLING_PERIOD}}/`,
    },
    partitionKeys: [{ name: BILLING_PERIOD, type: "string" }],
    storageDescriptor: {
      location,
      inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
      outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
      serDeInfo: { serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" },
      columns: columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
    },
  };
}
