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
});
