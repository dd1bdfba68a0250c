import { createHash } from "node:crypto";
import type { IngestEnvelope } from "../../lib/ingest-record";
import type { LogLine } from "./body";
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
