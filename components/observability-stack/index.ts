export { LOG_RETENTION_DAYS, ObservabilityStack, observabilityStackArgProblems } from "./observability-stack";
export type {
  AthenaSource,
  AuthenticationProvider,
  GrafanaOptions,
  ObservabilityStackArgs,
  OpenSearchOptions,
  PrometheusOptions,
} from "./observability-stack";
export { FREE_STORAGE_ALARM_SHARE, OPENSEARCH_NAMESPACE, openSearchAlarmSpecs } from "./alarms";
export type { AlarmSpec, DomainAlarmOptions } from "./alarms";
export type { BootstrapScope, DomainAccess } from "./policies";
export {
  DASHBOARD_FOLDER,
  DASHBOARDS_DIR,
  DATA_SOURCE_TYPES,
  dashboardDatasourceUses,
  dataSourceSettings,
  provisionedDataSources,
  readDashboards,
  serviceAccountTokenName,
  TOKEN_ROTATION,
  TOKEN_SECONDS_TO_LIVE,
} from "./grafana";
export type { DataSourceKind, DataSourceTargets, DatasourceUse, ProvisionedDataSource } from "./grafana";
export {
  familyIndexPattern,
  familyIndexPatterns,
  INDEX_FAMILIES,
  INDEX_FAMILY_PREFIXES,
  openSearchDataSourceUid,
} from "./index-families";
export type { IndexFamilyName } from "./index-families";
export {
  BOOTSTRAP_ENTRY,
  BOOTSTRAP_RETRY_SECONDS,
  BOOTSTRAP_TIMEOUT_SECONDS,
  MASTER_USER_NAME,
  OPENSEARCH_LOG_TYPES,
  OPENSEARCH_TLS_POLICY,
  openSearchIndexReplicas,
  openSearchVersionNumber,
} from "./opensearch";
export type { DomainWriter } from "./opensearch";
export {
  ACCESS_LOGS_PREFIX,
  ATHENA_RESULTS_PREFIX,
  bootstrapStatements,
  bucketNameFromArn,
  domainAccessPolicy,
  GRAFANA_UNSCOPED_ACTIONS,
  grafanaStatements,
  grafanaWorkspacesArn,
  OPENSEARCH_OPERATOR_ACTIONS,
  OPENSEARCH_READER_ACTIONS,
  OPENSEARCH_WRITER_ACTIONS,
  openSearchDomainArn,
  openSearchLogsPolicy,
} from "./policies";
export { readRuleNamespaces, remoteWriteUrl, RULES_DIR } from "./prometheus";
export type { RuleNamespace } from "./prometheus";
