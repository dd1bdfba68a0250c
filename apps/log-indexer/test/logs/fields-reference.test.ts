import assert from "node:assert/strict";
import fc from "fast-check";
import { flattenJson, flattenJsonBytes, type FieldLimits } from "../../src/logs/fields";
import { flattenJson as referenceFlatten } from "./reference/fields";

/** JSON object texts: generated objects, with the keys the scan treats specially, dotted, blank and repeated keys. */
const objectText = fc.oneof(
  fc.object({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc
    .array(
      fc.tuple(
        fc.constantFrom(
          "message",
          "msg",
          "log",
          "level",
          "lvl",
          "host",
          "time",
          "ts",
          "a.b",
          "a",
          " ",
          "",
          "é\\n",
        ),
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({ b: 1 })),
      ),
      { maxLength: 12 },
    )
    .map(
      (members) =>
        `{ ${members.map(([k, v]) => `${JSON.stringify(k)} : ${JSON.stringify(v)}`).join(" , ")} }`,
    ),
  fc.string({ maxLength: 40 }).map((text) => `{"x":${text}`),
);

const limits: fc.Arbitrary<FieldLimits> = fc.record({
  maxFields: fc.integer({ min: 0, max: 40 }),
  maxKeyLength: fc.integer({ min: 1, max: 20 }),
  maxDepth: fc.integer({ min: 1, max: 5 }),
});

describe("logs/fields against the reference flattening", () => {
  it("gives the same fields, overflow, message, level, host and time, line after line (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(objectText, limits), { minLength: 1, maxLength: 5 }), (lines) => {
        // Several lines in a row: the current scan is reused, so state must not leak between lines.
        for (const [text, bounds] of lines) {
          assert.deepEqual(flattenJson(text, bounds), referenceFlatten(text, bounds), text);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("reads an object inside a larger buffer (a record's line) as it reads the object alone (property)", () => {
    const around = fc.string({
      unit: fc.constantFrom("{", "}", '"', "\\", "[", ",", " ", "x", "1"),
      maxLength: 8,
    });
    fc.assert(
      fc.property(objectText, limits, around, around, (text, bounds, before, after) => {
        const data = Buffer.from(before + text + after);
        const start = Buffer.byteLength(before);
        const flat = flattenJsonBytes(data, start, start + Buffer.byteLength(text), bounds);
        const alone = flattenJson(text, bounds);
        if (flat === undefined || alone === undefined) {
          assert.equal(flat, alone, text);
          return;
        }
        const { pairs, pairsLength, ...rest } = flat;
        assert.deepEqual({ ...rest, pairs: pairs.toString("utf8", 0, pairsLength) }, alone, text);
      }),
      { numRuns: 1000 },
    );
  });
});
