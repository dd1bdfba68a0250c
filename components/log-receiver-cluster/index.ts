export { LogReceiverCluster, logReceiverClusterArgProblems, TLS_POLICY } from "./log-receiver-cluster";
export type { IngestToken, LogReceiverClusterArgs } from "./log-receiver-cluster";
export { agentConfigs, CA_CERTIFICATE_OUTPUT, TOKEN_PLACEHOLDER } from "./agent-configs";
export type { AgentConfigs } from "./agent-configs";
export {
  NON_ROOT_USER,
  RECEIVER_CONTAINER,
  RECEIVER_PORT,
  receiverContainerDefinitions,
} from "./container-definition";
export { receiverExecutionStatements, receiverTaskStatements } from "./task-policies";
export { splitCertificateChain } from "./pem";
export {
  ADOT_CONTAINER,
  ADOT_IMAGE,
  adotCollectorConfig,
  adotContainerDefinition,
  PER_TASK_LABEL,
  SCRAPE_JOB,
} from "./metrics-sidecar";
export {
  certificateCovers,
  certificateDnsNames,
  certificateNameProblem,
  DNS_NAME,
} from "./certificate-names";
