export { AccessLogPipeline, accessLogPipelineArgProblems, TRANSFORMER_ENTRY } from "./access-log-pipeline";
export type { AccessLogPipelineArgs } from "./access-log-pipeline";
export { ACCESS_LOG_COLUMNS, accessLogTableInputs } from "./glue-table";
export { transformerStatements } from "./role-policy";
