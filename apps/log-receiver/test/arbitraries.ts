import fc from "fast-check";
import type { BodyFormat } from "../src/body";

/** Lines a log body is made of: JSON of any shape, near-JSON, text with any characters, blanks, CRs. */
export const line = fc.oneof(
  fc.json(),
  fc.jsonValue().map((v) => ` ${JSON.stringify(v)}\t`),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.constantFrom(...'{}[]":,0-1etrufalsn \t\r\\\u0000\u001f\u00a0\u2028\ufeffé😀') }),
  fc.constantFrom("", " ", "\r", "\u00a0", "\u3000 \t", '"\\"', "01 May 2024 host app[1]: x"),
  // Every kind of space String.prototype.trim removes, and two it does not (U+0085, U+180E).
  fc.constantFrom(
    "\u1680\u2000\u200a",
    "\u2028\u2029\u202f",
    "\u205f\u3000\ufeff",
    "\v\f",
    "\u0085",
    "\u180e",
  ),
);
export const body = fc
  .tuple(fc.boolean(), fc.array(line, { maxLength: 30 }), fc.constantFrom("\n", "\r\n"), fc.boolean())
  .map(([bom, lines, eol, trailing]) => (bom ? "\ufeff" : "") + lines.join(eol) + (trailing ? eol : ""));
export const format = fc.constantFrom<BodyFormat>("ndjson", "text", "json");
