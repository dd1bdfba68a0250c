/**
 * Test helpers: Kinesis event shapes as Lambda delivers them, and a
 * fast-check generator of valid combined lines built from known parts.
 */
import { gunzipSync } from "node:zlib";
import type { PutObjectCommand } from "@aws-sdk/client-s3";
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import fc from "fast-check";
import type { ObjectWriter } from "../src/handler";
import type { AccessLogRecord } from "../src/parse";

/** One Kinesis event record, shaped exactly as Lambda delivers it. */
export function kinesisRecord(options: {
  shardId?: string;
  sequenceNumber: string;
  data: string | Buffer;
  /** Seconds since the epoch, as in the real event. */
  arrival?: number;
}): KinesisStreamRecord {
  const shardId = options.shardId ?? "shardId-000000000000";
  return {
    kinesis: {
      kinesisSchemaVersion: "1.0",
      partitionKey: "pk",
      sequenceNumber: options.sequenceNumber,
      data: Buffer.from(options.data).toString("base64"),
      approximateArrivalTimestamp: options.arrival ?? 1_700_000_000.123,
    },
    eventSource: "aws:kinesis",
    eventVersion: "1.0",
    eventID: `${shardId}:${options.sequenceNumber}`,
    eventName: "aws:kinesis:record",
    invokeIdentityArn: "arn:aws:iam::123456789012:role/transformer",
    awsRegion: "us-east-1",
    eventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/ingest",
  };
}

export interface Put {
  bucket: string | undefined;
  key: string;
  body: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
}

/** A fake S3 that records puts and fails those whose key matches `failKey`. */
export class FakeS3 implements ObjectWriter {
  readonly puts: Put[] = [];
  failKey: RegExp | undefined;

  /** Puts run concurrently (each after its own gzip), so tests compare them in key order. */
  sorted(puts = this.puts): Put[] {
    return [...puts].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  send(command: PutObjectCommand): Promise<unknown> {
    const { Bucket, Key, Body, ContentType, ContentEncoding } = command.input;
    if (Key === undefined || !(Body instanceof Uint8Array)) throw new Error("unexpected PutObject input");
    if (this.failKey?.test(Key)) return Promise.reject(new Error(`SlowDown: ${Key}`));
    this.puts.push({
      bucket: Bucket,
      key: Key,
      body: gunzipSync(Body).toString(),
      contentType: ContentType,
      contentEncoding: ContentEncoding,
    });
    return Promise.resolve({});
  }
}

/** A Kinesis event holding the given records. */
export function kinesisEvent(records: KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: records };
}

/** A valid combined line and the record the parser must make of it. */
export interface GeneratedLine {
  readonly line: string;
  readonly expected: AccessLogRecord;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (value: number, width = 2): string => String(value).padStart(width, "0");

/** Text for a quoted field: any code points except `"` and `\`, plus escape sequences as servers write them. */
const quotedText = fc
  .array(
    fc.oneof(
      fc.string({ unit: "binary", minLength: 1, maxLength: 8 }).filter((s) => !/["\\]/.test(s)),
      fc.constantFrom('\\"', "\\x22", "\\\\", "\\xE2\\x80\\x94", "\\x16\\x03"),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join(""))
  .filter((text) => text !== "-");

/** `-` (null) or a value. */
const nullableQuoted = fc.option(quotedText, { nil: null });

/**
 * Valid combined lines from parts, with the record expected of each; some
 * with quoted fields after the user agent (`main` and the like) and some with
 * runs of spaces in the request line, which nginx reads as one.
 */
export const combinedLine: fc.Arbitrary<GeneratedLine> = fc
  .record({
    remoteaddr: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom("::1", "::ffff:1.2.3.4")),
    remoteuser: fc.option(
      fc.stringMatching(/^[A-Za-z0-9._@-]{1,16}$/).filter((u) => u !== "-"),
      { nil: null },
    ),
    // Instants whose local time stays within years 1000–9998 for any offset.
    instant: fc.integer({ min: Date.UTC(1000, 0, 2), max: Date.UTC(9998, 11, 30) }),
    offsetMinutes: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
    method: fc.constantFrom("GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PROPFIND", "M-SEARCH"),
    url: fc
      .string({ unit: "binary", minLength: 1, maxLength: 30 })
      .filter((u) => !/[ "\\]/.test(u) && u !== "-"),
    protocol: fc.option(fc.constantFrom("HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/3"), { nil: null }),
    statuscode: fc.integer({ min: 100, max: 599 }),
    bytessent: fc.nat({ max: 1e12 }),
    referrer: nullableQuoted,
    useragent: nullableQuoted,
    extra: fc.option(fc.array(nullableQuoted, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    requestSpaces: fc.constantFrom(" ", " ", " ", "  ", "   "),
  })
  .map((p) => {
    const seconds = Math.floor(p.instant / 1000) * 1000;
    const local = new Date(seconds + p.offsetMinutes * 60_000);
    const offset = Math.abs(p.offsetMinutes);
    const timelocal =
      `${pad(local.getUTCDate())}/${MONTHS[local.getUTCMonth()]}/${pad(local.getUTCFullYear(), 4)}:` +
      `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ` +
      `${p.offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(offset / 60))}${pad(offset % 60)}`;
    const sp = p.requestSpaces;
    const request =
      p.protocol === null ? `${p.method}${sp}${p.url}` : `${p.method}${sp}${p.url}${sp}${p.protocol}`;
    const extra = p.extra === undefined ? "" : p.extra.map((value) => ` "${value ?? "-"}"`).join("");
    const line =
      `${p.remoteaddr} - ${p.remoteuser ?? "-"} [${timelocal}] "${request}" ${p.statuscode} ${p.bytessent} ` +
      `"${p.referrer ?? "-"}" "${p.useragent ?? "-"}"${extra}`;
    const expected: AccessLogRecord = {
      remoteaddr: p.remoteaddr,
      remoteuser: p.remoteuser,
      timelocal,
      time: new Date(seconds).toISOString(),
      method: p.method,
      url: p.url,
      protocol: p.protocol,
      statuscode: p.statuscode,
      bytessent: p.bytessent,
      referrer: p.referrer,
      useragent: p.useragent,
      ...(p.extra === undefined ? {} : { extra: p.extra }),
    };
    return { line, expected };
  });
