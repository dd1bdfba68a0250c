import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import type { Tags } from "../lib/tags";
import { throwIfInvalid } from "../lib/validation";
import { tagFilter } from "./filters";
import { budgetNotifications, MAX_EMAIL_SUBSCRIBERS, thresholdProblems } from "./notifications";

const TYPE = "log-platform:cost:PlatformBudgets";

/** Default thresholds, percent of the budget: a warning before the limit, and the limit itself. */
export const DEFAULT_THRESHOLDS: readonly number[] = [80, 100];

export interface PlatformBudgetsArgs {
  /**
   * The topic budget alerts go to (the platform's alert topic). Its topic
   * policy must let `budgets.amazonaws.com` publish and, when it is
   * KMS-encrypted, its key policy must let Budgets use the key (the Alerting
   * and LogArchive components grant both). Required.
   */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** Monthly cost budget of the platform, in USD (above 0). Required. */
  readonly platformMonthlyUsd: number;
  /**
   * The cost allocation tags that identify the platform's spend: the
   * platform budget counts only the cost carrying every one of them. They
   * must be activated once in the Billing console before Budgets sees spend
   * under them. Required, at least one.
   */
  readonly costAllocationTags: Tags;
  /** Monthly cost budget of the whole account, in USD (above 0). Default: no account budget. */
  readonly accountMonthlyUsd?: number;
  /**
   * Thresholds in percent of each budget; each notifies once for actual
   * spend and once for forecasted spend above it (at most 5 thresholds:
   * Budgets allows 10 notifications per budget). Default: 80 and 100.
   */
  readonly thresholds?: readonly number[];
  /**
   * E-mail addresses notified directly by Budgets, besides the topic (at
   * most 10), each kept secret in state. Budgets e-mails need no
   * confirmation. Default: none (the topic's subscribers still get every alert).
   */
  readonly emails?: readonly pulumi.Input<string>[];
  /** Tags of the budgets themselves. Default: none. */
  readonly tags?: Tags;
}

/** Problems with a monthly amount in USD. */
function amountProblems(key: string, amount: number | undefined): string[] {
  if (amount === undefined) return [];
  return Number.isFinite(amount) && amount > 0
    ? []
    : [`${key} must be an amount in USD above 0 (got ${amount})`];
}

/** Budget names may not contain ':' or '\' and are at most 100 characters. */
function nameProblems(budgetName: string): string[] {
  return /^[^:\\]{1,100}$/.test(budgetName)
    ? []
    : [
        `budget name "${budgetName}" must be 1–100 characters without ':' or '\\' (shorten the component name)`,
      ];
}

/**
 * AWS Budgets for one environment of the platform: a monthly cost budget over
 * the resources carrying the platform's cost allocation tags and, optionally,
 * one over the whole account; each notifies the alert topic (and any e-mail
 * addresses) when actual or forecasted spend passes a threshold.
 */
export class PlatformBudgets extends pulumi.ComponentResource {
  /** Name of the platform's budget (as the Budgets console and its alerts show it). */
  public readonly platformBudgetName: pulumi.Output<string>;
  /** Name of the account's budget, when one is created. */
  public readonly accountBudgetName?: pulumi.Output<string>;

  constructor(name: string, args: PlatformBudgetsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(TYPE, name, {}, opts);
    const thresholds = args.thresholds ?? DEFAULT_THRESHOLDS;
    const emails = args.emails ?? [];
    const platformName = `${name}-platform`;
    const accountName = `${name}-account`;
    throwIfInvalid(TYPE, name, [
      ...amountProblems("platformMonthlyUsd", args.platformMonthlyUsd),
      ...amountProblems("accountMonthlyUsd", args.accountMonthlyUsd),
      ...thresholdProblems("thresholds", thresholds),
      ...(Object.keys(args.costAllocationTags).length === 0
        ? ["costAllocationTags needs at least one tag (else the platform budget would be the account's)"]
        : []),
      ...Object.entries(args.costAllocationTags)
        .filter(([key, value]) => key === "" || value === "")
        .map(([key]) => `costAllocationTags: "${key}" needs a non-empty key and value`),
      ...(emails.length > MAX_EMAIL_SUBSCRIBERS
        ? [`emails: ${emails.length} addresses, a notification takes at most ${MAX_EMAIL_SUBSCRIBERS}`]
        : []),
      ...nameProblems(platformName),
      ...(args.accountMonthlyUsd !== undefined ? nameProblems(accountName) : []),
    ]);

    // Addresses are personal data: secret, so state and previews keep them encrypted.
    const notifications = budgetNotifications(
      thresholds,
      args.alarmTopicArn,
      emails.map((email) => pulumi.secret(email)),
    );
    const monthlyCost = (budgetName: string, amount: number) => ({
      name: budgetName,
      budgetType: "COST",
      timeUnit: "MONTHLY",
      limitAmount: String(amount),
      limitUnit: "USD",
      notifications,
      tags: { ...(args.tags ?? {}) },
    });

    const platform = new aws.budgets.Budget(
      platformName,
      { ...monthlyCost(platformName, args.platformMonthlyUsd), ...tagFilter(args.costAllocationTags) },
      { parent: this },
    );
    this.platformBudgetName = platform.name;

    if (args.accountMonthlyUsd !== undefined) {
      const account = new aws.budgets.Budget(accountName, monthlyCost(accountName, args.accountMonthlyUsd), {
        parent: this,
      });
      this.accountBudgetName = account.name;
    }

    this.registerOutputs({
      platformBudgetName: this.platformBudgetName,
      ...(this.accountBudgetName !== undefined ? { accountBudgetName: this.accountBudgetName } : {}),
    });
  }
}
