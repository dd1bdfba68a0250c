import type * as aws from "@pulumi/aws";

import type { Tags } from "../lib/tags";

/** The cost filter arguments of an `aws.budgets.Budget`: exactly one of the two forms. */
export type BudgetTagFilter =
  | { readonly costFilters: aws.types.input.budgets.BudgetCostFilter[] }
  | { readonly filterExpression: aws.types.input.budgets.BudgetFilterExpression; readonly metrics: string };

/**
 * The value of a `TagKeyValue` cost filter for a user-defined cost allocation
 * tag: `user:<key>$<value>` (the Budgets API's CostFilters form; AWS-generated
 * tags use the `aws:` prefix instead).
 */
export function tagKeyValue(key: string, value: string): string {
  return `user:${key}$${value}`;
}

/**
 * A filter that counts only the cost carrying every one of `tags`.
 *
 * One tag: the classic `TagKeyValue` cost filter. Several: the values of one
 * `TagKeyValue` filter are OR-ed (and CostFilters is a map, so a second
 * `TagKeyValue` entry would replace the first), which would count any
 * resource with either tag, e.g. every environment's `Project` tag. An
 * AND of tag expressions (`filterExpression`) counts only the resources
 * carrying all of them; it requires `metrics` (unblended cost, what a
 * cost budget without filter expression tracks by default).
 */
export function tagFilter(tags: Tags): BudgetTagFilter {
  const entries = Object.entries(tags).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) throw new Error("tagFilter needs at least one tag");
  if (entries.length === 1) {
    const [key, value] = entries[0]!;
    return { costFilters: [{ name: "TagKeyValue", values: [tagKeyValue(key, value)] }] };
  }
  return {
    filterExpression: {
      ands: entries.map(([key, value]) => ({
        tags: { key, values: [value], matchOptions: ["EQUALS"] },
      })),
    },
    metrics: "UnblendedCost",
  };
}
