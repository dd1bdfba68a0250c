import assert from "node:assert/strict";
import zlib from "node:zlib";
import fc from "fast-check";
import { isIngestEnvelope } from "../../lib/ingest-record";
import { parseBody, splitBody } from "../src/body";
import { decodeBody } from "../src/decode";
import type { EncodedBatch } from "../src/envelope";
import { encodeEnvelope, encodeEnvelopes, envelopeTemplate } from "../src/envelope";
import { HttpError } from "../src/errors";
import { cutRecords } from "../src/pack";
import { body, format } from "./arbitraries";

const LIMITS = { maxLineBytes: 1e6, maxLines: 1e6 };
const TEMPLATE = envelopeTemplate({
  idBase: "0f",
  receivedAt: "2024-01-01T00:00:00.000Z",
  receiver: "r",
  client: "c",
  source: "s",
});

function envelopesOf(batch: EncodedBatch): string[] {
  return batch.count === 0 ? [] : batch.data.toString("utf8").split("\n");
}

/** Independent of the scanner: the line as JSON.parse sees it. */
function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe("byte-level envelope encoding", () => {
  it("writes exactly the envelopes encodeEnvelope gives for each line, joined by newlines", () => {
    fc.assert(
      fc.property(body, format, (text, fmt) => {
        let expected: string[];
        try {
          expected = parseBody(text, fmt, LIMITS).map((l) => encodeEnvelope(TEMPLATE, l));
        } catch (error) {
          // A malformed JSON array: both views refuse it the same way.
          assert.ok(error instanceof HttpError);
          assert.throws(() => splitBody(Buffer.from(text, "utf8"), fmt, LIMITS), HttpError);
          return;
        }
        const batch = encodeEnvelopes(TEMPLATE, splitBody(Buffer.from(text, "utf8"), fmt, LIMITS));
        assert.deepEqual(envelopesOf(batch), expected);
        assert.equal(batch.count, expected.length);
        batch.ends.forEach((end, i) => {
          assert.equal(end, i === batch.count - 1 ? batch.data.length : batch.data.indexOf(10, end));
        });
      }),
      { numRuns: 500 },
    );
  });

  it("keeps every NDJSON line: as event exactly when JSON.parse accepts it, else as the verbatim message", () => {
    fc.assert(
      fc.property(body, (text) => {
        const physical = text.replace(/^\ufeff/, "").split("\n");
        const lines = splitBody(Buffer.from(text, "utf8"), "ndjson", LIMITS);
        const envelopes = envelopesOf(encodeEnvelopes(TEMPLATE, lines));
        assert.equal(envelopes.length, physical.filter((l) => l.trim() !== "").length);
        envelopes.forEach((envelope, i) => {
          const parsed = JSON.parse(envelope) as Record<string, unknown>;
          assert.ok(isIngestEnvelope(parsed));
          const index = lines.indexes[i] as number;
          assert.equal(parsed.id, `0f-${index}`);
          const original = (physical[index] as string).replace(/\r$/, "");
          if (parsesAsJson(original)) assert.deepEqual(parsed.event, JSON.parse(original));
          else assert.equal(parsed.message, original);
        });
      }),
      { numRuns: 500 },
    );
  });

  it("repairs invalid UTF-8 exactly as decoding to a string does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (raw) => {
        const bytes = Buffer.from(raw);
        const envelopes = envelopesOf(encodeEnvelopes(TEMPLATE, splitBody(bytes, "text", LIMITS)));
        const expected = parseBody(bytes.toString("utf8"), "text", LIMITS).map((l) =>
          encodeEnvelope(TEMPLATE, l),
        );
        assert.deepEqual(envelopes, expected);
      }),
      { numRuns: 500 },
    );
  });

  it("grows its buffer for lines that escape to six times their size", () => {
    const controls = "\u0001".repeat(5000);
    const batch = encodeEnvelopes(TEMPLATE, splitBody(Buffer.from(`${controls}\nx`), "text", LIMITS));
    const [first, second] = envelopesOf(batch).map((e) => JSON.parse(e) as Record<string, unknown>);
    assert.equal(first?.message, controls);
    assert.equal(second?.message, "x");
  });

  it("cuts an encoded batch into records that rebuild it, within the record size", () => {
    const text = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? `{"n":${i}}` : `line ${i}`)).join("\n");
    const batch = encodeEnvelopes(TEMPLATE, splitBody(Buffer.from(text), "ndjson", LIMITS));
    const records = cutRecords(batch.data, batch.ends, (i) => `key-${i}`, 4096);
    assert.ok(records.length > 1);
    for (const record of records) assert.ok(record.data.length + record.partitionKey.length <= 4096);
    assert.equal(Buffer.concat(records.map((r) => r.data)).length, batch.data.length - (records.length - 1));
    assert.deepEqual(
      records.flatMap((r) => r.data.toString().split("\n")),
      envelopesOf(batch),
    );
  });
});

describe("decodeBody", () => {
  const text = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join("\n");

  it("inflates a multi-member body whose trailer understates the total size", async () => {
    // Only the last member's size is in the trailer: the chunk size hint is too small, the output still complete.
    const multi = Buffer.concat([zlib.gzipSync(text), zlib.gzipSync("tail")]);
    assert.equal((await decodeBody(multi, "gzip", 1e6)).toString(), `${text}tail`);
  });

  it("stops at the limit even when the trailer claims a small size", async () => {
    const big = Buffer.concat([zlib.gzipSync(Buffer.alloc(300_000)), zlib.gzipSync("x")]);
    await assert.rejects(
      decodeBody(big, "gzip", 100_000),
      (e: unknown) => e instanceof HttpError && e.status === 413,
    );
  });

  it("passes identity bodies through and rejects what is not gzip", async () => {
    const raw = Buffer.from(text);
    assert.equal(await decodeBody(raw, "identity", 1e6), raw);
    await assert.rejects(
      decodeBody(raw, "gzip", 1e6),
      (e: unknown) => e instanceof HttpError && e.status === 400,
    );
  });
});
