import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeRecordLines, sourceName } from "../../src/logs/lines";
import { ARRIVED_SECONDS } from "./helpers";

/**
 * Envelopes whose metadata repeats, nearly repeats (a source that extends
 * the previous one, another time or client) or has escapes: the reader
 * reuses the previous line's metadata only when the line spells exactly
 * the same.
 */
const metadata = fc.record({
  receivedAt: fc.constantFrom(
    "2026-12-04T01:02:03.456Z",
    "2026-12-04T01:02:03.457Z",
    "2026-12-04T02:02:03+01:00",
  ),
  receiver: fc.constantFrom("ip-10-0-1-23", "ip-10-0-1-2", 'ip-"q"'),
  client: fc.constantFrom("203.0.113.7", "203.0.113.70", "2001:db8::1"),
  source: fc.constantFrom("web", "web2", "we", "Web", "a\\b", "office-pcs"),
});

const envelopeLine = fc
  .record({
    id: fc.constantFrom("id-1", "id-22", 'id-"3"'),
    meta: metadata,
    message: fc.string({ maxLength: 20 }),
  })
  .map(({ id, meta, message }) => ({
    meta,
    text: JSON.stringify({
      id,
      receivedAt: meta.receivedAt,
      receiver: meta.receiver,
      client: meta.client,
      source: meta.source,
      message,
    }),
  }));

describe("logs/lines envelope metadata", () => {
  it("gives every line its own receivedAt, receiver, client and source, however the lines repeat them (property)", () => {
    fc.assert(
      fc.property(fc.array(envelopeLine, { minLength: 1, maxLength: 12 }), (lines) => {
        const data = Buffer.from(lines.map((line) => line.text).join("\n"));
        const decoded = decodeRecordLines(data, "4959", Math.floor(ARRIVED_SECONDS * 1000)).lines;
        assert.equal(decoded.length, lines.length);
        decoded.forEach((line, i) => {
          const { meta } = lines[i]!;
          assert.equal(line.receivedAt, new Date(meta.receivedAt).toISOString(), lines[i]!.text);
          assert.equal(line.receivedAtMs, Date.parse(meta.receivedAt));
          assert.equal(line.receiver, JSON.stringify(meta.receiver));
          assert.equal(line.client, JSON.stringify(meta.client));
          assert.equal(line.source, sourceName(meta.source));
        });
      }),
      { numRuns: 500 },
    );
  });
});
