import assert from "node:assert/strict";
import fc from "fast-check";
import { isJsonText } from "../src/json-scan";

/** The oracle: what the receiver decided with before the scanner existed. */
function jsonParseAccepts(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The scanner's verdict on the UTF-8 bytes of `text`, compared with JSON.parse on the same (decoded) text. */
function assertSameVerdict(text: string): void {
  const bytes = Buffer.from(text, "utf8");
  assert.equal(
    isJsonText(bytes, 0, bytes.length),
    jsonParseAccepts(bytes.toString("utf8")),
    `verdict differs for ${JSON.stringify(text)}`,
  );
}

/** Characters that matter to JSON syntax, plus a few that must be rejected or escaped. */
const JSON_ALPHABET = fc.constantFrom(
  ...'{}[]":,.-+eE0123456789tfnrulasx\\/bu \t\n\r\u0000\u001f\u007fé€😀\u2028\ufeff\u00a0',
);

/** A JSON text with up to a few deletions, insertions and a possible truncation. */
const nearlyJson = fc
  .tuple(
    fc.json(),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom("delete", "insert", "truncate"),
        fc.string({ unit: JSON_ALPHABET, maxLength: 3 }),
      ),
      {
        maxLength: 4,
      },
    ),
  )
  .map(([text, edits]) => {
    let out = text;
    for (const [position, edit, inserted] of edits) {
      const at = position % (out.length + 1);
      if (edit === "delete") out = out.slice(0, at) + out.slice(at + 1);
      else if (edit === "insert") out = out.slice(0, at) + inserted + out.slice(at);
      else out = out.slice(0, at);
    }
    return out;
  });

describe("isJsonText (validating scanner)", () => {
  it("accepts every JSON text, whatever the whitespace around it", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom("", " ", "\t", "\r", "\n", " \r\n\t"), (value, pad) => {
        const text = pad + JSON.stringify(value, null, pad.length % 2 === 0 ? undefined : 1) + pad;
        const bytes = Buffer.from(text, "utf8");
        assert.equal(isJsonText(bytes, 0, bytes.length), true, text);
      }),
      { numRuns: 1000 },
    );
  });

  it("agrees with JSON.parse on JSON texts with random edits", () => {
    fc.assert(fc.property(nearlyJson, assertSameVerdict), { numRuns: 5000 });
  });

  it("agrees with JSON.parse on short strings of JSON syntax characters", () => {
    fc.assert(fc.property(fc.string({ unit: JSON_ALPHABET, maxLength: 10 }), assertSameVerdict), {
      numRuns: 5000,
    });
  });

  it("agrees with JSON.parse on arbitrary text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), assertSameVerdict), { numRuns: 1000 });
  });

  it("agrees with JSON.parse on the usual edge cases", () => {
    for (const text of [
      "",
      " ",
      "-",
      "-0",
      "01",
      "1.",
      ".5",
      "+1",
      "1e5",
      "1E+05",
      "1e",
      "0x1",
      "1 2",
      "[1,]",
      "[,1]",
      '{"a":1,}',
      '{"a" 1}',
      "{1:2}",
      '"\\u00e9\\ud800"',
      '"\\u00G0"',
      '"\\x41"',
      '"tab\there"',
      "\ufeff1",
      "\u00a01",
      "tru",
      "nulll",
      '{"a":[{"b":{}}],"c":[[],{}]}',
    ])
      assertSameVerdict(text);
  });

  it("handles nesting far deeper than any call stack, without recursion", () => {
    const depth = 200_000;
    assertSameVerdict("[".repeat(depth) + "]".repeat(depth));
    assertSameVerdict(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);
    assertSameVerdict("[".repeat(depth) + "]".repeat(depth - 1));
  });

  it("looks only at the given byte range", () => {
    const bytes = Buffer.from('xx{"a":1}yy', "utf8");
    assert.equal(isJsonText(bytes, 2, 9), true);
    assert.equal(isJsonText(bytes, 2, 8), false);
    assert.equal(isJsonText(bytes, 1, 9), false);
  });
});
