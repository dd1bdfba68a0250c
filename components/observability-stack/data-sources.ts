import type { DataSourceKind, ProvisionedDataSource } from "../grafana-workspace/data-sources";
import type { IndexFamilyName } from "./index-families";
import { INDEX_FAMILIES, openSearchDataSourceUid } from "./index-families";

/*
 * The platform's Grafana data sources: which the stack provisions, under
 * which uids and names (the dashboards in apps/dashboards reference the uids).
 */

const DATA_SOURCE_NAMES: Readonly<Record<DataSourceKind, string>> = {
  prometheus: "Amazon Managed Service for Prometheus",
  cloudwatch: "CloudWatch",
  opensearch: "OpenSearch",
  athena: "Athena (archive)",
  xray: "X-Ray",
};

/** What each family's OpenSearch data source is called in Grafana's data source list. */
const FAMILY_TITLES: Readonly<Record<IndexFamilyName, string>> = {
  cloudtrail: "CloudTrail",
  logs: "logs",
  access: "access logs",
  vpcflow: "VPC flow logs",
  findings: "findings",
};

/**
 * The data sources for the given kinds: the kind's uid for each, and for
 * `opensearch` one per index family (every family in {@link INDEX_FAMILIES}),
 * so a dashboard's panels need no index pattern of their own and a family's
 * time field and pattern are set once.
 */
export function provisionedDataSources(kinds: readonly DataSourceKind[]): ProvisionedDataSource[] {
  return kinds.flatMap((kind): ProvisionedDataSource[] =>
    kind === "opensearch"
      ? INDEX_FAMILIES.map((family) => ({
          uid: openSearchDataSourceUid(family),
          name: `${DATA_SOURCE_NAMES.opensearch} (${FAMILY_TITLES[family]})`,
          kind,
          family,
        }))
      : [{ uid: kind, name: DATA_SOURCE_NAMES[kind], kind }],
  );
}
