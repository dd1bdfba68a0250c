import assert from "node:assert/strict";
import fc from "fast-check";
import { KINESIS_LIMITS, packRecords } from "../src/pack";
import type { RetryPolicy } from "../src/put";
import { StoreError, backoffDelay, putAllRecords } from "../src/put";
import { FakeKinesis, serviceError } from "./helpers";

const POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, retryAfterSeconds: 3 };

describe("putAllRecords", () => {
  const sleeps: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    sleeps.push(ms);
    return Promise.resolve();
  };
  const retried: number[] = [];
  const hooks = { onCall: () => undefined, onRetry: (n: number) => void retried.push(n) };
  beforeEach(() => {
    sleeps.length = 0;
    retried.length = 0;
  });

  const records = packRecords(
    Array.from({ length: 12 }, (_, i) => `envelope-${i}`),
    (i) => `k${i}`,
    20,
  );

  it("full-jitter backoff stays within [0, min(max, base·2^(n-1)))", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          const delay = backoffDelay(n, POLICY, () => r);
          assert.ok(delay >= 0 && delay < Math.min(POLICY.maxDelayMs, POLICY.baseDelayMs * 2 ** (n - 1)));
        },
      ),
    );
  });

  it("resends exactly the failed entries until all are stored", async () => {
    // Entry 0 of every call fails on the first two rounds.
    const kinesis = new FakeKinesis((call, entry) =>
      call < 2 && entry === 0 ? "InternalFailure" : undefined,
    );
    await putAllRecords(kinesis, "s", records, KINESIS_LIMITS, POLICY, hooks, { sleep });
    assert.equal(kinesis.calls.length, 3);
    assert.equal(kinesis.calls[1]?.length, 1);
    assert.deepEqual(kinesis.calls[1]?.[0]?.partitionKey, records[0]?.partitionKey);
    assert.deepEqual(retried, [1, 1]);
    assert.equal(sleeps.length, 2);
    assert.deepEqual(
      kinesis.stored.map((r) => r.partitionKey).sort(),
      records.map((r) => r.partitionKey).sort(),
    );
  });

  it("splits a round into several calls within the per-call limits", async () => {
    const kinesis = new FakeKinesis();
    await putAllRecords(kinesis, "s", records, { ...KINESIS_LIMITS, maxRecordsPerCall: 5 }, POLICY, hooks, {
      sleep,
    });
    assert.deepEqual(
      kinesis.calls.map((c) => c.length),
      [5, 5, 2],
    );
  });

  it("throws a throttled StoreError after the retry budget", async () => {
    const stuck = records[3]?.partitionKey;
    const kinesis = new FakeKinesis((_call, _entry, record) =>
      record.partitionKey === stuck ? "ProvisionedThroughputExceededException" : undefined,
    );
    await assert.rejects(
      putAllRecords(kinesis, "s", records, KINESIS_LIMITS, POLICY, hooks, { sleep }),
      (e: unknown) => e instanceof StoreError && e.reason === "throttled" && e.unstored === 1,
    );
    assert.equal(kinesis.calls.length, POLICY.maxAttempts);
    assert.equal(sleeps.length, POLICY.maxAttempts - 1);
  });

  it("treats a response that does not line up with the request as a failure", async () => {
    const short = {
      calls: 0,
      send() {
        this.calls++;
        return Promise.resolve({ FailedRecordCount: 0, Records: [], $metadata: {} });
      },
    };
    await assert.rejects(
      putAllRecords(short, "s", records, KINESIS_LIMITS, { ...POLICY, maxAttempts: 2 }, hooks, { sleep }),
      (e: unknown) => e instanceof StoreError && e.reason === "unavailable" && /0 results/.test(e.message),
    );
    assert.equal(short.calls, 2);
  });

  it("does not retry an error that will not heal", async () => {
    const kinesis = new FakeKinesis(undefined, () => serviceError("AccessDeniedException", 400));
    await assert.rejects(
      putAllRecords(kinesis, "s", records, KINESIS_LIMITS, POLICY, hooks, { sleep }),
      /AccessDeniedException/,
    );
    assert.equal(kinesis.calls.length, 1);
  });
});
