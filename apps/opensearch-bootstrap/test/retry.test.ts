import assert from "node:assert/strict";
import fc from "fast-check";
import { retryDeadline, TIMEOUT_MARGIN_MS } from "../src/handler";
import { backoffDelay, isRetryableStatus, requestWithRetry } from "../src/retry";

describe("opensearch-bootstrap retry policy", () => {
  it("retries what a domain answers while coming up or throttled, nothing else", () => {
    const retried = [401, 403, 429, 500, 502, 503, 504, 599];
    const final = [200, 201, 301, 400, 404, 405, 409, 413];
    assert.deepEqual(
      retried.map(isRetryableStatus),
      retried.map(() => true),
    );
    assert.deepEqual(
      final.map(isRetryableStatus),
      final.map(() => false),
    );
  });

  it("doubles the pause from the first one and never exceeds the cap", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, 1000, 30_000)),
      [1000, 2000, 4000, 8000, 16000, 30000, 30000],
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (attempt) => {
        const delay = backoffDelay(attempt, 1000, 30_000);
        assert.ok(delay >= 1000 && delay <= 30_000);
        assert.ok(backoffDelay(attempt + 1, 1000, 30_000) >= delay);
      }),
    );
  });

  it("ends retries at the budget or a margin before the invocation's timeout, whichever is first", () => {
    const now = 1_000_000;
    assert.equal(retryDeadline(now, 600_000), now + 600_000);
    assert.equal(retryDeadline(now, 600_000, { getRemainingTimeInMillis: () => 900_000 }), now + 600_000);
    assert.equal(
      retryDeadline(now, 600_000, { getRemainingTimeInMillis: () => 120_000 }),
      now + 120_000 - TIMEOUT_MARGIN_MS,
    );
    assert.equal(retryDeadline(now, 600_000, { getRemainingTimeInMillis: () => 10_000 }), now, "one attempt");
  });

  it("returns the first 2xx answer and says which call failed how", async () => {
    const answers = [
      { statusCode: 503, body: "" },
      { statusCode: 200, body: "ok" },
    ];
    const clock = { now: () => 0, sleep: () => Promise.resolve() };
    const transport = { request: () => Promise.resolve(answers.shift()!) };
    assert.deepEqual(await requestWithRetry(transport, "GET", "/x", undefined, { deadline: 10_000, clock }), {
      statusCode: 200,
      body: "ok",
    });
    const failing = { request: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:9")) };
    await assert.rejects(
      requestWithRetry(failing, "PUT", "/y", "{}", { deadline: 0, clock }),
      /^Error: PUT \/y failed: connect ECONNREFUSED 127\.0\.0\.1:9 \(gave up after 1 attempts over 0 s\)$/,
    );
  });
});
