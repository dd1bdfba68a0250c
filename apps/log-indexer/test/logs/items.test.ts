import assert from "node:assert/strict";
import fc from "fast-check";
import { accessLogSourcesOption, recordItems } from "../../src/logs/items";
import { sourceName } from "../../src/logs/lines";
import { ARRIVED_SECONDS, envelope, OPTIONS } from "./helpers";

/** A line any producer could send: receiver text or JSON, fluentd JSON, plain text, junk bytes. */
const line = fc.oneof(
  fc
    .record({
      id: fc.string({ minLength: 1, maxLength: 20 }),
      message: fc.string({ maxLength: 200 }),
      source: fc.string({ maxLength: 12 }),
    })
    .map(({ id, message, source }) => envelope(id, { message }, source)),
  fc
    .record({ id: fc.string({ minLength: 1, maxLength: 20 }), event: fc.jsonValue({ maxDepth: 4 }) })
    .map(({ id, event }) => envelope(id, { event })),
  fc.object({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    "<13>Dec 31 23:59:59 host app: x",
    '10.0.0.1 - - [04/Dec/2026:01:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"',
    '{"time": 1796346000123, "log": "x"}',
    '{"a": 1, "a": {"b": 2}}',
    "{not json",
  ),
);
const record = fc.oneof(
  fc.array(line, { minLength: 1, maxLength: 8 }).map((lines) => Buffer.from(lines.join("\n"))),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
);
const options = fc.record({
  accessLogSources: fc.constantFrom<"all" | "none">("all", "none"),
  maxFields: fc.integer({ min: 0, max: 30 }),
  maxMessageBytes: fc.integer({ min: 1, max: 300 }),
});

function isStringLeaf(value: unknown): boolean {
  return typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string"));
}

describe("logs/items", () => {
  it("every line yields an item with a valid one-line JSON document, @timestamp and string fields (property)", () => {
    fc.assert(
      fc.property(record, options, (data, opts) => {
        const result = recordItems(data, "123", ARRIVED_SECONDS, opts);
        assert.deepEqual(result.unindexable, []);
        const lineIndexes = new Set(result.items.map((item) => item.payload.lineIndex));
        let nonBlank = 0;
        for (const text of data.toString("latin1").split("\n"))
          if (text.replace(/\r$/, "") !== "") nonBlank++;
        assert.equal(lineIndexes.size, nonBlank);
        for (const item of result.items) {
          assert.ok(!item.document.includes("\n"));
          assert.ok(!item.action.includes("\n"));
          const doc = JSON.parse(item.document) as Record<string, unknown>;
          assert.equal(typeof doc["@timestamp"], "string");
          assert.ok(!Number.isNaN(Date.parse(doc["@timestamp"] as string)));
          assert.ok(item.index.endsWith((doc["@timestamp"] as string).slice(0, 10).replaceAll("-", ".")));
          assert.equal(item.bytes, Buffer.byteLength(`${item.action}\n${item.document}\n`));
          if (doc.fields !== undefined) {
            const fields = Object.values(doc.fields as object);
            assert.ok(fields.length <= opts.maxFields);
            assert.ok(fields.every(isStringLeaf));
          }
          if (typeof doc.message === "string" && item.index.startsWith("logs-")) {
            assert.ok(Buffer.byteLength(doc.message) <= opts.maxMessageBytes);
          }
          assert.equal(typeof item.payload.line, "string");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("gives the same ids and documents in two calls (property)", () => {
    fc.assert(
      fc.property(record, (data) => {
        const first = recordItems(data, "7", ARRIVED_SECONDS, OPTIONS);
        const second = recordItems(Buffer.from(data), "7", ARRIVED_SECONDS, OPTIONS);
        assert.deepEqual(
          second.items.map((item) => [item.index, item.id, item.document]),
          first.items.map((item) => [item.index, item.id, item.document]),
        );
        assert.equal(new Set(first.items.map((item) => `${item.index}/${item.id}`)).size, first.items.length);
      }),
    );
  });

  it("rejects an arrival time that is not a number of seconds", () => {
    assert.throws(
      () => recordItems(Buffer.from("x"), "1", Number.NaN, OPTIONS),
      /approximateArrivalTimestamp/,
    );
  });

  it("reads ACCESS_LOG_SOURCES like the transformer: empty means every source", () => {
    assert.equal(accessLogSourcesOption(undefined), "all");
    assert.equal(accessLogSourcesOption(" , "), "all");
    assert.deepEqual(accessLogSourcesOption("nginx, Web_App"), new Set(["nginx", "web-app"]));
  });

  it("sanitizes source names for index names", () => {
    assert.equal(sourceName("Office PCs/Berlin"), "office-pcs-berlin");
    assert.equal(sourceName(undefined), "unknown");
    assert.equal(sourceName("x".repeat(300)).length, 100);
  });
});
