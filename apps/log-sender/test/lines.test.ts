import assert from "node:assert/strict";
import fc from "fast-check";
import { LineBatch } from "../src/batch";
import { LineSplitter } from "../src/lines";
import zlib from "node:zlib";

describe("LineSplitter", () => {
  it("returns every byte exactly once, in order, with correct end offsets, however the input is chunked", () => {
    fc.assert(
      fc.property(
        fc
          .uint8Array({ maxLength: 400 })
          .map((bytes) => Buffer.from(bytes.map((b) => (b % 7 === 0 ? 10 : b)))),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 40 }),
        fc.nat(1000),
        (data, cuts, maxLineBytes, startOffset) => {
          const splitter = new LineSplitter(startOffset, maxLineBytes);
          const lines = [];
          for (let at = 0, i = 0; at < data.length; i++) {
            const size = cuts[i % cuts.length] as number;
            lines.push(...splitter.push(data.subarray(at, at + size)));
            at += size;
          }
          const last = splitter.flush();
          if (last !== undefined) lines.push(last);
          // Re-assemble: each line is followed by the \n it ended on (if it ended on one).
          let offset = startOffset;
          const rebuilt: Buffer[] = [];
          for (const { line, end } of lines) {
            assert.ok(line.length <= maxLineBytes && !line.includes(10));
            const newline = end - offset - line.length;
            assert.ok(newline === 0 || newline === 1, "at most the newline between lines");
            rebuilt.push(line, Buffer.from(newline === 1 ? "\n" : ""));
            offset = end;
          }
          assert.equal(offset, startOffset + data.length);
          assert.deepEqual(Buffer.concat(rebuilt), data);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("holds an unterminated line until flush", () => {
    const splitter = new LineSplitter(0, 100);
    assert.deepEqual(
      splitter.push(Buffer.from("a\nbc")).map((l) => [l.line.toString(), l.end]),
      [["a", 2]],
    );
    assert.deepEqual(
      splitter.push(Buffer.from("d\n")).map((l) => [l.line.toString(), l.end]),
      [["bcd", 6]],
    );
    assert.equal(splitter.flush(), undefined);
  });
});

describe("LineBatch", () => {
  it("closes a batch at the line or byte limit and gzips lines with newlines", async () => {
    const batch = new LineBatch({ batchLines: 3, batchBytes: 1000 });
    batch.resetAt(10);
    assert.equal(batch.add(Buffer.from("one"), 14), false);
    assert.equal(batch.add(Buffer.from(""), 15), false); // empty lines are dropped
    assert.equal(batch.add(Buffer.from("two"), 19), false);
    assert.equal(batch.add(Buffer.from("three"), 25), true);
    const taken = await batch.take({ path: "/f", ino: 7 });
    assert.ok(taken !== undefined);
    assert.equal(zlib.gunzipSync(taken.body).toString(), "one\ntwo\nthree\n");
    assert.equal(taken.lines, 3);
    assert.equal(taken.bytes, 14);
    assert.deepEqual(taken.origin, { path: "/f", ino: 7, start: 10, end: 25 });
    assert.equal(await batch.take(), undefined);
    const bytes = new LineBatch({ batchLines: 100, batchBytes: 8 });
    assert.equal(bytes.add(Buffer.from("1234"), 5), false);
    assert.equal(bytes.add(Buffer.from("567"), 9), true);
  });
});
