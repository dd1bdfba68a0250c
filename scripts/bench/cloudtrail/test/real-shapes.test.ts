import assert from "node:assert/strict";
import { splitCloudTrail } from "../../../../apps/cloudtrail-indexer/src/split";
import { logFile } from "../../../../apps/cloudtrail-indexer/test/fixtures";
import { realShapesRecordAt } from "../real-shapes";

describe("benchmark CloudTrail real shapes", () => {
  const records = Array.from({ length: 2_000 }, (_, n) => realShapesRecordAt(n));

  it("has the advertised mix: mostly ~1.1 KB management events, some data events, rare large records", () => {
    const sizes = records.map((record) => JSON.stringify(record).length);
    const share = (predicate: (i: number) => boolean) =>
      records.filter((_, i) => predicate(i)).length / records.length;
    assert.ok(share((i) => sizes[i]! >= 1000 && sizes[i]! <= 1300) >= 0.75);
    assert.equal(
      share((i) => records[i]!.eventCategory === "Data"),
      0.1,
    );
    assert.equal(
      share((i) => records[i]!.eventName === "ConsoleLogin"),
      0.048,
    );
    assert.equal(
      share((i) => sizes[i]! > 50_000),
      0.002,
    );
  });

  it("splits into exactly its records, with distinct event ids", () => {
    const split = [...splitCloudTrail(logFile(records))];
    assert.deepEqual(split, records);
    assert.equal(new Set(split.map((record) => record.eventID)).size, records.length);
  });
});
