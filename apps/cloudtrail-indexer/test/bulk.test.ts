import assert from "node:assert/strict";
import fc from "fast-check";
import type { BulkItem } from "../src/bulk";
import {
  BulkBatcher,
  bulkBody,
  indexName,
  isBulkItem,
  itemOutcome,
  parseBulkItems,
  prepareRecord,
  utcDay,
} from "../src/bulk";
import type { RawCloudTrailRecord } from "../src/split";
import { CloudTrailScanner } from "../src/split";
import { CONSOLE_LOGIN, REAL_RECORDS } from "./fixtures";

/** Raw records exactly as the scanner produces them. */
function raw(records: readonly unknown[]): RawCloudTrailRecord[] {
  const scanner = new CloudTrailScanner();
  const out = scanner.write(Buffer.from(JSON.stringify({ Records: records })));
  scanner.end();
  return out;
}

function item(record: unknown): BulkItem {
  const prepared = prepareRecord(raw([record])[0] as RawCloudTrailRecord, "cloudtrail");
  assert.ok(isBulkItem(prepared), "reason" in prepared ? prepared.reason : "");
  return prepared;
}

describe("apps/cloudtrail-indexer bulk", () => {
  it("takes the index day from eventTime in UTC", () => {
    assert.deepEqual(utcDay("2024-03-01T23:59:59Z"), { year: "2024", month: "03", day: "01" });
    assert.deepEqual(utcDay("2024-03-01T23:30:00.123Z"), { year: "2024", month: "03", day: "01" });
    assert.deepEqual(utcDay("2024-03-01T23:30:00-02:00"), { year: "2024", month: "03", day: "02" });
    assert.deepEqual(utcDay("2024-03-01T00:30:00+01:00"), { year: "2024", month: "02", day: "29" });
    for (const bad of ["", "yesterday", "2024-03-01", "2024-13-45T00:00:00+00:00", "1709251200"]) {
      assert.equal(utcDay(bad), undefined, bad);
    }
    assert.equal(indexName("audit", { year: "2024", month: "03", day: "01" }), "audit-2024.03.01");
  });

  it("builds a create action with eventID as _id and @timestamp from eventTime", () => {
    for (const event of REAL_RECORDS) {
      const prepared = item(event);
      assert.deepEqual(JSON.parse(prepared.action), {
        create: {
          _index: `cloudtrail-${String(event.eventTime).slice(0, 10).replace(/-/g, ".")}`,
          _id: event.eventID,
        },
      });
      assert.deepEqual(JSON.parse(prepared.document), { "@timestamp": event.eventTime, ...event });
      assert.ok(!prepared.document.includes("\n"));
      assert.equal(prepared.bytes, Buffer.byteLength(`${prepared.action}\n${prepared.document}\n`));
    }
  });

  it("says why a record cannot be indexed", () => {
    const reasons = raw([
      { eventTime: "2024-03-01T00:00:00Z" },
      { eventID: "", eventTime: "2024-03-01T00:00:00Z" },
      { eventID: 7, eventTime: "2024-03-01T00:00:00Z" },
      { eventID: "a" },
      { eventID: "a", eventTime: "soon" },
      "text",
    ]).map((r) => {
      const prepared = prepareRecord(r, "cloudtrail");
      return isBulkItem(prepared) ? "indexable" : prepared.reason;
    });
    assert.deepEqual(reasons, [
      "record has no eventID string",
      "record has no eventID string",
      "record has no eventID string",
      "record has no eventTime string",
      'eventTime is not an ISO-8601 time: "soon"',
      "record is not a JSON object",
    ]);
  });

  it("measures items exactly, whatever the characters (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary", minLength: 1 }), (text, id) => {
        const prepared = item({ eventID: id, eventTime: "2024-03-01T00:00:00Z", text });
        assert.equal(prepared.bytes, Buffer.byteLength(`${prepared.action}\n${prepared.document}\n`));
        assert.equal((JSON.parse(prepared.action) as { create: { _id: string } }).create._id, id);
        // The body is written from the parts: they must be the document, byte for byte.
        assert.equal(prepared.documentParts?.join(""), prepared.document);
        assert.equal(bulkBody([prepared]).toString("utf8"), `${prepared.action}\n${prepared.document}\n`);
      }),
    );
  });

  it("batches in order, within the byte bound unless one item alone exceeds it (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 60 }),
        fc.integer({ min: 200, max: 5000 }),
        (sizes, maxBytes) => {
          const items = sizes.map((n, i) =>
            item({ eventID: `id-${i}`, eventTime: "2024-03-01T00:00:00Z", pad: "x".repeat(n) }),
          );
          const batcher = new BulkBatcher(maxBytes);
          const batches: ReturnType<BulkBatcher["take"]>[] = [];
          for (const it of items) {
            const full = batcher.add(it);
            if (full !== undefined) batches.push(full);
          }
          const rest = batcher.take();
          if (rest.length > 0) batches.push(rest);
          assert.deepEqual(
            batches.flat().map((b) => b.id),
            items.map((b) => b.id),
          );
          for (const batch of batches) {
            const bytes = Buffer.byteLength(bulkBody(batch));
            assert.ok(batch.length > 0);
            assert.ok(
              bytes <= maxBytes || batch.length === 1,
              `${bytes} > ${maxBytes} with ${batch.length} items`,
            );
          }
        },
      ),
    );
  });

  it("writes NDJSON bodies: action line, document line, trailing newline", () => {
    const body = bulkBody([item(CONSOLE_LOGIN)]);
    const lines = body.toString("utf8").split("\n");
    assert.equal(lines.length, 3);
    assert.equal(lines[2], "");
    assert.deepEqual(JSON.parse(lines[1] as string), {
      "@timestamp": CONSOLE_LOGIN.eventTime,
      ...CONSOLE_LOGIN,
    });
  });

  it("classifies item statuses", () => {
    assert.deepEqual(itemOutcome(201, ""), { kind: "indexed" });
    assert.deepEqual(itemOutcome(409, "exists"), { kind: "duplicate" });
    assert.deepEqual(itemOutcome(429, "busy"), { kind: "retry", status: 429, reason: "busy" });
    assert.deepEqual(itemOutcome(503, "down"), { kind: "retry", status: 503, reason: "down" });
    assert.deepEqual(itemOutcome(400, "mapping", "mapper_parsing_exception"), {
      kind: "rejected",
      status: 400,
      reason: "mapping",
    });
  });

  // Bulk item error types: https://docs.opensearch.org/latest/api-reference/document-apis/bulk/ (per-item
  // `error.type`); blocks as the AWS knowledge center shows them (403 FORBIDDEN/8 write block, /6 cluster
  // read-only, 429 TOO_MANY_REQUESTS/12 flood-stage read-only-allow-delete):
  // https://repost.aws/knowledge-center/opensearch-403-clusterblockexception
  it("files only document errors as rejected; auth, missing index and blocks are refusals", () => {
    for (const type of [
      "mapper_parsing_exception",
      "document_parsing_exception",
      "illegal_argument_exception",
    ]) {
      assert.equal(itemOutcome(400, type, type).kind, "rejected", type);
    }
    const refused: [number, string | undefined][] = [
      [401, undefined],
      [403, "security_exception"],
      [404, "index_not_found_exception"],
      [403, "cluster_block_exception"],
      [429, "cluster_block_exception"], // flood-stage watermark: retrying within seconds cannot help
      [403, "index_create_block_exception"],
      [400, "index_closed_exception"],
      [400, undefined],
    ];
    for (const [status, type] of refused) {
      assert.equal(itemOutcome(status, "r", type).kind, "refused", `${status} ${type}`);
    }
  });

  it("reads per-item results of a bulk response", () => {
    const body = JSON.stringify({
      errors: true,
      items: [
        { create: { status: 201 } },
        { create: { status: 409, error: { type: "version_conflict_engine_exception", reason: "exists" } } },
        { create: { status: 429, error: { type: "es_rejected_execution_exception", reason: "queue full" } } },
        { create: { status: 400, error: { type: "mapper_parsing_exception", reason: "bad date" } } },
      ],
    });
    assert.deepEqual(parseBulkItems(body, 4), [
      { kind: "indexed" },
      { kind: "duplicate" },
      { kind: "retry", status: 429, reason: "es_rejected_execution_exception: queue full" },
      { kind: "rejected", status: 400, reason: "mapper_parsing_exception: bad date" },
    ]);
    assert.deepEqual(
      parseBulkItems(JSON.stringify({ errors: false, items: [{ create: { status: 201 } }] }), 1),
      [{ kind: "indexed" }],
    );
    assert.throws(() => parseBulkItems("<html>", 1), /not JSON/);
    assert.throws(
      () => parseBulkItems(JSON.stringify({ errors: false, items: [] }), 1),
      /0 items for 1 actions/,
    );
  });
});
