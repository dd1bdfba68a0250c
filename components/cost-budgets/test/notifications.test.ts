import * as assert from "node:assert/strict";

import * as fc from "fast-check";

import { budgetNotifications, thresholdProblems } from "..";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";

describe("budget notifications", () => {
  it("notifies actual and forecasted spend above each threshold, to the topic and the addresses", () => {
    assert.deepEqual(budgetNotifications([100, 80], TOPIC, ["a@example.com"]), [
      ...[80, 100].map((threshold) => ({
        comparisonOperator: "GREATER_THAN",
        notificationType: "ACTUAL",
        threshold,
        thresholdType: "PERCENTAGE",
        subscriberSnsTopicArns: [TOPIC],
        subscriberEmailAddresses: ["a@example.com"],
      })),
      ...[80, 100].map((threshold) => ({
        comparisonOperator: "GREATER_THAN",
        notificationType: "FORECASTED",
        threshold,
        thresholdType: "PERCENTAGE",
        subscriberSnsTopicArns: [TOPIC],
        subscriberEmailAddresses: ["a@example.com"],
      })),
    ]);
  });

  it("leaves out the e-mail subscribers when there are none (Budgets refuses an empty list)", () => {
    for (const n of budgetNotifications([90], TOPIC, [])) assert.ok(!("subscriberEmailAddresses" in n));
  });

  it("accepts 1–5 distinct percentages and lists every problem otherwise", () => {
    assert.deepEqual(thresholdProblems("t", [50, 80, 100, 120, 150]), []);
    assert.deepEqual(thresholdProblems("t", []), ["t needs at least one threshold"]);
    assert.deepEqual(thresholdProblems("t", [0, 80, 80]), [
      "t: 0 is not a percentage above 0 and at most 1000000",
      "t lists a threshold twice",
    ]);
    assert.deepEqual(thresholdProblems("t", [10, 20, 30, 40, 50, 60]), [
      "t: 6 thresholds make 12 notifications (ACTUAL and FORECASTED each); a budget has at most 10",
    ]);
  });

  it("makes two notifications per valid threshold, each kind in ascending order", () => {
    const thresholds = fc.uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(thresholds, (t) => {
        assert.deepEqual(thresholdProblems("t", t), []);
        const notifications = budgetNotifications(t, TOPIC, []);
        assert.equal(notifications.length, 2 * t.length);
        const ascending = [...t].sort((a, b) => a - b);
        for (const kind of ["ACTUAL", "FORECASTED"]) {
          assert.deepEqual(
            notifications.filter((n) => n.notificationType === kind).map((n) => n.threshold),
            ascending,
          );
        }
      }),
    );
  });
});
