export { PrometheusWorkspace, prometheusWorkspaceArgProblems } from "./prometheus-workspace";
export type { PrometheusWorkspaceArgs } from "./prometheus-workspace";
export { remoteWriteUrl } from "./remote-write";
export { readRuleNamespaces, ruleNamespaceProblems } from "./rule-namespaces";
export type { RuleNamespace } from "./rule-namespaces";
