export {
  CloudTrailPipeline,
  cloudTrailPipelineArgProblems,
  INDEXER_ENTRY,
  VISIBILITY_TIMEOUT_FACTOR,
} from "./cloudtrail-pipeline";
export type { CloudTrailPipelineArgs, OpenSearchTarget } from "./cloudtrail-pipeline";
export { CIS_FILTERS, CIS_NAMESPACE } from "./cis-filters";
export type { CloudTrailAlarmFilter } from "./cis-filters";
export {
  indexerStatements,
  notificationTopicPolicy,
  fromTopicStatements,
  trailArn,
  trailBucketPolicy,
  trailLogsStatements,
} from "./policies";
