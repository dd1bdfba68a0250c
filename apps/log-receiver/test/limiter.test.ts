import assert from "node:assert/strict";
import { Limiter } from "../src/limiter";

describe("Limiter", () => {
  it("runs at most `capacity` tasks at once, in arrival order", async () => {
    const limiter = new Limiter(2);
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const gates: (() => void)[] = [];
    const tasks = [0, 1, 2, 3, 4].map((i) =>
      limiter.run(async () => {
        started.push(i);
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((resolve) => gates.push(resolve));
        active--;
        return i;
      }),
    );
    // Open one gate at a time; each finished task lets the next waiter start.
    for (let released = 0; released < 5;) {
      await new Promise((r) => setImmediate(r));
      const open = gates.shift();
      if (open !== undefined) {
        open();
        released++;
      }
    }
    assert.deepEqual(await Promise.all(tasks), [0, 1, 2, 3, 4]);
    assert.equal(peak, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
  });

  it("frees the slot when a task fails", async () => {
    const limiter = new Limiter(1);
    await assert.rejects(
      limiter.run(() => Promise.reject(new Error("boom"))),
      /boom/,
    );
    assert.equal(await limiter.run(() => Promise.resolve("next")), "next");
  });

  it("rejects a capacity below 1", () => {
    assert.throws(() => new Limiter(0), /capacity/);
  });
});
