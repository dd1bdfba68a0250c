/**
 * A validating JSON scanner over UTF-8 bytes: says whether `JSON.parse` would
 * accept the text, without decoding it to a string or building any value.
 *
 * Why: the receiver only needs the verdict (the line is then embedded as raw
 * bytes), and `JSON.parse` on a line costs a string decode, an object graph
 * and, for the many lines that are not JSON, a thrown exception — most of the
 * per-line budget at hundreds of thousands of lines per second.
 *
 * The input must be valid UTF-8 (the receiver checks the whole body first):
 * then every non-ASCII byte belongs to a code point that JSON allows inside a
 * string and nowhere else, so bytes ≥ 0x80 need no decoding.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;

/** Byte classes, one table lookup per byte instead of comparison chains. */
const WHITESPACE = new Uint8Array(256);
const DIGIT = new Uint8Array(256);
const HEX = new Uint8Array(256);
/** Characters that may follow a backslash (besides `u`). */
const SIMPLE_ESCAPE = new Uint8Array(256);
/** Bytes that end the plain run of a string: quote, backslash, control characters. */
const STRING_SPECIAL = new Uint8Array(256);
for (const c of " \t\n\r") WHITESPACE[c.charCodeAt(0)] = 1;
for (const c of "0123456789") DIGIT[c.charCodeAt(0)] = HEX[c.charCodeAt(0)] = 1;
for (const c of "abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;
for (let c = 0; c < 0x20; c++) STRING_SPECIAL[c] = 1;
STRING_SPECIAL[QUOTE] = STRING_SPECIAL[BACKSLASH] = 1;

/**
 * Open containers, innermost last: 1 for an object, 0 for an array. Shared
 * and grown on demand (nesting is bounded only by the line length, and
 * `JSON.parse` itself has no depth limit), so a scan allocates nothing.
 */
let containers = new Uint8Array(64);

/**
 * True when the bytes `[start, end)` are exactly one JSON text (RFC 8259, as
 * `JSON.parse` reads it: one value, optionally surrounded by space, tab, CR
 * or LF).
 */
export function isJsonText(bytes: Uint8Array, start: number, end: number): boolean {
  const valueEnd = scanValue(bytes, skipWhitespace(bytes, start, end), end);
  return valueEnd >= 0 && skipWhitespace(bytes, valueEnd, end) === end;
}

/**
 * Where the one JSON value that starts at `start` (no whitespace before it)
 * ends: the index just past it, or -1 when no valid value starts there
 * before `end`. What follows the value is not looked at, so this also finds
 * the elements of an array. Iterative, so arbitrarily deep nesting cannot
 * overflow the stack.
 */
export function scanValue(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let depth = 0;
  for (;;) {
    // Here a value is expected at i.
    if (i >= end) return -1;
    const c = bytes[i] as number;
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const object = c === OPEN_OBJECT;
      i = skipWhitespace(bytes, i + 1, end);
      if (i < end && bytes[i] === (object ? CLOSE_OBJECT : CLOSE_ARRAY)) {
        i++; // empty container: a complete value
      } else {
        if (depth === containers.length) {
          const grown = new Uint8Array(depth * 2);
          grown.set(containers);
          containers = grown;
        }
        containers[depth++] = object ? 1 : 0;
        if (object) {
          i = scanMemberName(bytes, i, end);
          if (i < 0) return -1;
        }
        continue; // the first element or member value
      }
    } else if (c === QUOTE) {
      i = scanString(bytes, i, end);
    } else if (c === MINUS || DIGIT[c] === 1) {
      i = scanNumber(bytes, i, end);
    } else if (c === 0x74 /* t */) {
      i = scanLiteral(bytes, i, end, TRUE);
    } else if (c === 0x66 /* f */) {
      i = scanLiteral(bytes, i, end, FALSE);
    } else if (c === 0x6e /* n */) {
      i = scanLiteral(bytes, i, end, NULL);
    } else {
      return -1;
    }
    if (i < 0) return -1;
    // A value ended at i: close containers or move to the next element.
    for (;;) {
      if (depth === 0) return i;
      i = skipWhitespace(bytes, i, end);
      if (i >= end) return -1;
      const next = bytes[i] as number;
      const object = containers[depth - 1] === 1;
      if (next === COMMA) {
        i = skipWhitespace(bytes, i + 1, end);
        if (object) {
          i = scanMemberName(bytes, i, end);
          if (i < 0) return -1;
        }
        break; // the next value
      }
      if (next !== (object ? CLOSE_OBJECT : CLOSE_ARRAY)) return -1;
      depth--;
      i++;
    }
  }
}

/**
 * Copies the JSON text `[start, end)` (valid, see {@link scanValue}) to `out`
 * at `pos` without the whitespace between its tokens; returns the new
 * position. Every token is copied byte for byte — numbers as written (no
 * rounding of `1e400` or of big integers), strings with their escapes,
 * duplicate keys kept — and the result holds no raw line break, so it can
 * be one line of NDJSON.
 */
export function copyCompact(
  bytes: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  pos: number,
): number {
  let inString = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    if (inString) {
      out[pos++] = c;
      if (c === BACKSLASH) out[pos++] = bytes[++i] as number;
      else if (c === QUOTE) inString = false;
    } else if (WHITESPACE[c] !== 1) {
      out[pos++] = c;
      if (c === QUOTE) inString = true;
    }
  }
  return pos;
}

/** The index of the first byte at or after `i` that is not JSON whitespace (space, tab, LF, CR). */
export function skipWhitespace(bytes: Uint8Array, i: number, end: number): number {
  while (i < end && WHITESPACE[bytes[i] as number] === 1) i++;
  return i;
}

/** `"name" :` followed by optional whitespace; returns the index of the value, or -1. */
function scanMemberName(bytes: Uint8Array, i: number, end: number): number {
  if (i >= end || bytes[i] !== QUOTE) return -1;
  i = scanString(bytes, i, end);
  if (i < 0) return -1;
  i = skipWhitespace(bytes, i, end);
  if (i >= end || bytes[i] !== COLON) return -1;
  return skipWhitespace(bytes, i + 1, end);
}

/** A string starting at the quote at i; returns the index after its closing quote, or -1. */
function scanString(bytes: Uint8Array, i: number, end: number): number {
  i++;
  while (i < end) {
    const c = bytes[i] as number;
    if (STRING_SPECIAL[c] === 0) {
      i++;
      continue;
    }
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      if (i + 1 >= end) return -1;
      const e = bytes[i + 1] as number;
      if (SIMPLE_ESCAPE[e] === 1) {
        i += 2;
      } else if (e === 0x75 /* u */) {
        if (i + 6 > end) return -1;
        for (let k = i + 2; k < i + 6; k++) if (HEX[bytes[k] as number] !== 1) return -1;
        i += 6;
      } else {
        return -1;
      }
    } else {
      return -1; // a control character: it must be escaped
    }
  }
  return -1;
}

/** `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` from i; returns the index after it, or -1. */
function scanNumber(bytes: Uint8Array, i: number, end: number): number {
  if (bytes[i] === MINUS) i++;
  if (i >= end) return -1;
  if (bytes[i] === ZERO) {
    i++;
  } else {
    if (DIGIT[bytes[i] as number] !== 1) return -1;
    while (i < end && DIGIT[bytes[i] as number] === 1) i++;
  }
  if (i < end && bytes[i] === DOT) {
    i++;
    if (i >= end || DIGIT[bytes[i] as number] !== 1) return -1;
    while (i < end && DIGIT[bytes[i] as number] === 1) i++;
  }
  if (i < end && (bytes[i] === 0x65 /* e */ || bytes[i] === 0x45) /* E */) {
    i++;
    if (i < end && (bytes[i] === PLUS || bytes[i] === MINUS)) i++;
    if (i >= end || DIGIT[bytes[i] as number] !== 1) return -1;
    while (i < end && DIGIT[bytes[i] as number] === 1) i++;
  }
  return i;
}

const TRUE = Buffer.from("true");
const FALSE = Buffer.from("false");
const NULL = Buffer.from("null");

function scanLiteral(bytes: Uint8Array, i: number, end: number, literal: Uint8Array): number {
  if (i + literal.length > end) return -1;
  for (let k = 0; k < literal.length; k++) if (bytes[i + k] !== literal[k]) return -1;
  return i + literal.length;
}
