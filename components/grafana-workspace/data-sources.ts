/*
 * Grafana data sources: the kinds AMG knows, their plugin types, and the
 * settings of one data source from what it points at. Pure, no Pulumi.
 */

export type DataSourceKind = "prometheus" | "cloudwatch" | "opensearch" | "athena" | "xray";

/**
 * Plugin type of each data source kind. The uid of a data source is its kind,
 * except OpenSearch: one data source per index family, uid
 * `opensearch-<family>` (the caller's list, see the observability stack).
 */
export const DATA_SOURCE_TYPES: Readonly<Record<DataSourceKind, string>> = {
  prometheus: "prometheus",
  cloudwatch: "cloudwatch",
  opensearch: "grafana-opensearch-datasource",
  athena: "grafana-athena-datasource",
  xray: "grafana-x-ray-datasource",
};

/** The AMG data source types the workspace is declared to use, by kind. */
export const WORKSPACE_DATA_SOURCES: Readonly<Record<DataSourceKind, string>> = {
  prometheus: "PROMETHEUS",
  cloudwatch: "CLOUDWATCH",
  opensearch: "AMAZON_OPENSEARCH_SERVICE",
  athena: "ATHENA",
  xray: "XRAY",
};

/** One Grafana data source to provision: its fixed uid, display name and kind. */
export interface ProvisionedDataSource {
  readonly uid: string;
  readonly name: string;
  readonly kind: DataSourceKind;
  /** The index family an OpenSearch data source searches; absent for the other kinds. */
  readonly family?: string;
}

/** Kinds Grafana reaches at a URL; the others call AWS APIs in the region. */
export const URL_KINDS: ReadonlySet<DataSourceKind> = new Set(["prometheus", "opensearch"]);

/** What the data sources point at, resolved. */
export interface DataSourceTargets {
  readonly region: string;
  readonly prometheusEndpoint?: string;
  readonly openSearch?: {
    readonly endpoint: string;
    readonly version: string;
    /** Index pattern of each family (`<prefix>-*`), the `database` of its data source. */
    readonly indexPatterns: Readonly<Record<string, string>>;
  };
  readonly athena?: { readonly databaseName: string; readonly workgroup: string };
}

export interface DataSourceSettings {
  readonly url?: string;
  readonly jsonData: Readonly<Record<string, unknown>>;
}

/**
 * URL and `jsonData` of one data source. Every AWS data source authenticates
 * as the workspace's IAM role (`ec2_iam_role` is Grafana's name for AMG's
 * "Workspace IAM role"), so no key is stored in Grafana.
 * @param family the index family an `opensearch` data source searches (its
 *   index pattern becomes `database`); ignored by the other kinds. Default: cloudtrail.
 * @throws Error when the kind's target is missing from `targets`
 */
export function dataSourceSettings(
  kind: DataSourceKind,
  targets: DataSourceTargets,
  family: string = "cloudtrail",
): DataSourceSettings {
  const region = targets.region;
  const sigV4 = { sigV4Auth: true, sigV4AuthType: "ec2_iam_role", sigV4Region: region };
  switch (kind) {
    case "prometheus":
      if (targets.prometheusEndpoint === undefined) throw new Error("the prometheus data source needs AMP");
      return { url: targets.prometheusEndpoint, jsonData: { httpMethod: "POST", ...sigV4 } };
    case "opensearch":
      if (targets.openSearch === undefined) throw new Error("the opensearch data source needs the domain");
      return {
        url: `https://${targets.openSearch.endpoint}`,
        jsonData: {
          ...sigV4,
          flavor: "opensearch",
          version: targets.openSearch.version,
          database: targets.openSearch.indexPatterns[family],
          timeField: "@timestamp",
          maxConcurrentShardRequests: 5,
          pplEnabled: true,
          // Logs panels (Explore, the logs dashboard's tail) show these as line and level.
          ...(family === "logs" ? { logMessageField: "message", logLevelField: "level" } : {}),
        },
      };
    case "athena":
      if (targets.athena === undefined) throw new Error("the athena data source needs the table");
      return {
        jsonData: {
          authType: "ec2_iam_role",
          defaultRegion: region,
          catalog: "AwsDataCatalog",
          database: targets.athena.databaseName,
          workgroup: targets.athena.workgroup,
        },
      };
    case "cloudwatch":
    case "xray":
      return { jsonData: { authType: "ec2_iam_role", defaultRegion: region } };
  }
}
