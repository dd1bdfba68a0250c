/**
 * Parser for nginx `combined` access-log lines:
 *
 *     $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
 *
 * and for formats that add quoted fields after it, such as the official
 * nginx image's default `main` (`combined` + ` "$http_x_forwarded_for"`).
 * Lines written with `escape=json` parse too: nginx then writes `\"`, `\\`
 * and `\uNNNN` escapes and logs an empty value as `""` (and an empty
 * `$remote_user` as nothing), which become null like `-`.
 *
 * The scanner works on UTF-8 bytes, which is how lines arrive from Kinesis,
 * and records where each field lies instead of building strings: the
 * transformer copies those byte ranges straight into its JSON output
 * (serialize.ts), so the hot path allocates nothing per line. The string API
 * ({@link parseAccessLogLine}) is a thin adapter over the same scanner.
 *
 * Values are kept exactly as nginx logged them: nginx writes `"`, `\` and
 * bytes outside printable ASCII as `\xNN`, and other servers write `\"`.
 * Unescaping would be lossy (the escaped bytes need not be valid UTF-8) and
 * would make the stored url differ from what grep finds in the raw log.
 */
import { isIPv6 } from "node:net";

/** One parsed access-log line. Field names follow the source pipeline (with `referrer` spelled correctly). */
export interface AccessLogRecord {
  /** Client address, IPv4 or IPv6, as logged. */
  readonly remoteaddr: string;
  /** HTTP basic-auth user; `null` when nginx logged `-`. */
  readonly remoteuser: string | null;
  /** `$time_local` as logged, e.g. `10/Oct/2000:13:55:36 -0700`. */
  readonly timelocal: string;
  /** The same instant in UTC, always in `Date.prototype.toISOString` form: `2000-10-10T20:55:36.000Z`. */
  readonly time: string;
  /** Request method; `null` when the request field is not an HTTP request line. */
  readonly method: string | null;
  /** Request target as logged (still escaped); the whole raw request field when it is not a request line; `null` for `-`. */
  readonly url: string | null;
  /** e.g. `HTTP/1.1`; `null` for HTTP/0.9-style requests (`"GET /"`) and non-request lines. */
  readonly protocol: string | null;
  readonly statuscode: number;
  readonly bytessent: number;
  /** `null` when nginx logged `-`. */
  readonly referrer: string | null;
  /** `null` when nginx logged `-`. */
  readonly useragent: string | null;
  /**
   * Quoted fields after the user agent, in order, as logged (`-` and `""` →
   * null); absent when there are none. `main` logs `$http_x_forwarded_for`
   * here.
   */
  readonly extra?: readonly (string | null)[];
}

/** Quoted fields accepted after the user agent. */
export const MAX_EXTRA_FIELDS = 8;

/** Outcome of {@link parseAccessLogLineDetailed}: exactly one of `record` and `error` is set. */
export type ParseResult =
  | { readonly record: AccessLogRecord; readonly error?: undefined }
  | { readonly record?: undefined; readonly error: string };

/**
 * Where the fields of the last scanned line lie in its buffer: byte offsets,
 * start inclusive, end exclusive; a start of -1 means the field is null. One
 * instance is reused for every line, so scanning allocates nothing.
 */
export class AccessLogFields {
  addrStart = 0;
  addrEnd = 0;
  userStart = -1;
  userEnd = -1;
  timelocalStart = 0;
  /** ISO-8601 UTC form of the time. */
  time = "";
  /**
   * `,"timelocal":"…","time":"…","method":` for this line's time, as ASCII
   * bytes: both values are fixed-format and need no escaping, so the writer
   * copies this one chunk (cached with the time conversion) instead of four
   * pieces.
   */
  timeJson: Uint8Array = new Uint8Array(0);
  /** `,"remoteuser":null` followed by {@link timeJson}: the common case of no user, in one piece. */
  nullUserTimeJson: Uint8Array = new Uint8Array(0);
  methodStart = -1;
  methodEnd = -1;
  urlStart = -1;
  urlEnd = -1;
  protocolStart = -1;
  protocolEnd = -1;
  statuscode = 0;
  bytessent = 0;
  referrerStart = -1;
  referrerEnd = -1;
  useragentStart = -1;
  useragentEnd = -1;
  /** Quoted fields after the user agent: how many, and where (start -1: null). */
  extraCount = 0;
  readonly extraStarts = new Int32Array(MAX_EXTRA_FIELDS);
  readonly extraEnds = new Int32Array(MAX_EXTRA_FIELDS);
  /**
   * True when the quoted fields hold only printable ASCII without `\`, so
   * none of their bytes needs JSON escaping (the writer then copies them
   * without looking at each byte). Typical for nginx, which escapes the rest.
   */
  plainQuotedFields = false;
}

const SPACE = 0x20;
const QUOTE = 0x22;
const DASH = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const UNIX = [0x75, 0x6e, 0x69, 0x78, COLON];

/** `$time_local` always has this shape: `dd/Mon/yyyy:HH:MM:SS +hhmm`. */
const TIME_LOCAL_LENGTH = 26;
/** 15 digits always fit a double exactly; nginx's byte counts are far below that. */
const MAX_BYTES_DIGITS = 15;

/**
 * Parses one nginx `combined` line.
 *
 * @returns the record, or `undefined` when the line is not a combined line
 *   (use {@link parseAccessLogLineDetailed} to learn why).
 */
export function parseAccessLogLine(line: string): AccessLogRecord | undefined {
  return parseAccessLogLineDetailed(line).record;
}

const sharedFields = new AccessLogFields();

/**
 * Parses one nginx `combined` line and, when it is not one, says why.
 *
 * A line whose request field is not an HTTP request line (nginx logs a 400
 * with `"-"` or with raw bytes such as `"\x16\x03\x01…"` for TLS sent to a
 * plain-HTTP port) is still a valid combined line: it yields a record with
 * `method` and `protocol` null and the raw request text as `url` (or `url`
 * null for `-`).
 *
 * The line is parsed as UTF-8, like lines read from Kinesis: a lone surrogate
 * (which UTF-8 cannot encode) comes back as U+FFFD.
 */
export function parseAccessLogLineDetailed(line: string): ParseResult {
  const bytes = Buffer.from(line, "utf8");
  const error = scanAccessLogLine(bytes, 0, bytes.length, sharedFields);
  return error === undefined ? { record: toRecord(bytes, sharedFields) } : { error };
}

/** Builds the record of a line that {@link scanAccessLogLine} accepted. */
function toRecord(bytes: Buffer, f: AccessLogFields): AccessLogRecord {
  const text = (start: number, end: number): string | null =>
    start < 0 ? null : bytes.toString("utf8", start, end);
  const record: AccessLogRecord = {
    remoteaddr: bytes.toString("latin1", f.addrStart, f.addrEnd),
    remoteuser: text(f.userStart, f.userEnd),
    timelocal: bytes.toString("latin1", f.timelocalStart, f.timelocalStart + TIME_LOCAL_LENGTH),
    time: f.time,
    method: text(f.methodStart, f.methodEnd),
    url: text(f.urlStart, f.urlEnd),
    protocol: text(f.protocolStart, f.protocolEnd),
    statuscode: f.statuscode,
    bytessent: f.bytessent,
    referrer: text(f.referrerStart, f.referrerEnd),
    useragent: text(f.useragentStart, f.useragentEnd),
  };
  if (f.extraCount === 0) return record;
  const extra: (string | null)[] = [];
  for (let i = 0; i < f.extraCount; i++) extra.push(text(f.extraStarts[i]!, f.extraEnds[i]!));
  return { ...record, extra };
}

/**
 * Scans the combined line in `buf[start, end)` (no line terminator) and fills
 * `out` with where its fields are.
 *
 * @returns `undefined` if the line is a combined line, else why it is not.
 */
export function scanAccessLogLine(
  buf: Uint8Array,
  start: number,
  end: number,
  out: AccessLogFields,
): string | undefined {
  const addrEnd = indexOfByte(buf, SPACE, start, end);
  if (addrEnd <= start) return "no remote address";
  if (!isClientAddress(buf, start, addrEnd)) {
    return `remote address ${clip(buf, start, addrEnd)} is not an IPv4 or IPv6 address`;
  }
  if (addrEnd + 2 >= end || buf[addrEnd + 1] !== DASH || buf[addrEnd + 2] !== SPACE) {
    return 'expected " - " after the remote address';
  }
  out.addrStart = start;
  out.addrEnd = addrEnd;

  // $remote_user is not quoted and nginx does not escape spaces in it, so it
  // ends at the first " [" (a user name containing " [" fails on the time).
  const userStart = addrEnd + 3;
  let userEnd = indexOfByte(buf, SPACE, userStart, end);
  while (userEnd >= 0 && buf[userEnd + 1] !== OPEN_BRACKET)
    userEnd = indexOfByte(buf, SPACE, userEnd + 1, end);
  if (userEnd < 0 || userEnd + 1 >= end) return "no [time_local] field";
  // escape=json logs an empty $remote_user as nothing instead of "-".
  const userIsDash = userEnd === userStart || isDash(buf, userStart, userEnd);
  out.userStart = userIsDash ? -1 : userStart;
  out.userEnd = userIsDash ? -1 : userEnd;

  const timeStart = userEnd + 2;
  if (timeStart + TIME_LOCAL_LENGTH >= end || buf[timeStart + TIME_LOCAL_LENGTH] !== CLOSE_BRACKET) {
    return "time_local is not of the form dd/Mon/yyyy:HH:MM:SS +hhmm";
  }
  if (!convertTimeLocal(buf, timeStart, out)) {
    return `invalid time_local ${clip(buf, timeStart, timeStart + TIME_LOCAL_LENGTH)}`;
  }
  out.timelocalStart = timeStart;

  let pos = timeStart + TIME_LOCAL_LENGTH + 1;
  if (pos + 1 >= end || buf[pos] !== SPACE || buf[pos + 1] !== QUOTE) {
    return "expected a quoted request after time_local";
  }
  const requestStart = pos + 2;
  quotedFieldsArePlain = true;
  const requestEnd = closingQuote(buf, requestStart, end);
  if (requestEnd < 0) return "unterminated request field";

  pos = requestEnd + 1;
  if (pos >= end || buf[pos] !== SPACE) return "expected a space after the request field";
  if (pos + 4 >= end || buf[pos + 4] !== SPACE) return "status is not a 3-digit number";
  const statuscode = digitsValue(buf, pos + 1, pos + 4);
  if (statuscode < 0) return "status is not a 3-digit number";

  const bytesStart = pos + 5;
  const bytesEnd = indexOfByte(buf, SPACE, bytesStart, end);
  if (bytesEnd < 0) return "no referrer and user-agent fields after the byte count";
  const bytessent = bytesEnd - bytesStart <= MAX_BYTES_DIGITS ? digitsValue(buf, bytesStart, bytesEnd) : -1;
  if (bytessent < 0) return `body_bytes_sent ${clip(buf, bytesStart, bytesEnd)} is not a number`;

  if (bytesEnd + 1 >= end || buf[bytesEnd + 1] !== QUOTE) return "expected a quoted referrer";
  const referrerEnd = closingQuote(buf, bytesEnd + 2, end);
  if (referrerEnd < 0) return "unterminated referrer field";
  if (referrerEnd + 2 >= end || buf[referrerEnd + 1] !== SPACE || buf[referrerEnd + 2] !== QUOTE) {
    return "expected a quoted user agent after the referrer";
  }
  const agentEnd = closingQuote(buf, referrerEnd + 3, end);
  if (agentEnd < 0) return "unterminated user-agent field";
  let extraCount = 0;
  for (pos = agentEnd + 1; pos < end; extraCount++) {
    if (pos + 1 >= end || buf[pos] !== SPACE || buf[pos + 1] !== QUOTE) {
      return "unexpected text after the user-agent field";
    }
    if (extraCount === MAX_EXTRA_FIELDS)
      return `more than ${MAX_EXTRA_FIELDS} quoted fields after the user agent`;
    const fieldEnd = closingQuote(buf, pos + 2, end);
    if (fieldEnd < 0) return "unterminated quoted field after the user agent";
    const isNull = isEmptyValue(buf, pos + 2, fieldEnd);
    out.extraStarts[extraCount] = isNull ? -1 : pos + 2;
    out.extraEnds[extraCount] = isNull ? -1 : fieldEnd;
    pos = fieldEnd + 1;
  }
  out.extraCount = extraCount;

  out.plainQuotedFields = quotedFieldsArePlain;
  out.statuscode = statuscode;
  out.bytessent = bytessent;
  const referrerIsDash = isEmptyValue(buf, bytesEnd + 2, referrerEnd);
  out.referrerStart = referrerIsDash ? -1 : bytesEnd + 2;
  out.referrerEnd = referrerIsDash ? -1 : referrerEnd;
  const agentIsDash = isEmptyValue(buf, referrerEnd + 3, agentEnd);
  out.useragentStart = agentIsDash ? -1 : referrerEnd + 3;
  out.useragentEnd = agentIsDash ? -1 : agentEnd;
  splitRequest(buf, requestStart, requestEnd, out);
  return undefined;
}

/**
 * Splits `$request` into method, target and protocol the way nginx's request
 * parser reads the line: any run of spaces separates the three (nginx serves
 * `GET  /x  HTTP/1.1` as `/x`), `"GET /"` (HTTP/0.9) has no protocol, and a
 * target containing spaces keeps them (nginx logs such a request, with a
 * 400). Anything else that is not `-` is kept whole as the url with method
 * and protocol null, so the bytes a scanner or a TLS client sent stay visible.
 */
function splitRequest(buf: Uint8Array, start: number, end: number, out: AccessLogFields): void {
  out.methodStart = out.methodEnd = out.protocolStart = out.protocolEnd = -1;
  const methodEnd = indexOfByte(buf, SPACE, start, end);
  if (methodEnd > start && isMethod(buf, start, methodEnd)) {
    let urlStart = methodEnd + 1;
    while (urlStart < end && buf[urlStart] === SPACE) urlStart++;
    const lastSpace = lastIndexOfByte(buf, SPACE, urlStart, end);
    const hasProtocol = lastSpace > urlStart && isProtocol(buf, lastSpace + 1, end);
    let urlEnd = hasProtocol ? lastSpace : end;
    while (urlEnd > urlStart && buf[urlEnd - 1] === SPACE) urlEnd--;
    // `GET HTTP/1.1` lacks a target: nginx reads no request line there either.
    if (urlEnd > urlStart && (hasProtocol || !isProtocol(buf, urlStart, urlEnd))) {
      out.methodStart = start;
      out.methodEnd = methodEnd;
      out.urlStart = urlStart;
      out.urlEnd = urlEnd;
      if (hasProtocol) {
        out.protocolStart = lastSpace + 1;
        out.protocolEnd = end;
      }
      return;
    }
  }
  out.urlStart = end > start && !isDash(buf, start, end) ? start : -1;
  out.urlEnd = out.urlStart < 0 ? -1 : end;
}

/** nginx logs an empty or missing value as `-`. */
function isDash(buf: Uint8Array, start: number, end: number): boolean {
  return end === start + 1 && buf[start] === DASH;
}

/** `-`, or `""` as `escape=json` logs an empty value. */
function isEmptyValue(buf: Uint8Array, start: number, end: number): boolean {
  return end === start || isDash(buf, start, end);
}

/** Keeps error messages short when a field is huge (e.g. a whole binary blob). */
function clip(buf: Uint8Array, start: number, end: number): string {
  const text = Buffer.from(buf.buffer, buf.byteOffset + start, Math.min(end - start, 64)).toString("utf8");
  return JSON.stringify(end - start > 64 ? `${text}…` : text);
}

/**
 * Byte loops rather than `Buffer#indexOf`: the distances are short, and the
 * call into native code costs more than scanning a few dozen bytes (a latin1
 * string view with native `indexOf` and regex tests was measured slower).
 */
function indexOfByte(buf: Uint8Array, byte: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === byte) return i;
  return -1;
}

function lastIndexOfByte(buf: Uint8Array, byte: number, after: number, end: number): number {
  for (let i = end - 1; i > after; i--) if (buf[i] === byte) return i;
  return -1;
}

/** Cleared by {@link closingQuote} when it passes a byte that JSON must escape or that is not ASCII. */
let quotedFieldsArePlain = true;

/**
 * Index of the `"` that closes a field starting at `from`, or -1. A quote
 * preceded by a backslash is escaped (`\"` from servers that escape that way;
 * nginx itself writes `\x22`), and so is any byte after a backslash, which
 * keeps `\\` from escaping the quote that follows it.
 */
function closingQuote(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const c = buf[i] as number;
    // Printable ASCII after the quote, the common byte, costs three comparisons.
    if (c > QUOTE && c < 0x7f && c !== BACKSLASH) continue;
    if (c === QUOTE) return i;
    if (c === BACKSLASH) {
      quotedFieldsArePlain = false;
      i++;
    } else if (c < 0x20 || c >= 0x7f) {
      quotedFieldsArePlain = false;
    }
  }
  return -1;
}

/** Value of the decimal digits in `buf[start, end)`, or -1 if that range is empty or not all digits. */
function digitsValue(buf: Uint8Array, start: number, end: number): number {
  if (end <= start) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    if (c < DIGIT_0 || c > DIGIT_9) return -1;
    value = value * 10 + (c - DIGIT_0);
  }
  return value;
}

/**
 * IPv4 is checked inline because it is the common case; IPv6 (any form node
 * accepts, including `::ffff:1.2.3.4` and zone ids) goes to `net.isIPv6`;
 * `unix:` is what nginx logs for a client on a UNIX-domain socket.
 */
function isClientAddress(buf: Uint8Array, start: number, end: number): boolean {
  if (indexOfByte(buf, COLON, start, end) < 0) return isIPv4(buf, start, end);
  if (end - start === UNIX.length && UNIX.every((byte, i) => buf[start + i] === byte)) return true;
  return isIPv6(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1"));
}

/** Dotted quad with octets 0–255 and no leading zeros (the form nginx prints and `net.isIPv4` accepts). */
function isIPv4(buf: Uint8Array, start: number, end: number): boolean {
  let octets = 0;
  let octet = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? (buf[i] as number) : DOT;
    if (c === DOT) {
      if (digits === 0 || octet > 255) return false;
      octets++;
      octet = 0;
      digits = 0;
    } else if (c >= DIGIT_0 && c <= DIGIT_9 && !(digits === 1 && octet === 0) && digits < 3) {
      octet = octet * 10 + (c - DIGIT_0);
      digits++;
    } else {
      return false;
    }
  }
  return octets === 4;
}

/** nginx accepts methods made of upper-case letters, `_` and `-`. */
function isMethod(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start > 32) return false;
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x5f || c === DASH)) return false;
  }
  return true;
}

const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, SLASH];

/** `HTTP/` followed by a version such as `1.1`, `2.0` or `3`. */
function isProtocol(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < 6) return false;
  for (let i = 0; i < HTTP_SLASH.length; i++) if (buf[start + i] !== HTTP_SLASH[i]) return false;
  const dot = indexOfByte(buf, DOT, start + 5, end);
  if (dot < 0) return isVersionNumber(buf, start + 5, end);
  return isVersionNumber(buf, start + 5, dot) && isVersionNumber(buf, dot + 1, end);
}

function isVersionNumber(buf: Uint8Array, start: number, end: number): boolean {
  return end - start <= 2 && digitsValue(buf, start, end) >= 0;
}

/** Month abbreviations keyed by their three bytes packed into one number. */
const MONTHS = new Map(
  ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map((name, i) => [
    (name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2),
    i + 1,
  ]),
);

// Consecutive lines mostly share the same second, so remembering the last
// conversion skips the date arithmetic for nearly every line.
const lastTimeLocal = new Uint8Array(TIME_LOCAL_LENGTH);
let lastTime = "";
let lastTimeJson = new Uint8Array(0);
let lastNullUserTimeJson = new Uint8Array(0);

/**
 * Converts `dd/Mon/yyyy:HH:MM:SS +hhmm` at `buf[start]` into `out.time`
 * (e.g. `10/Oct/2000:13:55:36 -0700` → `2000-10-10T20:55:36.000Z`).
 *
 * @returns false if any part is invalid.
 */
function convertTimeLocal(buf: Uint8Array, start: number, out: AccessLogFields): boolean {
  let cached = lastTime !== "";
  for (let i = 0; cached && i < TIME_LOCAL_LENGTH; i++) cached = buf[start + i] === lastTimeLocal[i];
  if (!cached) {
    const time = timeLocalToIso(buf, start);
    if (time === undefined) return false;
    lastTimeLocal.set(buf.subarray(start, start + TIME_LOCAL_LENGTH));
    lastTime = time;
    const timelocal = Buffer.from(lastTimeLocal).toString("latin1");
    const timeJson = `,"timelocal":"${timelocal}","time":"${time}","method":`;
    lastTimeJson = Buffer.from(timeJson, "latin1");
    lastNullUserTimeJson = Buffer.from(`,"remoteuser":null${timeJson}`, "latin1");
  }
  out.time = lastTime;
  out.timeJson = lastTimeJson;
  out.nullUserTimeJson = lastNullUserTimeJson;
  return true;
}

function timeLocalToIso(buf: Uint8Array, s: number): string | undefined {
  if (
    buf[s + 2] !== SLASH ||
    buf[s + 6] !== SLASH ||
    buf[s + 11] !== COLON ||
    buf[s + 14] !== COLON ||
    buf[s + 17] !== COLON ||
    buf[s + 20] !== SPACE
  ) {
    return undefined;
  }
  const month = MONTHS.get(
    ((buf[s + 3] as number) << 16) | ((buf[s + 4] as number) << 8) | (buf[s + 5] as number),
  );
  const day = digitsValue(buf, s, s + 2);
  const year = digitsValue(buf, s + 7, s + 11);
  const hour = digitsValue(buf, s + 12, s + 14);
  const minute = digitsValue(buf, s + 15, s + 17);
  const second = digitsValue(buf, s + 18, s + 20);
  const sign = buf[s + 21] === 0x2b ? 1 : buf[s + 21] === DASH ? -1 : 0;
  const offsetHours = digitsValue(buf, s + 22, s + 24);
  const offsetMinutes = digitsValue(buf, s + 24, s + 26);
  if (
    month === undefined ||
    year < 0 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    sign === 0 ||
    offsetHours < 0 ||
    offsetHours > 23 ||
    offsetMinutes < 0 ||
    offsetMinutes > 59
  ) {
    return undefined;
  }
  const localMs = daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000;
  const iso = new Date(localMs - sign * (offsetHours * 60 + offsetMinutes) * 60_000).toISOString();
  // Years 0000–9999 give the 24-character form; an offset can push year 0000
  // or 9999 outside it, into `-000001-…`, which no hour partition can hold.
  return iso.length === 24 ? iso : undefined;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). `Date.UTC` is not used because it maps years 0–99 to
 * 1900–1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
