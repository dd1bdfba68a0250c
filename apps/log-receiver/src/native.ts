import path from "node:path";

/** What the native `encodeLines` settles with (see apps/log-receiver/native/src/receiver_native.c). */
export type NativeEncodeResult =
  | { readonly data: Buffer; readonly ends: Uint32Array; readonly indexes: Uint32Array }
  | { readonly error: "line_too_long"; readonly index: number }
  | { readonly error: "too_many_lines" };

/** What the native `decodeAndEncode` settles with: an encode result, a gzip problem, or the body to finish in TypeScript. */
export type NativeDecodeResult =
  | NativeEncodeResult
  | { readonly error: "bad_gzip"; readonly message: string }
  | { readonly error: "decompressed_too_large" }
  | { readonly body: Buffer };

/** How `decodeAndEncode` is told the body format. */
export const NATIVE_FORMAT = { ndjson: 0, text: 1, json: 2 } as const;

/**
 * The native hot path: splits a prepared body into lines and writes every
 * envelope in one pass of C (the JSON validation and the escaping are byte
 * loops that run several times faster there than in JavaScript), on libuv's
 * thread pool so the event loop keeps serving connections meanwhile. The
 * TypeScript `splitBody` + `encodeEnvelopes` stay the reference; the property
 * tests hold the two byte-for-byte equal.
 */
export interface NativeEncoder {
  encodeLines(
    body: Buffer,
    from: number,
    plainText: boolean,
    maxLineBytes: number,
    maxLines: number,
    head: Buffer,
    eventMiddle: Buffer,
    messageMiddle: Buffer,
  ): Promise<NativeEncodeResult>;

  /**
   * Inflates a gzip body (as zlib.gunzip would, stopping at
   * `maxDecompressed`) and encodes it like `encodeLines` with
   * `prepareBody`'s checks, all on the thread pool. Bodies that need
   * TypeScript (invalid UTF-8, JSON arrays) come back inflated as `body`.
   */
  decodeAndEncode(
    gzipped: Buffer,
    maxDecompressed: number,
    format: (typeof NATIVE_FORMAT)[keyof typeof NATIVE_FORMAT],
    maxLineBytes: number,
    maxLines: number,
    head: Buffer,
    eventMiddle: Buffer,
    messageMiddle: Buffer,
  ): Promise<NativeDecodeResult>;
}

const ADDON = "receiver_native.node";

/**
 * Where the addon may be: beside the bundled entry (the container copies it
 * to /app) or where `npm ci` built it (`npm run build:native`).
 */
const CANDIDATES = [path.join(__dirname, ADDON), path.resolve(__dirname, "../native/build/Release", ADDON)];

let loaded: { encoder?: NativeEncoder; problem?: string } | undefined;

/**
 * Loads the native encoder once. Returns it, or the reason it is unavailable
 * (not built, or built for another Node ABI); the receiver then runs the
 * TypeScript path, which gives the same bytes, only slower.
 */
export function loadNativeEncoder(): { encoder?: NativeEncoder; problem?: string } {
  if (loaded !== undefined) return loaded;
  const problems: string[] = [];
  for (const file of CANDIDATES) {
    const module = { exports: {} as Partial<NativeEncoder> };
    try {
      // dlopen instead of require: bundlers leave it alone, and the path is ours.
      process.dlopen(module, file);
    } catch (error) {
      problems.push(`${file}: ${(error as Error).message.split("\n", 1)[0] ?? ""}`);
      continue;
    }
    if (
      typeof module.exports.encodeLines === "function" &&
      typeof module.exports.decodeAndEncode === "function"
    ) {
      return (loaded = { encoder: module.exports as NativeEncoder });
    }
    problems.push(`${file}: not this version of the addon (rebuild: npm run build:native)`);
  }
  return (loaded = { problem: problems.join("; ") });
}
