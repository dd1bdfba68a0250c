/**
 * The access document of an access-log line (the `access` family): the
 * transformer's nginx `combined` parser (apps/access-log-transformer/src/parse.ts,
 * shared, not copied) plus the user agent split into browser, OS and device
 * by ua-parser-js.
 */
import UAParser from "ua-parser-js";
import { parseAccessLogLineDetailed, type AccessLogRecord } from "../../../access-log-transformer/src/parse";
import type { LogLine } from "./lines";

/** Outcome of {@link accessDocument}: the document and its time, or why the line is not an access-log line. */
export type AccessResult =
  | { readonly document: string; readonly timestamp: string; readonly error?: undefined }
  | { readonly document?: undefined; readonly error: string };

/** Device type recorded when the parser finds none (ua-parser-js reports only mobile, tablet, console, …). */
export const DEFAULT_DEVICE_TYPE = "desktop";
/** User agents remembered: a site's traffic comes from a few hundred distinct agents. */
export const UA_CACHE_SIZE = 1000;

/** The `ua_*` fields of a user agent. */
export interface UserAgentFields {
  readonly ua_browser?: string;
  readonly ua_browser_version?: string;
  readonly ua_os?: string;
  readonly ua_os_version?: string;
  readonly ua_device_type: string;
  readonly ua_device_vendor?: string;
  readonly ua_device_model?: string;
}

const parser = new UAParser();

// Tools and crawlers ua-parser-js 1.x leaves without a browser: `curl/8.4.0`,
// `python-requests/2.31.0`, `(compatible; Googlebot/2.1; +http://…)`. Anchored
// or literal-led patterns with bounded classes: no backtracking blow-up.
const PRODUCT = /^([A-Za-z][\w.-]{0,63})\/([\w.-]{1,32})/;
const COMPATIBLE = /compatible; ?([A-Za-z][\w.-]{0,63})\/([\w.-]{1,32})/;

/** Splits a user agent into the `ua_*` fields (no cache; see {@link userAgentJson}). */
export function userAgentFields(useragent: string): UserAgentFields {
  const { browser, os, device } = parser.setUA(useragent).getResult();
  let browserName = browser.name;
  let browserVersion = browser.version;
  if (browserName === undefined) {
    const product = COMPATIBLE.exec(useragent) ?? PRODUCT.exec(useragent);
    if (product !== null && product[1] !== "Mozilla") {
      browserName = product[1];
      browserVersion = product[2];
    }
  }
  return {
    ...(browserName === undefined ? {} : { ua_browser: browserName }),
    ...(browserVersion === undefined ? {} : { ua_browser_version: browserVersion }),
    ...(os.name === undefined ? {} : { ua_os: os.name }),
    ...(os.version === undefined ? {} : { ua_os_version: os.version }),
    ua_device_type: device.type ?? DEFAULT_DEVICE_TYPE,
    ...(device.vendor === undefined ? {} : { ua_device_vendor: device.vendor }),
    ...(device.model === undefined ? {} : { ua_device_model: device.model }),
  };
}

/** A small LRU: a Map keeps insertion order, so re-inserting on a hit makes its first key the least recent. */
class Lru<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, value);
  }

  get size(): number {
    return this.entries.size;
  }
}

const uaCache = new Lru<string>(UA_CACHE_SIZE);

/** The `ua_*` fields as JSON members (`,"ua_browser":…`), cached per user agent. */
export function userAgentJson(useragent: string | null): string {
  const key = useragent ?? "";
  let json = uaCache.get(key);
  if (json === undefined) {
    const fields = useragent === null ? { ua_device_type: DEFAULT_DEVICE_TYPE } : userAgentFields(useragent);
    json = `,${JSON.stringify(fields).slice(1, -1)}`;
    uaCache.set(key, json);
  }
  return json;
}

/** Entries in the user-agent cache (for tests of its bound). */
export function userAgentCacheSize(): number {
  return uaCache.size;
}

function member(name: string, value: string | null): string {
  return value === null ? "" : `,"${name}":${JSON.stringify(value)}`;
}

/** The access document of a parsed record, with the envelope metadata of its line. */
export function accessRecordDocument(record: AccessLogRecord, line: LogLine): string {
  let document = `{"@timestamp":"${record.time}","receivedAt":"${line.receivedAt}"`;
  if (line.receiver !== undefined) document += `,"receiver":${line.receiver}`;
  if (line.client !== undefined) document += `,"client":${line.client}`;
  document += `,"source":"${line.source}","remoteaddr":${JSON.stringify(record.remoteaddr)}`;
  document += member("remoteuser", record.remoteuser);
  document += member("method", record.method);
  document += member("url", record.url);
  document += member("protocol", record.protocol);
  document += `,"statuscode":${record.statuscode},"bytessent":${record.bytessent}`;
  document += member("referrer", record.referrer);
  document += member("useragent", record.useragent);
  document += userAgentJson(record.useragent);
  if (record.extra !== undefined) document += `,"extra":${JSON.stringify(record.extra)}`;
  return `${document}}`;
}

/** Whether `c` can start a client address the parser accepts: IPv4 digit, IPv6 hex digit or `:`, `unix:`. */
function addressStart(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x3a) || // 0-9 and ":"
    (c >= 0x61 && c <= 0x66) || // a-f
    (c >= 0x41 && c <= 0x46) || // A-F
    c === 0x75 // "u" of unix:
  );
}

/**
 * A cheap test run before the access-log parser when its reason is not
 * needed: false only when `text` certainly is not an nginx combined line (it
 * does not start with an address followed by ` - `), so most lines of other
 * formats are never encoded to bytes and scanned. It never says false for a
 * line {@link accessDocument} parses (a property test holds it to that).
 */
export function mayBeAccessLine(text: string): boolean {
  if (!addressStart(text.charCodeAt(0))) return false;
  const space = text.indexOf(" ");
  return space > 0 && text.charCodeAt(space + 1) === 0x2d && text.charCodeAt(space + 2) === 0x20;
}

/**
 * {@link mayBeAccessLine} on a message still in its JSON string literal
 * form (quotes included): false only when the text it stands for certainly
 * is not a combined line, without decoding escapes.
 */
export function mayBeAccessLiteral(literal: string): boolean {
  const c = literal.charCodeAt(1);
  // An escape at the start (`\u0031…`) is left to the decoded test.
  return c === 0x5c || addressStart(c);
}

/** Parses `text` (the line's message) as an nginx combined line and builds its access document. */
export function accessDocument(text: string, line: LogLine): AccessResult {
  const parsed = parseAccessLogLineDetailed(text);
  if (parsed.record === undefined) return { error: parsed.error };
  return { document: accessRecordDocument(parsed.record, line), timestamp: parsed.record.time };
}
