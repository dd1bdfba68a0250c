import assert from "node:assert/strict";
import fc from "fast-check";
import { prepareRecord, prepareRecordReference } from "../src/bulk";
import { CloudTrailScanner, type RawCloudTrailRecord } from "../src/split";
import { REAL_RECORDS } from "./fixtures";

/** Raw records exactly as the scanner produces them. */
function raw(records: readonly unknown[]): RawCloudTrailRecord[] {
  const scanner = new CloudTrailScanner();
  const out = scanner.write(Buffer.from(JSON.stringify({ Records: records })));
  scanner.end();
  return out;
}

const digits = (n: number) => fc.integer({ min: 0, max: 10 ** n - 1 }).map((v) => String(v).padStart(n, "0"));

/** Times as trails write them, near misses of the `…Z` form, offsets, and junk. */
const eventTime = fc.oneof(
  fc.constantFrom(
    "2024-03-01T12:00:01Z",
    "2024-03-01T23:59:59.999Z",
    "2024-03-02T00:00:00Z",
    "2024-03-01T12:00:01.Z",
  ),
  fc
    .tuple(
      fc.constantFrom("2024-03-01", "2024-03-02", "2023-12-31"),
      digits(2),
      digits(2),
      digits(2),
      fc.option(digits(3)),
    )
    .map(([day, h, m, s, ms]) => `${day}T${h}:${m}:${s}${ms === null ? "" : `.${ms}`}Z`),
  fc.constantFrom(
    "2024-03-01T23:30:00-02:00",
    "2024-03-01T00:30:00+01:00",
    "2024-03-01 12:00:01Z",
    "2024-03-01T12:00:01z",
  ),
  fc.string({ maxLength: 24 }).map((tail) => `2024-03-01${tail}`),
);

const record = fc.record(
  {
    base: fc.constantFrom(...REAL_RECORDS),
    eventID: fc.oneof(fc.uuid(), fc.constant(""), fc.string({ maxLength: 6 }), fc.constant('a"b\\c\u00e9')),
    eventTime,
    dropId: fc.boolean(),
    dropTime: fc.boolean(),
  },
  { requiredKeys: ["base", "eventID", "eventTime"] },
);

describe("apps/cloudtrail-indexer prepareRecord fast path", () => {
  it("gives what the reference gives, record after record, across days, prefixes and bad records", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(record, fc.constantFrom("cloudtrail", "ct-other")), {
          minLength: 1,
          maxLength: 12,
        }),
        (items) => {
          const records = raw(
            items.map(([{ base, eventID, eventTime: time, dropId, dropTime }]) => {
              const event: Record<string, unknown> = { ...base, eventID, eventTime: time };
              if (dropId === true) delete event.eventID;
              if (dropTime === true) delete event.eventTime;
              return event;
            }),
          );
          records.forEach((rawRecord, i) => {
            const prefix = items[i]![1];
            assert.deepEqual(prepareRecord(rawRecord, prefix), prepareRecordReference(rawRecord, prefix));
          });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("gives the reference's result for non-object and invalid records after a cached day", () => {
    const [good] = raw([REAL_RECORDS[0]]);
    prepareRecord(good!, "cloudtrail");
    for (const bad of raw([42, "text", [1, 2]])) {
      assert.deepEqual(prepareRecord(bad, "cloudtrail"), prepareRecordReference(bad, "cloudtrail"));
    }
  });
});
