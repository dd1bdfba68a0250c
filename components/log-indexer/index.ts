export { ALERT_SEVERITIES, FINDINGS_SERVICE_MODES } from "./modes";
export type { AlertSeverity, FindingsServiceMode } from "./modes";
export { LOG_INDEXER_ENTRIES, LogIndexer, findingProducts, logIndexerArgProblems } from "./log-indexer";
export type {
  LogIndexerArgs,
  LogIndexerFindingsArgs,
  LogIndexerFlowLogsArgs,
  LogIndexerLogsArgs,
  LogIndexerOpenSearch,
} from "./log-indexer";
export * from "./policies";
export { LOG_INDEXER_PARTS, LOG_INDEXER_WRITERS } from "./writers";
export type { LogIndexerPart, LogIndexerWriter } from "./writers";
