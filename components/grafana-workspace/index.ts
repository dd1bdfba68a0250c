export {
  GRAFANA_WORKSPACE_DEFAULTS,
  grafanaContentProblems,
  GrafanaWorkspace,
  grafanaWorkspaceArgProblems,
  grafanaWorkspaceSettingProblems,
} from "./grafana-workspace";
export type {
  AthenaSource,
  AuthenticationProvider,
  GrafanaWorkspaceArgs,
  GrafanaWorkspaceSettings,
} from "./grafana-workspace";
export { DASHBOARD_FOLDER, dashboardDatasourceUses, readDashboards } from "./dashboards";
export type { DashboardFile, DatasourceUse } from "./dashboards";
export { DATA_SOURCE_TYPES, dataSourceSettings, URL_KINDS, WORKSPACE_DATA_SOURCES } from "./data-sources";
export type {
  DataSourceKind,
  DataSourceSettings,
  DataSourceTargets,
  ProvisionedDataSource,
} from "./data-sources";
export {
  ACCESS_LOGS_PREFIX,
  ATHENA_RESULTS_PREFIX,
  bucketNameFromArn,
  GRAFANA_UNSCOPED_ACTIONS,
  grafanaStatements,
  grafanaWorkspacesArn,
} from "./policies";
export type { GrafanaAthenaScope, GrafanaScope } from "./policies";
export { serviceAccountTokenName, TOKEN_ROTATION, TOKEN_SECONDS_TO_LIVE } from "./token";
