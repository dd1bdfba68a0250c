import * as assert from "node:assert/strict";

import { PlatformBudgets } from "..";
import { containsSecret, resourceNamed, runUnderMocks, valueOf } from "../../../test/lib/mocks";

const NO_CONFIG = { config: {}, secretKeys: [] };
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const BUDGET = "aws:budgets/budget:Budget";

describe("PlatformBudgets (mocks)", () => {
  it("creates the platform's monthly cost budget over its tags, notifying the topic (no account budget by default)", async () => {
    const run = await runUnderMocks("test", NO_CONFIG, async () => {
      const budgets = new PlatformBudgets("b", {
        alarmTopicArn: TOPIC,
        platformMonthlyUsd: 50,
        costAllocationTags: { Environment: "dev" },
        tags: { Project: "p" },
      });
      return {
        name: await valueOf(budgets.platformBudgetName),
        account: budgets.accountBudgetName,
      };
    });
    assert.deepEqual(
      run.resources.filter((r) => r.type === BUDGET).map((r) => [r.name, r.parent]),
      [["b-platform", "b"]],
    );
    assert.equal(run.outputs.name, "b-platform");
    assert.equal(run.outputs.account, undefined);
    assert.deepEqual(resourceNamed(run.resources, BUDGET, "b-platform").props, {
      name: "b-platform",
      budgetType: "COST",
      timeUnit: "MONTHLY",
      limitAmount: "50",
      limitUnit: "USD",
      costFilters: [{ name: "TagKeyValue", values: ["user:Environment$dev"] }],
      notifications: ["ACTUAL", "FORECASTED"].flatMap((notificationType) =>
        [80, 100].map((threshold) => ({
          comparisonOperator: "GREATER_THAN",
          notificationType,
          threshold,
          thresholdType: "PERCENTAGE",
          subscriberSnsTopicArns: [TOPIC],
        })),
      ),
      tags: { Project: "p" },
    });
  });

  it("adds the account budget (no filter) and e-mails the addresses as secrets", async () => {
    const run = await runUnderMocks(
      "test",
      NO_CONFIG,
      () =>
        new PlatformBudgets("b", {
          alarmTopicArn: TOPIC,
          platformMonthlyUsd: 500,
          accountMonthlyUsd: 2000,
          costAllocationTags: { Project: "log-platform", Environment: "prod" },
          thresholds: [90],
          emails: ["finance@example.com"],
        }),
    );
    const account = resourceNamed(run.resources, BUDGET, "b-account");
    assert.deepEqual(account.props, {
      name: "b-account",
      budgetType: "COST",
      timeUnit: "MONTHLY",
      limitAmount: "2000",
      limitUnit: "USD",
      notifications: ["ACTUAL", "FORECASTED"].map((notificationType) => ({
        comparisonOperator: "GREATER_THAN",
        notificationType,
        threshold: 90,
        thresholdType: "PERCENTAGE",
        subscriberSnsTopicArns: [TOPIC],
        subscriberEmailAddresses: ["finance@example.com"],
      })),
      tags: {},
    });
    const platform = run.resources.find((r) => r.type === BUDGET && r.name === "b-platform")!;
    assert.ok(containsSecret(platform.inputs.notifications), "e-mail addresses must be secret");
    assert.ok(!JSON.stringify(platform.inputs).includes("costFilters"));
    assert.equal(resourceNamed(run.resources, BUDGET, "b-platform").props.metrics, "UnblendedCost");
  });

  it("refuses a cost allocation tag without a value", () => {
    assert.throws(
      () =>
        new PlatformBudgets("b", {
          alarmTopicArn: TOPIC,
          platformMonthlyUsd: 1,
          costAllocationTags: { Project: "log-platform", Environment: "" },
        }),
      /costAllocationTags: "Environment" needs a non-empty key and value/,
    );
  });

  it("lists every invalid argument at once", async () => {
    await assert.rejects(
      runUnderMocks(
        "test",
        NO_CONFIG,
        () =>
          new PlatformBudgets("b", {
            alarmTopicArn: TOPIC,
            platformMonthlyUsd: 0,
            accountMonthlyUsd: -1,
            costAllocationTags: {},
            thresholds: [],
            emails: Array.from({ length: 11 }, (_, i) => `u${i}@example.com`),
          }),
      ),
      (error: Error) => {
        for (const expected of [
          "platformMonthlyUsd must be an amount in USD above 0 (got 0)",
          "accountMonthlyUsd must be an amount in USD above 0 (got -1)",
          "thresholds needs at least one threshold",
          "costAllocationTags needs at least one tag",
          "emails: 11 addresses, a notification takes at most 10",
        ])
          assert.ok(error.message.includes(expected), `${expected} in ${error.message}`);
        return true;
      },
    );
  });
});
