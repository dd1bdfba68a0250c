/**
 * The budgets of each stack, from the real program and Pulumi.<stack>.yaml
 * (mocks): exact inputs, the defaults per environment, and the settings that
 * add an account budget, e-mail addresses, or turn budgets off.
 */
import * as assert from "node:assert/strict";

import type { ProgramRun } from "../lib/mocks";
import { containsSecret, resourceNamed, valueOf } from "../lib/mocks";
import { runPlatform } from "../lib/platform-run";

const BUDGET = "aws:budgets/budget:Budget";

type Run = ProgramRun<{ alertTopicArn: string }>;

function runStack(stack: string, budgets?: Record<string, unknown>): Promise<Run> {
  return runPlatform(stack, budgets === undefined ? {} : { budgets }, async (platform) => ({
    alertTopicArn: await valueOf(platform.alertTopicArn),
  }));
}

function notifications(topicArn: string, thresholds: number[], emails?: string[]) {
  return ["ACTUAL", "FORECASTED"].flatMap((notificationType) =>
    thresholds.map((threshold) => ({
      comparisonOperator: "GREATER_THAN",
      notificationType,
      threshold,
      thresholdType: "PERCENTAGE",
      subscriberSnsTopicArns: [topicArn],
      ...(emails !== undefined ? { subscriberEmailAddresses: emails } : {}),
    })),
  );
}

describe("budgets, per stack (mocks, real Pulumi.<stack>.yaml)", function () {
  this.timeout(120_000);

  for (const [stack, usd, costCenter] of [
    ["dev", "50", "platform-dev"],
    ["prod", "500", "platform"],
  ] as const) {
    it(`${stack}: one monthly ${usd} USD budget over Project and Environment, alerting the platform topic`, async () => {
      const run = await runStack(stack);
      const budgets = run.resources.filter((r) => r.type === BUDGET);
      assert.deepEqual(
        budgets.map((b) => [b.name, b.parent]),
        [[`lp-${stack}-budgets-platform`, `lp-${stack}-budgets`]],
      );
      assert.equal(
        resourceNamed(run.resources, "log-platform:cost:PlatformBudgets", `lp-${stack}-budgets`).parent,
        null,
      );
      assert.match(run.outputs.alertTopicArn, /^arn:aws:sns:eu-west-1:123456789012:/);
      assert.deepEqual(resourceNamed(run.resources, BUDGET, `lp-${stack}-budgets-platform`).props, {
        name: `lp-${stack}-budgets-platform`,
        budgetType: "COST",
        timeUnit: "MONTHLY",
        limitAmount: usd,
        limitUnit: "USD",
        filterExpression: {
          ands: [
            { tags: { key: "Environment", values: [stack], matchOptions: ["EQUALS"] } },
            { tags: { key: "Project", values: ["log-platform"], matchOptions: ["EQUALS"] } },
          ],
        },
        metrics: "UnblendedCost",
        notifications: notifications(run.outputs.alertTopicArn, [80, 100]),
        tags: {
          CostCenter: costCenter,
          Project: "log-platform",
          Environment: stack,
          ManagedBy: "pulumi",
          // prod runs the cost export, which tags each component's resources.
          ...(stack === "prod" ? { Component: "budgets" } : {}),
        },
      });
    });
  }

  it("prod: accountMonthlyUsd adds an unfiltered account budget; emails are secret subscribers of each", async () => {
    const run = await runStack("prod", {
      platformMonthlyUsd: 400,
      accountMonthlyUsd: 2500,
      thresholds: [100, 50, 120],
      emails: ["finance@example.com"],
    });
    const topic = run.outputs.alertTopicArn;
    const expected = notifications(topic, [50, 100, 120], ["finance@example.com"]);
    const account = resourceNamed(run.resources, BUDGET, "lp-prod-budgets-account");
    assert.deepEqual(account.props, {
      name: "lp-prod-budgets-account",
      budgetType: "COST",
      timeUnit: "MONTHLY",
      limitAmount: "2500",
      limitUnit: "USD",
      notifications: expected,
      tags: {
        CostCenter: "platform",
        Project: "log-platform",
        Environment: "prod",
        ManagedBy: "pulumi",
        Component: "budgets",
      },
    });
    const platform = resourceNamed(run.resources, BUDGET, "lp-prod-budgets-platform");
    assert.equal(platform.props.limitAmount, "400");
    assert.deepEqual(platform.props.notifications, expected);
    for (const budget of [account, platform])
      assert.ok(containsSecret(budget.inputs.notifications), `${budget.name}: addresses must be secret`);
  });

  it("dev: enabled false creates no budget", async () => {
    const run = await runStack("dev", { enabled: false });
    assert.deepEqual(
      run.resources.filter((r) => r.type === BUDGET || r.type === "log-platform:cost:PlatformBudgets"),
      [],
    );
  });

  it("settings: invalid budgets are refused, every problem listed", async () => {
    await assert.rejects(
      runStack("dev", { platformMonthlyUsd: 0, thresholds: [80, 80], emails: ["nobody"] }),
      (error: Error) => {
        for (const expected of [
          "log-platform:budgets.platformMonthlyUsd: must be an amount in USD above 0",
          "log-platform:budgets.thresholds: thresholds lists a threshold twice",
          "log-platform:budgets.emails[0]: must be an e-mail address",
        ])
          assert.ok(error.message.includes(expected), `${expected}\nin\n${error.message}`);
        return true;
      },
    );
  });
});
