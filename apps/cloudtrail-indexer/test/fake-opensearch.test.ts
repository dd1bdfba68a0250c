/**
 * The shared fake OpenSearch's `_bulk` semantics, which the indexers' tests
 * rely on: `_id` unique per index, `create` answers 409 on a repeat, `index`
 * overwrites (201 new, 200 replaced), writes counted per (index, id).
 */
import * as assert from "node:assert/strict";
import { docKey, FakeOpenSearch } from "./fake-opensearch";

const body = (...items: [op: string, index: string, id: string, doc: object][]): string =>
  items
    .map(
      ([op, index, id, doc]) =>
        `${JSON.stringify({ [op]: { _index: index, _id: id } })}\n${JSON.stringify(doc)}\n`,
    )
    .join("");

const items = (answer: { body: string }) =>
  (JSON.parse(answer.body) as { items: Record<string, { status: number; _version?: number }>[] }).items.map(
    (item) => {
      const [op, result] = Object.entries(item)[0] ?? [];
      return [op, result?.status, result?._version];
    },
  );

describe("fake OpenSearch _bulk", () => {
  it("create: 201 once, 409 on a repeat, the first document kept", () => {
    const fake = new FakeOpenSearch();
    assert.deepEqual(items(fake.bulk(body(["create", "logs-a-2024.01.01", "x", { n: 1 }]))), [
      ["create", 201, 1],
    ]);
    assert.deepEqual(items(fake.bulk(body(["create", "logs-a-2024.01.01", "x", { n: 2 }]))), [
      ["create", 409, undefined],
    ]);
    assert.deepEqual(fake.documents.get(docKey("logs-a-2024.01.01", "x"))?.source, { n: 1 });
    assert.equal(fake.writes.get(docKey("logs-a-2024.01.01", "x")), 1);
    assert.equal(fake.created.get("x"), 1);
  });

  it("an _id is unique per index: the same id in two indices is two documents", () => {
    const fake = new FakeOpenSearch();
    const answer = fake.bulk(
      body(["create", "logs-a-2024.01.01", "x", { n: 1 }], ["create", "access-2024.01.01", "x", { n: 2 }]),
    );
    assert.deepEqual(items(answer), [
      ["create", 201, 1],
      ["create", 201, 1],
    ]);
    assert.deepEqual([...fake.writes.keys()].sort(), ["access-2024.01.01/x", "logs-a-2024.01.01/x"]);
  });

  it("index: 201 when new, 200 with a higher version when it overwrites", () => {
    const fake = new FakeOpenSearch();
    assert.deepEqual(items(fake.bulk(body(["index", "findings-2024.01.01", "f", { v: 1 }]))), [
      ["index", 201, 1],
    ]);
    assert.deepEqual(items(fake.bulk(body(["index", "findings-2024.01.01", "f", { v: 2 }]))), [
      ["index", 200, 2],
    ]);
    assert.deepEqual(fake.documents.get(docKey("findings-2024.01.01", "f"))?.source, { v: 2 });
    assert.equal(fake.writes.get(docKey("findings-2024.01.01", "f")), 2);
    assert.equal(fake.created.get("f"), 1, "created counts creations only");
    assert.deepEqual([...fake.actions], [["index", 2]]);
  });

  it("index with version_type external_gte: an older version answers 409 and keeps the newer document", () => {
    const fake = new FakeOpenSearch();
    const versioned = (version: number, v: string) =>
      `${JSON.stringify({ index: { _index: "findings-2024.01.01", _id: "f", version, version_type: "external_gte" } })}\n${JSON.stringify({ v })}\n`;
    assert.deepEqual(items(fake.bulk(versioned(200, "new"))), [["index", 201, 1]]);
    assert.deepEqual(items(fake.bulk(versioned(100, "old"))), [["index", 409, undefined]]);
    assert.deepEqual(items(fake.bulk(versioned(200, "same"))), [["index", 200, 2]]);
    assert.deepEqual(fake.documents.get(docKey("findings-2024.01.01", "f"))?.source, { v: "same" });
  });

  it("faults answer with the item's own action", () => {
    const fake = new FakeOpenSearch({ throttle: new Map([["f", 1]]), outage: undefined });
    assert.deepEqual(items(fake.bulk(body(["index", "findings-2024.01.01", "f", {}]))), [
      ["index", 429, undefined],
    ]);
    fake.faults = { outage: "write-block" };
    assert.deepEqual(items(fake.bulk(body(["index", "findings-2024.01.01", "f", {}]))), [
      ["index", 403, undefined],
    ]);
    assert.equal(fake.writes.size, 0);
  });

  it("refuses other actions", () => {
    const fake = new FakeOpenSearch();
    assert.equal(fake.bulk(body(["update", "i", "x", {}])).statusCode, 400);
    assert.equal(fake.bulk(`${JSON.stringify({ delete: { _index: "i", _id: "x" } })}\n`).statusCode, 400);
  });
});
