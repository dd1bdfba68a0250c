import assert from "node:assert/strict";
import fc from "fast-check";
import { isoOf } from "../../src/logs/time";

/** Epoch ms across Date's whole range, and runs of nearby times (the cached paths). */
const MAX_MS = 8.64e15;
const time = fc.oneof(
  fc.integer({ min: -MAX_MS, max: MAX_MS }),
  fc.integer({ min: Date.UTC(1999, 0, 1), max: Date.UTC(2100, 0, 1) }),
  fc.constantFrom(
    0,
    -1,
    999,
    1000,
    86_399_999,
    86_400_000,
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    Date.UTC(10000, 0, 1),
  ),
);

/** isoOf as it was before the clock was written by hand (the reference; it also differs from toISOString past year 9999). */
function referenceIsoOf(ms: number): string {
  const second = Math.floor(ms / 1000);
  const millis = ms - second * 1000;
  return `${new Date(second * 1000).toISOString().slice(0, 20)}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
}

/** Years 0000-9999, where toISOString has four year digits. */
const PLAIN = { min: -62_167_219_200_000, max: Date.UTC(10000, 0, 1) };

describe("logs/time isoOf", () => {
  it("equals the previous isoOf for any time and any order of times, and toISOString for years 0000-9999 (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(time, fc.integer({ min: -3_000, max: 90_000_000 })), {
          minLength: 1,
          maxLength: 20,
        }),
        (steps) => {
          for (const [start, step] of steps) {
            for (const ms of [start, start + step, start + step + 1]) {
              if (Math.abs(ms) > MAX_MS) continue;
              const iso = isoOf(ms);
              assert.equal(iso, referenceIsoOf(ms), String(ms));
              if (ms >= PLAIN.min && ms < PLAIN.max)
                assert.equal(iso, new Date(ms).toISOString(), String(ms));
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
