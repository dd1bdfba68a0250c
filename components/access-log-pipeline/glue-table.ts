import type { GlueColumn, GlueTableInputs } from "../lib/glue-table";
import { HOURLY_PARTITIONS, jsonTableInputs } from "../lib/glue-table";

/** Columns of `access/` objects: the transformer's JSON fields (apps/access-log-transformer/src/serialize.ts), in its order. */
export const ACCESS_LOG_COLUMNS: readonly GlueColumn[] = [
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

/** Inputs of the `access/` table; an alias kept for callers of the pre-shared-builder API. */
export type AccessLogTableInputs = GlueTableInputs;

/**
 * Glue table over `access/` with partition projection: Athena computes the
 * hourly partitions from the key layout, so no crawler or `MSCK REPAIR` is
 * ever needed and new hours are queryable as soon as they are written.
 */
export function accessLogTableInputs(bucketName: string, prefix: string): AccessLogTableInputs {
  return jsonTableInputs({ bucketName, prefix, columns: ACCESS_LOG_COLUMNS, partitions: HOURLY_PARTITIONS });
}
