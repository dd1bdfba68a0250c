/**
 * Fast path for the record shape the source pipeline sends most: one log
 * line per Kinesis record, wrapped by fluentd (`{"log":"<line>"}`) or
 * fluent-bit (`{"log":"<line>\n","stream":"stdout","time":"…"}`).
 *
 * Measured on events of 500 such records, the general decoding
 * (`toString` → `JSON.parse` → envelope check → strip the line end →
 * `Buffer.from` of the line) allocated four objects per line and spent more
 * time in the garbage collector than in parsing. This reads the wrapper from
 * the record's bytes instead: when the line has no escapes other than a
 * trailing `\n` / `\r\n`, the result is a range of the record's own bytes
 * (no allocation); otherwise it is unescaped into a buffer of its own.
 *
 * It answers only when it is sure to give what the general path gives
 * (`decodeJsonLineReference` in records.ts; a property test holds the two
 * equal): any other shape — other keys first, a repeated `log` key, keys an
 * ingest envelope is recognised by, non-string values, invalid UTF-8 in the
 * line, lone surrogates, anything JSON.parse would reject — returns undefined
 * and the caller takes the general path.
 */
import { isUtf8 } from "node:buffer";

/** The line a forwarder record carries: `bytes[start, end)`, its line end removed. */
export interface ForwarderLine {
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const CLOSE_BRACE = 0x7d;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const LETTER_N = 0x6e;
const LETTER_R = 0x72;
const LETTER_U = 0x75;

/** Length of `{"log":"`, which fluentd's and fluent-bit's JSON encoders write first (no spaces). */
const PREFIX_LENGTH = 8;

/**
 * Whether `data[start]` begins `{"log":"`. Spelled out: a loop over a prefix
 * array made the function's compiled code slower by half in some processes.
 */
function startsWithLogKey(data: Buffer, start: number): boolean {
  return (
    data[start] === 0x7b &&
    data[start + 1] === QUOTE &&
    data[start + 2] === 0x6c &&
    data[start + 3] === 0x6f &&
    data[start + 4] === 0x67 &&
    data[start + 5] === QUOTE &&
    data[start + 6] === COLON &&
    data[start + 7] === QUOTE
  );
}

/**
 * Keys after `log` that send a record to the general path: a second `log`
 * (JSON.parse keeps the last) and the keys of an ingest envelope (which takes
 * its line from `message` / `event`).
 */
const UNSAFE_KEYS: readonly Buffer[] = ["log", "id", "receivedAt", "receiver"].map((key) =>
  Buffer.from(key, "latin1"),
);

/**
 * JSON whitespace except "\n": callers hand in one line, so a newline never
 * occurs between tokens there, and refusing it means an accepted range never
 * spans two lines (strings refuse it too), which lets a caller hand in a
 * whole one-line record (records.ts, soleForwarderLine).
 */
function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === CARRIAGE_RETURN;
}

/**
 * End of the JSON string whose opening quote is at `open`: the index of its
 * closing quote, or -1 when it is not a string JSON.parse accepts (raw
 * control characters, bad escapes, unterminated).
 */
function stringEnd(data: Buffer, open: number, end: number): number {
  for (let i = open + 1; i < end; i++) {
    const byte = data[i] as number;
    if (byte === QUOTE) return i;
    if (byte < 0x20) return -1;
    if (byte === BACKSLASH) {
      const next = data[i + 1];
      if (next === LETTER_U) {
        if (i + 6 > end) return -1;
        for (let h = i + 2; h < i + 6; h++) if (!isHex(data[h])) return -1;
        i += 5;
      } else if (next !== undefined && isSimpleEscape(next) && i + 1 < end) {
        i++;
      } else {
        return -1;
      }
    }
  }
  return -1;
}

function isHex(byte: number | undefined): boolean {
  return (
    byte !== undefined &&
    ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66))
  );
}

/** `"`, `\`, `/`, `b`, `f`, `n`, `r`, `t`. */
function isSimpleEscape(byte: number): boolean {
  return simpleEscape(byte) >= 0;
}

function hexValue(byte: number): number {
  return byte <= 0x39 ? byte - 0x30 : (byte | 0x20) - 0x57;
}

function hasBackslash(data: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (data[i] === BACKSLASH) return true;
  return false;
}

/** Whether `data[start, end)` spells one of {@link UNSAFE_KEYS}. */
function isUnsafeKey(data: Buffer, start: number, end: number): boolean {
  for (const key of UNSAFE_KEYS) {
    if (end - start !== key.length) continue;
    let same = true;
    for (let i = 0; i < key.length && same; i++) same = data[start + i] === key[i];
    if (same) return true;
  }
  return false;
}

/**
 * Checks the rest of the object after the `log` string: only `,"key":"string"`
 * pairs with keys that cannot change the result, then `}` and whitespace.
 */
function restIsSafe(data: Buffer, at: number, end: number): boolean {
  const skip = (from: number): number => {
    while (from < end && isWhitespace(data[from])) from++;
    return from;
  };
  for (;;) {
    at = skip(at);
    if (at >= end) return false;
    if (data[at] === CLOSE_BRACE) return skip(at + 1) === end;
    if (data[at] !== COMMA) return false;
    at = skip(at + 1);
    if (at >= end || data[at] !== QUOTE) return false;
    const keyEnd = stringEnd(data, at, end);
    // An escaped key could spell an unsafe one; keys are plain in practice.
    if (keyEnd < 0 || hasBackslash(data, at + 1, keyEnd) || isUnsafeKey(data, at + 1, keyEnd)) {
      return false;
    }
    at = skip(keyEnd + 1);
    if (at >= end || data[at] !== COLON) return false;
    at = skip(at + 1);
    if (at >= end || data[at] !== QUOTE) return false;
    const valueEnd = stringEnd(data, at, end);
    if (valueEnd < 0) return false;
    at = valueEnd + 1;
  }
}

/** Unescaped lines are written into shared chunks of this size (lines keep their chunk alive). */
const ARENA_BYTES = 256 * 1024;
let arena = Buffer.allocUnsafe(0);
let arenaUsed = 0;

/** `out[o] = byte` for a simple escape's letter; -1 for a letter that is not one. */
function simpleEscape(letter: number): number {
  switch (letter) {
    case QUOTE:
    case BACKSLASH:
    case 0x2f:
      return letter;
    case 0x62:
      return 0x08;
    case 0x66:
      return 0x0c;
    case LETTER_N:
      return NEWLINE;
    case LETTER_R:
      return CARRIAGE_RETURN;
    case 0x74:
      return 0x09;
    default:
      return -1;
  }
}

/**
 * The line of a fluentd / fluent-bit record `data[start, end)` (one line of
 * the record's data, without its line terminator), or undefined when the
 * general path must decide.
 *
 * One pass over the `log` string unescapes it into a shared arena as it is
 * read (nginx lines always hold escaped quotes once wrapped in JSON; a line
 * without escapes is returned as a range of `data` instead), and a trailing
 * "\n" and then "\r" are dropped as the general path does.
 */
export function forwarderLine(data: Buffer, start: number, end: number): ForwarderLine | undefined {
  if (end - start < PREFIX_LENGTH + 2 || !startsWithLogKey(data, start)) return undefined;
  const first = start + PREFIX_LENGTH;
  // The result is never longer than the text; most lines hold escapes (an
  // nginx line always has quotes), so the bytes are copied while scanning.
  if (arena.length - arenaUsed < end - first) {
    arena = Buffer.allocUnsafe(Math.max(ARENA_BYTES, end - first));
    arenaUsed = 0;
  }
  const out = arena;
  const outStart = arenaUsed;
  let o = outStart;
  let highBytes = false;
  let escaped = false;
  let i = first;
  let close = -1;
  for (; i < end; i++) {
    const byte = data[i] as number;
    // Most bytes are printable ASCII after the quote: three comparisons send
    // them straight to the copy (measured faster than a lookup table).
    if (byte > QUOTE && byte < 0x80 && byte !== BACKSLASH) {
      out[o++] = byte;
      continue;
    }
    if (byte === QUOTE) {
      close = i;
      break;
    }
    if (byte === BACKSLASH) {
      escaped = true;
      const letter = data[++i] as number;
      if (letter === LETTER_U) {
        if (i + 5 > end) return undefined;
        let code = 0;
        for (let h = i + 1; h < i + 5; h++) {
          const digit = data[h] as number;
          if (!isHex(digit)) return undefined;
          code = (code << 4) | hexValue(digit);
        }
        i += 4;
        // Lone surrogates become U+FFFD on the general path; pairs are rare: leave both to it.
        if (code >= 0xd800 && code <= 0xdfff) return undefined;
        if (code < 0x80) {
          out[o++] = code;
        } else if (code < 0x800) {
          out[o++] = 0xc0 | (code >> 6);
          out[o++] = 0x80 | (code & 0x3f);
        } else {
          out[o++] = 0xe0 | (code >> 12);
          out[o++] = 0x80 | ((code >> 6) & 0x3f);
          out[o++] = 0x80 | (code & 0x3f);
        }
        continue;
      }
      const value = i < end ? simpleEscape(letter) : -1;
      if (value < 0) return undefined;
      out[o++] = value;
      continue;
    }
    if (byte < 0x20) return undefined;
    if (byte >= 0x80) highBytes = true;
    out[o++] = byte;
  }
  if (close < 0 || !restIsSafe(data, close + 1, end)) return undefined;
  if (highBytes && !isUtf8(data.subarray(first, close))) return undefined;
  if (escaped) {
    if (o > outStart && out[o - 1] === NEWLINE) o--;
    if (o > outStart && out[o - 1] === CARRIAGE_RETURN) o--;
    arenaUsed = o;
  }
  // Without escapes the line is the record's own bytes (the copy is dropped).
  // One return site for both cases: a second, rarely reached one (an object
  // literal or a call) had no type feedback, and in some processes the
  // compiled code then deoptimized there on every such line, which made the
  // whole batch about half again slower.
  return {
    bytes: escaped ? out : data,
    start: escaped ? outStart : first,
    end: escaped ? o : close,
  };
}
