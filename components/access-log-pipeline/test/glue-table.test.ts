import * as assert from "node:assert/strict";

import { accessLogTableInputs } from "..";

/**
 * The access table's inputs as they were before the shared builder
 * (components/lib/glue-table.ts) existed, captured from the old code. Any
 * change here is a change to the deployed Glue table: compared as JSON text,
 * key order included, so the refactor cannot even reorder it.
 */
const BEFORE_SHARED_BUILDER = {
  tableType: "EXTERNAL_TABLE",
  parameters: {
    classification: "json",
    compressionType: "gzip",
    "projection.enabled": "true",
    "projection.year.type": "integer",
    "projection.year.range": "2020,2099",
    "projection.month.type": "integer",
    "projection.month.range": "1,12",
    "projection.month.digits": "2",
    "projection.day.type": "integer",
    "projection.day.range": "1,31",
    "projection.day.digits": "2",
    "projection.hour.type": "integer",
    "projection.hour.range": "0,23",
    "projection.hour.digits": "2",
    "storage.location.template":
      "s3://archive-bucket/access/year=${year}/month=${month}/day=${day}/hour=${hour}/",
  },
  partitionKeys: [
    {
      name: "year",
      type: "string",
    },
    {
      name: "month",
      type: "string",
    },
    {
      name: "day",
      type: "string",
    },
    {
      name: "hour",
      type: "string",
    },
  ],
  storageDescriptor: {
    location: "s3://archive-bucket/access/",
    inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
    outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    serDeInfo: {
      serializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
    },
    columns: [
      {
        name: "remoteaddr",
        type: "string",
        comment: "client address, IPv4 or IPv6, or unix:",
      },
      {
        name: "remoteuser",
        type: "string",
        comment: "basic-auth user, null for -",
      },
      {
        name: "timelocal",
        type: "string",
        comment: "$time_local as logged",
      },
      {
        name: "time",
        type: "string",
        comment: "request time, ISO-8601 UTC (from_iso8601_timestamp(time))",
      },
      {
        name: "method",
        type: "string",
        comment: "null when the request was not an HTTP request line",
      },
      {
        name: "url",
        type: "string",
        comment: "request target as logged",
      },
      {
        name: "protocol",
        type: "string",
        comment: "null for HTTP/0.9-style requests",
      },
      {
        name: "statuscode",
        type: "int",
        comment: "HTTP status",
      },
      {
        name: "bytessent",
        type: "bigint",
        comment: "$body_bytes_sent",
      },
      {
        name: "referrer",
        type: "string",
        comment: "null for -",
      },
      {
        name: "useragent",
        type: "string",
        comment: "null for -",
      },
      {
        name: "extra",
        type: "array<string>",
        comment: "quoted fields after the user agent (main: $http_x_forwarded_for first); null for combined",
      },
    ],
  },
};

describe("access table inputs (pure)", () => {
  it("are byte-identical to the inputs before the shared builder: no update, no replacement on pulumi up", () => {
    assert.equal(
      JSON.stringify(accessLogTableInputs("archive-bucket", "access/")),
      JSON.stringify(BEFORE_SHARED_BUILDER),
    );
  });

  it("omit SerDe parameters, which the deployed table never had", () => {
    assert.deepEqual(Object.keys(accessLogTableInputs("b", "access/").storageDescriptor.serDeInfo), [
      "serializationLibrary",
    ]);
  });
});
