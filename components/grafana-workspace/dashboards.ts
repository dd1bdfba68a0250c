import * as fs from "node:fs";
import * as path from "node:path";

/** Folder (title and uid) the dashboards are provisioned into. */
export const DASHBOARD_FOLDER = "log-platform";

/** A data source reference as a dashboard holds it, resolved to a concrete uid. */
export interface DatasourceUse {
  readonly type: string;
  readonly uid: string;
}

interface DashboardModel {
  readonly templating?: {
    readonly list?: readonly {
      readonly name?: string;
      readonly type?: string;
      readonly datasource?: unknown;
      readonly current?: { readonly value?: unknown };
    }[];
  };
  readonly panels?: readonly unknown[];
  readonly annotations?: unknown;
}

/** Grafana's own pseudo data sources, which need no provisioning. */
const BUILT_IN_UIDS: ReadonlySet<string> = new Set([
  "-- Grafana --",
  "grafana",
  "-- Dashboard --",
  "-- Mixed --",
]);

/**
 * Every data source a dashboard model uses, with `${var}` references resolved
 * to the default (`current`) of the dashboard's data source variable, which is
 * what a viewer gets before choosing. Grafana's built-in sources are left out.
 */
export function dashboardDatasourceUses(dashboard: DashboardModel): DatasourceUse[] {
  const variables = new Map(
    (dashboard.templating?.list ?? [])
      .filter((v) => v.type === "datasource" && typeof v.name === "string")
      .map((v) => [v.name as string, v.current?.value]),
  );
  const uses = new Map<string, DatasourceUse>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "datasource" && typeof value === "object" && value !== null) {
        const { type, uid } = value as { type?: unknown; uid?: unknown };
        if (typeof type === "string" && typeof uid === "string" && !BUILT_IN_UIDS.has(uid)) {
          const variable = /^\$\{?(\w+)\}?$/.exec(uid)?.[1];
          const resolved = variable === undefined ? uid : variables.get(variable);
          const concrete = typeof resolved === "string" ? resolved : uid;
          uses.set(`${type}|${concrete}`, { type, uid: concrete });
        }
      } else {
        visit(value);
      }
    }
  };
  visit(dashboard);
  return [...uses.values()].sort((a, b) => a.uid.localeCompare(b.uid) || a.type.localeCompare(b.type));
}

export interface DashboardFile {
  /** File name without `.json`; names the dashboard's resource. */
  readonly name: string;
  readonly configJson: string;
}

/** Every `*.json` dashboard in `dir`, sorted by name. */
export function readDashboards(dir: string): DashboardFile[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".json"))
    .map((entry) => entry.name)
    .sort()
    .map((file) => ({
      name: file.slice(0, -".json".length),
      configJson: fs.readFileSync(path.join(dir, file), "utf8"),
    }));
}
