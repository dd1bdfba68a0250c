import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import * as time from "@pulumiverse/time";

import { awsContext } from "../lib/aws-context";
import { createServiceRole } from "../lib/service-role";
import type { Tags } from "../lib/tags";
import { rangeProblems, throwIfInvalid } from "../lib/validation";
import type { DashboardFile } from "./dashboards";
import { DASHBOARD_FOLDER } from "./dashboards";
import type { DataSourceTargets, ProvisionedDataSource } from "./data-sources";
import { DATA_SOURCE_TYPES, dataSourceSettings, URL_KINDS, WORKSPACE_DATA_SOURCES } from "./data-sources";
import type { GrafanaAthenaScope } from "./policies";
import {
  ATHENA_RESULTS_PREFIX,
  bucketNameFromArn,
  grafanaStatements,
  grafanaWorkspacesArn,
} from "./policies";
import { serviceAccountTokenName, TOKEN_SECONDS_TO_LIVE } from "./token";

export type AuthenticationProvider = "AWS_SSO" | "SAML";

/** The access-log table Grafana queries with Athena. */
export interface AthenaSource {
  readonly databaseName: pulumi.Input<string>;
  readonly tableName: pulumi.Input<string>;
  /** The archive: Grafana reads `access/` and writes query results under `athena-results/grafana/`. */
  readonly archiveBucketArn: pulumi.Input<string>;
  /** The archive's key (objects and query results). */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Largest scan one query may do, MiB (at least 10). Default: 10240. */
  readonly bytesScannedCutoffMiB?: number;
  /**
   * The cost table (CostExport) in the same database and its archive prefix
   * (ending in `/`): Grafana may read both. Default: none.
   */
  readonly cost?: { readonly tableName: pulumi.Input<string>; readonly prefix: string };
}

/**
 * The workspace's settings. Those without a default are stack settings
 * (stacks/settings-schema.ts holds their defaults per environment); the others
 * have theirs here.
 */
export interface GrafanaWorkspaceSettings {
  /** How users sign in: AWS_SSO and/or SAML. No default: a stack setting. */
  readonly authenticationProviders: readonly AuthenticationProvider[];
  /** Grafana version of the workspace. Default: 10.4. */
  readonly grafanaVersion?: string;
  /** Days between replacements of Pulumi's service account token (1–29; a token lives 30). Default: 7. */
  readonly tokenRotationDays?: number;
  /** Query the access logs with Athena. Default: no Athena workgroup (and no `athena` data source allowed). */
  readonly athena?: AthenaSource;
}

export interface GrafanaWorkspaceArgs extends GrafanaWorkspaceSettings {
  /** Topic of Grafana's SNS contact point. */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** The alert topic's key (SNS needs a data key to publish to an encrypted topic). */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** The AMP workspace the `prometheus` data source queries. Default: none. */
  readonly prometheus?: {
    readonly workspaceArn: pulumi.Input<string>;
    readonly endpoint: pulumi.Input<string>;
  };
  /** The domain the `opensearch` data sources search. Default: none. */
  readonly openSearch?: {
    readonly domainArn: pulumi.Input<string>;
    readonly endpoint: pulumi.Input<string>;
    /** Engine version as the data source takes it (`2.19.0`). */
    readonly version: string;
    /** Index pattern of each index family an `opensearch` data source names, e.g. `{ cloudtrail: "cloudtrail-*" }`. */
    readonly indexPatterns: Readonly<Record<string, string>>;
  };
  /** The data sources, in order (fixed uids the dashboards reference). No default: the caller's content. */
  readonly dataSources: readonly ProvisionedDataSource[];
  /** Dashboards (JSON models), provisioned into the `log-platform` folder. No default: the caller's content. */
  readonly dashboards: readonly DashboardFile[];
  /** Keep the Athena workgroup's results on delete (prod). No default: a stack setting. */
  readonly retainData: boolean;
  /** Tags for every resource. No default: a stack setting. */
  readonly tags: Tags;
}

/** Defaults of the settings no stack setting defines (the one place they live). */
export const GRAFANA_WORKSPACE_DEFAULTS = {
  grafanaVersion: "10.4",
  tokenRotationDays: 7,
  bytesScannedCutoffMiB: 10240,
} as const;

/** Every problem with the workspace's settings, keyed by their names. */
export function grafanaWorkspaceSettingProblems(settings: GrafanaWorkspaceSettings): string[] {
  const problems: string[] = [];
  const providers = settings.authenticationProviders;
  if (providers.length === 0 || providers.some((p) => p !== "AWS_SSO" && p !== "SAML")) {
    problems.push(`authenticationProviders must be AWS_SSO and/or SAML (got [${providers.join(", ")}])`);
  }
  problems.push(
    ...rangeProblems(
      "tokenRotationDays",
      settings.tokenRotationDays ?? GRAFANA_WORKSPACE_DEFAULTS.tokenRotationDays,
      1,
      29,
    ),
  );
  if (settings.athena !== undefined) {
    problems.push(
      ...rangeProblems(
        "athena.bytesScannedCutoffMiB",
        settings.athena.bytesScannedCutoffMiB ?? GRAFANA_WORKSPACE_DEFAULTS.bytesScannedCutoffMiB,
        10,
        1024 * 1024 * 1024,
      ),
    );
  }
  return problems;
}

/** Resource-name-safe names: dashboards and data source uids name resources. */
const RESOURCE_SAFE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * Problems with the content: repeated or unusable uids and names, a data
 * source whose target is not given, a dashboard that is not a JSON object.
 */
export function grafanaContentProblems(args: GrafanaWorkspaceArgs): string[] {
  const problems: string[] = [];
  const uids = new Set<string>();
  for (const source of args.dataSources) {
    if (!RESOURCE_SAFE.test(source.uid))
      problems.push(`dataSources: uid "${source.uid}" must be letters, digits, '_' or '-'`);
    if (uids.has(source.uid)) problems.push(`dataSources: uid "${source.uid}" is given twice`);
    uids.add(source.uid);
    const missing =
      (source.kind === "prometheus" && args.prometheus === undefined) ||
      (source.kind === "opensearch" && args.openSearch === undefined) ||
      (source.kind === "athena" && args.athena === undefined);
    if (missing)
      problems.push(
        `dataSources: "${source.uid}" is a ${source.kind} data source, but ${source.kind} is not given`,
      );
    if (
      source.kind === "opensearch" &&
      args.openSearch !== undefined &&
      args.openSearch.indexPatterns[source.family ?? "cloudtrail"] === undefined
    ) {
      problems.push(
        `dataSources: "${source.uid}" searches family "${source.family ?? "cloudtrail"}", which openSearch.indexPatterns lacks`,
      );
    }
  }
  const names = new Set<string>();
  for (const dashboard of args.dashboards) {
    if (!RESOURCE_SAFE.test(dashboard.name))
      problems.push(`dashboards: "${dashboard.name}" must be letters, digits, '_' or '-'`);
    if (names.has(dashboard.name)) problems.push(`dashboards: "${dashboard.name}" is given twice`);
    names.add(dashboard.name);
    let model: unknown;
    try {
      model = JSON.parse(dashboard.configJson);
    } catch {
      model = undefined;
    }
    if (typeof model !== "object" || model === null || Array.isArray(model)) {
      problems.push(`dashboards: "${dashboard.name}" is not a JSON object`);
    }
  }
  return problems;
}

/** Every problem with the args, so that one error can list them all. */
export function grafanaWorkspaceArgProblems(args: GrafanaWorkspaceArgs): string[] {
  return [...grafanaWorkspaceSettingProblems(args), ...grafanaContentProblems(args)];
}

/**
 * Amazon Managed Grafana: a workspace with its own least-privilege role, a
 * Pulumi-owned admin service account whose token lives at most 30 days and is
 * replaced on a schedule, and, through a Grafana provider using that token,
 * the given data sources (fixed uids) and dashboards.
 */
export class GrafanaWorkspace extends pulumi.ComponentResource {
  public readonly workspaceId: pulumi.Output<string>;
  /** `https://<workspace endpoint>` */
  public readonly url: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: GrafanaWorkspaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:grafana:GrafanaWorkspace", name, {}, opts);
    throwIfInvalid("GrafanaWorkspace", name, grafanaWorkspaceArgProblems(args));
    const ctx = awsContext(this);
    const { tags } = args;
    // The workspace is declared to use each kind its data sources have, in their order.
    const kinds = [...new Set(args.dataSources.map((source) => source.kind))];

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
                bytesScannedCutoffPerQuery:
                  (athena.bytesScannedCutoffMiB ?? GRAFANA_WORKSPACE_DEFAULTS.bytesScannedCutoffMiB) *
                  1024 *
                  1024,
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
            { parent: this },
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
              athena.cost?.tableName,
            ])
            .apply(([workgroupArn, databaseName, tableName, archiveBucketArn, kmsKeyArn, costTableName]) => ({
              workgroupArn,
              databaseName,
              tableName,
              archiveBucketArn,
              kmsKeyArn,
              ...(athena.cost !== undefined && costTableName !== undefined
                ? { cost: { tableName: costTableName, prefix: athena.cost.prefix } }
                : {}),
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
          .apply(
            ([c, alertTopicArn, topicKeyArn, prometheusWorkspaceArn, openSearchDomainArn, athenaTarget]) =>
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
      this,
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
        grafanaVersion: args.grafanaVersion ?? GRAFANA_WORKSPACE_DEFAULTS.grafanaVersion,
        configuration: JSON.stringify({
          plugins: { pluginAdminEnabled: false },
          unifiedAlerting: { enabled: true },
        }),
        tags: { ...tags },
      },
      // Data sources query with the role from the first request on.
      { parent: this, dependsOn: [policy] },
    );

    const serviceAccount = new aws.grafana.WorkspaceServiceAccount(
      `${name}-grafana-pulumi`,
      { workspaceId: workspace.id, name: "pulumi", grafanaRole: "ADMIN" },
      { parent: this },
    );
    // A new timestamp every `tokenRotationDays`; as part of the token's name it
    // makes the next `pulumi up --refresh` replace the token. Deploys alone are
    // not enough (a stack left alone for 30 days would hold an expired token that
    // no refresh could use), so a weekly workflow also replaces it: TOKEN_ROTATION.
    const rotation = new time.Rotating(
      `${name}-grafana-token-rotation`,
      { rotationDays: args.tokenRotationDays ?? GRAFANA_WORKSPACE_DEFAULTS.tokenRotationDays },
      { parent: this },
    );
    const token = new aws.grafana.WorkspaceServiceAccountToken(
      `${name}-grafana-token`,
      {
        workspaceId: workspace.id,
        serviceAccountId: serviceAccount.serviceAccountId,
        name: rotation.id.apply(serviceAccountTokenName),
        secondsToLive: TOKEN_SECONDS_TO_LIVE,
      },
      { parent: this },
    );
    const provider = new grafana.Provider(
      `${name}-grafana`,
      { url: pulumi.interpolate`https://${workspace.endpoint}`, auth: pulumi.secret(token.key) },
      { parent: this },
    );
    // deletedWith the workspace: when the workspace goes too (a destroy, or
    // Grafana switched off), Pulumi skips the Grafana API deletes, since AMG
    // deletes a workspace's dashboards and data sources with it. So a destroy
    // works even with an expired token (the destroy workflow also skips the
    // refresh). Unlike retainOnDelete, a dashboard whose file is removed is still
    // deleted from the workspace that stays.
    const onGrafana = { parent: this, provider, deletedWith: workspace };

    const targets = pulumi
      .all([ctx, args.prometheus?.endpoint, args.openSearch?.endpoint, workgroup?.name, athena?.databaseName])
      .apply(
        ([c, prometheusEndpoint, openSearchEndpoint, workgroupName, databaseName]): DataSourceTargets => ({
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
        }),
      );
    for (const { uid, name: title, kind, family } of args.dataSources) {
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
    for (const dashboard of args.dashboards) {
      new grafana.oss.Dashboard(
        `${name}-dashboard-${dashboard.name}`,
        { configJson: dashboard.configJson, folder: folder.uid, overwrite: true, message: "pulumi up" },
        onGrafana,
      );
    }

    this.workspaceId = workspace.id;
    this.url = pulumi.interpolate`https://${workspace.endpoint}`;
    this.roleArn = role.arn;
    this.registerOutputs({ workspaceId: this.workspaceId, url: this.url, roleArn: this.roleArn });
  }
}
