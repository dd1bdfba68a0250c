/** Columns of `access/` objects: the transformer's JSON fields (DESIGN.md §7), in its order. */
export const ACCESS_LOG_COLUMNS: readonly { name: string; type: string; comment: string }[] = [
  { name: "remoteaddr", type: "string", comment: "client address, IPv4 or IPv6, or unix:" },
  { name: "remoteuser", type: "string", comment: "basic-auth user, null for -" },
  { name: "timelocal", type: "string", comment: "$time_local as logged" },
  { name: "time", type: "string", comment: "request time, ISO-8601 UTC (from_iso8601_timestamp(time))" },
  { name: "method", type: "string", comment: "null when the request was not an HTTP request line" },
  { name: "url", type: "string", comment: "request target as logged" },
  { name: "protocol", type: "string", comment: "null for HTTP/0.9-style requests" },
  { name: "statuscode", type: "int", comment: "HTTP status" },
  { name: "bytessent", type: "bigint", comment: "$body_bytes_sent" },
  { name: "referrer", type: "string", comment: "null for -" },
  { name: "useragent", type: "string", comment: "null for -" },
  {
    name: "extra",
    type: "array<string>",
    comment: "quoted fields after the user agent (main: $http_x_forwarded_for first); null for combined",
  },
];

const PARTITIONS = [
  { name: "year", range: "2020,2099", digits: undefined },
  { name: "month", range: "1,12", digits: "2" },
  { name: "day", range: "1,31", digits: "2" },
  { name: "hour", range: "0,23", digits: "2" },
] as const;

export interface AccessLogTableInputs {
  readonly tableType: string;
  readonly parameters: Record<string, string>;
  readonly partitionKeys: { name: string; type: string }[];
  readonly storageDescriptor: {
    location: string;
    inputFormat: string;
    outputFormat: string;
    serDeInfo: { serializationLibrary: string };
    columns: { name: string; type: string; comment: string }[];
  };
}

/**
 * Glue table over `access/` with partition projection: Athena computes the
 * hourly partitions from the key layout, so no crawler or `MSCK REPAIR` is
 * ever needed and new hours are queryable as soon as they are written.
 */
export function accessLogTableInputs(bucketName: string, prefix: string): AccessLogTableInputs {
  const location = `s3://${bucketName}/${prefix}`;
  const projection: Record<string, string> = { "projection.enabled": "true" };
  for (const p of PARTITIONS) {
    projection[`projection.${p.name}.type`] = "integer";
    projection[`projection.${p.name}.range`] = p.range;
    if (p.digits !== undefined) projection[`projection.${p.name}.digits`] = p.digits;
  }
  return {
    tableType: "EXTERNAL_TABLE",
    parameters: {
      classification: "json",
      compressionType: "gzip",
      ...projection,
      "storage.location.template": `${location}year=\${year}/month=\${month}/day=\${day}/hour=\${hour}/`,
    },
    partitionKeys: PARTITIONS.map((p) => ({ name: p.name, type: "string" })),
    storageDescriptor: {
      location,
      inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
      outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
      serDeInfo: { serializationLibrary: "org.openx.data.jsonserde.JsonSerDe" },
      columns: ACCESS_LOG_COLUMNS.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
    },
  };
}
