/*
 * Facts of an OpenSearch Service domain the component and its users share:
 * the logs it publishes, its TLS policy, the replicas an index can have, the
 * version string Grafana's data source wants. Pure, no Pulumi.
 */

/** The logs a domain can publish, each to a log group of its own. */
export const OPENSEARCH_LOG_TYPES = [
  "AUDIT_LOGS",
  "INDEX_SLOW_LOGS",
  "SEARCH_SLOW_LOGS",
  "ES_APPLICATION_LOGS",
] as const;

/** Only TLS 1.2+ with forward-secret ciphers on the domain endpoint. */
export const OPENSEARCH_TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10";

/**
 * Replicas per index for a domain with `dataNodes` data nodes: one, so that
 * losing a node loses no data, but none on a single node, where OpenSearch
 * can never place a replica (it would stay unassigned and keep the cluster
 * yellow for good).
 */
export function openSearchIndexReplicas(dataNodes: number): number {
  return Math.max(0, Math.min(1, dataNodes - 1));
}

/** `OpenSearch_2.19` → `2.19.0`, the version string Grafana's OpenSearch data source expects. */
export function openSearchVersionNumber(engineVersion: string): string {
  const match = /^OpenSearch_(\d+)\.(\d+)$/.exec(engineVersion);
  if (match === null)
    throw new Error(`"${engineVersion}" is not an OpenSearch engine version (OpenSearch_X.Y)`);
  return `${match[1]}.${match[2]}.0`;
}
