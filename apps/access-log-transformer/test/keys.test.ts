import assert from "node:assert/strict";
import fc from "fast-check";
import { compareSequenceNumbers, normalizePrefix, objectKey, shardIdOf } from "../src/keys";

const SEQUENCE = "49590338271490256608559692538361571095921575989136588898";

describe("keys", () => {
  describe("objectKey", () => {
    it("builds Hive-style hour partitions with shard and first sequence number", () => {
      assert.equal(
        objectKey({
          prefix: "access/",
          time: "2000-10-10T20:55:36.000Z",
          shardId: "shardId-000000000003",
          firstSequenceNumber: SEQUENCE,
        }),
        `access/year=2000/month=10/day=10/hour=20/shardId-000000000003-${SEQUENCE}.json.gz`,
      );
    });

    it("accepts an hour prefix of an ISO time", () => {
      const parts = { prefix: "x/", shardId: "shardId-1", firstSequenceNumber: "1" };
      assert.equal(
        objectKey({ ...parts, time: "2024-03-10T06" }),
        "x/year=2024/month=03/day=10/hour=06/shardId-1-1.json.gz",
      );
    });

    it("adds the missing slash after a prefix, and allows an empty prefix", () => {
      const parts = { time: "2024-03-10T06:00:00.000Z", shardId: "shardId-1", firstSequenceNumber: "7" };
      assert.equal(
        objectKey({ ...parts, prefix: "logs/access" }),
        "logs/access/year=2024/month=03/day=10/hour=06/shardId-1-7.json.gz",
      );
      assert.equal(
        objectKey({ ...parts, prefix: "" }),
        "year=2024/month=03/day=10/hour=06/shardId-1-7.json.gz",
      );
      assert.equal(normalizePrefix("a/"), "a/");
    });

    it("keeps batches of different shards and different batches apart", () => {
      const base = { prefix: "access/", time: "2024-03-10T06:00:00.000Z" };
      const keys = new Set([
        objectKey({ ...base, shardId: "shardId-000000000000", firstSequenceNumber: "100" }),
        objectKey({ ...base, shardId: "shardId-000000000001", firstSequenceNumber: "100" }),
        objectKey({ ...base, shardId: "shardId-000000000000", firstSequenceNumber: "101" }),
      ]);
      assert.equal(keys.size, 3);
    });

    it("rejects values that would make unsafe or meaningless keys", () => {
      const parts = {
        prefix: "access/",
        time: "2024-03-10T06:00:00.000Z",
        shardId: "shardId-1",
        firstSequenceNumber: "1",
      };
      assert.throws(() => objectKey({ ...parts, time: "10/Oct/2000" }), /not an ISO-8601 time/);
      assert.throws(() => objectKey({ ...parts, shardId: "../etc" }), /invalid shard id/);
      assert.throws(() => objectKey({ ...parts, shardId: "" }), /invalid shard id/);
      assert.throws(() => objectKey({ ...parts, firstSequenceNumber: "12a" }), /invalid sequence number/);
    });
  });

  describe("shardIdOf", () => {
    it("takes the shard from a Kinesis eventID", () => {
      assert.equal(shardIdOf(`shardId-000000000006:${SEQUENCE}`), "shardId-000000000006");
    });

    it("rejects an eventID without a shard", () => {
      assert.throws(() => shardIdOf(SEQUENCE), /without a shard id/);
      assert.throws(() => shardIdOf(`:${SEQUENCE}`), /without a shard id/);
    });
  });

  describe("compareSequenceNumbers", () => {
    it("orders sequence numbers as the integers they are, beyond double precision", () => {
      const sequence = fc.bigInt({ min: 0n, max: 10n ** 60n });
      fc.assert(
        fc.property(sequence, sequence, (a, b) => {
          const expected = a < b ? -1 : a > b ? 1 : 0;
          assert.equal(Math.sign(compareSequenceNumbers(a.toString(), b.toString())), expected);
        }),
      );
    });

    it("tells apart numbers that a double would round together", () => {
      assert.ok(compareSequenceNumbers(SEQUENCE, SEQUENCE.replace(/8$/, "9")) < 0);
    });
  });
});
