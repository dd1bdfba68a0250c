import * as assert from "node:assert/strict";

import { DEPRECATION_WARNING_DAYS, LAMBDA_NODE_RUNTIMES, runtimeStatus } from "../lambda-runtimes";

const at = (iso: string) => new Date(iso);

// The dates, per runtime: https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html
// ("Lambda supports the following Node.js runtimes": deprecation, block function create,
// block function update); the policy: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
describe("Lambda Node.js runtime table", () => {
  it("holds AWS's dates for the runtimes the page lists", () => {
    assert.deepEqual(LAMBDA_NODE_RUNTIMES, {
      "nodejs24.x": { deprecate: "2028-04-30", blockCreate: "2028-06-01", blockUpdate: "2028-07-01" },
      "nodejs22.x": { deprecate: "2027-04-30", blockCreate: "2027-06-01", blockUpdate: "2027-07-01" },
      "nodejs20.x": { deprecate: "2026-04-30", blockCreate: "2026-08-31", blockUpdate: "2026-09-30" },
    });
  });

  it("every row is ordered: deprecate ≤ block create ≤ block update, as ISO days", () => {
    for (const [runtime, s] of Object.entries(LAMBDA_NODE_RUNTIMES)) {
      for (const day of [s.deprecate, s.blockCreate, s.blockUpdate]) {
        assert.match(day, /^\d{4}-\d{2}-\d{2}$/, runtime);
        assert.ok(!Number.isNaN(Date.parse(day)), `${runtime}: ${day}`);
      }
      assert.ok(s.deprecate <= s.blockCreate && s.blockCreate <= s.blockUpdate, runtime);
    }
  });

  it("runtimeStatus: each stage from its UTC day on, the latest reached first", () => {
    assert.deepEqual(runtimeStatus("nodejs22.x", at("2027-02-28T23:59:59Z")), {
      state: "supported",
      until: "2027-04-30",
    });
    assert.deepEqual(runtimeStatus("nodejs22.x", at("2027-03-01T00:00:00Z")), {
      state: "deprecating",
      on: "2027-04-30",
      daysLeft: DEPRECATION_WARNING_DAYS,
    });
    assert.deepEqual(runtimeStatus("nodejs22.x", at("2027-04-29T23:59:59Z")), {
      state: "deprecating",
      on: "2027-04-30",
      daysLeft: 1,
    });
    assert.deepEqual(runtimeStatus("nodejs22.x", at("2027-04-30T00:00:00Z")), {
      state: "deprecated",
      since: "2027-04-30",
    });
    assert.deepEqual(runtimeStatus("nodejs22.x", at("2027-06-01T00:00:00Z")), {
      state: "create-blocked",
      since: "2027-06-01",
    });
    assert.deepEqual(runtimeStatus("nodejs22.x", at("2027-07-01T00:00:00Z")), {
      state: "update-blocked",
      since: "2027-07-01",
    });
    assert.deepEqual(runtimeStatus("nodejs20.x", at("2026-12-03T12:00:00Z")), {
      state: "update-blocked",
      since: "2026-09-30",
    });
    assert.deepEqual(runtimeStatus("nodejs24.x", at("2026-12-03T12:00:00Z")), {
      state: "supported",
      until: "2028-04-30",
    });
  });

  it("runtimeStatus: unknown identifiers, the warning window as a parameter", () => {
    for (const runtime of ["nodejs26.x", "nodejs18.x", "python3.13", "", "toString"]) {
      assert.deepEqual(runtimeStatus(runtime, at("2026-12-03T00:00:00Z")), { state: "unknown" }, runtime);
    }
    assert.equal(runtimeStatus("nodejs22.x", at("2027-03-01T00:00:00Z"), 30).state, "supported");
  });
});
