import assert from "node:assert/strict";
import { FakeOpenSearch } from "../../../cloudtrail-indexer/test/fake-opensearch";
import type { BulkItem } from "../bulk";
import { bulkItem } from "../bulk";
import type { RetryPolicy } from "../indexer";
import { indexItems } from "../indexer";

/** The source line a non-CloudTrail indexer keeps for its failed prefix. */
interface SourceLine {
  readonly sequenceNumber: string;
  readonly line: string;
}

const noWait: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 1,
  maxDelayMs: 1,
  random: () => 0,
  sleep: () => Promise.resolve(),
};

function lines(count: number): BulkItem<SourceLine>[] {
  return Array.from({ length: count }, (_, i) => {
    const payload = { sequenceNumber: `49-${i}`, line: `line ${i}` };
    const document = JSON.stringify({ "@timestamp": "2024-03-01T00:00:00Z", message: payload.line });
    return bulkItem("create", "logs-web-2024.03.01", `49-${i}-0`, document, payload);
  });
}

describe("apps/lib/opensearch indexer", () => {
  it("hands back the caller's payload of each rejected document", async () => {
    const items = lines(4);
    const fake = new FakeOpenSearch({ reject: new Set(["49-1-0", "49-3-0"]) });
    const result = await indexItems(fake.sink(), items, noWait);
    assert.equal(result.indexed, 2);
    assert.deepEqual(
      result.rejected.map((r) => [r.item.payload, r.status]),
      [
        [{ sequenceNumber: "49-1", line: "line 1" }, 400],
        [{ sequenceNumber: "49-3", line: "line 3" }, 400],
      ],
    );
  });

  it("rejects a document too large for any request with its payload", async () => {
    const [only] = lines(1) as [BulkItem<SourceLine>];
    const fake = new FakeOpenSearch({ tooLarge: { overBytes: 0, times: 1 } });
    const result = await indexItems(fake.sink(), [only], noWait);
    assert.deepEqual(
      result.rejected.map((r) => [r.item.payload, r.status]),
      [[only.payload, 413]],
    );
  });
});
