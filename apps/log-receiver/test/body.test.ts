import fc from "fast-check";
import assert from "node:assert/strict";
import { negotiateEncoding, negotiateFormat, parseBody } from "../src/body";
import { HttpError } from "../src/errors";

const LIMITS = { maxLineBytes: 1000, maxLines: 1000 };

function rejectsWith(fn: () => unknown, status: number, reason: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, status);
    assert.equal(error.reason, reason);
    return true;
  });
}

describe("body negotiation", () => {
  it("maps content types to formats", () => {
    assert.equal(negotiateFormat(undefined), "ndjson");
    assert.equal(negotiateFormat("application/x-ndjson; charset=utf-8"), "ndjson");
    assert.equal(negotiateFormat("Application/JSON"), "json");
    assert.equal(negotiateFormat("text/plain; charset=utf-8"), "text");
    rejectsWith(() => negotiateFormat("multipart/form-data"), 415, "unsupported_media_type");
  });

  it("maps content encodings", () => {
    assert.equal(negotiateEncoding(undefined), "identity");
    assert.equal(negotiateEncoding("GZIP"), "gzip");
    assert.equal(negotiateEncoding("x-gzip"), "gzip");
    rejectsWith(() => negotiateEncoding("deflate"), 415, "unsupported_encoding");
  });
});

describe("parseBody", () => {
  it("drops CR of CRLF lines, a leading BOM and blank lines, keeping line indexes", () => {
    const lines = parseBody('\ufeff{"a":1}\r\n   \r\nplain\r\n', "ndjson", LIMITS);
    assert.deepEqual(lines, [
      { index: 0, field: "event", json: '{"a":1}' },
      { index: 2, field: "message", json: '"plain"' },
    ]);
  });

  it("keeps invalid JSON lines as messages instead of rejecting them", () => {
    const lines = parseBody('{"a":\ntrue\nnull x\n"str"', "ndjson", LIMITS);
    assert.deepEqual(
      lines.map((l): [string, unknown] => [l.field, JSON.parse(l.json)]),
      [
        ["message", '{"a":'],
        ["event", true],
        ["message", "null x"],
        ["event", "str"],
      ],
    );
  });

  it("treats application/json without a leading [ as NDJSON", () => {
    assert.deepEqual(
      parseBody('{"a":1}\n{"b":2}', "json", LIMITS).map((l) => l.json),
      ['{"a":1}', '{"b":2}'],
    );
    assert.deepEqual(
      parseBody('  [1, {"b":2}]', "json", LIMITS).map((l) => l.json),
      ["1", '{"b":2}'],
    );
  });

  it("counts the line limit in UTF-8 bytes, inclusive", () => {
    const limits = { maxLineBytes: 6, maxLines: 10 };
    assert.equal(parseBody("éééé".slice(0, 3), "text", limits).length, 1); // 6 bytes
    rejectsWith(() => parseBody("ééé\néééé", "text", limits), 413, "line_too_long");
    rejectsWith(() => parseBody("1234567", "text", limits), 413, "line_too_long");
    rejectsWith(() => parseBody('["1234567"]', "json", limits), 413, "line_too_long");
  });

  it("counts only non-blank lines against maxLines", () => {
    const limits = { maxLineBytes: 100, maxLines: 2 };
    assert.equal(parseBody("a\n\n\nb\n", "text", limits).length, 2);
    rejectsWith(() => parseBody("a\nb\nc", "text", limits), 413, "too_many_lines");
    rejectsWith(() => parseBody("[1,2,3]", "json", limits), 413, "too_many_lines");
  });

  it("rejects a malformed JSON array with 400", () => {
    rejectsWith(() => parseBody("[1,", "json", LIMITS), 400, "bad_json_array");
  });

  it("keeps each JSON array element's bytes: no rounding, no dropped keys, escapes as sent", () => {
    const body =
      '[1e400, 12345678901234567890, {"a":1,"a":2}, "caf\\u00e9 \\"q\\"", -0.10,\n  {\n    "b" : [ 1 , 2 ],\t"s": " spaced  out "\r\n  }\n]';
    assert.deepEqual(
      parseBody(body, "json", LIMITS).map((l) => [l.index, l.field, l.json]),
      [
        [0, "event", "1e400"],
        [1, "event", "12345678901234567890"],
        [2, "event", '{"a":1,"a":2}'],
        [3, "event", '"caf\\u00e9 \\"q\\""'],
        [4, "event", "-0.10"],
        // Whitespace between tokens goes (an element is one NDJSON line); inside strings it stays.
        [5, "event", '{"b":[1,2],"s":" spaced  out "}'],
      ],
    );
  });

  it("splits any array into its elements, each meaning what it meant (property)", () => {
    const spaced = fc.array(fc.constantFrom(" ", "\n", "\t", "\r\n", ""), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.json(),
            spaced.map((w) => w.join("")),
          ),
        ),
        (elements) => {
          const body = `[${elements.map(([json, space]) => `${space}${json}${space}`).join(",")}]`;
          const lines = parseBody(body, "json", { maxLineBytes: 1 << 20, maxLines: 1 << 20 });
          assert.deepEqual(
            lines.map((l) => JSON.parse(l.json) as unknown),
            elements.map(([json]) => JSON.parse(json) as unknown),
          );
          for (const l of lines) assert.ok(!/[\n\r]/.test(l.json));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses what JSON.parse refuses in an array body with 400", () => {
    for (const body of ["[1,", "[1,]", "[1 2]", "[1] x", "[", "[01]", '["a\tb"]', "[1]]", "[,1]"]) {
      assert.throws(() => JSON.parse(body));
      rejectsWith(() => parseBody(body, "json", LIMITS), 400, "bad_json_array");
    }
    assert.deepEqual(parseBody(" [ ] \n", "json", LIMITS), []);
  });
});
