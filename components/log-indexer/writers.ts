/**
 * What each part of the log indexer writes in OpenSearch, as the domain's
 * security bootstrap needs it: one OpenSearch role per Lambda, on exactly
 * the index patterns of the families that Lambda writes (least privilege:
 * the flow-log function cannot write `findings-*`). Pure, so the program and
 * the tests read the same table.
 */
import { familyIndexPattern, INDEX_FAMILY_PREFIXES } from "../observability-stack/index-families";

/** The log indexer's parts, each its own Lambda and IAM role. */
export const LOG_INDEXER_PARTS = ["logs", "flowLogs", "findings"] as const;
export type LogIndexerPart = (typeof LOG_INDEXER_PARTS)[number];

/** One part's OpenSearch writer role and the index patterns it may write. */
export interface LogIndexerWriter {
  /** OpenSearch role name (lowercase, `_`). */
  readonly role: string;
  readonly indexPatterns: readonly string[];
}

/** Per part: the Kinesis function writes `logs-*` and `access-*`, the others one family each. */
export const LOG_INDEXER_WRITERS: Readonly<Record<LogIndexerPart, LogIndexerWriter>> = {
  logs: {
    role: "logs_writer",
    indexPatterns: [
      familyIndexPattern(INDEX_FAMILY_PREFIXES.logs),
      familyIndexPattern(INDEX_FAMILY_PREFIXES.access),
    ],
  },
  flowLogs: { role: "vpcflow_writer", indexPatterns: [familyIndexPattern(INDEX_FAMILY_PREFIXES.vpcflow)] },
  findings: { role: "findings_writer", indexPatterns: [familyIndexPattern(INDEX_FAMILY_PREFIXES.findings)] },
};
