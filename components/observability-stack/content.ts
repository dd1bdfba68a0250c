import * as path from "node:path";

import type { DashboardFile } from "../grafana-workspace/dashboards";
import { readDashboards } from "../grafana-workspace/dashboards";
import type { RuleNamespace } from "../prometheus-workspace/rule-namespaces";
import { readRuleNamespaces } from "../prometheus-workspace/rule-namespaces";

/*
 * The platform's observability content, versioned in apps/dashboards: what
 * the stack hands to its AMP and AMG components.
 */

/** Prometheus rule files, one rule group namespace each (`rules/tests/` holds promtool tests, not rules). */
export const RULES_DIR = path.resolve(__dirname, "../../apps/dashboards/rules");

/** Grafana dashboards (JSON models) versioned in the repository. */
export const DASHBOARDS_DIR = path.resolve(__dirname, "../../apps/dashboards");

/** The repository's rule files as AMP rule group namespaces. */
export function platformRuleNamespaces(): RuleNamespace[] {
  return readRuleNamespaces(RULES_DIR);
}

/** The cost dashboard (`cost.json`), which queries the CostExport's table: provisioned only with it. */
export const COST_DASHBOARD = "cost";

/** The repository's Grafana dashboards; the cost dashboard only when there is cost data to show. */
export function platformDashboards(options: { readonly cost: boolean }): DashboardFile[] {
  return readDashboards(DASHBOARDS_DIR).filter((d) => options.cost || d.name !== COST_DASHBOARD);
}
