/**
 * Columns and inputs of the archive tables that are not the access table:
 * every prefix a writer fills with gzip NDJSON gets a table, so the archive
 * is queryable with Athena whether or not OpenSearch runs.
 */
import type { GlueColumn, GlueTableInputs } from "../lib/glue-table";
import { DAILY_PARTITIONS, HOURLY_PARTITIONS, jsonTableInputs } from "../lib/glue-table";

/**
 * `raw/`: Firehose's copy of the ingest stream, one record per line
 * (AppendDelimiterToRecord), hourly by arrival time. Mostly receiver
 * envelopes (apps/lib/ingest-record.ts); JSON keys match columns case-insensitively
 * (the OpenX SerDe's default), so `receivedAt` reads as `receivedat`.
 */
export const RAW_ENVELOPE_COLUMNS: readonly GlueColumn[] = [
  { name: "id", type: "string", comment: "stable id of the line; null for records that are not envelopes" },
  { name: "receivedat", type: "string", comment: "ISO-8601 UTC time the receiver accepted the line" },
  { name: "receiver", type: "string", comment: "host name of the receiver" },
  { name: "client", type: "string", comment: "address of the client that sent the line" },
  { name: "source", type: "string", comment: "ingest token name (never the token)" },
  { name: "message", type: "string", comment: "the line, when it was plain text" },
  {
    name: "event",
    type: "string",
    comment: "the line as JSON text, when it was JSON (json_extract_scalar(event, '$.level'))",
  },
  {
    name: "log",
    type: "string",
    comment: 'fluentd records written straight to the stream ({"log": …}); null in envelopes',
  },
];

/**
 * Lines on the stream need not be JSON objects (a raw `PutRecord` of text):
 * without this, one such line fails every query over its partition.
 */
export const RAW_SERDE_PARAMETERS: Readonly<Record<string, string>> = { "ignore.malformed.json": "true" };

const STRING_STRUCT = (fields: readonly string[]) => `struct<${fields.map((f) => `${f}:string`).join(",")}>`;

/**
 * `cloudtrail-events/`: the CloudTrail indexer's events, one CloudTrail record
 * per line, daily by event time. The columns, and which nested fields are
 * structs and which are JSON text, follow AWS's "Create the table for
 * CloudTrail logs in Athena using partition projection".
 */
export const CLOUDTRAIL_EVENT_COLUMNS: readonly GlueColumn[] = [
  { name: "eventversion", type: "string", comment: "record format version" },
  {
    name: "useridentity",
    type:
      "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string," +
      "accesskeyid:string,username:string," +
      `onbehalfof:${STRING_STRUCT(["userid", "identitystorearn"])},` +
      `sessioncontext:struct<attributes:${STRING_STRUCT(["mfaauthenticated", "creationdate"])},` +
      `sessionissuer:${STRING_STRUCT(["type", "principalid", "arn", "accountid", "username"])},` +
      "ec2roledelivery:string," +
      "webidfederationdata:struct<federatedprovider:string,attributes:map<string,string>>>>",
    comment: "who made the request",
  },
  { name: "eventtime", type: "string", comment: "ISO-8601 UTC (from_iso8601_timestamp(eventtime))" },
  { name: "eventsource", type: "string", comment: "service, e.g. s3.amazonaws.com" },
  { name: "eventname", type: "string", comment: "API action" },
  { name: "awsregion", type: "string", comment: "region of the request" },
  { name: "sourceipaddress", type: "string", comment: "caller address or service name" },
  { name: "useragent", type: "string", comment: "caller's user agent" },
  { name: "errorcode", type: "string", comment: "null when the call succeeded" },
  { name: "errormessage", type: "string", comment: "null when the call succeeded" },
  { name: "requestparameters", type: "string", comment: "JSON text (json_extract)" },
  { name: "responseelements", type: "string", comment: "JSON text (json_extract)" },
  { name: "additionaleventdata", type: "string", comment: "JSON text (json_extract)" },
  { name: "requestid", type: "string", comment: "service request id" },
  { name: "eventid", type: "string", comment: "unique per event" },
  { name: "readonly", type: "string", comment: "'true' or 'false'" },
  {
    name: "resources",
    type: `array<${STRING_STRUCT(["arn", "accountid", "type"])}>`,
    comment: "resources used",
  },
  { name: "eventtype", type: "string", comment: "AwsApiCall, AwsServiceEvent, AwsConsoleSignIn, …" },
  { name: "apiversion", type: "string", comment: "API version, when the service has one" },
  { name: "recipientaccountid", type: "string", comment: "account that received the event" },
  { name: "serviceeventdetails", type: "string", comment: "JSON text, for AwsServiceEvent" },
  { name: "sharedeventid", type: "string", comment: "links the copies of a cross-account event" },
  { name: "vpcendpointid", type: "string", comment: "VPC endpoint the request came through" },
  { name: "vpcendpointaccountid", type: "string", comment: "owner of that VPC endpoint" },
  { name: "eventcategory", type: "string", comment: "Management, Data, Insight, NetworkActivity" },
  {
    name: "addendum",
    type: STRING_STRUCT(["reason", "updatedfields", "originalrequestid", "originaleventid"]),
    comment: "late or corrected delivery",
  },
  { name: "sessioncredentialfromconsole", type: "string", comment: "'true' for console sessions" },
  { name: "edgedevicedetails", type: "string", comment: "JSON text, for edge devices" },
  {
    name: "tlsdetails",
    type: STRING_STRUCT(["tlsversion", "ciphersuite", "clientprovidedhostheader"]),
    comment: "TLS of the request",
  },
];

/**
 * `access-errors/`: the transformer's rejected lines (apps/access-log-transformer/src/serialize.ts
 * RejectedLine), hourly by the record's arrival on the stream.
 */
export const ACCESS_ERROR_COLUMNS: readonly GlueColumn[] = [
  { name: "reason", type: "string", comment: "why the line was rejected" },
  { name: "line", type: "string", comment: "the raw line (a KPL record's data in base64)" },
  { name: "shardid", type: "string", comment: "Kinesis shard of the record" },
  {
    name: "sequencenumber",
    type: "string",
    comment: "Kinesis sequence number (decimal text, too long for bigint)",
  },
  { name: "lineindex", type: "int", comment: "position of the line in its record" },
  { name: "id", type: "string", comment: "ingest envelope id; null when the line came without one" },
];

/** Inputs of `raw_envelopes` over the Firehose prefix (`raw/`). */
export function rawEnvelopesTableInputs(bucketName: string, prefix: string): GlueTableInputs {
  return jsonTableInputs({
    bucketName,
    prefix,
    columns: RAW_ENVELOPE_COLUMNS,
    partitions: HOURLY_PARTITIONS,
    serDeParameters: RAW_SERDE_PARAMETERS,
  });
}

/** Inputs of `cloudtrail_events` over the indexer's events prefix (`cloudtrail-events/`). */
export function cloudTrailEventsTableInputs(bucketName: string, prefix: string): GlueTableInputs {
  return jsonTableInputs({
    bucketName,
    prefix,
    columns: CLOUDTRAIL_EVENT_COLUMNS,
    partitions: DAILY_PARTITIONS,
  });
}

/** Inputs of `access_errors` over the transformer's error prefix (`access-errors/`). */
export function accessErrorsTableInputs(bucketName: string, prefix: string): GlueTableInputs {
  return jsonTableInputs({
    bucketName,
    prefix,
    columns: ACCESS_ERROR_COLUMNS,
    partitions: HOURLY_PARTITIONS,
  });
}
