export {
  CLOUDTRAIL_WRITER_ROLE,
  CloudTrailPipeline,
  cloudTrailIndexPattern,
  cloudTrailPipelineArgProblems,
  INDEXER_ENTRY,
  MIN_SQS_MAXIMUM_CONCURRENCY,
  VISIBILITY_TIMEOUT_FACTOR,
} from "./cloudtrail-pipeline";
export type { CloudTrailPipelineArgs, OpenSearchTarget } from "./cloudtrail-pipeline";
export { CIS_FILTERS, CIS_NAMESPACE } from "./cis-filters";
export type { CloudTrailAlarmFilter } from "./cis-filters";
export {
  indexerStatements,
  notificationTopicPolicy,
  fromTopicStatements,
  pipelineTrailName,
  trailBucketPolicy,
  trailLogsStatements,
} from "./policies";
