import * as pulumi from "@pulumi/pulumi";

import { awsContext } from "../lib/aws-context";
import type { Tags } from "../lib/tags";
import { throwIfInvalid } from "../lib/validation";
import { createGrafana } from "./grafana";
import { familyIndexPatterns } from "./index-families";
import type { DomainWriter } from "./opensearch";
import { createOpenSearch } from "./opensearch";
import { createPrometheus } from "./prometheus";

export interface PrometheusOptions {
  /** Create the AMP workspace with the repository's rules and alertmanager routing. Default: true. */
  readonly enabled?: boolean;
}

export interface OpenSearchOptions {
  /** Create the OpenSearch domain. Default: true. */
  readonly enabled?: boolean;
  /** Domain name: 3–28 lowercase letters, digits and hyphens, starting with a letter. Default: the component name. */
  readonly domainName?: string;
  /** Engine version. Default: OpenSearch_2.19. */
  readonly engineVersion?: string;
  /** Data node instance type. Default: t3.small.search. */
  readonly instanceType?: string;
  /** Data nodes; a multiple of `availabilityZoneCount` with zone awareness. Default: 1. */
  readonly instanceCount?: number;
  /** Dedicated master nodes: 0 (none), 3 or 5. Default: 0. */
  readonly dedicatedMasterCount?: number;
  /** Instance type of dedicated masters. Default: m6g.large.search. */
  readonly dedicatedMasterType?: string;
  /** Spread nodes and replicas over availability zones. Default: false. */
  readonly zoneAwareness?: boolean;
  /** Zones with zone awareness: 2 or 3. Default: 3. */
  readonly availabilityZoneCount?: number;
  /** gp3 volume per data node, GiB (10–16384). Default: 10. */
  readonly volumeGiB?: number;
  /** UTC hour of the daily automated snapshot (0–23). Default: 3. */
  readonly snapshotHour?: number;
  /** Master user password (secret). Default: a generated 32-character password. */
  readonly masterPassword?: pulumi.Input<string>;
  /**
   * The indexers: each gets an OpenSearch role of its own on exactly its
   * index patterns, mapped to its IAM roles, and its roles may sign requests
   * to the domain. Default: none.
   */
  readonly writers?: readonly DomainWriter[];
  /**
   * Address ranges from which operators may reach the domain without IAM
   * signing (master user sign-in, OpenSearch Dashboards). Default: none.
   */
  readonly operatorCidrs?: readonly string[];
  /** CloudTrail's index pattern, searched by Grafana's `opensearch-cloudtrail` data source. Default: cloudtrail-*. */
  readonly indexPattern?: string;
  /** Put the domain in a VPC. Default: public endpoint (IAM-signed access only). */
  readonly vpc?: {
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  };
}

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
}

export type AuthenticationProvider = "AWS_SSO" | "SAML";

export interface GrafanaOptions {
  /**
   * Create the AMG workspace, data sources and dashboards. Needs an identity
   * source (IAM Identity Center or a SAML IdP). Default: false.
   */
  readonly enabled?: boolean;
  /** How users sign in. Default: ["AWS_SSO"]. */
  readonly authenticationProviders?: readonly AuthenticationProvider[];
  /** Grafana version of the workspace. Default: 10.4. */
  readonly grafanaVersion?: string;
  /** Days between replacements of Pulumi's service account token (1–29; a token lives 30). Default: 7. */
  readonly tokenRotationDays?: number;
  /** Query the access logs with Athena. Default: no Athena data source. */
  readonly athena?: AthenaSource;
}

export interface ObservabilityStackArgs {
  /** Archive key: AMP workspace, log groups, domain at rest, master user secret. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Topic for alertmanager, the domain's alarms and Grafana notifications (same region). */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** Amazon Managed Service for Prometheus. Default: enabled. */
  readonly prometheus?: PrometheusOptions;
  /** Amazon OpenSearch Service domain for CloudTrail events. Default: enabled, one t3.small node. */
  readonly openSearch?: OpenSearchOptions;
  /** Amazon Managed Grafana. Default: disabled. */
  readonly grafana?: GrafanaOptions;
  /** Retention of every log group (a CloudWatch Logs value). Default: 14. */
  readonly logRetentionDays?: number;
  /** Protect and retain the domain, keep the password secret 30 days after deletion (prod). Default: false. */
  readonly retainData?: boolean;
  /** Tags for every resource. Default: none. */
  readonly tags?: Tags;
}

const DEFAULTS = {
  prometheus: { enabled: true },
  openSearch: {
    enabled: true,
    engineVersion: "OpenSearch_2.19",
    instanceType: "t3.small.search",
    instanceCount: 1,
    dedicatedMasterCount: 0,
    dedicatedMasterType: "m6g.large.search",
    zoneAwareness: false,
    availabilityZoneCount: 3,
    volumeGiB: 10,
    snapshotHour: 3,
    operatorCidrs: [] as readonly string[],
    indexPattern: "cloudtrail-*",
  },
  grafana: {
    enabled: false,
    authenticationProviders: ["AWS_SSO"] as readonly AuthenticationProvider[],
    grafanaVersion: "10.4",
    tokenRotationDays: 7,
  },
  athenaBytesScannedCutoffMiB: 10240,
  logRetentionDays: 14,
  retainData: false,
  tags: {},
} as const;

/** Retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

/** Every problem with the args, so that one error can list them all. */
export function observabilityStackArgProblems(name: string, args: ObservabilityStackArgs): string[] {
  const problems: string[] = [];
  const wholeIn = (key: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(`${key} must be ${min}–${max} (got ${value})`);
  };
  const retention = args.logRetentionDays ?? DEFAULTS.logRetentionDays;
  if (!LOG_RETENTION_DAYS.includes(retention)) {
    problems.push(`logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")} (got ${retention})`);
  }

  const os = args.openSearch ?? {};
  if (os.enabled ?? DEFAULTS.openSearch.enabled) {
    const domainName = os.domainName ?? name;
    if (!/^[a-z][a-z0-9-]{2,27}$/.test(domainName)) {
      problems.push(
        `openSearch.domainName must be 3–28 lowercase letters, digits or hyphens starting with a letter (got "${domainName}")`,
      );
    }
    const engineVersion = os.engineVersion ?? DEFAULTS.openSearch.engineVersion;
    if (!/^OpenSearch_\d+\.\d+$/.test(engineVersion)) {
      problems.push(`openSearch.engineVersion must look like OpenSearch_2.19 (got "${engineVersion}")`);
    }
    for (const key of ["instanceType", "dedicatedMasterType"] as const) {
      const type = os[key] ?? DEFAULTS.openSearch[key];
      if (!/^[a-z0-9]+\.[a-z0-9]+\.search$/.test(type)) {
        problems.push(
          `openSearch.${key} must be an OpenSearch instance type such as r6g.large.search (got "${type}")`,
        );
      }
    }
    const instanceCount = os.instanceCount ?? DEFAULTS.openSearch.instanceCount;
    wholeIn("openSearch.instanceCount", instanceCount, 1, 80);
    const masters = os.dedicatedMasterCount ?? DEFAULTS.openSearch.dedicatedMasterCount;
    if (![0, 3, 5].includes(masters))
      problems.push(`openSearch.dedicatedMasterCount must be 0, 3 or 5 (got ${masters})`);
    const zones = os.availabilityZoneCount ?? DEFAULTS.openSearch.availabilityZoneCount;
    if (os.zoneAwareness ?? DEFAULTS.openSearch.zoneAwareness) {
      if (zones !== 2 && zones !== 3)
        problems.push(`openSearch.availabilityZoneCount must be 2 or 3 (got ${zones})`);
      else if (instanceCount % zones !== 0) {
        problems.push(
          `openSearch.instanceCount must be a multiple of availabilityZoneCount with zone awareness (got ${instanceCount} over ${zones} zones)`,
        );
      }
    }
    wholeIn("openSearch.volumeGiB", os.volumeGiB ?? DEFAULTS.openSearch.volumeGiB, 10, 16384);
    wholeIn("openSearch.snapshotHour", os.snapshotHour ?? DEFAULTS.openSearch.snapshotHour, 0, 23);
    const badCidrs = (os.operatorCidrs ?? []).filter((cidr) => !CIDR.test(cidr));
    if (badCidrs.length > 0)
      problems.push(`openSearch.operatorCidrs must be IPv4 CIDR blocks (got ${badCidrs.join(", ")})`);
  }

  const grafana = args.grafana ?? {};
  if (grafana.enabled ?? DEFAULTS.grafana.enabled) {
    const providers = grafana.authenticationProviders ?? DEFAULTS.grafana.authenticationProviders;
    if (providers.length === 0 || providers.some((p) => p !== "AWS_SSO" && p !== "SAML")) {
      problems.push(
        `grafana.authenticationProviders must be AWS_SSO and/or SAML (got [${providers.join(", ")}])`,
      );
    }
    wholeIn(
      "grafana.tokenRotationDays",
      grafana.tokenRotationDays ?? DEFAULTS.grafana.tokenRotationDays,
      1,
      29,
    );
    if (grafana.athena !== undefined) {
      wholeIn(
        "grafana.athena.bytesScannedCutoffMiB",
        grafana.athena.bytesScannedCutoffMiB ?? DEFAULTS.athenaBytesScannedCutoffMiB,
        10,
        1024 * 1024 * 1024,
      );
    }
  }
  return problems;
}

/**
 * The platform's single pane (source design B): Amazon Managed Service for
 * Prometheus with the repository's rules and alertmanager routing to the
 * alert topic; an OpenSearch domain for CloudTrail events with its alarms; and
 * Amazon Managed Grafana with data sources and dashboards as code. Each part
 * can be switched off.
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
    const tags = args.tags ?? DEFAULTS.tags;
    const retainData = args.retainData ?? DEFAULTS.retainData;
    const logRetentionDays = args.logRetentionDays ?? DEFAULTS.logRetentionDays;
    const ctx = awsContext(this);

    // ---- AMP.
    const prometheus =
      (args.prometheus?.enabled ?? DEFAULTS.prometheus.enabled)
        ? createPrometheus(
            name,
            { kmsKeyArn: args.kmsKeyArn, alarmTopicArn: args.alarmTopicArn, logRetentionDays, tags },
            ctx,
            this,
          )
        : undefined;

    // ---- OpenSearch. Grafana's role is let in after it exists, through a deferred output (no cycle: the domain needs only the role's ARN).
    const grafanaOptions = args.grafana ?? {};
    const grafanaEnabled = grafanaOptions.enabled ?? DEFAULTS.grafana.enabled;
    const [grafanaReaderArns, setGrafanaReaderArns] = pulumi.deferredOutput<string[]>();
    const os = args.openSearch ?? {};
    const openSearch =
      (os.enabled ?? DEFAULTS.openSearch.enabled)
        ? createOpenSearch(
            name,
            {
              domainName: os.domainName ?? name,
              engineVersion: os.engineVersion ?? DEFAULTS.openSearch.engineVersion,
              instanceType: os.instanceType ?? DEFAULTS.openSearch.instanceType,
              instanceCount: os.instanceCount ?? DEFAULTS.openSearch.instanceCount,
              dedicatedMasterCount: os.dedicatedMasterCount ?? DEFAULTS.openSearch.dedicatedMasterCount,
              dedicatedMasterType: os.dedicatedMasterType ?? DEFAULTS.openSearch.dedicatedMasterType,
              zoneAwareness: os.zoneAwareness ?? DEFAULTS.openSearch.zoneAwareness,
              availabilityZoneCount: os.availabilityZoneCount ?? DEFAULTS.openSearch.availabilityZoneCount,
              volumeGiB: os.volumeGiB ?? DEFAULTS.openSearch.volumeGiB,
              snapshotHour: os.snapshotHour ?? DEFAULTS.openSearch.snapshotHour,
              ...(os.masterPassword !== undefined ? { masterPassword: os.masterPassword } : {}),
              writers: os.writers ?? [],
              readerRoleArns: grafanaReaderArns,
              operatorCidrs: os.operatorCidrs ?? DEFAULTS.openSearch.operatorCidrs,
              ...(os.vpc !== undefined ? { vpc: os.vpc } : {}),
              kmsKeyArn: args.kmsKeyArn,
              alarmTopicArn: args.alarmTopicArn,
              logRetentionDays,
              retainData,
              tags,
            },
            ctx,
            this,
          )
        : undefined;

    // ---- AMG.
    let grafana: ReturnType<typeof createGrafana> | undefined;
    if (grafanaEnabled) {
      const athena = grafanaOptions.athena;
      grafana = createGrafana(
        name,
        {
          authenticationProviders:
            grafanaOptions.authenticationProviders ?? DEFAULTS.grafana.authenticationProviders,
          grafanaVersion: grafanaOptions.grafanaVersion ?? DEFAULTS.grafana.grafanaVersion,
          tokenRotationDays: grafanaOptions.tokenRotationDays ?? DEFAULTS.grafana.tokenRotationDays,
          alarmTopicArn: args.alarmTopicArn,
          kmsKeyArn: args.kmsKeyArn,
          ...(prometheus !== undefined
            ? {
                prometheus: {
                  workspaceArn: prometheus.workspace.arn,
                  endpoint: prometheus.workspace.prometheusEndpoint,
                },
              }
            : {}),
          ...(openSearch !== undefined
            ? {
                openSearch: {
                  domainArn: openSearch.domainArn,
                  endpoint: openSearch.domain.endpoint,
                  version: openSearch.versionNumber,
                  // CloudTrail's pattern is configurable; the other families' come from their fixed prefixes.
                  indexPatterns: familyIndexPatterns(os.indexPattern ?? DEFAULTS.openSearch.indexPattern),
                },
              }
            : {}),
          ...(athena !== undefined
            ? {
                athena: {
                  databaseName: athena.databaseName,
                  tableName: athena.tableName,
                  archiveBucketArn: athena.archiveBucketArn,
                  kmsKeyArn: athena.kmsKeyArn,
                  bytesScannedCutoffPerQuery:
                    (athena.bytesScannedCutoffMiB ?? DEFAULTS.athenaBytesScannedCutoffMiB) * 1024 * 1024,
                },
              }
            : {}),
          retainData,
          tags,
        },
        ctx,
        this,
      );
      setGrafanaReaderArns(grafana.role.arn.apply((arn) => [arn]));
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
      this.prometheusWorkspaceArn = prometheus.workspace.arn;
      this.prometheusWorkspaceId = prometheus.workspace.id;
      this.prometheusEndpoint = prometheus.workspace.prometheusEndpoint;
      this.remoteWriteUrl = prometheus.remoteWriteUrl;
    }
    if (openSearch !== undefined) {
      this.openSearchDomainArn = openSearch.domainArn;
      this.openSearchDomainName = openSearch.domain.domainName;
      this.openSearchEndpoint = openSearch.domain.endpoint;
      this.openSearchMasterUserSecretArn = openSearch.masterPasswordSecretArn;
      this.openSearchBootstrap = openSearch.bootstrap;
      this.openSearchIndexReplicas = openSearch.indexReplicas;
    }
    if (grafana !== undefined) {
      this.grafanaWorkspaceId = grafana.workspace.id;
      this.grafanaUrl = grafana.url;
      this.grafanaRoleArn = grafana.role.arn;
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
