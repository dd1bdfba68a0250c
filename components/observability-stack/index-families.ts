/*
 * The OpenSearch index families the platform writes (see the README), by the
 * names Grafana's data sources and the dashboards know them by.
 * Pure data, no Pulumi: the dashboard validators in apps/dashboards read it
 * too, so a family added here is checked there.
 */

/** Every index family, in the order the data sources are provisioned. */
export const INDEX_FAMILIES = ["cloudtrail", "logs", "access", "vpcflow", "findings"] as const;

/** One index family's name. */
export type IndexFamilyName = (typeof INDEX_FAMILIES)[number];

/**
 * Index name prefix of each family: daily indices are `<prefix>-YYYY.MM.DD`
 * (`logs-<source>-YYYY.MM.DD` for logs, so `logs-*` still covers them). The
 * CloudTrail prefix is configurable (`openSearch.indexPattern`); this is its
 * default, the others are fixed.
 */
export const INDEX_FAMILY_PREFIXES: Readonly<Record<IndexFamilyName, string>> = {
  cloudtrail: "cloudtrail",
  logs: "logs",
  access: "access",
  vpcflow: "vpcflow",
  findings: "findings",
};

/** The index pattern of a family's daily indices: `<prefix>-*`. */
export function familyIndexPattern(prefix: string): string {
  return `${prefix}-*`;
}

/**
 * The index pattern of every family from the prefix table, with the
 * CloudTrail one replaced by `cloudTrailPattern` (default `cloudtrail-*`).
 */
export function familyIndexPatterns(
  cloudTrailPattern: string = familyIndexPattern(INDEX_FAMILY_PREFIXES.cloudtrail),
): Readonly<Record<IndexFamilyName, string>> {
  const patterns = Object.fromEntries(
    INDEX_FAMILIES.map((family) => [family, familyIndexPattern(INDEX_FAMILY_PREFIXES[family])]),
  ) as Record<IndexFamilyName, string>;
  return { ...patterns, cloudtrail: cloudTrailPattern };
}

/** Uid of a family's Grafana OpenSearch data source: `opensearch-<family>`. */
export function openSearchDataSourceUid(family: IndexFamilyName): string {
  return `opensearch-${family}`;
}
