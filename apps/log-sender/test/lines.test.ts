import assert from "node:assert/strict";
import fc from "fast-check";
import { createHash } from "node:crypto";
import zlib from "node:zlib";
import { LineBatch, batchIdFor } from "../src/batch";
import { sameFile } from "../src/identity";
import { LineSplitter, utf8CutLength } from "../src/lines";

/** Splits `data` pushed in pieces of the sizes in `cuts` (cycled); returns the line pieces. */
function splitAll(data: Buffer, cuts: readonly number[], maxLineBytes: number): Buffer[] {
  const splitter = new LineSplitter(0, maxLineBytes);
  const lines: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = cuts[i % cuts.length] as number;
    lines.push(...splitter.push(data.subarray(at, at + size)).map((l) => l.line));
    at += size;
  }
  const last = splitter.flush();
  if (last !== undefined) lines.push(last.line);
  return lines;
}

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

  it("cuts an over-long line on UTF-8 character boundaries: every piece is valid text, no byte lost", () => {
    // The receiver decodes each line as UTF-8: a cut inside a character would turn both halves'
    // bytes into U+FFFD replacement characters.
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", minLength: 1, maxLength: 200 }).filter((t) => !t.includes("\n")),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 4, max: 40 }),
        (text, cuts, maxLineBytes) => {
          const data = Buffer.from(text, "utf8");
          const pieces = splitAll(data, cuts, maxLineBytes);
          assert.deepEqual(Buffer.concat(pieces), data);
          for (const piece of pieces) assert.ok(piece.length > 0 && piece.length <= maxLineBytes);
          // Each piece decodes on its own to its share of the text: no character was cut in two.
          assert.equal(pieces.map((p) => p.toString("utf8")).join(""), text);
        },
      ),
      { numRuns: 200 },
    );
    // "é" is 2 bytes: with 5 bytes per piece "aaaé" (5 bytes) fits whole and the next "é" waits.
    const pieces = splitAll(Buffer.from("aaaééé"), [100], 5).map((p) => p.toString("utf8"));
    assert.deepEqual(pieces, ["aaaé", "éé"]);
  });

  it("finds the cut point for a piece followed by a given byte", () => {
    const euro = Buffer.from("€"); // e2 82 ac
    assert.equal(utf8CutLength(Buffer.from("abc"), 0x64), 3, "next byte starts a character");
    assert.equal(utf8CutLength(Buffer.concat([Buffer.from("ab"), euro.subarray(0, 2)]), 0xac), 2);
    assert.equal(utf8CutLength(Buffer.concat([Buffer.from("ab"), euro.subarray(0, 1)]), 0x82), 2);
    assert.equal(utf8CutLength(Buffer.from([0x80, 0x80, 0x80, 0x80]), 0x80), 4, "not UTF-8: cut where it is");
    assert.equal(utf8CutLength(euro.subarray(0, 2), 0xac), 2, "never cut to nothing");
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
    assert.equal(taken.id, batchIdFor({ ino: 7, start: 10, end: 25 }, Buffer.from("one\ntwo\nthree\n")));
    assert.equal(await batch.take(), undefined);
    const bytes = new LineBatch({ batchLines: 100, batchBytes: 8 });
    assert.equal(bytes.add(Buffer.from("1234"), 5), false);
    assert.equal(bytes.add(Buffer.from("567"), 9), true);
  });
});

describe("batch ids", () => {
  const raw = Buffer.from("a\nb\n");
  const origin = { dev: 1, ino: 7, start: 100, end: 104 };

  it("are the same for the same host, file, byte range and bytes (a resend keeps its line ids)", async () => {
    assert.equal(batchIdFor(origin, raw, "pc-1"), batchIdFor({ ...origin }, Buffer.from(raw), "pc-1"));
    // Two reads of the same range through LineBatch give the same id.
    const read = async (): Promise<string | undefined> => {
      const batch = new LineBatch({ batchLines: 10, batchBytes: 1000 });
      batch.resetAt(100);
      batch.add(Buffer.from("a"), 102);
      batch.add(Buffer.from("b"), 104);
      return (await batch.take({ path: "/var/log/x", dev: 1, ino: 7 }))?.id;
    };
    assert.equal(await read(), await read());
    assert.equal(await read(), batchIdFor(origin, raw));
    assert.match(batchIdFor(origin, raw), /^[\x21-\x7e]{1,200}$/, "a valid Idempotency-Key");
  });

  it("differ when anything that makes the lines other lines differs", () => {
    const id = batchIdFor(origin, raw, "pc-1");
    for (const other of [
      batchIdFor(origin, raw, "pc-2"),
      batchIdFor({ ...origin, dev: 2 }, raw, "pc-1"),
      batchIdFor({ ...origin, ino: 8 }, raw, "pc-1"),
      batchIdFor({ ...origin, start: 101 }, raw, "pc-1"),
      batchIdFor({ ...origin, end: 105 }, raw, "pc-1"),
      batchIdFor(origin, Buffer.from("a\nc\n"), "pc-1"), // same range rewritten in place
    ])
      assert.notEqual(other, id);
  });

  it("stream batches (no file) get random ids", async () => {
    const ids = new Set<string | undefined>();
    for (let i = 0; i < 2; i++) {
      const batch = new LineBatch({ batchLines: 10, batchBytes: 1000 });
      batch.add(Buffer.from("same"), 5);
      ids.add((await batch.take())?.id);
    }
    assert.equal(ids.size, 2);
  });
});

describe("sameFile", () => {
  const sha = (text: string): string => createHash("sha256").update(text).digest("hex");
  const current = {
    identity: { dev: 1, ino: 7, fingerprintBytes: 11, fingerprint: sha("hello world") },
    prefix: Buffer.from("hello world"),
  };

  it("matches device, inode and the fingerprint, over as many bytes as were recorded", () => {
    assert.ok(sameFile(current.identity, current));
    assert.ok(sameFile({ dev: 1, ino: 7, fingerprintBytes: 5, fingerprint: sha("hello") }, current));
    assert.ok(sameFile({ ino: 7 }, current), "state of older versions: inode only");
  });

  it("tells a new file at a reused inode, another device or a shorter file apart", () => {
    assert.ok(!sameFile({ dev: 1, ino: 7, fingerprintBytes: 5, fingerprint: sha("HELLO") }, current));
    assert.ok(!sameFile({ ...current.identity, dev: 2 }, current));
    assert.ok(!sameFile({ ...current.identity, ino: 8 }, current));
    assert.ok(
      !sameFile({ dev: 1, ino: 7, fingerprintBytes: 20, fingerprint: sha("hello world, again!") }, current),
    );
  });
});
