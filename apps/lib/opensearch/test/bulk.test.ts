import assert from "node:assert/strict";
import fc from "fast-check";
import { BulkBatcher, bulkBody, bulkItem } from "../bulk";

describe("apps/lib/opensearch bulk", () => {
  it("writes the op as the action: `index` overwrites, `create` refuses a repeat", () => {
    const finding = bulkItem("index", "findings-2024.03.01", "arn:aws:guardduty:x/1", '{"a":1}', "raw");
    assert.deepEqual(JSON.parse(finding.action), {
      index: { _index: "findings-2024.03.01", _id: "arn:aws:guardduty:x/1" },
    });
    assert.equal(finding.op, "index");
    const line = bulkItem("create", "logs-web-2024.03.01", 'a"b\\c', '{"m":"x"}', { seq: 1 });
    assert.deepEqual(JSON.parse(line.action), { create: { _index: "logs-web-2024.03.01", _id: 'a"b\\c' } });
    assert.equal(
      bulkBody([finding, line]).toString("utf8"),
      `${finding.action}\n{"a":1}\n${line.action}\n{"m":"x"}\n`,
    );
  });

  it("measures the UTF-8 size of the action/document pair, and trusts a size the caller passes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (id, text) => {
        const document = JSON.stringify({ message: text });
        const item = bulkItem("create", "logs-x-2024.03.01", id, document, text);
        const pair = `${item.action}\n${document}\n`;
        assert.equal(item.bytes, Buffer.byteLength(pair));
        assert.equal(bulkBody([item, item]).toString("utf8"), pair + pair);
        assert.equal(item.payload, text);
        const given = bulkItem(
          "create",
          "logs-x-2024.03.01",
          id,
          document,
          text,
          Buffer.byteLength(document),
        );
        assert.equal(given.bytes, item.bytes);
      }),
    );
  });

  it("refuses to build a body from an item whose size was miscounted, at any place in the body", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme" }),
        fc.integer({ min: -6, max: 6 }).filter((error) => error !== 0),
        fc.nat(2),
        (text, error, position) => {
          const document = JSON.stringify({ message: text });
          const documentBytes = Buffer.byteLength(document) + error;
          fc.pre(documentBytes >= 0);
          const wrong = bulkItem("create", "logs-x-2024.03.01", "id", document, text, documentBytes);
          const right = bulkItem("create", "logs-x-2024.03.01", "ok", '{"m":"é"}', text);
          const items = [right, right];
          items.splice(position, 0, wrong);
          assert.throws(
            () => bulkBody(items),
            /bulk item logs-x-2024\.03\.01\/id says \d+ bytes but takes \d+/,
          );
        },
      ),
    );
  });

  it("writes a document given as parts exactly as the document itself (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme" }), { minLength: 1, maxLength: 4 }), (texts) => {
        const parts = texts.map((text, i) =>
          i === 0 ? `{"a":${JSON.stringify(text)}` : `,"${i}":${JSON.stringify(text)}`,
        );
        parts.push("}");
        const whole = bulkItem("create", "i", "x", parts.join(""), null);
        const split = { ...whole, documentParts: parts };
        assert.deepEqual(bulkBody([split, whole]), bulkBody([whole, whole]));
      }),
    );
  });

  it("keeps each item's payload through batching", () => {
    const batcher = new BulkBatcher<{ line: number }>(60);
    const items = [0, 1, 2].map((line) =>
      bulkItem("create", "i", `id-${line}`, '{"x":"0123456789"}', { line }),
    );
    const batches = items.map((item) => batcher.add(item)).filter((full) => full !== undefined);
    batches.push(batcher.take());
    assert.deepEqual(
      batches.map((batch) => batch.map((item) => item.payload.line)),
      [[0], [1], [2]],
    );
  });
});
