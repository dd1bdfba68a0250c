import { createHash } from "node:crypto";
import type { IngestEnvelope } from "../../lib/ingest-record";
import type { LineTable, LogLine } from "./body";
import { HttpError } from "./errors";

/** The per-request fields every envelope of a request shares. */
export interface EnvelopeContext {
  /** Hex prefix of every id of the request, see {@link idBaseFromKey} / {@link idBaseFromBody}. */
  readonly idBase: string;
  readonly receivedAt: string;
  readonly receiver: string;
  readonly client: string;
  readonly source: string;
}

/**
 * The envelope text minus the id and the line value: built once per request so
 * each line costs a few string concatenations instead of a JSON.stringify of
 * an object (the hot path at tens of thousands of lines per second).
 */
export interface EnvelopeTemplate {
  readonly idBase: string;
  /** `","receivedAt":…,"source":"…",` — everything between the id and the value field. */
  readonly middle: string;
}

/** Field order of {@link IngestEnvelope} as written; keeps the template and the type in step. */
const SHARED_FIELDS = [
  "receivedAt",
  "receiver",
  "client",
  "source",
] as const satisfies readonly (keyof IngestEnvelope)[];

/** Builds the per-request template; every string goes through JSON.stringify, so any value stays valid JSON. */
export function envelopeTemplate(context: EnvelopeContext): EnvelopeTemplate {
  const fields = SHARED_FIELDS.map((name) => `"${name}":${JSON.stringify(context[name])}`).join(",");
  return { idBase: context.idBase, middle: `",${fields},` };
}

/** The id of line `index` of a request whose ids start with `idBase`. */
export function lineId(idBase: string, index: number): string {
  return `${idBase}-${index}`;
}

/**
 * One envelope as a single line of JSON (an {@link IngestEnvelope}). The id is
 * `<idBase>-<index>`; `idBase` is hex, so it needs no escaping.
 */
export function encodeEnvelope(template: EnvelopeTemplate, line: LogLine): string {
  return (
    '{"id":"' +
    template.idBase +
    "-" +
    line.index +
    template.middle +
    '"' +
    line.field +
    '":' +
    line.json +
    "}"
  );
}

/** The constant bytes of every envelope of a request, around the line's index and value. */
export interface EnvelopeParts {
  /** `{"id":"<idBase>-`, followed by the line's index. */
  readonly head: Buffer;
  /** After the index of an event, followed by the event's JSON text. */
  readonly eventMiddle: Buffer;
  /** After the index of a message, followed by the escaped message and `"`. */
  readonly messageMiddle: Buffer;
}

/** The bytes {@link encodeEnvelopes} (and the native encoder) write around each line. */
export function envelopeParts(template: EnvelopeTemplate): EnvelopeParts {
  return {
    head: Buffer.from(`{"id":"${template.idBase}-`, "utf8"),
    eventMiddle: Buffer.from(`${template.middle}"event":`, "utf8"),
    messageMiddle: Buffer.from(`${template.middle}"message":"`, "utf8"),
  };
}

/**
 * Constant bytes per envelope of a request with this context: the parts of
 * {@link envelopeParts} (the longer middle), a 10-digit index at most, and
 * the closing `"`, `}` and `\n`. The memory budget charges it per line.
 */
export function envelopeOverhead(context: Omit<EnvelopeContext, "idBase">): number {
  const { head, eventMiddle, messageMiddle } = envelopeParts(
    envelopeTemplate({ ...context, idBase: "0".repeat(ID_HEX_CHARS) }),
  );
  return head.length + Math.max(eventMiddle.length, messageMiddle.length) + 10 + 3;
}

/** The envelopes of one request as NDJSON bytes, ready to be cut into records. */
export interface EncodedBatch {
  /** Envelopes joined by `\n` (none after the last). */
  readonly data: Buffer;
  /** Number of envelopes. */
  readonly count: number;
  /** Byte offset just past envelope `i` in `data` (where its separator is). */
  readonly ends: Uint32Array;
}

/**
 * What `escape` writes for each byte of a message: 0 = the byte itself, else
 * the second character of a two-character escape, or 1 for `\u00XX`.
 * Only `"`, `\` and control characters need escaping in a JSON string; all
 * other bytes (UTF-8 included) are copied, so the output is the same as
 * JSON.stringify's for well-formed input.
 */
const ESCAPE = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) ESCAPE[c] = 1;
for (const [c, e] of [
  ["\b", "b"],
  ["\t", "t"],
  ["\n", "n"],
  ["\f", "f"],
  ["\r", "r"],
  ['"', '"'],
  ["\\", "\\"],
] as const)
  ESCAPE[c.charCodeAt(0)] = e.charCodeAt(0);
const HEX_DIGITS = Buffer.from("0123456789abcdef");

/** Longest envelope of a line of `length` bytes beyond the constant parts: 6 bytes per byte (`\u00XX`), 10 index digits, `"`, `}`, `\n`. */
function worstCase(length: number): number {
  return length * 6 + 13;
}

/**
 * Writes the envelope of every line of `lines` as NDJSON, byte for byte what
 * {@link encodeEnvelope} would give for each (the property tests hold the two
 * to that). The per-request parts are encoded once; each line then costs a
 * few copies: events are copied verbatim (already validated), messages are
 * copied with JSON escaping in the same pass.
 */
export function encodeEnvelopes(template: EnvelopeTemplate, lines: LineTable): EncodedBatch {
  const { head, eventMiddle, messageMiddle } = envelopeParts(template);
  const fixed = head.length + Math.max(messageMiddle.length, eventMiddle.length);
  const { bytes, count, starts, ends: lineEnds, indexes, events } = lines;
  // Exact unless messages need escapes, in which case the buffer grows.
  let out = Buffer.allocUnsafe(bytes.length + count * (fixed + 14));
  let pos = 0;
  const ends = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const start = starts[i] as number;
    const end = lineEnds[i] as number;
    const needed = pos + fixed + worstCase(end - start);
    if (needed > out.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, out.length * 2));
      out.copy(grown, 0, 0, pos);
      out = grown;
    }
    out.set(head, pos);
    pos += head.length;
    pos = writeDecimal(out, pos, indexes[i] as number);
    if (events[i] === 1) {
      out.set(eventMiddle, pos);
      pos += eventMiddle.length;
      pos += bytes.copy(out, pos, start, end);
    } else {
      out.set(messageMiddle, pos);
      pos += messageMiddle.length;
      pos = escape(bytes, start, end, out, pos);
      out[pos++] = 0x22; // "
    }
    out[pos++] = 0x7d; // }
    ends[i] = pos;
    out[pos++] = 0x0a; // \n
  }
  return { data: out.subarray(0, Math.max(0, pos - 1)), count, ends };
}

function writeDecimal(out: Buffer, pos: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  for (let k = pos + digits - 1, rest = value; k >= pos; k--, rest = Math.floor(rest / 10)) {
    out[k] = 0x30 + (rest % 10);
  }
  return pos + digits;
}

/** Copies `bytes[start, end)` into `out` at `pos` as the inside of a JSON string; returns the new position. */
function escape(bytes: Buffer, start: number, end: number, out: Buffer, pos: number): number {
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    // Comparisons first: measurably faster than the table for the usual byte.
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
      out[pos++] = c;
      continue;
    }
    const e = ESCAPE[c] as number;
    if (e === 1) {
      out[pos++] = 0x5c; // \
      out[pos++] = 0x75; // u
      out[pos++] = 0x30;
      out[pos++] = 0x30;
      out[pos++] = HEX_DIGITS[c >> 4] as number;
      out[pos++] = HEX_DIGITS[c & 15] as number;
    } else {
      out[pos++] = 0x5c;
      out[pos++] = e;
    }
  }
  return pos;
}

const ID_HEX_CHARS = 32; // 128 bits: collisions between distinct batches are not a practical concern.
const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/**
 * Id prefix for a request that carries an Idempotency-Key: the same key from
 * the same token always maps to the same ids, so a retried batch does not
 * create new lines. The token name is mixed in so one client cannot collide
 * with (or shadow) another client's ids by reusing its key.
 * @throws HttpError 400 when the key is not 1–200 printable ASCII characters.
 */
export function idBaseFromKey(source: string, key: string): string {
  if (!KEY_PATTERN.test(key)) {
    throw new HttpError(
      400,
      "bad_idempotency_key",
      "Idempotency-Key must be 1 to 200 printable ASCII characters without spaces",
    );
  }
  return createHash("sha256").update(`key\0${source}\0${key}`).digest("hex").slice(0, ID_HEX_CHARS);
}

/**
 * Id prefix for a request without a key: a hash of the decompressed body, the
 * token name and the client address, so an identical retry from the same
 * client gets the same ids. Identical bodies from other clients (same
 * heartbeat line from two PCs) still get different ids.
 */
export function idBaseFromBody(source: string, client: string, body: Uint8Array): string {
  return createHash("sha256")
    .update(`body\0${source}\0${client}\0`)
    .update(body)
    .digest("hex")
    .slice(0, ID_HEX_CHARS);
}

/**
 * The client address as recorded in envelopes: IPv4 clients accepted on a
 * dual-stack socket show up as `::ffff:a.b.c.d`; record the plain IPv4 form.
 */
export function clientAddress(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return "unknown";
  return remoteAddress.startsWith("::ffff:") && remoteAddress.includes(".")
    ? remoteAddress.slice("::ffff:".length)
    : remoteAddress;
}
