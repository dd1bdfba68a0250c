import * as fs from "node:fs";
import * as path from "node:path";

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import * as time from "@pulumiverse/time";

import type { AwsContext } from "../lib/iam";
import { createServiceRole } from "../lib/service-role";
import type { Tags } from "../lib/tags";
import type { IndexFamilyName } from "./index-families";
import { INDEX_FAMILIES, openSearchDataSourceUid } from "./index-families";
import type { GrafanaAthenaScope } from "./policies";
import {
  ATHENA_RESULTS_PREFIX,
  bucketNameFromArn,
  grafanaStatements,
  grafanaWorkspacesArn,
} from "./policies";

/** Grafana dashboards (JSON models) versioned in the repository. */
export const DASHBOARDS_DIR = path.resolve(__dirname, "../../apps/dashboards");

/** Folder (title and uid) the dashboards are provisioned into. */
export const DASHBOARD_FOLDER = "log-platform";

/** Longest life AMG gives a service account token: 30 days. */
export const TOKEN_SECONDS_TO_LIVE = 30 * 24 * 3600;

export type DataSourceKind = "prometheus" | "cloudwatch" | "opensearch" | "athena" | "xray";

/**
 * Plugin type of each data source kind. The uid of a data source is its kind,
 * except OpenSearch: one data source per index family, uid
 * `opensearch-<family>` ({@link provisionedDataSources}).
 */
export const DATA_SOURCE_TYPES: Readonly<Record<DataSourceKind, string>> = {
  prometheus: "prometheus",
  cloudwatch: "cloudwatch",
  opensearch: "grafana-opensearch-datasource",
  athena: "grafana-athena-datasource",
  xray: "grafana-x-ray-datasource",
};

const DATA_SOURCE_NAMES: Readonly<Record<DataSourceKind, string>> = {
  prometheus: "Amazon Managed Service for Prometheus",
  cloudwatch: "CloudWatch",
  opensearch: "OpenSearch",
  athena: "Athena (archive)",
  xray: "X-Ray",
};

/** The AMG data source types the workspace is declared to use, by kind. */
const WORKSPACE_DATA_SOURCES: Readonly<Record<DataSourceKind, string>> = {
  prometheus: "PROMETHEUS",
  cloudwatch: "CLOUDWATCH",
  opensearch: "AMAZON_OPENSEARCH_SERVICE",
  athena: "ATHENA",
  xray: "XRAY",
};

/** What each family's OpenSearch data source is called in Grafana's data source list. */
const FAMILY_TITLES: Readonly<Record<IndexFamilyName, string>> = {
  cloudtrail: "CloudTrail",
  logs: "logs",
  access: "access logs",
  vpcflow: "VPC flow logs",
  findings: "findings",
};

/** One Grafana data source to provision: its fixed uid, display name and kind. */
export interface ProvisionedDataSource {
  readonly uid: string;
  readonly name: string;
  readonly kind: DataSourceKind;
  /** The index family an OpenSearch data source searches; absent for the other kinds. */
  readonly family?: IndexFamilyName;
}

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

/** Kinds Grafana reaches at a URL; the others call AWS APIs in the region. */
const URL_KINDS: ReadonlySet<DataSourceKind> = new Set(["prometheus", "opensearch"]);

/** What the data sources point at, resolved. */
export interface DataSourceTargets {
  readonly region: string;
  readonly prometheusEndpoint?: string;
  readonly openSearch?: {
    readonly endpoint: string;
    readonly version: string;
    /** Index pattern of each family (`<prefix>-*`), the `database` of its data source. */
    readonly indexPatterns: Readonly<Record<IndexFamilyName, string>>;
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
  family: IndexFamilyName = "cloudtrail",
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

/** A data source reference as a dashboard holds it, resolved to a concrete uid. */
export interface DatasourceUse {
  readonly type: string;
  readonly uid: string;
}

interface DashboardModel {
  readonly templating?: {
    readonly list?: readonly {
      readonly name?: string;
      readonly type?: string;
      readonly datasource?: unknown;
      readonly current?: { readonly value?: unknown };
    }[];
  };
  readonly panels?: readonly unknown[];
  readonly annotations?: unknown;
}

/** Grafana's own pseudo data sources, which need no provisioning. */
const BUILT_IN_UIDS: ReadonlySet<string> = new Set([
  "-- Grafana --",
  "grafana",
  "-- Dashboard --",
  "-- Mixed --",
]);

/**
 * Every data source a dashboard model uses, with `${var}` references resolved
 * to the default (`current`) of the dashboard's data source variable, which is
 * what a viewer gets before choosing. Grafana's built-in sources are left out.
 */
export function dashboardDatasourceUses(dashboard: DashboardModel): DatasourceUse[] {
  const variables = new Map(
    (dashboard.templating?.list ?? [])
      .filter((v) => v.type === "datasource" && typeof v.name === "string")
      .map((v) => [v.name as string, v.current?.value]),
  );
  const uses = new Map<string, DatasourceUse>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "datasource" && typeof value === "object" && value !== null) {
        const { type, uid } = value as { type?: unknown; uid?: unknown };
        if (typeof type === "string" && typeof uid === "string" && !BUILT_IN_UIDS.has(uid)) {
          const variable = /^\$\{?(\w+)\}?$/.exec(uid)?.[1];
          const resolved = variable === undefined ? uid : variables.get(variable);
          const concrete = typeof resolved === "string" ? resolved : uid;
          uses.set(`${type}|${concrete}`, { type, uid: concrete });
        }
      } else {
        visit(value);
      }
    }
  };
  visit(dashboard);
  return [...uses.values()].sort((a, b) => a.uid.localeCompare(b.uid) || a.type.localeCompare(b.type));
}

export interface DashboardFile {
  /** File name without `.json`; names the dashboard's resource. */
  readonly name: string;
  readonly configJson: string;
}

/** Every `*.json` dashboard in `dir`, sorted by name. */
export function readDashboards(dir: string = DASHBOARDS_DIR): DashboardFile[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".json"))
    .map((entry) => entry.name)
    .sort()
    .map((file) => ({
      name: file.slice(0, -".json".length),
      configJson: fs.readFileSync(path.join(dir, file), "utf8"),
    }));
}

/**
 * Pulumi types of the token's resources, for the scheduled rotation
 * (.github/workflows/rotate-grafana-token.yml): it replaces the `replace`
 * resources and updates only the `target` ones, without a refresh, so it
 * works however old the current token is and touches nothing else.
 *
 * - Replacing the Rotating resource gives it a new id (a timestamp), which is
 *   part of the token's name, so the token is replaced too: no need to wait
 *   for the rotation time to pass or for a refresh to notice it.
 * - The Grafana provider's `auth` is the token: it must be updated in the same
 *   run, or the state keeps the old (deleted) token for the next refresh.
 *   Pulumi updates providers in every targeted run anyway; naming it keeps
 *   that explicit. Its other dependents (data sources, folder, dashboards)
 *   are left alone: `--target-dependents` would also apply any undeployed
 *   change to them, which is a deploy's job, not a rotation's.
 */
export const TOKEN_ROTATION = {
  replace: ["time:index/rotating:Rotating"],
  target: [
    "time:index/rotating:Rotating",
    "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken",
    "pulumi:providers:grafana",
  ],
} as const;

/** A token name that changes with each rotation, so a rotation replaces the token. */
export function serviceAccountTokenName(rotationId: string): string {
  return `pulumi-${rotationId.replace(/[^A-Za-z0-9-]/g, "-")}`;
}

export interface GrafanaArgs {
  readonly authenticationProviders: readonly string[];
  readonly grafanaVersion: string;
  readonly tokenRotationDays: number;
  readonly alarmTopicArn: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly prometheus?: {
    readonly workspaceArn: pulumi.Input<string>;
    readonly endpoint: pulumi.Input<string>;
  };
  readonly openSearch?: {
    readonly domainArn: pulumi.Input<string>;
    readonly endpoint: pulumi.Input<string>;
    readonly version: string;
    /** Index pattern of each family, e.g. `{ cloudtrail: "cloudtrail-*", logs: "logs-*", … }`. */
    readonly indexPatterns: Readonly<Record<IndexFamilyName, string>>;
  };
  readonly athena?: {
    readonly databaseName: pulumi.Input<string>;
    readonly tableName: pulumi.Input<string>;
    readonly archiveBucketArn: pulumi.Input<string>;
    readonly kmsKeyArn: pulumi.Input<string>;
    readonly bytesScannedCutoffPerQuery: number;
  };
  readonly retainData: boolean;
  readonly tags: Tags;
}

export interface Grafana {
  readonly workspace: aws.grafana.Workspace;
  readonly role: aws.iam.Role;
  readonly url: pulumi.Output<string>;
}

/**
 * An AMG workspace with its own least-privilege role, a Pulumi-owned admin
 * service account whose token lives at most 30 days and is replaced on a
 * schedule, and, through a Grafana provider using that token, the data
 * sources (fixed uids) and the repository's dashboards.
 */
export function createGrafana(
  name: string,
  args: GrafanaArgs,
  ctx: pulumi.Output<AwsContext>,
  parent: pulumi.Resource,
): Grafana {
  const { tags } = args;
  const kinds: DataSourceKind[] = [
    ...(args.prometheus !== undefined ? (["prometheus"] as const) : []),
    "cloudwatch",
    ...(args.openSearch !== undefined ? (["opensearch"] as const) : []),
    ...(args.athena !== undefined ? (["athena"] as const) : []),
    "xray",
  ];

  const athena = args.athena;
  const workgroup =
    athena === undefined
      ? undefined
      : new aws.athena.Workgroup(
          `${name}-grafana`,
          {
            name: `${name}-grafana`,
            description: "Grafana's Athena queries over the archive",
            configuration: {
              // Users cannot point results elsewhere or lift the scan limit from the client.
              enforceWorkgroupConfiguration: true,
              publishCloudwatchMetricsEnabled: true,
              bytesScannedCutoffPerQuery: athena.bytesScannedCutoffPerQuery,
              resultConfiguration: {
                outputLocation: pulumi
                  .output(athena.archiveBucketArn)
                  .apply((arn) => `s3://${bucketNameFromArn(arn)}/${ATHENA_RESULTS_PREFIX}`),
                encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: athena.kmsKeyArn },
              },
            },
            forceDestroy: !args.retainData,
            tags: { ...tags },
          },
          { parent },
        );
  const athenaScope: pulumi.Output<GrafanaAthenaScope | undefined> =
    athena === undefined || workgroup === undefined
      ? pulumi.output(undefined)
      : pulumi
          .all([
            workgroup.arn,
            athena.databaseName,
            athena.tableName,
            athena.archiveBucketArn,
            athena.kmsKeyArn,
          ])
          .apply(([workgroupArn, databaseName, tableName, archiveBucketArn, kmsKeyArn]) => ({
            workgroupArn,
            databaseName,
            tableName,
            archiveBucketArn,
            kmsKeyArn,
          }));

  const { role, policy } = createServiceRole(
    `${name}-grafana-role`,
    {
      service: "grafana.amazonaws.com",
      sourceArnLike: grafanaWorkspacesArn,
      statements: pulumi
        .all([
          ctx,
          args.alarmTopicArn,
          args.kmsKeyArn,
          args.prometheus?.workspaceArn,
          args.openSearch?.domainArn,
          athenaScope,
        ])
        .apply(([c, alertTopicArn, topicKeyArn, prometheusWorkspaceArn, openSearchDomainArn, athenaTarget]) =>
          grafanaStatements({
            ctx: c,
            alertTopicArn,
            topicKeyArn,
            ...(prometheusWorkspaceArn !== undefined ? { prometheusWorkspaceArn } : {}),
            ...(openSearchDomainArn !== undefined ? { openSearchDomainArn } : {}),
            ...(athenaTarget !== undefined ? { athena: athenaTarget } : {}),
          }),
        ),
      tags,
    },
    ctx,
    parent,
  );

  const workspace = new aws.grafana.Workspace(
    `${name}-grafana`,
    {
      name: `${name}-grafana`,
      description: "log-platform: Prometheus, CloudWatch, OpenSearch, Athena and X-Ray in one place",
      accountAccessType: "CURRENT_ACCOUNT",
      authenticationProviders: [...args.authenticationProviders],
      // The API creates only customer-managed workspaces: AMG never edits our role.
      permissionType: "CUSTOMER_MANAGED",
      roleArn: role.arn,
      dataSources: kinds.map((kind) => WORKSPACE_DATA_SOURCES[kind]),
      notificationDestinations: ["SNS"],
      grafanaVersion: args.grafanaVersion,
      configuration: JSON.stringify({
        plugins: { pluginAdminEnabled: false },
        unifiedAlerting: { enabled: true },
      }),
      tags: { ...tags },
    },
    // Data sources query with the role from the first request on.
    { parent, dependsOn: [policy] },
  );

  const serviceAccount = new aws.grafana.WorkspaceServiceAccount(
    `${name}-grafana-pulumi`,
    { workspaceId: workspace.id, name: "pulumi", grafanaRole: "ADMIN" },
    { parent },
  );
  // A new timestamp every `tokenRotationDays`; as part of the token's name it
  // makes the next `pulumi up --refresh` replace the token. Deploys alone are
  // not enough (a stack left alone for 30 days would hold an expired token that
  // no refresh could use), so a weekly workflow also replaces it: TOKEN_ROTATION.
  const rotation = new time.Rotating(
    `${name}-grafana-token-rotation`,
    { rotationDays: args.tokenRotationDays },
    { parent },
  );
  const token = new aws.grafana.WorkspaceServiceAccountToken(
    `${name}-grafana-token`,
    {
      workspaceId: workspace.id,
      serviceAccountId: serviceAccount.serviceAccountId,
      name: rotation.id.apply(serviceAccountTokenName),
      secondsToLive: TOKEN_SECONDS_TO_LIVE,
    },
    { parent },
  );
  const provider = new grafana.Provider(
    `${name}-grafana`,
    { url: pulumi.interpolate`https://${workspace.endpoint}`, auth: pulumi.secret(token.key) },
    { parent },
  );
  // deletedWith the workspace: when the workspace goes too (a destroy, or
  // Grafana switched off), Pulumi skips the Grafana API deletes, since AMG
  // deletes a workspace's dashboards and data sources with it. So a destroy
  // works even with an expired token (the destroy workflow also skips the
  // refresh). Unlike retainOnDelete, a dashboard whose file is removed is still
  // deleted from the workspace that stays.
  const onGrafana = { parent, provider, deletedWith: workspace };

  const targets = pulumi
    .all([ctx, args.prometheus?.endpoint, args.openSearch?.endpoint, workgroup?.name, athena?.databaseName])
    .apply(([c, prometheusEndpoint, openSearchEndpoint, workgroupName, databaseName]): DataSourceTargets => ({
      region: c.region,
      ...(prometheusEndpoint !== undefined ? { prometheusEndpoint } : {}),
      ...(openSearchEndpoint !== undefined && args.openSearch !== undefined
        ? {
            openSearch: {
              endpoint: openSearchEndpoint,
              version: args.openSearch.version,
              indexPatterns: args.openSearch.indexPatterns,
            },
          }
        : {}),
      ...(workgroupName !== undefined && databaseName !== undefined
        ? { athena: { databaseName, workgroup: workgroupName } }
        : {}),
    }));
  for (const { uid, name: title, kind, family } of provisionedDataSources(kinds)) {
    const settings = targets.apply((t) => dataSourceSettings(kind, t, family));
    new grafana.oss.DataSource(
      `${name}-datasource-${uid}`,
      {
        uid,
        name: title,
        type: DATA_SOURCE_TYPES[kind],
        isDefault: kind === "prometheus",
        ...(URL_KINDS.has(kind) ? { url: settings.apply((s) => s.url ?? "") } : {}),
        jsonDataEncoded: settings.apply((s) => JSON.stringify(s.jsonData)),
      },
      onGrafana,
    );
  }

  const folder = new grafana.oss.Folder(
    `${name}-folder`,
    { uid: DASHBOARD_FOLDER, title: DASHBOARD_FOLDER },
    onGrafana,
  );
  for (const dashboard of readDashboards()) {
    new grafana.oss.Dashboard(
      `${name}-dashboard-${dashboard.name}`,
      { configJson: dashboard.configJson, folder: folder.uid, overwrite: true, message: "pulumi up" },
      onGrafana,
    );
  }

  return { workspace, role, url: pulumi.interpolate`https://${workspace.endpoint}` };
}
