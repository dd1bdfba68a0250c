import assert from "node:assert/strict";
import fc from "fast-check";
import { recordItems } from "../../src/logs/items";
import { decodeRecordLines, lineText, recordLineText } from "../../src/logs/lines";
import { ARRIVED_SECONDS, envelope, OPTIONS } from "./helpers";

const SEQUENCE = "49590338271490256608559692538361571095921575989136588898";
const ARRIVED_MS = Math.floor(ARRIVED_SECONDS * 1000);

/** Lines of every producer, with non-ASCII text so byte and character offsets differ. */
const line = fc.oneof(
  fc
    .record({
      id: fc.string({ minLength: 1, maxLength: 20 }),
      message: fc.string({ unit: "grapheme", maxLength: 60 }),
      source: fc.string({ maxLength: 12 }),
    })
    .map(({ id, message, source }) => envelope(id, { message }, source)),
  fc
    .record({ id: fc.string({ minLength: 1, maxLength: 20 }), event: fc.jsonValue({ maxDepth: 3 }) })
    .map(({ id, event }) => envelope(id, { event })),
  fc.object({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.constantFrom("{not json", "", "\r", "plain \r"),
);

/** Records: lines joined by \n or \r\n, some with bytes that are not UTF-8, and raw bytes. */
const record = fc.oneof(
  fc
    .record({
      lines: fc.array(line, { minLength: 1, maxLength: 8 }),
      crlf: fc.boolean(),
      junk: fc.option(fc.nat(), { nil: undefined }),
    })
    .map(({ lines, crlf, junk }) => {
      const data = Buffer.from(lines.join(crlf ? "\r\n" : "\n"));
      if (junk === undefined || data.length === 0) return data;
      const at = junk % data.length;
      if (data[at] !== 0x0a) data[at] = 0xff;
      return data;
    }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
);

describe("logs/lines spans", () => {
  it("decoding a line again from its span gives its original text (property)", () => {
    fc.assert(
      fc.property(record, (data) => {
        const { lines, spans } = decodeRecordLines(data, SEQUENCE, ARRIVED_MS);
        assert.equal(spans.length, 2 * lines.length);
        lines.forEach((decoded, k) => {
          // Reference: the text the decoded line itself holds.
          const again = recordLineText(
            data,
            SEQUENCE,
            ARRIVED_MS,
            decoded.lineIndex,
            spans[2 * k]!,
            spans[2 * k + 1]!,
          );
          assert.deepEqual(again, { text: lineText(decoded), base64: decoded.invalidBytes !== undefined });
        });
      }),
      { numRuns: 500 },
    );
  });

  it("items' payloads give the same line, encoding and JSON as the decoded lines (property)", () => {
    fc.assert(
      fc.property(record, (data) => {
        const { lines } = decodeRecordLines(data, SEQUENCE, ARRIVED_MS);
        const byIndex = new Map(lines.map((decoded) => [decoded.lineIndex, decoded]));
        const { items } = recordItems(data, SEQUENCE, ARRIVED_SECONDS, OPTIONS);
        for (const { payload } of items) {
          const decoded = byIndex.get(payload.lineIndex)!;
          const encoding = decoded.invalidBytes === undefined ? undefined : "base64";
          assert.equal(payload.id, decoded.id);
          assert.equal(payload.line, lineText(decoded));
          assert.equal(payload.encoding, encoding);
          assert.deepEqual(JSON.parse(JSON.stringify(payload)), {
            id: decoded.id,
            source: decoded.source,
            line: lineText(decoded),
            lineIndex: decoded.lineIndex,
            ...(encoding === undefined ? {} : { encoding }),
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it("gives every item its exact UTF-8 size when ASCII and other lines share a record (property)", () => {
    fc.assert(
      fc.property(record, fc.constantFrom<"all" | "none">("all", "none"), (data, accessLogSources) => {
        for (const item of recordItems(data, SEQUENCE, ARRIVED_SECONDS, { ...OPTIONS, accessLogSources })
          .items) {
          assert.equal(item.bytes, Buffer.byteLength(`${item.action}\n${item.document}\n`), item.document);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a KPL record's line, which is not a slice of the data", () => {
    const data = Buffer.from([0xf3, 0x89, 0x9a, 0xc2, 1, 2, 3]);
    const { items } = recordItems(data, SEQUENCE, ARRIVED_SECONDS, OPTIONS);
    assert.equal(items[0]?.payload.line, data.toString("base64"));
    assert.equal(decodeRecordLines(data, SEQUENCE, ARRIVED_MS).spans.length, 0);
  });
});
