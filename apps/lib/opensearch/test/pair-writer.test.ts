import assert from "node:assert/strict";
import fc from "fast-check";
import { BufferedBulkItem, bulkBody, bulkItem, writeAction, type BulkItem, type BulkOp } from "../bulk";
import { PairWriter } from "../pair-writer";

/** A document as pieces of the three kinds the writer takes. */
const piece = fc.oneof(
  fc
    .string({ unit: fc.constantFrom("a", "b", "_", "{", "}", ":", "0") })
    .map((text) => ({ kind: "ascii" as const, text })),
  fc.string({ unit: "grapheme", maxLength: 40 }).map((text) => ({ kind: "utf8" as const, text })),
  fc.string({ unit: "grapheme", maxLength: 300 }).map((text) => ({ kind: "bytes" as const, text })),
);

const pairInput = fc.record({
  op: fc.constantFrom<BulkOp>("create", "index"),
  index: fc.constantFrom("logs-web-2026.12.04", "logs-é-2026.12.04"),
  id: fc.string({ unit: "grapheme", maxLength: 30 }),
  pieces: fc.array(piece, { maxLength: 12 }),
});

type PairInput = typeof pairInput extends fc.Arbitrary<infer T> ? T : never;

function write(writer: PairWriter, input: PairInput): BufferedBulkItem<string> {
  writer.begin();
  writeAction(writer, input.op, input.index, input.id);
  for (const { kind, text } of input.pieces) {
    if (kind === "ascii") writer.ascii(text);
    else if (kind === "utf8") writer.utf8(text);
    else {
      // Bytes inside a larger buffer, as the indexer copies them out of a record.
      const bytes = Buffer.from(`<<${text}>>`);
      writer.bytes(bytes, 2, bytes.length - 2);
    }
  }
  return new BufferedBulkItem(input.op, input.index, input.id, writer.finish(), input.id);
}

function expectedPair(input: PairInput): string {
  const document = input.pieces.map((p) => p.text).join("");
  return `${JSON.stringify({ [input.op]: { _index: input.index, _id: input.id } })}\n${document}\n`;
}

describe("apps/lib/opensearch pair writer", () => {
  it("writes action and document as the string items would, and bulkBody copies them exactly (property)", () => {
    fc.assert(
      fc.property(fc.array(pairInput, { minLength: 1, maxLength: 20 }), fc.boolean(), (inputs, mixed) => {
        const writer = new PairWriter();
        const items: BulkItem<string>[] = [];
        for (const input of inputs) {
          const item = write(writer, input);
          assert.equal(`${item.action}\n${item.document}\n`, expectedPair(input));
          assert.equal(item.bytes, Buffer.byteLength(expectedPair(input)));
          items.push(item);
          // String items between buffered ones break a run of contiguous pairs.
          if (mixed) items.push(bulkItem("create", input.index, `s-${input.id}`, '{"s":1}', input.id));
        }
        const expected = items.map((item) => `${item.action}\n${item.document}\n`).join("");
        assert.equal(bulkBody(items).toString("utf8"), expected);
        // Bodies are built again on retry, from the same items, in any order.
        assert.equal(
          bulkBody([...items].reverse()).toString("utf8"),
          [...items]
            .reverse()
            .map((i) => `${i.action}\n${i.document}\n`)
            .join(""),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("keeps every pair intact across chunks, including a pair larger than a chunk", () => {
    const writer = new PairWriter();
    const inputs: PairInput[] = [];
    // 3 MiB of pairs of growing size: several chunk changes, some in the middle of a pair.
    for (let n = 0, total = 0; total < 3 * 1024 * 1024; n++) {
      const text = "x".repeat(1 + ((n * 7919) % 60_000)) + "é";
      inputs.push({
        op: "create",
        index: "logs-web-2026.12.04",
        id: `id-${n}`,
        pieces: [{ kind: "bytes", text }],
      });
      total += text.length;
    }
    inputs.push({
      op: "create",
      index: "logs-web-2026.12.04",
      id: "huge",
      pieces: [{ kind: "utf8", text: "ü".repeat(700_000) }],
    });
    const items = inputs.map((input) => write(writer, input));
    const chunks = new Set(items.map((item) => item.pair.buffer));
    assert.ok(chunks.size > 3, `the pairs filled only ${chunks.size} chunks`);
    items.forEach((item, i) =>
      assert.equal(`${item.action}\n${item.document}\n`, expectedPair(inputs[i] as PairInput)),
    );
    assert.equal(bulkBody(items).toString("utf8"), inputs.map(expectedPair).join(""));
  });
});
