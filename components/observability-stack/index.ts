export { ObservabilityStack, observabilityStackArgProblems } from "./observability-stack";
export type {
  GrafanaOptions,
  ObservabilityStackArgs,
  OpenSearchOptions,
  PrometheusOptions,
} from "./observability-stack";
export {
  COST_DASHBOARD,
  DASHBOARDS_DIR,
  platformDashboards,
  platformRuleNamespaces,
  RULES_DIR,
} from "./content";
export { provisionedDataSources } from "./data-sources";
export {
  familyIndexPattern,
  familyIndexPatterns,
  INDEX_FAMILIES,
  INDEX_FAMILY_PREFIXES,
  openSearchDataSourceUid,
} from "./index-families";
export type { IndexFamilyName } from "./index-families";
export type { DomainWriter } from "../opensearch-domain";
