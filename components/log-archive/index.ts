export { DEFAULT_LIFECYCLE, LogArchive, logArchiveArgProblems } from "./log-archive";
export type { LogArchiveArgs } from "./log-archive";
export { ARCHIVE_PREFIXES, archiveLifecycleRules, lifecycleProblems } from "./lifecycle";
export type { ArchiveLifecycleRule } from "./lifecycle";
export { archiveKeyPolicy } from "./key-policy";
export {
  accessLogBucketPolicy,
  archiveBucketPolicy,
  DATA_EXPORTS_PRINCIPALS,
  dataExportsSourceCondition,
  dataExportsStatements,
} from "./bucket-policies";
