/**
 * Object keys under Lambda's retries. With BisectBatchOnFunctionError a batch
 * that failed (an error, or a timeout after some of its writes) is retried as
 * two halves, and a partial-batch retry starts mid-batch
 * (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html).
 * Whatever the split, every line must end up in S3 exactly once.
 */
import assert from "node:assert/strict";
import type { KinesisStreamRecord } from "aws-lambda";
import fc from "fast-check";
import { type OutputPrefixes, transformShardBatch } from "../src/transform";
import { kinesisRecord } from "./helpers";

const SHARD = "shardId-000000000001";
const HOURS = ["10/Mar/2024:06:10:00 +0000", "10/Mar/2024:07:20:00 +0000", "10/Mar/2024:08:30:00 +0000"];
const ARRIVALS = [1_710_050_000, 1_710_053_700];

/** Records with unique lines (the url carries a line number), some unparsable, in one or several hours. */
const batchArb = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 1, max: 1_000_000 }),
      fluentd: fc.boolean(),
      lines: fc.array(
        fc.record({
          hour: fc.nat(HOURS.length - 1),
          broken: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
        }),
        {
          minLength: 1,
          maxLength: 5,
        },
      ),
      arrival: fc.constantFrom(...ARRIVALS),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((specs) => {
    let sequence = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;
    let lineNumber = 0;
    return specs.map((spec): KinesisStreamRecord => {
      sequence += BigInt(spec.gap);
      const lines = spec.lines.map(({ hour, broken }) => {
        const n = lineNumber++;
        return broken
          ? `broken line ${n}`
          : `203.0.113.9 - - [${HOURS[hour]}] "GET /u/${n} HTTP/1.1" 200 5 "-" "curl/8.4.0"`;
      });
      // fluentd writes one JSON object per line and record; the receiver packs several lines.
      const data = spec.fluentd ? JSON.stringify({ log: lines[0] }) : lines.join("\n");
      return kinesisRecord({ shardId: SHARD, sequenceNumber: String(sequence), data, arrival: spec.arrival });
    });
  });

/** Solo threshold: every record alone, none, or a mix by size. */
const prefixesArb = fc
  .constantFrom(0, 120, Number.POSITIVE_INFINITY)
  .map((soloRecordBytes): OutputPrefixes => ({
    accessPrefix: "access/",
    errorPrefix: "access-errors/",
    soloRecordBytes,
  }));

type Store = Map<string, string>;
const objectsOf = (records: readonly KinesisStreamRecord[], prefixes: OutputPrefixes): Store =>
  new Map(transformShardBatch(SHARD, records, prefixes).objects.map((o) => [o.key, o.body.toString()]));
const linesIn = (store: Store): string[] =>
  [...store.values()].flatMap((body) => body.split("\n").filter((line) => line !== "")).sort();
const write = (store: Store, objects: Store, keys: Iterable<string> = objects.keys()) => {
  for (const key of keys) store.set(key, objects.get(key)!);
};

/**
 * One invocation of `records` as Lambda may run it: it succeeds (writes
 * everything), or it writes some of its objects, fails, and is retried as
 * two parts split anywhere (Lambda bisects at the middle; any point is
 * stronger). Decisions come from `g`.
 */
function invoke(
  store: Store,
  records: readonly KinesisStreamRecord[],
  prefixes: OutputPrefixes,
  g: fc.GeneratorValue,
  depth = 0,
) {
  const objects = objectsOf(records, prefixes);
  if (records.length === 1 || depth > 4 || !g(fc.boolean)) {
    write(store, objects);
    return;
  }
  write(store, objects, g(fc.subarray, [...objects.keys()]));
  const split = g(fc.integer, { min: 1, max: records.length - 1 });
  invoke(store, records.slice(0, split), prefixes, g, depth + 1);
  invoke(store, records.slice(split), prefixes, g, depth + 1);
}

describe("object keys under bisected retries", () => {
  it("records with objects of their own: any split rewrites exactly the whole batch's objects (same keys, same bodies)", () => {
    const solo: OutputPrefixes = {
      accessPrefix: "access/",
      errorPrefix: "access-errors/",
      soloRecordBytes: 0,
    };
    fc.assert(
      fc.property(
        batchArb.filter((b) => b.length >= 2),
        fc.nat(),
        (records, at) => {
          const split = 1 + (at % (records.length - 1));
          const halves = new Map([
            ...objectsOf(records.slice(0, split), solo),
            ...objectsOf(records.slice(split), solo),
          ]);
          assert.deepEqual(
            [...halves].sort(([a], [b]) => (a < b ? -1 : 1)),
            [...objectsOf(records, solo)].sort(([a], [b]) => (a < b ? -1 : 1)),
          );
        },
      ),
    );
  });

  it("every line ends up in S3 exactly once after any chain of failed attempts and splits", () => {
    fc.assert(
      fc.property(batchArb, prefixesArb, fc.gen(), (records, prefixes, g) => {
        const store: Store = new Map();
        invoke(store, records, prefixes, g);
        assert.deepEqual(linesIn(store), linesIn(objectsOf(records, prefixes)));
      }),
      { numRuns: 500 },
    );
  });

  it("the case the batch-named keys got wrong: an hour only in the second half of a timed-out batch", () => {
    const line = (hour: number, n: number) =>
      `203.0.113.9 - - [${HOURS[hour]}] "GET /u/${n} HTTP/1.1" 200 5 "-" "curl/8.4.0"`;
    const records = [
      kinesisRecord({ shardId: SHARD, sequenceNumber: "100", data: line(0, 1) }),
      kinesisRecord({ shardId: SHARD, sequenceNumber: "200", data: line(1, 2) }),
    ];
    const prefixes: OutputPrefixes = { accessPrefix: "access/", errorPrefix: "access-errors/" };
    const store: Store = new Map();
    const whole = objectsOf(records, prefixes);
    // The first attempt wrote hour 07, then timed out before hour 06.
    write(
      store,
      whole,
      [...whole.keys()].filter((key) => key.includes("hour=07")),
    );
    write(store, objectsOf(records.slice(0, 1), prefixes));
    write(store, objectsOf(records.slice(1), prefixes));
    assert.deepEqual(linesIn(store), linesIn(whole));
    assert.deepEqual([...store.keys()].sort(), [...whole.keys()].sort(), "the halves rewrote the same keys");
  });

  it("keeps the object count of one-line records per hour, and gives packed records objects of their own", () => {
    const line = (n: number) => `203.0.113.9 - - [${HOURS[0]}] "GET /u/${n} HTTP/1.1" 200 5 "-" "curl/8.4.0"`;
    const fluentd = Array.from({ length: 200 }, (_, i) =>
      kinesisRecord({
        shardId: SHARD,
        sequenceNumber: String(1000 + i),
        data: JSON.stringify({ log: line(i) }),
      }),
    );
    const prefixes: OutputPrefixes = { accessPrefix: "access/", errorPrefix: "access-errors/" };
    assert.deepEqual(
      transformShardBatch(SHARD, fluentd, prefixes).objects.map((o) => [o.key, o.lines]),
      [[`access/year=2024/month=03/day=10/hour=06/${SHARD}-1000.json.gz`, 200]],
    );
    // The receiver packs ~1 MiB records under load: one object per record (and hour).
    const packed = [0, 1, 2].map((r) => {
      const lines = Array.from({ length: 4000 }, (_, i) => line(r * 10_000 + i));
      return kinesisRecord({ shardId: SHARD, sequenceNumber: String(5000 + r), data: lines.join("\n") });
    });
    assert.deepEqual(
      transformShardBatch(SHARD, packed, prefixes).objects.map((o) => [o.key, o.lines]),
      [5000, 5001, 5002].map((seq) => [
        `access/year=2024/month=03/day=10/hour=06/${SHARD}-${seq}.json.gz`,
        4000,
      ]),
    );
  });
});
