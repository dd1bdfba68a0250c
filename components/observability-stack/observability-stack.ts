import * as pulumi from "@pulumi/pulumi";

import type { DataSourceKind } from "../grafana-workspace/data-sources";
import type { GrafanaWorkspaceSettings } from "../grafana-workspace/grafana-workspace";
import { GrafanaWorkspace, grafanaWorkspaceSettingProblems } from "../grafana-workspace/grafana-workspace";
import { childrenMovedFrom } from "../lib/aliases";
import type { Tags } from "../lib/tags";
import { logRetentionProblems, prefixProblems, throwIfInvalid } from "../lib/validation";
import type { DomainWriter, OpenSearchDomainSettings } from "../opensearch-domain/opensearch-domain";
import { OpenSearchDomain, openSearchDomainSettingProblems } from "../opensearch-domain/opensearch-domain";
import { PrometheusWorkspace } from "../prometheus-workspace/prometheus-workspace";
import { platformDashboards, platformRuleNamespaces } from "./content";
import { provisionedDataSources } from "./data-sources";
import { familyIndexPatterns } from "./index-families";

/*
 * Every setting without a default here is a stack setting: its defaults per
 * environment live in stacks/settings-schema.ts, and only there. Settings no
 * stack setting defines keep their documented default in the component that
 * uses them (OpenSearchDomain, GrafanaWorkspace).
 */

export interface PrometheusOptions {
  /** Create the AMP workspace with the repository's rules and alertmanager routing. No default: stack setting `observability.prometheus`. */
  readonly enabled: boolean;
}

/** The OpenSearch domain's settings ({@link OpenSearchDomainSettings}), and whether to create it. */
export interface OpenSearchOptions extends OpenSearchDomainSettings {
  /** Create the OpenSearch domain. No default: stack setting `observability.openSearch.enabled`. */
  readonly enabled: boolean;
  /**
   * The indexers: each gets an OpenSearch role of its own on exactly its
   * index patterns, mapped to its IAM roles, and its roles may sign requests
   * to the domain. Default: none.
   */
  readonly writers?: readonly DomainWriter[];
  /**
   * CloudTrail's index pattern, searched by Grafana's `opensearch-cloudtrail`
   * data source, e.g. `cloudtrail-*`. No default: stack setting `cloudTrail.indexPrefix`.
   */
  readonly indexPattern: string;
}

/** The Grafana workspace's settings ({@link GrafanaWorkspaceSettings}), and whether to create it. */
export interface GrafanaOptions extends GrafanaWorkspaceSettings {
  /**
   * Create the AMG workspace, data sources and dashboards. Needs an identity
   * source (IAM Identity Center or a SAML IdP). No default: stack setting
   * `observability.grafana.enabled`.
   */
  readonly enabled: boolean;
}

export interface ObservabilityStackArgs {
  /** Archive key: AMP workspace, log groups, domain at rest, master user secret. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Topic for alertmanager, the domain's alarms and Grafana notifications (same region). */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** Amazon Managed Service for Prometheus. */
  readonly prometheus: PrometheusOptions;
  /** Amazon OpenSearch Service domain for the index families. */
  readonly openSearch: OpenSearchOptions;
  /** Amazon Managed Grafana. */
  readonly grafana: GrafanaOptions;
  /** Retention of every log group (a CloudWatch Logs value). No default: stack setting `logRetentionDays`. */
  readonly logRetentionDays: number;
  /** Protect and retain the domain, keep the password secret 30 days after deletion (prod). No default: stack setting `retainData`. */
  readonly retainData: boolean;
  /** Tags for every resource. No default: the stack's tags. */
  readonly tags: Tags;
}

/** The CloudTrail index pattern Grafana searches: one lowercase pattern. */
function indexPatternProblems(indexPattern: string): string[] {
  return /^[a-z0-9][a-z0-9._-]*\*?$/.test(indexPattern)
    ? []
    : [`indexPattern must be one lowercase index pattern such as cloudtrail-* (got "${indexPattern}")`];
}

/**
 * Every problem with the args, so that one error can list them all: the
 * stack's own and those of each part that is switched on, under the part's key.
 */
export function observabilityStackArgProblems(name: string, args: ObservabilityStackArgs): string[] {
  return [
    ...logRetentionProblems("logRetentionDays", args.logRetentionDays),
    // The domain is named like the stack, so its default domain name is the stack's name.
    ...(args.openSearch.enabled
      ? prefixProblems("openSearch.", [
          ...openSearchDomainSettingProblems(name, args.openSearch),
          ...indexPatternProblems(args.openSearch.indexPattern),
        ])
      : []),
    ...(args.grafana.enabled
      ? prefixProblems("grafana.", grafanaWorkspaceSettingProblems(args.grafana))
      : []),
  ];
}

/**
 * The platform's single pane (source design B), composed of three
 * components, each of which can be switched off: a {@link PrometheusWorkspace}
 * with the repository's rules and alertmanager routing to the alert topic; an
 * {@link OpenSearchDomain} for the index families, with its alarms; and a
 * {@link GrafanaWorkspace} with a data source per part (one per index family
 * for OpenSearch) and the repository's dashboards. The stack hands each its
 * content and wires them together (Grafana's role reads the domain).
 */
export class ObservabilityStack extends pulumi.ComponentResource {
  public readonly prometheusWorkspaceArn?: pulumi.Output<string>;
  public readonly prometheusWorkspaceId?: pulumi.Output<string>;
  /** Query endpoint, ending in `/`. */
  public readonly prometheusEndpoint?: pulumi.Output<string>;
  /** Where the ADOT collectors remote-write. */
  public readonly remoteWriteUrl?: pulumi.Output<string>;
  public readonly openSearchDomainArn?: pulumi.Output<string>;
  public readonly openSearchDomainName?: pulumi.Output<string>;
  /** Domain endpoint host name (no scheme), as the CloudTrail indexer takes it. */
  public readonly openSearchEndpoint?: pulumi.Output<string>;
  /** Secrets Manager secret with the master user's name and password (never an output itself). */
  public readonly openSearchMasterUserSecretArn?: pulumi.Output<string>;
  /**
   * The run of the access-control bootstrap (an `aws.lambda.Invocation`).
   * Whatever writes to the domain should `dependsOn` it: until it has mapped
   * the writer roles, fine-grained access control refuses their requests.
   */
  public readonly openSearchBootstrap?: pulumi.Resource;
  /** Replicas writers should give new indices: 1, or 0 on a single data node. */
  public readonly openSearchIndexReplicas?: number;
  public readonly grafanaWorkspaceId?: pulumi.Output<string>;
  /** `https://<workspace endpoint>` */
  public readonly grafanaUrl?: pulumi.Output<string>;
  public readonly grafanaRoleArn?: pulumi.Output<string>;

  constructor(name: string, args: ObservabilityStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:observability:ObservabilityStack", name, {}, opts);
    throwIfInvalid("ObservabilityStack", name, observabilityStackArgProblems(name, args));
    const { kmsKeyArn, alarmTopicArn, logRetentionDays, retainData, tags } = args;
    // The parts are named like the stack, so their children keep their names; their resources used to be
    // the stack's own children, and the aliases keep their state (see docs/architecture.md).
    const partOptions = (part: abstract new (...a: never[]) => pulumi.ComponentResource) => ({
      parent: this,
      transformations: [childrenMovedFrom(this, part)],
    });

    const prometheus = args.prometheus.enabled
      ? new PrometheusWorkspace(
          name,
          { kmsKeyArn, alarmTopicArn, ruleNamespaces: platformRuleNamespaces(), logRetentionDays, tags },
          partOptions(PrometheusWorkspace),
        )
      : undefined;

    // Grafana's role is let into the domain after it exists, through a deferred output (no cycle: the domain needs only the role's ARN).
    const [grafanaReaderArns, setGrafanaReaderArns] = pulumi.deferredOutput<string[]>();
    const { enabled: openSearchEnabled, writers, indexPattern, ...domainSettings } = args.openSearch;
    const openSearch = openSearchEnabled
      ? new OpenSearchDomain(
          name,
          {
            ...domainSettings,
            writers: writers ?? [],
            readerRoleArns: grafanaReaderArns,
            kmsKeyArn,
            alarmTopicArn,
            logRetentionDays,
            retainData,
            tags,
          },
          partOptions(OpenSearchDomain),
        )
      : undefined;

    const { enabled: grafanaEnabled, ...grafanaSettings } = args.grafana;
    let grafana: GrafanaWorkspace | undefined;
    if (grafanaEnabled) {
      const kinds: DataSourceKind[] = [
        ...(prometheus !== undefined ? (["prometheus"] as const) : []),
        "cloudwatch",
        ...(openSearch !== undefined ? (["opensearch"] as const) : []),
        ...(grafanaSettings.athena !== undefined ? (["athena"] as const) : []),
        "xray",
      ];
      grafana = new GrafanaWorkspace(
        name,
        {
          ...grafanaSettings,
          alarmTopicArn,
          kmsKeyArn,
          ...(prometheus !== undefined
            ? {
                prometheus: {
                  workspaceArn: prometheus.workspaceArn,
                  endpoint: prometheus.prometheusEndpoint,
                },
              }
            : {}),
          ...(openSearch !== undefined
            ? {
                openSearch: {
                  domainArn: openSearch.domainArn,
                  endpoint: openSearch.endpoint,
                  version: openSearch.versionNumber,
                  // CloudTrail's pattern is configurable; the other families' come from their fixed prefixes.
                  indexPatterns: familyIndexPatterns(indexPattern),
                },
              }
            : {}),
          dataSources: provisionedDataSources(kinds),
          dashboards: platformDashboards({ cost: grafanaSettings.athena?.cost !== undefined }),
          retainData,
          tags,
        },
        partOptions(GrafanaWorkspace),
      );
      setGrafanaReaderArns(grafana.roleArn.apply((arn) => [arn]));
    } else {
      setGrafanaReaderArns(pulumi.output([]));
      void pulumi.log.info(
        `ObservabilityStack "${name}": Amazon Managed Grafana is off, so no workspace, data sources or dashboards ` +
          "are created. AMG needs an identity source: enable IAM Identity Center (AWS_SSO) in the account or " +
          "organization, or prepare a SAML IdP, then set grafana.enabled: true (stack setting " +
          "observability.grafana.enabled) with grafana.authenticationProviders.",
        this,
      );
    }

    if (prometheus !== undefined) {
      this.prometheusWorkspaceArn = prometheus.workspaceArn;
      this.prometheusWorkspaceId = prometheus.workspaceId;
      this.prometheusEndpoint = prometheus.prometheusEndpoint;
      this.remoteWriteUrl = prometheus.remoteWriteUrl;
    }
    if (openSearch !== undefined) {
      this.openSearchDomainArn = openSearch.domainArn;
      this.openSearchDomainName = openSearch.domainName;
      this.openSearchEndpoint = openSearch.endpoint;
      this.openSearchMasterUserSecretArn = openSearch.masterUserSecretArn;
      this.openSearchBootstrap = openSearch.bootstrap;
      this.openSearchIndexReplicas = openSearch.indexReplicas;
    }
    if (grafana !== undefined) {
      this.grafanaWorkspaceId = grafana.workspaceId;
      this.grafanaUrl = grafana.url;
      this.grafanaRoleArn = grafana.roleArn;
    }
    this.registerOutputs({
      prometheusWorkspaceArn: this.prometheusWorkspaceArn,
      prometheusWorkspaceId: this.prometheusWorkspaceId,
      prometheusEndpoint: this.prometheusEndpoint,
      remoteWriteUrl: this.remoteWriteUrl,
      openSearchDomainArn: this.openSearchDomainArn,
      openSearchDomainName: this.openSearchDomainName,
      openSearchEndpoint: this.openSearchEndpoint,
      openSearchMasterUserSecretArn: this.openSearchMasterUserSecretArn,
      grafanaWorkspaceId: this.grafanaWorkspaceId,
      grafanaUrl: this.grafanaUrl,
      grafanaRoleArn: this.grafanaRoleArn,
    });
  }
}
