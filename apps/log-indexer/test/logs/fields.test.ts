import assert from "node:assert/strict";
import fc from "fast-check";
import { flattenJson, type FieldLimits } from "../../src/logs/fields";

const LIMITS: FieldLimits = { maxFields: 200, maxKeyLength: 128, maxDepth: 8 };

function flat(value: unknown, limits: Partial<FieldLimits> = {}) {
  const result = flattenJson(JSON.stringify(value), { ...LIMITS, ...limits });
  assert.ok(result !== undefined);
  return {
    ...result,
    fields: JSON.parse(`{${result.pairs}}`) as Record<string, unknown>,
    overflow:
      result.overflow === undefined ? undefined : (JSON.parse(result.overflow) as Record<string, unknown>),
  };
}

describe("logs/fields", () => {
  it("flattens nested leaves with `_`, values as keyword text, null skipped", () => {
    const result = flat({
      user: { name: "ann", id: 7, admin: false },
      tags: ["a", 1, true, null],
      gone: null,
      ok: true,
    });
    assert.deepEqual(result.fields, {
      user_name: "ann",
      user_id: "7",
      user_admin: "false",
      tags: ["a", "1", "true"],
      ok: "true",
    });
    assert.equal(result.count, 5);
    assert.equal(result.overflow, undefined);
  });

  it("maps dotted keys like nested objects, so the name never becomes an object", () => {
    assert.deepEqual(flat({ "user.name": "ann" }).fields, { user_name: "ann" });
    assert.deepEqual(flat({ a: 1 }).fields, { a: "1" });
    assert.deepEqual(flat({ a: { b: 2 } }).fields, { a_b: "2" });
  });

  it("keeps escaped keys and values exact", () => {
    const result = flat({ 'we"ird\\key': 'say "hi"\n', ünï: "cödé ✓" });
    assert.deepEqual(result.fields, { 'we"ird\\key': 'say "hi"\n', ünï: "cödé ✓" });
  });

  it("renames empty and blank keys (OpenSearch refuses them)", () => {
    assert.deepEqual(flat({ "": "x", " ": "y" }).fields, { _: "x", "_ ": "y" });
  });

  it("sends a second leaf of the same name to the overflow", () => {
    const result = flat({ "a.b": 1, a: { b: 2 } });
    assert.deepEqual(result.fields, { a_b: "1" });
    assert.deepEqual(result.overflow, { a_b: 2 });
  });

  it("bounds the number of fields; the rest goes to the overflow", () => {
    const value = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
    const result = flat(value, { maxFields: 3 });
    assert.deepEqual(Object.keys(result.fields), ["k0", "k1", "k2"]);
    assert.deepEqual(
      result.overflow,
      Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`k${i + 3}`, i + 3])),
    );
  });

  it("bounds name length and depth, and spills arrays of objects", () => {
    const long = "x".repeat(129);
    const result = flat({ [long]: 1, deep: { a: { b: { c: 1 } } }, list: [{ a: 1 }, 2] }, { maxDepth: 3 });
    assert.deepEqual(result.fields, {});
    assert.deepEqual(result.overflow, { [long]: 1, deep_a_b: { c: 1 }, list: [{ a: 1 }, 2] });
  });

  it("takes message/msg/log (in that order), level, host and time from the top level", () => {
    const result = flat({
      msg: "second",
      message: "first",
      log: "third",
      level: "WARN",
      hostname: "h1",
      ts: 1796346000,
    });
    assert.equal(result.message, '"first"');
    assert.deepEqual(result.fields, {
      msg: "second",
      log: "third",
      level: "WARN",
      hostname: "h1",
      ts: "1796346000",
    });
    assert.equal(result.level, "warn");
    assert.equal(result.host, "h1");
    assert.equal(result.time, 1796346000);
    assert.equal(flat({ level: 50 }).level, "error");
    assert.equal(flat({ nested: { message: "not top" } }).message, undefined);
  });

  it("returns undefined for what is not a JSON object", () => {
    for (const text of ["[1,2]", '"x"', "{", '{"a":}', '{"a":1} trailing', '{"a" 1}', "{'a':1}"]) {
      assert.equal(flattenJson(text, LIMITS), undefined, text);
    }
  });

  it("gives valid JSON of string or string-array values for any object (property)", () => {
    fc.assert(
      fc.property(fc.object({ maxDepth: 4 }), fc.integer({ min: 0, max: 20 }), (value, maxFields) => {
        const result = flattenJson(JSON.stringify(value, null, maxFields % 3), { ...LIMITS, maxFields });
        assert.ok(result !== undefined);
        const fields = JSON.parse(`{${result.pairs}}`) as Record<string, unknown>;
        assert.ok(Object.keys(fields).length <= maxFields);
        for (const [name, leaf] of Object.entries(fields)) {
          assert.ok(!name.includes("."), name);
          assert.ok(
            typeof leaf === "string" || (Array.isArray(leaf) && leaf.every((v) => typeof v === "string")),
          );
        }
        if (result.overflow !== undefined) JSON.parse(result.overflow);
      }),
    );
  });
});
