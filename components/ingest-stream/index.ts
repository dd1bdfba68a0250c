export { IngestStream, ingestStreamArgProblems } from "./ingest-stream";
export type { IngestStreamArgs } from "./ingest-stream";
export { firehoseRoleStatements } from "./role-policy";
export { rawArchivePrefixes } from "./prefixes";
