export { DEFAULT_THRESHOLDS, PlatformBudgets } from "./platform-budgets";
export type { PlatformBudgetsArgs } from "./platform-budgets";
export type { BudgetTagFilter } from "./filters";
export { tagFilter, tagKeyValue } from "./filters";
export {
  budgetNotifications,
  MAX_EMAIL_SUBSCRIBERS,
  MAX_NOTIFICATIONS_PER_BUDGET,
  MAX_THRESHOLD_PERCENT,
  NOTIFICATION_TYPES,
  thresholdProblems,
} from "./notifications";
