import assert from "node:assert/strict";
import { ByteBudget, QueueFullError } from "../src/budget";

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("ByteBudget", () => {
  it("grants bytes while they fit and serves waiters in arrival order", async () => {
    const budget = new ByteBudget(10);
    const first = await budget.acquire(6);
    const order: string[] = [];
    const big = budget.acquire(8).then((g) => (order.push("big"), g));
    // Fits now, but waits behind the larger request that came first (no starvation).
    const small = budget.acquire(1).then((g) => (order.push("small"), g));
    await tick();
    assert.deepEqual(order, []);
    assert.equal(budget.waiting, 2);
    first.release();
    const [b, s] = await Promise.all([big, small]);
    assert.deepEqual(order, ["big", "small"]);
    assert.equal(budget.used, 9);
    b.release();
    s.release();
    s.release(); // a second release gives nothing back twice
    assert.equal(budget.used, 0);
  });

  it("gives back what a grant shrinks by, never grows one", async () => {
    const budget = new ByteBudget(10);
    const grant = await budget.acquire(10);
    const waiting = budget.acquire(4);
    grant.shrink(6);
    assert.equal(grant.bytes, 6);
    (await waiting).release();
    grant.shrink(20);
    assert.equal(grant.bytes, 6);
    grant.release();
    assert.equal(budget.used, 0);
  });

  it("refuses a waiter past maxWaiting at once", async () => {
    const budget = new ByteBudget(1, 1);
    const held = await budget.acquire(1);
    const queued = budget.acquire(1);
    await assert.rejects(budget.acquire(1), QueueFullError);
    held.release();
    (await queued).release();
  });

  it("leaves the line when the signal aborts, letting those behind through", async () => {
    const budget = new ByteBudget(10);
    const held = await budget.acquire(5);
    const controller = new AbortController();
    const blocked = budget.acquire(8, controller.signal);
    const behind = budget.acquire(5);
    controller.abort(new Error("client gone"));
    await assert.rejects(blocked, /client gone/);
    (await behind).release();
    held.release();
    assert.equal(budget.used, 0);
    await assert.rejects(budget.acquire(1, controller.signal), /client gone/);
  });

  it("charges a request larger than the budget the whole budget, so it runs alone", async () => {
    const budget = new ByteBudget(10);
    const grant = await budget.acquire(1000);
    assert.equal(grant.bytes, 10);
    grant.release();
    assert.throws(() => new ByteBudget(0), /capacity/);
  });
});
