import assert from "node:assert/strict";
import zlib from "node:zlib";
import fc from "fast-check";
import type { BodyFormat, LineLimits } from "../src/body";
import type { BodyLimits, EncodedBody } from "../src/encode-body";
import { encodeBody, encodeRequest } from "../src/encode-body";
import { envelopeTemplate } from "../src/envelope";
import { HttpError } from "../src/errors";
import { loadNativeEncoder } from "../src/native";
import { body, format } from "./arbitraries";

const TEMPLATE = envelopeTemplate({
  idBase: "9f2c",
  receivedAt: "2024-01-01T00:00:00.000Z",
  receiver: "ip-10-0-1-5",
  client: "198.51.100.7",
  source: "office-pcs",
});
const LIMITS: LineLimits = { maxLineBytes: 1e6, maxLines: 1e6 };

function nativeEncoder() {
  const { encoder, problem } = loadNativeEncoder();
  assert.ok(encoder, `the native encoder must be built by npm ci (npm run build:native): ${problem ?? ""}`);
  return encoder;
}

/** What one implementation made of a body: its bytes and positions, or its error. */
async function outcome(
  bytes: Buffer,
  fmt: BodyFormat,
  limits: LineLimits,
  native: boolean,
): Promise<{ data: string; ends: number[]; indexes: number[] } | { error: string }> {
  let encoded: EncodedBody;
  try {
    encoded = await encodeBody(bytes, fmt, limits, TEMPLATE, native ? nativeEncoder() : undefined);
  } catch (error) {
    assert.ok(error instanceof HttpError, String(error));
    return { error: `${error.status} ${error.reason}: ${error.message}` };
  }
  assert.equal(encoded.ends.length, encoded.count);
  assert.equal(encoded.indexes.length, encoded.count);
  return { data: encoded.data.toString("latin1"), ends: [...encoded.ends], indexes: [...encoded.indexes] };
}

async function assertSameAsReference(bytes: Buffer, fmt: BodyFormat, limits: LineLimits = LIMITS) {
  assert.deepEqual(await outcome(bytes, fmt, limits, true), await outcome(bytes, fmt, limits, false));
}

describe("native encoder (apps/log-receiver/native)", () => {
  it("is built and loads", () => {
    assert.equal(typeof nativeEncoder().encodeLines, "function");
  });

  it("writes byte for byte what the TypeScript reference writes, for any body and format", async () => {
    await fc.assert(
      fc.asyncProperty(body, format, (text, fmt) => assertSameAsReference(Buffer.from(text, "utf8"), fmt)),
      { numRuns: 500 },
    );
  });

  it("treats invalid UTF-8 like the reference (repaired to U+FFFD first)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), format, (raw, fmt) =>
        assertSameAsReference(Buffer.from(raw), fmt),
      ),
      { numRuns: 500 },
    );
  });

  it("refuses the same line, with the same error, when a limit is hit", async () => {
    const limits = fc.record({
      maxLineBytes: fc.integer({ min: 0, max: 40 }),
      maxLines: fc.integer({ min: 0, max: 8 }),
    });
    await fc.assert(
      fc.asyncProperty(body, format, limits, (text, fmt, lim) =>
        assertSameAsReference(Buffer.from(text, "utf8"), fmt, lim),
      ),
      { numRuns: 500 },
    );
  });

  it("accepts nesting far deeper than its inline stack, and escapes every control character", async () => {
    const deep = "[".repeat(5000) + "]".repeat(5000);
    const controls = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)).join("");
    const text = [deep, `{"a":${deep}}`, `${deep}]`, `say "hi" \\ ${controls.replace(/\n/g, "")} end`].join(
      "\n",
    );
    await assertSameAsReference(Buffer.from(text, "utf8"), "ndjson");
    const encoded = await encodeBody(Buffer.from(text, "utf8"), "ndjson", LIMITS, TEMPLATE, nativeEncoder());
    const kinds = encoded.data
      .toString("utf8")
      .split("\n")
      .map((envelope) => Object.keys(JSON.parse(envelope) as object).at(-1));
    assert.deepEqual(kinds, ["event", "event", "message", "message"]);
  });

  it("gives an empty result for a body of blank lines", async () => {
    const encoded = await encodeBody(
      Buffer.from(" \n\r\n\u3000\n"),
      "ndjson",
      LIMITS,
      TEMPLATE,
      nativeEncoder(),
    );
    assert.equal(encoded.count, 0);
    assert.equal(encoded.data.length, 0);
  });
});

describe("native decode-and-encode (gzip bodies with an Idempotency-Key)", () => {
  const CONTEXT = {
    idBase: "9f2c",
    receivedAt: "2024-01-01T00:00:00.000Z",
    receiver: "ip-10-0-1-5",
    client: "198.51.100.7",
    source: "office-pcs",
  };
  const BIG: BodyLimits = { maxLineBytes: 1e6, maxLines: 1e6, maxDecompressedBytes: 16 * 1024 * 1024 };

  async function requestOutcome(raw: Buffer, fmt: BodyFormat, limits: BodyLimits, native: boolean) {
    try {
      const { batch, idBase } = await encodeRequest(
        raw,
        "gzip",
        fmt,
        limits,
        CONTEXT,
        native ? nativeEncoder() : undefined,
      );
      return {
        idBase,
        data: batch.data.toString("latin1"),
        ends: [...batch.ends],
        indexes: [...batch.indexes],
      };
    } catch (error) {
      assert.ok(error instanceof HttpError, String(error));
      return { error: `${error.status} ${error.reason}: ${error.message}` };
    }
  }

  async function assertSameRequest(raw: Buffer, fmt: BodyFormat, limits: BodyLimits = BIG) {
    assert.deepEqual(
      await requestOutcome(raw, fmt, limits, true),
      await requestOutcome(raw, fmt, limits, false),
    );
  }

  it("inflates and encodes exactly like decodeBody + the TypeScript path, limits included", async () => {
    const limits = fc.record({
      maxLineBytes: fc.integer({ min: 0, max: 60 }),
      maxLines: fc.integer({ min: 0, max: 12 }),
      maxDecompressedBytes: fc.integer({ min: 1, max: 400 }),
    });
    await fc.assert(
      fc.asyncProperty(body, format, fc.option(limits, { nil: undefined }), (text, fmt, lim) =>
        assertSameRequest(zlib.gzipSync(Buffer.from(text, "utf8")), fmt, lim ?? BIG),
      ),
      { numRuns: 400 },
    );
  });

  it("hands invalid UTF-8 and JSON arrays back to TypeScript with the same result", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), format, (raw, fmt) =>
        assertSameRequest(zlib.gzipSync(raw), fmt),
      ),
      { numRuns: 300 },
    );
    await assertSameRequest(zlib.gzipSync(' \n [{"a":1}, 2, "x"]'), "json");
    await assertSameRequest(zlib.gzipSync("\u3000[1]"), "json");
  });

  it("reads several gzip members and ignores trailing zero bytes, as zlib.gunzip does", async () => {
    const members = Buffer.concat([zlib.gzipSync("one\n"), zlib.gzipSync("two\n"), Buffer.alloc(7)]);
    await assertSameRequest(members, "text");
    const { batch } = await encodeRequest(members, "gzip", "text", BIG, CONTEXT, nativeEncoder());
    assert.equal(batch.count, 2);
  });

  it("refuses corrupt, truncated and over-limit gzip with the same status and reason", async () => {
    const good = zlib.gzipSync(Buffer.from("x".repeat(5000) + "\nhello\n"));
    const corrupt = Buffer.from(good);
    corrupt[12] = (corrupt[12] ?? 0) ^ 0xff;
    for (const raw of [
      Buffer.from("not gzip at all"),
      good.subarray(0, good.length - 9),
      corrupt,
      Buffer.concat([good, Buffer.from("garbage")]),
    ]) {
      const native = await requestOutcome(raw, "ndjson", BIG, true);
      assert.match(native.error ?? "", /^400 bad_gzip/, JSON.stringify(native));
      assert.deepEqual(native, await requestOutcome(raw, "ndjson", BIG, false));
    }
    const bomb = zlib.gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x61));
    const refused = await requestOutcome(bomb, "text", { ...BIG, maxDecompressedBytes: 1024 * 1024 }, true);
    assert.deepEqual(refused, {
      error: "413 decompressed_too_large: Decompressed body is larger than 1048576 bytes",
    });
    await assertSameRequest(bomb, "text", { ...BIG, maxDecompressedBytes: 1024 * 1024 });
  });
});
