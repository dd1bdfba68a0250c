import assert from "node:assert/strict";
import fc from "fast-check";
import { isIngestEnvelope } from "../../lib/ingest-record";
import { parseBody } from "../src/body";
import {
  clientAddress,
  encodeEnvelope,
  envelopeTemplate,
  idBaseFromBody,
  idBaseFromKey,
} from "../src/envelope";

const LIMITS = { maxLineBytes: 1e6, maxLines: 1e6 };
const context = fc.record({
  receiver: fc.string({ unit: "grapheme" }),
  client: fc.string(),
  source: fc.string({ unit: "binary" }),
});

describe("envelopes", () => {
  it("are valid JSON and round-trip any plain text line and any context strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), context, (text, ctx) => {
        const template = envelopeTemplate({ idBase: "abc", receivedAt: "2024-01-01T00:00:00.000Z", ...ctx });
        const physical = text.replace(/^\ufeff/, "").split("\n");
        const lines = parseBody(text, "text", LIMITS);
        // Nothing is lost: every line with content is there.
        assert.equal(lines.length, physical.filter((l) => l.trim() !== "").length);
        for (const line of lines) {
          const parsed = JSON.parse(encodeEnvelope(template, line)) as Record<string, unknown>;
          assert.ok(isIngestEnvelope(parsed));
          assert.equal(parsed.id, `abc-${line.index}`);
          assert.equal(parsed.message, physical[line.index]?.replace(/\r$/, ""));
          assert.equal(parsed.receiver, ctx.receiver);
          assert.equal(parsed.source, ctx.source);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("embed any JSON value of an NDJSON line as event, unchanged", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        const template = envelopeTemplate({
          idBase: "f0",
          receivedAt: "t",
          receiver: "r",
          client: "c",
          source: "s",
        });
        const [line] = parseBody(text, "ndjson", LIMITS);
        assert.ok(line !== undefined);
        const parsed = JSON.parse(encodeEnvelope(template, line)) as Record<string, unknown>;
        assert.deepEqual(parsed.event, JSON.parse(text));
        assert.equal("message" in parsed, false);
      }),
      { numRuns: 300 },
    );
  });

  it("derive ids deterministically and per token", () => {
    assert.equal(idBaseFromKey("a", "k1"), idBaseFromKey("a", "k1"));
    assert.notEqual(idBaseFromKey("a", "k1"), idBaseFromKey("b", "k1"));
    assert.match(idBaseFromKey("a", "k1"), /^[0-9a-f]{32}$/);
    const body = Buffer.from("x");
    assert.equal(idBaseFromBody("a", "1.2.3.4", body), idBaseFromBody("a", "1.2.3.4", Buffer.from("x")));
    assert.notEqual(idBaseFromBody("a", "1.2.3.4", body), idBaseFromBody("a", "1.2.3.5", body));
    assert.notEqual(idBaseFromBody("a", "1.2.3.4", body), idBaseFromKey("a", "x"));
  });

  it("records IPv4-mapped client addresses in plain IPv4 form", () => {
    assert.equal(clientAddress("::ffff:10.0.0.7"), "10.0.0.7");
    assert.equal(clientAddress("2001:db8::1"), "2001:db8::1");
    assert.equal(clientAddress(undefined), "unknown");
  });
});
