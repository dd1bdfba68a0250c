import * as assert from "node:assert/strict";

import * as fc from "fast-check";

import { objectKey } from "../../../apps/access-log-transformer/src/keys";
import type { RejectedLine } from "../../../apps/access-log-transformer/src/serialize";
import type { IngestEnvelope } from "../../../apps/lib/ingest-record";
import { utcDay } from "../../../apps/cloudtrail-indexer/src/bulk";
import { eventsKey } from "../../../apps/cloudtrail-indexer/src/archive";
import { rawArchivePrefixes } from "../../ingest-stream";
import type { GlueTableInputs } from "../../lib/glue-table";
import { DAILY_PARTITIONS, HOURLY_PARTITIONS, jsonTableInputs, locationTemplate } from "../../lib/glue-table";
import { ARCHIVE_PREFIXES } from "../../log-archive/lifecycle";
import {
  ACCESS_ERROR_COLUMNS,
  accessErrorsTableInputs,
  CLOUDTRAIL_EVENT_COLUMNS,
  cloudTrailEventsTableInputs,
  RAW_ENVELOPE_COLUMNS,
  rawEnvelopesTableInputs,
} from "..";

const BUCKET = "archive-bucket";

/**
 * The partition values Athena would project for an object key, read only from
 * the table's properties ("Supported types for partition projection": integer
 * type, `range` inclusive, `digits` zero-pads): undefined when the key is
 * outside the template or a value is outside its projected range, i.e. when
 * Athena would never read the object.
 */
function projectedPartition(inputs: GlueTableInputs, key: string): Record<string, string> | undefined {
  const p = inputs.parameters;
  if (p["projection.enabled"] !== "true") return undefined;
  const template = p["storage.location.template"]!;
  const names: string[] = [];
  const pattern = template
    .split(/\$\{(\w+)\}/)
    .map((part, i) => {
      if (i % 2 === 1) {
        names.push(part);
        return "([^/]+)";
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("");
  const match = new RegExp(`^${pattern}[^/]+$`).exec(`s3://${BUCKET}/${key}`);
  if (match === null) return undefined;
  const values: Record<string, string> = {};
  for (const [i, name] of names.entries()) {
    const value = match[i + 1]!;
    if (p[`projection.${name}.type`] !== "integer") return undefined;
    const [min, max] = p[`projection.${name}.range`]!.split(",").map(Number) as [number, number];
    const n = Number(value);
    const digits = p[`projection.${name}.digits`];
    const rendered = digits === undefined ? String(n) : String(n).padStart(Number(digits), "0");
    if (!Number.isInteger(n) || n < min || n > max || rendered !== value) return undefined;
    values[name] = value;
  }
  return values;
}

/** Renders the `!{timestamp:…}` namespaces of a Firehose prefix as Firehose does (UTC, Java date patterns). */
function renderFirehosePrefix(prefix: string, at: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const formats: Record<string, string> = {
    yyyy: String(at.getUTCFullYear()),
    MM: pad(at.getUTCMonth() + 1),
    dd: pad(at.getUTCDate()),
    HH: pad(at.getUTCHours()),
  };
  return prefix.replace(/!\{timestamp:(\w+)\}/g, (_, format: string) => {
    const value = formats[format];
    if (value === undefined) throw new Error(`unknown Firehose timestamp format ${format}`);
    return value;
  });
}

const dates = fc.date({
  min: new Date("2020-01-01T00:00:00Z"),
  max: new Date("2099-12-31T23:59:59Z"),
  noInvalidDate: true,
});
const isoUtc = (d: Date) => d.toISOString();
const pad = (n: number) => String(n).padStart(2, "0");
const hourOf = (d: Date) => ({
  year: String(d.getUTCFullYear()),
  month: pad(d.getUTCMonth() + 1),
  day: pad(d.getUTCDate()),
  hour: pad(d.getUTCHours()),
});

describe("shared Glue table builder (pure)", () => {
  it("projects every partition as an integer range with zero-padding, and a Hive-style location template", () => {
    const inputs = jsonTableInputs({
      bucketName: "b",
      prefix: "p/",
      columns: [{ name: "c", type: "string", comment: "x" }],
      partitions: HOURLY_PARTITIONS,
      serDeParameters: { "ignore.malformed.json": "true" },
    });
    assert.deepEqual(inputs.parameters, {
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
      "storage.location.template": "s3://b/p/year=${year}/month=${month}/day=${day}/hour=${hour}/",
    });
    assert.deepEqual(inputs.partitionKeys, [
      { name: "year", type: "string" },
      { name: "month", type: "string" },
      { name: "day", type: "string" },
      { name: "hour", type: "string" },
    ]);
    assert.deepEqual(inputs.storageDescriptor.serDeInfo, {
      serializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
      parameters: { "ignore.malformed.json": "true" },
    });
    assert.equal(inputs.storageDescriptor.location, "s3://b/p/");
    assert.equal(inputs.storageDescriptor.inputFormat, "org.apache.hadoop.mapred.TextInputFormat");
  });

  it("names every partition column in the template, in key order", () => {
    assert.equal(
      locationTemplate("s3://b/p/", DAILY_PARTITIONS),
      "s3://b/p/year=${year}/month=${month}/day=${day}/",
    );
  });

  it("the coverage check rejects keys Athena would not project (so the writer tests below can fail)", () => {
    const inputs = accessErrorsTableInputs(BUCKET, "access-errors/");
    assert.ok(projectedPartition(inputs, "access-errors/year=2026/month=07/day=04/hour=09/x.json.gz"));
    assert.equal(
      projectedPartition(inputs, "access-errors/year=2026/month=7/day=04/hour=09/x.json.gz"),
      undefined,
    );
    assert.equal(
      projectedPartition(inputs, "access-errors/year=2019/month=07/day=04/hour=09/x.json.gz"),
      undefined,
    );
    assert.equal(projectedPartition(inputs, "access-errors/year=2026/month=07/day=04/x.json.gz"), undefined);
    assert.equal(projectedPartition(inputs, "access/year=2026/month=07/day=04/hour=09/x.json.gz"), undefined);
  });
});

describe("raw_envelopes (pure)", () => {
  const inputs = rawEnvelopesTableInputs(BUCKET, ARCHIVE_PREFIXES.raw);

  it("has a column for every envelope field, and fluentd's log", () => {
    assert.deepEqual(
      RAW_ENVELOPE_COLUMNS.map((c) => `${c.name} ${c.type}`),
      [
        "id string",
        "receivedat string",
        "receiver string",
        "client string",
        "source string",
        "message string",
        "event string",
        "log string",
      ],
    );
    assert.deepEqual(inputs.storageDescriptor.columns, RAW_ENVELOPE_COLUMNS);
    // Every envelope key reads into its column: the OpenX SerDe matches keys case-insensitively by default.
    const envelope: Required<IngestEnvelope> = {
      id: "i",
      receivedAt: "t",
      receiver: "r",
      client: "c",
      source: "s",
      message: "m",
      event: {},
    };
    assert.deepEqual(
      [...Object.keys(envelope).map((k) => k.toLowerCase()), "log"],
      RAW_ENVELOPE_COLUMNS.map((c) => c.name),
    );
  });

  it("tolerates lines that are not JSON (records on the stream need not be envelopes, nor JSON)", () => {
    assert.deepEqual(inputs.storageDescriptor.serDeInfo.parameters, { "ignore.malformed.json": "true" });
    assert.equal(inputs.storageDescriptor.location, `s3://${BUCKET}/raw/`);
  });

  it("projects the hour of every object Firehose writes under the ingest stream's prefix", () => {
    const { prefix, errorOutputPrefix } = rawArchivePrefixes(
      ARCHIVE_PREFIXES.raw,
      ARCHIVE_PREFIXES.rawErrors,
    );
    fc.assert(
      fc.property(dates, fc.uuid(), (at, uuid) => {
        // Firehose appends `<delivery stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>` (gzip adds .gz).
        const key = `${renderFirehosePrefix(prefix, at)}ingest-archive-1-2026-01-01-00-00-00-${uuid}.gz`;
        assert.deepEqual(projectedPartition(inputs, key), hourOf(at));
        // Delivery failures land under raw-errors/, which is not this table's.
        const failed = `${renderFirehosePrefix(errorOutputPrefix.replace("!{firehose:error-output-type}", "processing-failed"), at)}x.gz`;
        assert.equal(projectedPartition(inputs, failed), undefined);
      }),
    );
  });
});

describe("cloudtrail_events (pure)", () => {
  const inputs = cloudTrailEventsTableInputs(BUCKET, ARCHIVE_PREFIXES.cloudTrailEvents);

  it("has AWS's CloudTrail columns, nested request data as JSON text and identity as a struct", () => {
    const types = Object.fromEntries(CLOUDTRAIL_EVENT_COLUMNS.map((c) => [c.name, c.type]));
    for (const name of [
      "eventversion",
      "eventtime",
      "eventsource",
      "eventname",
      "awsregion",
      "sourceipaddress",
      "useragent",
      "errorcode",
      "errormessage",
      "requestparameters",
      "responseelements",
      "additionaleventdata",
      "requestid",
      "eventid",
      "readonly",
      "eventtype",
      "apiversion",
      "recipientaccountid",
      "serviceeventdetails",
      "sharedeventid",
      "vpcendpointid",
      "eventcategory",
    ]) {
      assert.equal(types[name], "string", name);
    }
    assert.equal(
      types.useridentity,
      "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,accesskeyid:string," +
        "username:string,onbehalfof:struct<userid:string,identitystorearn:string>," +
        "sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>," +
        "sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>," +
        "ec2roledelivery:string,webidfederationdata:struct<federatedprovider:string,attributes:map<string,string>>>>",
    );
    assert.equal(types.resources, "array<struct<arn:string,accountid:string,type:string>>");
    assert.equal(
      types.tlsdetails,
      "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>",
    );
    assert.equal(new Set(CLOUDTRAIL_EVENT_COLUMNS.map((c) => c.name)).size, CLOUDTRAIL_EVENT_COLUMNS.length);
    // Balanced brackets: Glue accepts the type, Athena can read it.
    for (const c of CLOUDTRAIL_EVENT_COLUMNS) {
      assert.equal(c.type.split("<").length, c.type.split(">").length, c.name);
    }
    assert.deepEqual(inputs.storageDescriptor.columns, CLOUDTRAIL_EVENT_COLUMNS);
    assert.equal(inputs.storageDescriptor.serDeInfo.parameters, undefined);
  });

  it("projects the day of every object the indexer's eventsKey writes", () => {
    fc.assert(
      fc.property(dates, fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), (at, base) => {
        const day = utcDay(isoUtc(at));
        assert.ok(day);
        const key = eventsKey(ARCHIVE_PREFIXES.cloudTrailEvents, day, {
          bucket: "trail",
          key: `AWSLogs/123456789012/CloudTrail/eu-west-1/2026/01/01/${base}.json.gz`,
        });
        const { hour: _hour, ...daily } = hourOf(at);
        assert.deepEqual(projectedPartition(inputs, key), daily);
      }),
    );
  });
});

describe("access_errors (pure)", () => {
  const inputs = accessErrorsTableInputs(BUCKET, ARCHIVE_PREFIXES.accessErrors);

  it("has a column for every field of a rejected line", () => {
    assert.deepEqual(
      ACCESS_ERROR_COLUMNS.map((c) => `${c.name} ${c.type}`),
      [
        "reason string",
        "line string",
        "shardid string",
        "sequencenumber string",
        "lineindex int",
        "id string",
      ],
    );
    assert.deepEqual(inputs.storageDescriptor.columns, ACCESS_ERROR_COLUMNS);
    const rejected: Required<RejectedLine> = {
      reason: "r",
      line: "l",
      shardId: "s",
      sequenceNumber: "1",
      lineIndex: 0,
      id: "i",
    };
    assert.deepEqual(
      Object.keys(rejected).map((k) => k.toLowerCase()),
      ACCESS_ERROR_COLUMNS.map((c) => c.name),
    );
  });

  it("projects the hour of every object the transformer's objectKey writes", () => {
    fc.assert(
      fc.property(dates, fc.stringMatching(/^\d{1,56}$/), (at, sequenceNumber) => {
        const key = objectKey({
          prefix: ARCHIVE_PREFIXES.accessErrors,
          time: isoUtc(at),
          shardId: "shardId-000000000001",
          firstSequenceNumber: sequenceNumber,
        });
        assert.deepEqual(projectedPartition(inputs, key), hourOf(at));
      }),
    );
  });
});
