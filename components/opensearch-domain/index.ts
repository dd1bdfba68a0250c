export {
  OPENSEARCH_DOMAIN_DEFAULTS,
  OpenSearchDomain,
  openSearchDomainArgProblems,
  openSearchDomainSettingProblems,
} from "./opensearch-domain";
export type { DomainWriter, OpenSearchDomainArgs, OpenSearchDomainSettings } from "./opensearch-domain";
export { FREE_STORAGE_ALARM_SHARE, OPENSEARCH_NAMESPACE, openSearchAlarmSpecs } from "./alarms";
export type { AlarmSpec, DomainAlarmOptions } from "./alarms";
export {
  BOOTSTRAP_ENTRY,
  BOOTSTRAP_RETRY_SECONDS,
  BOOTSTRAP_TIMEOUT_SECONDS,
  MASTER_USER_NAME,
} from "./bootstrap";
export {
  OPENSEARCH_LOG_TYPES,
  OPENSEARCH_TLS_POLICY,
  openSearchIndexReplicas,
  openSearchVersionNumber,
} from "./domain";
export {
  bootstrapStatements,
  domainAccessPolicy,
  OPENSEARCH_OPERATOR_ACTIONS,
  OPENSEARCH_READER_ACTIONS,
  OPENSEARCH_WRITER_ACTIONS,
  openSearchDomainArn,
  openSearchLogsPolicy,
} from "./policies";
export type { BootstrapScope, DomainAccess } from "./policies";
