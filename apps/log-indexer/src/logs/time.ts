/**
 * A log line's own time, in the forms senders write it: ISO-8601 (with or
 * without a zone, with or without a fraction, `T` or space), epoch seconds or
 * milliseconds, syslog RFC 3164 (`Dec  4 01:02:03`, no year) and RFC 5424
 * (`<PRI>1 <ISO time> …`), and nginx's `[04/Dec/2026:01:02:03 +0000]`.
 *
 * Every parser reads characters at fixed positions (no regular expressions,
 * so no backtracking on long lines) and returns epoch milliseconds, or NaN
 * when the text is not that form. {@link plausible} then rejects times a
 * broken clock writes (before 2000, more than a day after the line was
 * received), so such a line is filed under its receive time instead of an
 * index decades away.
 */

/** Earliest accepted line time: 2000-01-01T00:00:00Z. */
export const MIN_TIME_MS = Date.UTC(2000, 0, 1);
/** How far a line's time may lie after its receive time (clock skew) before it is ignored. */
export const MAX_FUTURE_MS = 86_400_000;

/** Whether `ms` is a believable time for a line received at `receivedAtMs`. */
export function plausible(ms: number, receivedAtMs: number): boolean {
  return ms >= MIN_TIME_MS && ms <= receivedAtMs + MAX_FUTURE_MS;
}

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

function digit(text: string, i: number): number {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1000;
}

/** Value of the `n` digits at `i`, or a negative number when one is not a digit. */
function digits(text: string, i: number, n: number): number {
  let value = 0;
  for (let k = 0; k < n; k++) value = value * 10 + digit(text, i + k);
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** UTC ms of a calendar time, or NaN when a part is out of range. */
function civil(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  if (
    year < 1000 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 60 // a leap second is written as :60; Date.UTC rolls it over
  ) {
    return NaN;
  }
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** A time found at the start of a text, and where it ends. */
export interface FoundTime {
  readonly ms: number;
  /** Index just past the time in the text. */
  readonly end: number;
}

/**
 * ISO-8601 date-time at `i`: `YYYY-MM-DD[T| ]HH:MM[:SS[.f…]][Z|±HH[:MM]|±HHMM]`.
 * Without a zone the time is taken as UTC (what servers that omit it
 * almost always mean, and the only reading that does not depend on the
 * indexer's own zone).
 */
export function isoAt(text: string, i: number): FoundTime | undefined {
  // Lines of a batch mostly share a second: reuse the last date-time up to the seconds.
  if (lastHead !== "" && text.startsWith(lastHead, i)) return isoRest(text, i + 19, lastHeadMs);
  const found = isoParse(text, i);
  if (found !== undefined && found.headMs !== undefined) {
    lastHead = text.slice(i, i + 19);
    lastHeadMs = found.headMs;
  }
  return found;
}

let lastHead = "";
let lastHeadMs = 0;

function isoParse(text: string, i: number): (FoundTime & { headMs?: number }) | undefined {
  if (text.charCodeAt(i + 4) !== 0x2d || text.charCodeAt(i + 7) !== 0x2d) return undefined;
  const sep = text.charCodeAt(i + 10);
  if ((sep !== 0x54 && sep !== 0x20 && sep !== 0x74) || text.charCodeAt(i + 13) !== 0x3a) return undefined;
  const year = digits(text, i, 4);
  const month = digits(text, i + 5, 2);
  const day = digits(text, i + 8, 2);
  const hour = digits(text, i + 11, 2);
  const minute = digits(text, i + 14, 2);
  if (text.charCodeAt(i + 16) !== 0x3a) {
    // No seconds: `YYYY-MM-DDTHH:MM` and a zone.
    const ms = civil(year, month, day, hour, minute, 0);
    return Number.isNaN(ms) ? undefined : zoneOf(text, i + 16, ms);
  }
  const headMs = civil(year, month, day, hour, minute, digits(text, i + 17, 2));
  if (Number.isNaN(headMs)) return undefined;
  const rest = isoRest(text, i + 19, headMs);
  return rest === undefined ? undefined : { ...rest, headMs };
}

/** The fraction and zone after `YYYY-MM-DDTHH:MM:SS` (at `pos`), `headMs` being that time as UTC. */
function isoRest(text: string, pos: number, headMs: number): FoundTime | undefined {
  let ms = headMs;
  const mark = text.charCodeAt(pos);
  if (mark === 0x2e || mark === 0x2c) {
    let fraction = 0;
    let scale = 100;
    let k = pos + 1;
    for (; digit(text, k) >= 0; k++) {
      fraction += digit(text, k) * scale;
      scale /= 10;
    }
    if (k === pos + 1) return undefined;
    ms += Math.floor(fraction);
    pos = k;
  }
  return zoneOf(text, pos, ms);
}

/** The zone at `pos` applied to `ms` (no zone: UTC). */
function zoneOf(text: string, pos: number, ms: number): FoundTime | undefined {
  const zone = text.charCodeAt(pos);
  if (zone === 0x5a || zone === 0x7a) return { ms, end: pos + 1 };
  if (zone === 0x2b || zone === 0x2d) {
    const offsetHours = digits(text, pos + 1, 2);
    let end = pos + 3;
    let offsetMinutes = 0;
    if (text.charCodeAt(end) === 0x3a) {
      offsetMinutes = digits(text, end + 1, 2);
      end += 3;
    } else if (digit(text, end) >= 0) {
      offsetMinutes = digits(text, end, 2);
      end += 2;
    }
    if (offsetHours < 0 || offsetHours > 23 || offsetMinutes < 0 || offsetMinutes > 59) return undefined;
    const sign = zone === 0x2b ? 1 : -1;
    return { ms: ms - sign * (offsetHours * 60 + offsetMinutes) * 60_000, end };
  }
  return { ms, end: pos };
}

/**
 * RFC 3164 `Mmm dd HH:MM:SS` (day space-padded or two digits) at `i`. It has
 * no year: the latest of the receive year and its neighbours that is not
 * more than a day after `receivedAtMs` is taken, so a `Dec 31 23:59:59` line
 * received on 1 January belongs to the year before, and a `Jan  1 00:00:10`
 * line from a clock a minute ahead on 31 December to the year after.
 */
export function syslogAt(text: string, i: number, receivedAtMs: number): FoundTime | undefined {
  const month = MONTHS[text.slice(i, i + 3)];
  if (month === undefined || text.charCodeAt(i + 3) !== 0x20) return undefined;
  const tens = text.charCodeAt(i + 4) === 0x20 ? 0 : digit(text, i + 4);
  const day = tens * 10 + digit(text, i + 5);
  if (
    text.charCodeAt(i + 6) !== 0x20 ||
    text.charCodeAt(i + 9) !== 0x3a ||
    text.charCodeAt(i + 12) !== 0x3a ||
    day < 1
  ) {
    return undefined;
  }
  const hour = digits(text, i + 7, 2);
  const minute = digits(text, i + 10, 2);
  const second = digits(text, i + 13, 2);
  const year = new Date(receivedAtMs).getUTCFullYear();
  for (const candidate of [year + 1, year, year - 1]) {
    const ms = civil(candidate, month, day, hour, minute, second);
    if (!Number.isNaN(ms) && ms <= receivedAtMs + MAX_FUTURE_MS) return { ms, end: i + 15 };
  }
  return undefined;
}

/** nginx `$time_local` inside brackets at `i` (the `[`): `[dd/Mon/yyyy:HH:MM:SS +hhmm]`. */
export function nginxAt(text: string, i: number): FoundTime | undefined {
  if (
    text.charCodeAt(i) !== 0x5b ||
    text.charCodeAt(i + 3) !== 0x2f ||
    text.charCodeAt(i + 7) !== 0x2f ||
    text.charCodeAt(i + 12) !== 0x3a ||
    text.charCodeAt(i + 21) !== 0x20 ||
    text.charCodeAt(i + 27) !== 0x5d
  ) {
    return undefined;
  }
  const month = MONTHS[text.slice(i + 4, i + 7)];
  if (month === undefined) return undefined;
  const ms = civil(
    digits(text, i + 8, 4),
    month,
    digits(text, i + 1, 2),
    digits(text, i + 13, 2),
    digits(text, i + 16, 2),
    digits(text, i + 19, 2),
  );
  const sign = text.charCodeAt(i + 22) === 0x2b ? 1 : text.charCodeAt(i + 22) === 0x2d ? -1 : 0;
  const offsetHours = digits(text, i + 23, 2);
  const offsetMinutes = digits(text, i + 25, 2);
  if (
    Number.isNaN(ms) ||
    sign === 0 ||
    offsetHours < 0 ||
    offsetHours > 23 ||
    offsetMinutes < 0 ||
    offsetMinutes > 59
  ) {
    return undefined;
  }
  return { ms: ms - sign * (offsetHours * 60 + offsetMinutes) * 60_000, end: i + 28 };
}

/**
 * Epoch seconds (10 digits, optional fraction) or milliseconds (13 digits) at
 * `i`, not followed by another digit.
 */
export function epochAt(text: string, i: number): FoundTime | undefined {
  let k = i;
  while (digit(text, k) >= 0) k++;
  const n = k - i;
  if (n === 13) return { ms: Number(text.slice(i, k)), end: k };
  if (n !== 10) return undefined;
  let end = k;
  if (text.charCodeAt(k) === 0x2e && digit(text, k + 1) >= 0) {
    end = k + 1;
    while (digit(text, end) >= 0) end++;
  }
  return { ms: Math.floor(Number(text.slice(i, end)) * 1000), end };
}

/** How far into a text line the nginx bracket form is looked for (it follows the address and user). */
const NGINX_SEARCH_CHARS = 160;

/** The time at the start of a text line, syslog header included. */
export interface TextStart {
  /** Epoch ms, or NaN when the line has no (plausible) time of its own. */
  readonly ms: number;
  /** Syslog severity from `<PRI>`, as a level name. */
  readonly level?: string;
  /** The host of a syslog header. */
  readonly host?: string;
}

/** Syslog severities (RFC 5424 table 2) as level names. */
export const SYSLOG_LEVELS = [
  "emergency",
  "alert",
  "critical",
  "error",
  "warning",
  "notice",
  "info",
  "debug",
] as const;

const NO_TIME: TextStart = { ms: NaN };

/**
 * Reads the time (and a syslog header's severity and host) at the start of a
 * text line: `<PRI>` optional, then RFC 5424 `1 <ISO>` or RFC 3164
 * `Mmm dd HH:MM:SS`, an ISO-8601 time, epoch digits, or `[time_local]`; the
 * nginx bracket form is also found after a few fields (access-log lines).
 */
export function textStart(text: string, receivedAtMs: number): TextStart {
  let i = 0;
  let level: string | undefined;
  if (text.charCodeAt(0) === 0x3c) {
    const close = text.indexOf(">", 1);
    if (close > 1 && close <= 4) {
      const pri = Number(text.slice(1, close));
      if (Number.isInteger(pri) && pri >= 0 && pri <= 191) {
        level = SYSLOG_LEVELS[pri % 8];
        i = close + 1;
        // RFC 5424: version digit and a space before the timestamp.
        if (text.charCodeAt(i) === 0x31 && text.charCodeAt(i + 1) === 0x20) i += 2;
      }
    }
  }
  const c = text.charCodeAt(i);
  let found: FoundTime | undefined;
  let syslog = false;
  if (c >= 0x30 && c <= 0x39) {
    found = isoAt(text, i) ?? epochAt(text, i);
    syslog = level !== undefined && found !== undefined;
  } else if (c === 0x5b) {
    found = nginxAt(text, i);
  } else if (c >= 0x41 && c <= 0x5a) {
    found = syslogAt(text, i, receivedAtMs);
    syslog = found !== undefined;
  }
  if (found === undefined) {
    const bracket = text.indexOf("[", i);
    if (bracket > 0 && bracket < NGINX_SEARCH_CHARS) found = nginxAt(text, bracket);
  }
  const ms = found !== undefined && plausible(found.ms, receivedAtMs) ? found.ms : NaN;
  const host = syslog && found !== undefined ? hostAfter(text, found.end) : undefined;
  if (level === undefined && host === undefined) return Number.isNaN(ms) ? NO_TIME : { ms };
  return {
    ms,
    ...(level === undefined ? {} : { level }),
    ...(host === undefined ? {} : { host }),
  };
}

/** The syslog HOSTNAME field after the timestamp (`-` is RFC 5424's nil value). */
function hostAfter(text: string, end: number): string | undefined {
  if (text.charCodeAt(end) !== 0x20) return undefined;
  let stop = text.indexOf(" ", end + 1);
  if (stop < 0) stop = text.length;
  const host = text.slice(end + 1, stop);
  return host === "" || host === "-" || host.length > 255 || host.endsWith(":") ? undefined : host;
}

/**
 * The time of a JSON field value (`time`, `timestamp`, `@timestamp`, `ts`):
 * a number or digit string of epoch seconds (10 digits) or milliseconds (13),
 * or an ISO-8601 / RFC 3164 / nginx time string.
 *
 * @returns epoch ms, or NaN.
 */
export function valueTime(value: string | number, receivedAtMs: number): number {
  let ms = NaN;
  if (typeof value === "number") {
    const whole = Math.floor(Math.abs(value)).toString().length;
    if (whole === 10) ms = Math.floor(value * 1000);
    else if (whole === 13) ms = Math.floor(value);
  } else {
    const c = value.charCodeAt(0);
    let found: FoundTime | undefined;
    if (c >= 0x30 && c <= 0x39) found = isoAt(value, 0) ?? epochAt(value, 0);
    else if (c === 0x5b) found = nginxAt(value, 0);
    else found = syslogAt(value, 0, receivedAtMs);
    if (found !== undefined) ms = found.ms;
  }
  return plausible(ms, receivedAtMs) ? ms : NaN;
}

/** First second (10000-01-01) whose ISO form has more than four year digits. */
const MAX_PLAIN_SECOND = Date.UTC(10000, 0, 1) / 1000;
let lastDay = NaN;
let lastDayIso = "";

/** `HH:MM:SS` of a second of the day. */
function clock(secondOfDay: number): string {
  const hours = Math.floor(secondOfDay / 3600);
  const minutes = Math.floor(secondOfDay / 60) % 60;
  const seconds = secondOfDay % 60;
  return `${hours < 10 ? "0" : ""}${hours}:${minutes < 10 ? "0" : ""}${minutes}:${seconds < 10 ? "0" : ""}${seconds}`;
}

let lastSecond = NaN;
let lastSecondIso = "";
let lastMs = NaN;
let lastIso = "";

/**
 * `Date#toISOString` of `ms`. Consecutive lines mostly share a second, so the
 * text up to the second is remembered and only the milliseconds are written.
 */
export function isoOf(ms: number): string {
  if (ms === lastMs) return lastIso;
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    const day = Math.floor(second / 86_400);
    if (day !== lastDay || !(second >= 0)) {
      // Date writes the day (and every time out of the plain range: before 1970, years past 9999).
      lastDayIso = new Date(second * 1000).toISOString().slice(0, 11);
      lastDay = second >= 0 && second < MAX_PLAIN_SECOND ? day : NaN;
    }
    // Within a day only the clock changes: written by hand, it saves a Date per second of log time.
    lastSecondIso = Number.isNaN(lastDay)
      ? new Date(second * 1000).toISOString().slice(0, 20)
      : `${lastDayIso}${clock(second - day * 86_400)}.`;
    lastSecond = second;
  }
  const millis = ms - second * 1000;
  lastIso = `${lastSecondIso}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
  lastMs = ms;
  return lastIso;
}

let lastParsed = "";
let lastParsedMs = NaN;

/** Epoch ms of a receiver `receivedAt` (ISO-8601 with zone), or NaN; the lines of a request share it. */
export function parseIso(text: string): number {
  if (text === lastParsed) return lastParsedMs;
  const found = isoAt(text, 0);
  lastParsedMs = found !== undefined && found.end === text.length ? found.ms : NaN;
  lastParsed = text;
  return lastParsedMs;
}
