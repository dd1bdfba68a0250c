import { recordItems, type LineOptions, type RecordItems } from "../../src/logs/items";

/** 2026-12-04T01:02:03.456Z, the receive time of the test envelopes. */
export const RECEIVED_AT = "2026-12-04T01:02:03.456Z";
export const RECEIVED_MS = Date.parse(RECEIVED_AT);
/** Kinesis arrival of the test records (epoch seconds, as the event gives it). */
export const ARRIVED_SECONDS = Date.parse("2026-12-04T01:02:04.250Z") / 1000;

export const OPTIONS: LineOptions = { accessLogSources: "none", maxFields: 200, maxMessageBytes: 32_768 };

/** An envelope in the receiver's layout (apps/log-receiver/src/envelope.ts). */
export function envelope(
  id: string,
  value: { message: string } | { event: unknown },
  source = "office-pcs",
  receivedAt = RECEIVED_AT,
): string {
  const head = `{"id":${JSON.stringify(id)},"receivedAt":${JSON.stringify(receivedAt)},"receiver":"ip-10-0-1-23","client":"203.0.113.7","source":${JSON.stringify(source)}`;
  return "message" in value
    ? `${head},"message":${JSON.stringify(value.message)}}`
    : `${head},"event":${JSON.stringify(value.event)}}`;
}

export function items(lines: readonly string[] | Buffer, options: Partial<LineOptions> = {}): RecordItems {
  const data = Buffer.isBuffer(lines) ? lines : Buffer.from(lines.join("\n"));
  return recordItems(data, "49590338271490256608559692538361571095921575989136588898", ARRIVED_SECONDS, {
    ...OPTIONS,
    ...options,
  });
}

/** A parsed document; values typed as strings for the assertions (they are compared, not used). */
export type Doc = Record<string, string>;

/** Parses a document (or any JSON text) for assertions. */
export function parse(text: string): Doc {
  return JSON.parse(text) as Doc;
}

/** The parsed documents of the logs items. */
export function logsDocs(result: RecordItems): Doc[] {
  return result.items.filter((item) => item.index.startsWith("logs-")).map((item) => parse(item.document));
}

/** The single logs document of one line. */
export function logsDoc(line: string, options: Partial<LineOptions> = {}): Doc {
  const docs = logsDocs(items([line], options));
  if (docs.length !== 1) throw new Error(`expected one logs document, got ${docs.length}`);
  return docs[0]!;
}
