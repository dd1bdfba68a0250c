import assert from "node:assert/strict";
import fc from "fast-check";
import type { BulkItem, BulkSink } from "../src/bulk";
import { isBulkItem, prepareRecord } from "../src/bulk";
import type { RetryPolicy } from "../src/indexer";
import { backoffDelay, indexItems, IndexingRefusedError, RetriesExhaustedError } from "../src/indexer";
import { CloudTrailScanner } from "../src/split";
import { FakeOpenSearch } from "./fake-opensearch";
import { CONSOLE_LOGIN, variant } from "./fixtures";

function items(count: number): BulkItem[] {
  const scanner = new CloudTrailScanner();
  const records = scanner.write(
    Buffer.from(
      JSON.stringify({ Records: Array.from({ length: count }, (_, i) => variant(CONSOLE_LOGIN, i)) }),
    ),
  );
  scanner.end();
  return records.map((r) => {
    const prepared = prepareRecord(r, "cloudtrail");
    assert.ok(isBulkItem(prepared));
    return prepared;
  });
}

/** A policy that records its waits instead of sleeping. */
function policy(maxAttempts = 4): RetryPolicy & { waits: number[] } {
  const waits: number[] = [];
  return {
    maxAttempts,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    random: () => 0.5,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    waits,
  };
}

describe("apps/cloudtrail-indexer indexer", () => {
  it("indexes everything in one request when OpenSearch accepts it", async () => {
    const fake = new FakeOpenSearch();
    const batch = items(5);
    const result = await indexItems(fake.sink(), batch, policy());
    assert.deepEqual(result, { indexed: 5, duplicates: 0, retries: 0, splits: 0, rejected: [] });
    assert.deepEqual(
      [...fake.docs.keys()],
      batch.map((i) => i.id),
    );
    assert.deepEqual(fake.requestStatuses, [200]);
  });

  it("counts 409 as done: re-indexing the same events duplicates nothing", async () => {
    const fake = new FakeOpenSearch();
    const batch = items(3);
    await indexItems(fake.sink(), batch, policy());
    const again = await indexItems(fake.sink(), batch, policy());
    assert.equal(again.duplicates, 3);
    assert.deepEqual([...fake.created.values()], [1, 1, 1]);
  });

  it("retries only the throttled items, with backoff", async () => {
    const batch = items(4);
    const fake = new FakeOpenSearch({
      throttle: new Map([
        [batch[1]?.id ?? "", 2],
        [batch[3]?.id ?? "", 1],
      ]),
    });
    const p = policy();
    const result = await indexItems(fake.sink(), batch, p);
    assert.equal(result.indexed, 4);
    assert.equal(result.retries, 3); // two items once, one item twice
    assert.deepEqual(fake.requestSizes.length, 3);
    assert.deepEqual(p.waits, [50, 100]); // half of 100·2^0, 100·2^1 with random() = 0.5
  });

  it("treats a lost acknowledgement (stored, answered 429) as done on retry via 409", async () => {
    const batch = items(2);
    const fake = new FakeOpenSearch({ lostAck: new Set([batch[0]?.id ?? ""]) });
    const result = await indexItems(fake.sink(), batch, policy());
    assert.deepEqual([result.indexed, result.duplicates, result.retries], [1, 1, 1]);
    assert.equal(fake.created.get(batch[0]?.id ?? ""), 1);
  });

  it("keeps mapping errors as rejections with their reason", async () => {
    const batch = items(3);
    const fake = new FakeOpenSearch({ reject: new Set([batch[2]?.id ?? ""]) });
    const result = await indexItems(fake.sink(), batch, policy());
    assert.equal(result.indexed, 2);
    assert.deepEqual(
      result.rejected.map((r) => [r.item.id, r.status, r.reason]),
      [[batch[2]?.id, 400, "mapper_parsing_exception: failed to parse field [eventTime] of type [date]"]],
    );
  });

  it("halves the batch on 413 and still indexes every item", async () => {
    const batch = items(8);
    const total = batch.reduce((sum, i) => sum + i.bytes, 0);
    const fake = new FakeOpenSearch({ tooLarge: { overBytes: total / 3, times: 10 } });
    const result = await indexItems(fake.sink(), batch, policy());
    assert.equal(result.indexed, 8);
    assert.equal(result.splits, 3); // 8 → 4+4, each 4 → 2+2
    assert.ok(
      fake.requestSizes.filter((_, i) => fake.requestStatuses[i] === 200).every((s) => s <= total / 3),
    );
  });

  it("rejects a single event too large for any request", async () => {
    const [only] = items(1);
    const fake = new FakeOpenSearch({ tooLarge: { overBytes: 10, times: 5 } });
    const result = await indexItems(fake.sink(), [only as BulkItem], policy());
    assert.deepEqual(
      result.rejected.map((r) => r.status),
      [413],
    );
  });

  it("retries whole-request 5xx and network errors", async () => {
    const fake = new FakeOpenSearch({ unavailable: 1 });
    let failures = 1;
    const sink: BulkSink = {
      bulk: (body) => (failures-- > 0 ? Promise.reject(new Error("ECONNRESET")) : fake.sink().bulk(body)),
    };
    const result = await indexItems(sink, items(2), policy());
    assert.equal(result.indexed, 2);
    assert.equal(result.retries, 4);
  });

  it("gives up after maxAttempts so the message is redelivered later", async () => {
    const batch = items(2);
    const fake = new FakeOpenSearch({ throttle: new Map([[batch[0]?.id ?? "", 99]]) });
    await assert.rejects(
      indexItems(fake.sink(), batch, policy(3)),
      (e: unknown) =>
        e instanceof RetriesExhaustedError && /1 of 2 items not indexed after 3 attempts/.test(e.message),
    );
    assert.equal(fake.requestStatuses.length, 3);
  });

  it("fails fast on request errors retrying cannot fix", async () => {
    const sink: BulkSink = {
      bulk: () => Promise.resolve({ statusCode: 403, body: '{"message":"forbidden"}' }),
    };
    await assert.rejects(indexItems(sink, items(1), policy()), /_bulk answered 403/);
  });

  it("refuses (no rejection filed) on item 403/404 and cluster blocks, without spending retries", async () => {
    for (const fault of ["write-block", "flood-stage", "index-missing"] as const) {
      const fake = new FakeOpenSearch({ outage: fault });
      const p = policy();
      await assert.rejects(indexItems(fake.sink(), items(3), p), IndexingRefusedError, fault);
      assert.deepEqual([fake.requestStatuses.length, p.waits.length], [1, 0], fault);
    }
  });

  it("keeps backoff within [0, min(max, base·2^n)) (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          const delay = backoffDelay(n, { baseDelayMs: 100, maxDelayMs: 5000, random: () => r });
          assert.ok(delay >= 0 && delay < Math.min(5000, 100 * 2 ** n), `${delay}`);
        },
      ),
    );
  });
});
