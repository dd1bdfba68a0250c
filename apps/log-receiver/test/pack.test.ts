import assert from "node:assert/strict";
import fc from "fast-check";
import { EnvelopeTooLargeError, groupIntoCalls, packRecords, recordBytes } from "../src/pack";

const keyOf = (i: number): string => `key-${i}`;

describe("packing envelopes into Kinesis records and calls", () => {
  it("never exceeds the record, call count and call byte limits, and keeps every envelope in order", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: "binary", maxLength: 60 }).map((s) => s.replace(/\n/g, " ")),
          { maxLength: 200 },
        ),
        fc.integer({ min: 70, max: 400 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 3 }),
        (envelopes, maxRecordBytes, maxRecordsPerCall, extra) => {
          const records = packRecords(envelopes, keyOf, maxRecordBytes);
          for (const record of records) assert.ok(recordBytes(record) <= maxRecordBytes);
          const rebuilt = records.flatMap((r) => r.data.toString("utf8").split("\n"));
          assert.deepEqual(rebuilt, envelopes);
          assert.equal(
            records.reduce((n, r) => n + r.lines, 0),
            envelopes.length,
          );
          const limits = { maxRecordBytes, maxRecordsPerCall, maxBytesPerCall: maxRecordBytes * (1 + extra) };
          const calls = groupIntoCalls(records, limits);
          assert.deepEqual(calls.flat(), records);
          for (const call of calls) {
            assert.ok(call.length >= 1 && call.length <= maxRecordsPerCall);
            assert.ok(call.reduce((n, r) => n + recordBytes(r), 0) <= limits.maxBytesPerCall);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("uses the first envelope's key as partition key and fills records greedily", () => {
    const records = packRecords(["aaaa", "bbbb", "cccc"], keyOf, 9 + "key-0".length);
    assert.deepEqual(
      records.map((r) => [r.data.toString(), r.partitionKey]),
      [
        ["aaaa\nbbbb", "key-0"],
        ["cccc", "key-2"],
      ],
    );
  });

  it("counts multi-byte characters in bytes", () => {
    // "é" is 2 bytes: two of them plus a separator make 5 bytes, plus key "k" = 6 > 5.
    const records = packRecords(["é", "é"], () => "k", 5);
    assert.equal(records.length, 2);
  });

  it("throws for an envelope that cannot fit in any record", () => {
    assert.throws(
      () => packRecords(["ok", "x".repeat(100)], keyOf, 50),
      (e: unknown) => e instanceof EnvelopeTooLargeError && e.position === 1,
    );
  });
});
