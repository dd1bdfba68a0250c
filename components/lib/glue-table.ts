/**
 * Glue table inputs for the archive's gzip NDJSON prefixes, as pure data:
 * columns, Hive-style partitions computed by Athena partition projection (no
 * crawler, no `MSCK REPAIR`, new partitions are queryable as soon as they are
 * written) and the OpenX JSON SerDe. AWS pages: "Use partition projection with
 * Amazon Athena", "Supported types for partition projection", "OpenX JSON SerDe".
 */

/** One column of a table. Glue type syntax, e.g. `string`, `bigint`, `struct<arn:string>`. */
export interface GlueColumn {
  readonly name: string;
  readonly type: string;
  readonly comment: string;
}

/**
 * One `<name>=<value>/` key segment, projected as an integer range. Values
 * are zero-padded to `digits` when given (Athena renders `1` as `01` for
 * `projection.<name>.digits = 2`), else printed as they are.
 */
export interface IntegerPartition {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly digits?: number;
}

/** The hourly Hive layout `year=YYYY/month=MM/day=DD/hour=HH/` shared by Firehose's and the transformer's keys. */
export const HOURLY_PARTITIONS: readonly IntegerPartition[] = [
  { name: "year", min: 2020, max: 2099 },
  { name: "month", min: 1, max: 12, digits: 2 },
  { name: "day", min: 1, max: 31, digits: 2 },
  { name: "hour", min: 0, max: 23, digits: 2 },
];

/** The daily Hive layout `year=YYYY/month=MM/day=DD/`. */
export const DAILY_PARTITIONS: readonly IntegerPartition[] = HOURLY_PARTITIONS.slice(0, 3);

export interface JsonTableSpec {
  readonly bucketName: string;
  /** Key prefix ending in `/`, e.g. `raw/`. */
  readonly prefix: string;
  readonly columns: readonly GlueColumn[];
  /** Key segments after the prefix, in key order. */
  readonly partitions: readonly IntegerPartition[];
  /**
   * OpenX JSON SerDe properties, e.g. `{ "ignore.malformed.json": "true" }`.
   * Default: none (the `parameters` field is then left out, as the access
   * table always had it).
   */
  readonly serDeParameters?: Readonly<Record<string, string>>;
}

/** What `aws.glue.CatalogTable` takes, besides database, name and description. */
export interface GlueTableInputs {
  readonly tableType: string;
  readonly parameters: Record<string, string>;
  readonly partitionKeys: { name: string; type: string }[];
  readonly storageDescriptor: {
    location: string;
    inputFormat: string;
    outputFormat: string;
    serDeInfo: { serializationLibrary: string; parameters?: Record<string, string> };
    columns: { name: string; type: string; comment: string }[];
  };
}

/** `s3://<bucket>/<prefix>` — the table's location, and the start of every partition's. */
export function tableLocation(bucketName: string, prefix: string): string {
  return `s3://${bucketName}/${prefix}`;
}

/** `<location>year=${year}/…/`: where Athena looks for one projected partition. */
export function locationTemplate(location: string, partitions: readonly IntegerPartition[]): string {
  return location + partitions.map((p) => `${p.name}=\${${p.name}}/`).join("");
}

/**
 * External table over gzip NDJSON (one JSON object per line) with integer
 * partition projection. Key order of the result is part of its contract:
 * the access table's inputs predate this builder and must not change.
 */
export function jsonTableInputs(spec: JsonTableSpec): GlueTableInputs {
  const location = tableLocation(spec.bucketName, spec.prefix);
  const projection: Record<string, string> = { "projection.enabled": "true" };
  for (const p of spec.partitions) {
    projection[`projection.${p.name}.type`] = "integer";
    projection[`projection.${p.name}.range`] = `${p.min},${p.max}`;
    if (p.digits !== undefined) projection[`projection.${p.name}.digits`] = String(p.digits);
  }
  return {
    tableType: "EXTERNAL_TABLE",
    parameters: {
      classification: "json",
      compressionType: "gzip",
      ...projection,
      "storage.location.template": locationTemplate(location, spec.partitions),
    },
    // Partition values are strings in the key; string keeps `month = '07'` comparisons exact.
    partitionKeys: spec.partitions.map((p) => ({ name: p.name, type: "string" })),
    storageDescriptor: {
      location,
      inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
      outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
      serDeInfo: {
        serializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
        ...(spec.serDeParameters !== undefined ? { parameters: { ...spec.serDeParameters } } : {}),
      },
      columns: spec.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
    },
  };
}
