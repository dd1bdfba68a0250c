import type { BodyEncoding, BodyFormat, LineLimits } from "./body";
import { lineTooLong, prepareBody, splitLines, tooManyLines } from "./body";
import { badGzip, decodeBody, decompressedTooLarge } from "./decode";
import type { EncodedBatch, EnvelopeContext, EnvelopeTemplate } from "./envelope";
import { encodeEnvelopes, envelopeParts, envelopeTemplate, idBaseFromBody } from "./envelope";
import type { NativeDecodeResult, NativeEncoder } from "./native";
import { NATIVE_FORMAT } from "./native";

/** A request's envelopes, and which body line each one came from. */
export interface EncodedBody extends EncodedBatch {
  /** Position in the body of the line behind envelope `i` (blank lines keep their index). */
  readonly indexes: Uint32Array;
}

/** Limits that apply to a request body once it is received. */
export interface BodyLimits extends LineLimits {
  readonly maxDecompressedBytes: number;
}

/** The native encoder reads numbers as unsigned 32-bit. */
const UINT32_MAX = 0xffffffff;
const uint32 = (value: number): number => Math.min(value, UINT32_MAX);

/**
 * Decodes a request body and writes its envelopes. `context.idBase` is the
 * id prefix when the request carried an Idempotency-Key; without one it is
 * derived from the decompressed body ({@link idBaseFromBody}), which must
 * then be decoded first. With the native encoder and a known prefix, a gzip
 * body is inflated, split and encoded in one thread-pool job.
 * @returns the envelopes and the id prefix they use.
 * @throws HttpError 400 (bad gzip, bad JSON array) or 413 (a limit).
 */
export async function encodeRequest(
  raw: Buffer,
  encoding: BodyEncoding,
  format: BodyFormat,
  limits: BodyLimits,
  context: Omit<EnvelopeContext, "idBase"> & { readonly idBase?: string },
  native?: NativeEncoder,
): Promise<{ readonly batch: EncodedBody; readonly idBase: string }> {
  const templateFor = (idBase: string): EnvelopeTemplate => envelopeTemplate({ ...context, idBase });
  const known = context.idBase;
  if (native !== undefined && encoding === "gzip" && known !== undefined) {
    const template = templateFor(known);
    const { head, eventMiddle, messageMiddle } = envelopeParts(template);
    const result = await native.decodeAndEncode(
      raw,
      uint32(limits.maxDecompressedBytes),
      NATIVE_FORMAT[format],
      uint32(limits.maxLineBytes),
      uint32(limits.maxLines),
      head,
      eventMiddle,
      messageMiddle,
    );
    const batch =
      "body" in result
        ? await encodeBody(result.body, format, limits, template, native)
        : encodedOrThrow(result, limits);
    return { batch, idBase: known };
  }
  const body = await decodeBody(raw, encoding, limits.maxDecompressedBytes);
  const idBase = known ?? idBaseFromBody(context.source, context.client, body);
  return { batch: await encodeBody(body, format, limits, templateFor(idBase), native), idBase };
}

/**
 * Splits a decoded body into lines and writes their envelopes: with the
 * native encoder when one is given and the body is lines (NDJSON or text),
 * else with the TypeScript reference (JSON arrays always, they need a real
 * parse). Both give the same bytes and the same errors.
 * @throws HttpError 400 for a malformed JSON array, 413 when a limit is exceeded.
 */
export async function encodeBody(
  body: Buffer,
  format: BodyFormat,
  limits: LineLimits,
  template: EnvelopeTemplate,
  native?: NativeEncoder,
): Promise<EncodedBody> {
  const prepared = prepareBody(body, format);
  if (native === undefined || prepared.layout === "array") {
    const lines = splitLines(prepared, limits);
    return { ...encodeEnvelopes(template, lines), indexes: lines.indexes.subarray(0, lines.count) };
  }
  const { head, eventMiddle, messageMiddle } = envelopeParts(template);
  const result = await native.encodeLines(
    prepared.bytes,
    prepared.from,
    prepared.layout === "text",
    uint32(limits.maxLineBytes),
    uint32(limits.maxLines),
    head,
    eventMiddle,
    messageMiddle,
  );
  return encodedOrThrow(result, limits);
}

/** The batch of a native result, or the HttpError the TypeScript path throws for the same body. */
function encodedOrThrow(
  result: Exclude<NativeDecodeResult, { readonly body: Buffer }>,
  limits: LineLimits & Partial<BodyLimits>,
): EncodedBody {
  if (!("error" in result)) {
    return { data: result.data, ends: result.ends, indexes: result.indexes, count: result.ends.length };
  }
  switch (result.error) {
    case "line_too_long":
      throw lineTooLong(result.index, limits.maxLineBytes);
    case "too_many_lines":
      throw tooManyLines(limits.maxLines);
    case "bad_gzip":
      throw badGzip(result.message);
    case "decompressed_too_large":
      // Only decodeAndEncode reports it, and it is always given BodyLimits.
      throw decompressedTooLarge(limits.maxDecompressedBytes ?? UINT32_MAX);
  }
}
