import * as pulumi from "@pulumi/pulumi";

import { AccessLogPipeline } from "../components/access-log-pipeline";
import { Alerting } from "../components/alerting";
import {
  CLOUDTRAIL_WRITER_ROLE,
  CloudTrailPipeline,
  cloudTrailIndexPattern,
  pipelineTrailName,
} from "../components/cloudtrail-pipeline";
import { PlatformBudgets } from "../components/cost-budgets";
import { COST_EXPORT_PREFIX, CostExport } from "../components/cost-export";
import { DEFAULT_V2_FORMAT, FlowLogMonitor } from "../components/flow-log-monitor";
import { IngestStream } from "../components/ingest-stream";
import type { Tags } from "../components/lib/tags";
import { componentTags, platformTags } from "../components/lib/tags";
import { LogArchive } from "../components/log-archive";
import { LOG_INDEXER_PARTS, LOG_INDEXER_WRITERS, LogIndexer } from "../components/log-indexer";
import { LogCatalog } from "../components/log-catalog";
import type { AgentConfigs } from "../components/log-receiver-cluster";
import { LogReceiverCluster } from "../components/log-receiver-cluster";
import { ObservabilityStack } from "../components/observability-stack";
import type { Settings } from "./settings";

/** What a deployed environment exposes; nothing secret. */
export interface PlatformOutputs {
  readonly environment: string;
  readonly archiveBucketName: pulumi.Output<string>;
  readonly accessLogBucketName: pulumi.Output<string>;
  readonly archiveKeyArn: pulumi.Output<string>;
  readonly alertTopicArn: pulumi.Output<string>;
  readonly ingestStreamName: pulumi.Output<string>;
  readonly receiverEndpoint: pulumi.Output<string>;
  /** The NLB's own DNS name: the CNAME target when receiver.domainName lives outside Route 53. */
  readonly receiverLoadBalancerDnsName: pulumi.Output<string>;
  /** Where the ingest tokens are kept (the tokens themselves are never an output). */
  readonly receiverTokensSecretArn: pulumi.Output<string>;
  readonly agentConfigs: pulumi.Output<AgentConfigs>;
  /** The receiver's self-signed certificate (PEM, public) for agents to trust; only without an imported one. */
  readonly receiverCaCertificatePem?: pulumi.Output<string>;
  /** Athena: `SELECT … FROM "<database>"."<table>"` over the parsed access logs. */
  readonly accessLogTable: pulumi.Output<string>;
  readonly flowLogGroupName?: pulumi.Output<string>;
  readonly cloudTrailBucketName?: pulumi.Output<string>;
  readonly grafanaUrl?: pulumi.Output<string>;
  readonly openSearchEndpoint?: pulumi.Output<string>;
  /** Secrets Manager secret holding the OpenSearch master password (never the password). */
  readonly openSearchMasterUserSecretArn?: pulumi.Output<string>;
  readonly prometheusRemoteWriteUrl?: pulumi.Output<string>;
}

/** Composes the components of one environment from its validated settings. */
export function buildPlatform(settings: Settings): PlatformOutputs {
  const prefix = settings.namePrefix;
  const tags = platformTags(settings.environment, settings.tags);
  const isDev = settings.environment === "dev";
  // One sample ratio for every traced app (the receiver and each function); absent: nothing traces.
  const tracing = settings.tracing.enabled ? { tracing: { sampleRatio: settings.tracing.sampleRatio } } : {};
  // Named up front: the archive key policy names the pipeline's trail before the trail exists.
  const cloudTrailName = `${prefix}-cloudtrail`;
  const cost = settings.costExport;
  // With the cost export, each component's resources say which component they are (the
  // dashboard's cost per component); without it their tags stay as they were.
  const tagsOf = (component: string): Tags => (cost.enabled ? componentTags(tags, component) : tags);

  const archive = new LogArchive(`${prefix}-archive`, {
    retainData: settings.retainData,
    lifecycle: cost.enabled
      ? [...settings.archive.lifecycle, { prefix: COST_EXPORT_PREFIX, expireAfterDays: cost.expireAfterDays }]
      : settings.archive.lifecycle,
    noncurrentVersionExpireDays: settings.archive.noncurrentVersionExpireDays,
    accessLogExpireDays: settings.archive.accessLogExpireDays,
    keyDeletionWindowDays: settings.archive.keyDeletionWindowDays,
    // The one trail that encrypts with the archive key: the CloudTrail pipeline's, when enabled.
    trailNames: settings.cloudTrail.enabled ? [pipelineTrailName(cloudTrailName)] : [],
    ...(cost.enabled ? { dataExportsPrefix: COST_EXPORT_PREFIX } : {}),
    tags: tagsOf("archive"),
  });

  const alerting = new Alerting(`${prefix}-alerting`, {
    ...(settings.alerting.topicArn !== undefined
      ? { topicArn: settings.alerting.topicArn }
      : { kmsKeyArn: archive.keyArn }),
    emails: settings.secrets.alertEmails,
    tags: tagsOf("alerting"),
  });

  if (settings.budgets.enabled) {
    const b = settings.budgets;
    // Project and Environment together single out this environment's resources (CostCenter may be shared).
    const { Project, Environment } = tags;
    new PlatformBudgets(`${prefix}-budgets`, {
      alarmTopicArn: alerting.topicArn,
      platformMonthlyUsd: b.platformMonthlyUsd,
      costAllocationTags: { Project: Project ?? "", Environment: Environment ?? "" },
      ...(b.accountMonthlyUsd !== undefined ? { accountMonthlyUsd: b.accountMonthlyUsd } : {}),
      thresholds: b.thresholds,
      emails: b.emails,
      tags: tagsOf("budgets"),
    });
  }

  const ingest = new IngestStream(`${prefix}-ingest`, {
    kmsKeyArn: archive.keyArn,
    archiveBucketArn: archive.bucketArn,
    alarmTopicArn: alerting.topicArn,
    mode: settings.ingestStream.mode,
    shardCount: settings.ingestStream.shardCount,
    retentionHours: settings.ingestStream.retentionHours,
    bufferIntervalSeconds: settings.rawArchive.bufferIntervalSeconds,
    bufferSizeMiB: settings.rawArchive.bufferSizeMiB,
    logRetentionDays: settings.logRetentionDays,
    retainData: settings.retainData,
    tags: tagsOf("ingest"),
  });

  const accessLogs = new AccessLogPipeline(`${prefix}-access-logs`, {
    streamArn: ingest.streamArn,
    archiveBucketName: archive.bucketName,
    archiveBucketArn: archive.bucketArn,
    kmsKeyArn: archive.keyArn,
    alarmTopicArn: alerting.topicArn,
    accessLogSources: settings.accessLogs.sources,
    batchSize: settings.accessLogs.batchSize,
    batchWindowSeconds: settings.accessLogs.batchWindowSeconds,
    maximumRetryAttempts: settings.accessLogs.maximumRetryAttempts,
    memoryMiB: settings.accessLogs.memoryMiB,
    timeoutSeconds: settings.accessLogs.timeoutSeconds,
    logRetentionDays: settings.logRetentionDays,
    ...tracing,
    tags: tagsOf("access-logs"),
  });
  // Athena tables over the other archive prefixes, in the access-log database: queryable without OpenSearch.
  new LogCatalog(`${prefix}-log-catalog`, {
    databaseName: accessLogs.glueDatabaseName,
    archiveBucketName: archive.bucketName,
    cloudTrailEvents: settings.cloudTrail.enabled,
  });
  const costExport = cost.enabled
    ? new CostExport(`${prefix}-cost`, {
        bucketName: archive.bucketName,
        bucketPolicy: archive.bucketPolicy,
        prefix: COST_EXPORT_PREFIX,
        // With the other tables: Grafana's Athena data source queries that database.
        databaseName: accessLogs.glueDatabaseName,
        timeGranularity: cost.timeGranularity,
        includeResources: cost.includeResources,
        tags: tagsOf("cost"),
      })
    : undefined;

  // The CloudTrail indexer needs the domain, and the domain's access policy needs the indexer's role.
  const [indexerRoleArn, setIndexerRoleArn] = pulumi.deferredOutput<string>();
  const o = settings.observability;
  // Search parts run only with a domain to write to; flow logs also need the flow-log group.
  const search = settings.search;
  const searchParts = {
    logs: o.openSearch.enabled && search.logs.enabled,
    flowLogs: o.openSearch.enabled && search.flowLogs.enabled && settings.flowLogs.enabled,
    // With both products off there is nothing to receive, so no indexer (and no role).
    findings:
      o.openSearch.enabled &&
      search.findings.enabled &&
      (search.findings.guardDuty !== "off" || search.findings.securityHub !== "off"),
  };
  // The log indexer's roles, like the CloudTrail indexer's: the domain policy needs them first.
  // One list per part (empty when the part is off: the bootstrap then clears that writer's mapping).
  const searchRoleArns = {
    logs: pulumi.deferredOutput<string[]>(),
    flowLogs: pulumi.deferredOutput<string[]>(),
    findings: pulumi.deferredOutput<string[]>(),
  };
  const observability = new ObservabilityStack(`${prefix}-obs`, {
    kmsKeyArn: archive.keyArn,
    alarmTopicArn: alerting.topicArn,
    prometheus: { enabled: o.prometheus },
    openSearch: {
      enabled: o.openSearch.enabled,
      instanceType: o.openSearch.instanceType,
      instanceCount: o.openSearch.instanceCount,
      dedicatedMasterCount: o.openSearch.dedicatedMasterCount,
      zoneAwareness: o.openSearch.zoneAwareness,
      volumeGiB: o.openSearch.volumeGiB,
      snapshotHour: o.openSearch.snapshotHour,
      operatorCidrs: o.openSearch.operatorCidrs,
      ...(settings.secrets.openSearchMasterPassword !== undefined
        ? { masterPassword: settings.secrets.openSearchMasterPassword }
        : {}),
      // Each indexer gets its own OpenSearch role on exactly the indices it writes.
      writers: [
        {
          role: CLOUDTRAIL_WRITER_ROLE,
          roleArns: settings.cloudTrail.enabled ? [indexerRoleArn] : [],
          // Whatever the prefix: the indices the CloudTrail indexer writes.
          indexPatterns: [cloudTrailIndexPattern(settings.cloudTrail.indexPrefix)],
        },
        ...LOG_INDEXER_PARTS.map((part) => ({
          role: LOG_INDEXER_WRITERS[part].role,
          roleArns: searchRoleArns[part][0],
          indexPatterns: LOG_INDEXER_WRITERS[part].indexPatterns,
        })),
      ],
      // Grafana's CloudTrail data source searches the same indices.
      indexPattern: cloudTrailIndexPattern(settings.cloudTrail.indexPrefix),
    },
    grafana: {
      enabled: o.grafana.enabled,
      authenticationProviders: o.grafana.authenticationProviders,
      athena: {
        databaseName: accessLogs.glueDatabaseName,
        tableName: accessLogs.glueTableName,
        archiveBucketArn: archive.bucketArn,
        kmsKeyArn: archive.keyArn,
        ...(costExport !== undefined
          ? { cost: { tableName: costExport.tableName, prefix: COST_EXPORT_PREFIX } }
          : {}),
      },
    },
    logRetentionDays: settings.logRetentionDays,
    retainData: settings.retainData,
    tags: tagsOf("observability"),
  });

  const receiver = new LogReceiverCluster(`${prefix}-receiver`, {
    streamName: ingest.streamName,
    streamArn: ingest.streamArn,
    kmsKeyArn: archive.keyArn,
    alarmTopicArn: alerting.topicArn,
    ...(settings.secrets.ingestTokens !== undefined ? { ingestTokens: settings.secrets.ingestTokens } : {}),
    ...(settings.secrets.receiverTls !== undefined ? { tls: settings.secrets.receiverTls } : {}),
    // Only dev may run on generated credentials; settings already require both in prod.
    allowGeneratedTokens: isDev,
    allowSelfSignedCertificate: isDev,
    cidrBlock: settings.network.cidrBlock,
    availabilityZoneCount: settings.network.availabilityZoneCount,
    natGateways: settings.network.natGateways,
    allowedCidrs: settings.receiver.allowedCidrs,
    minTasks: settings.receiver.minTasks,
    maxTasks: settings.receiver.maxTasks,
    cpu: settings.receiver.cpu,
    memoryMiB: settings.receiver.memoryMiB,
    targetCpuPercent: settings.receiver.targetCpuPercent,
    ...(settings.receiver.imageUri !== undefined ? { imageUri: settings.receiver.imageUri } : {}),
    // Settings require both together, and a certificate that covers the name.
    ...(settings.receiver.domainName !== undefined ? { domainName: settings.receiver.domainName } : {}),
    ...(settings.receiver.hostedZoneId !== undefined ? { hostedZoneId: settings.receiver.hostedZoneId } : {}),
    ...(observability.prometheusWorkspaceArn !== undefined && observability.remoteWriteUrl !== undefined
      ? {
          metrics: {
            workspaceArn: observability.prometheusWorkspaceArn,
            remoteWriteUrl: observability.remoteWriteUrl,
          },
        }
      : {}),
    ...tracing,
    logRetentionDays: settings.logRetentionDays,
    retainData: settings.retainData,
    tags: tagsOf("receiver"),
  });

  const flowLogs = settings.flowLogs.enabled
    ? new FlowLogMonitor(`${prefix}-flow-logs`, {
        // The receiver's VPC first: flow logs are named by position, so extra VPCs append.
        vpcIds: [receiver.vpcId, ...settings.flowLogs.extraVpcIds],
        trafficType: settings.flowLogs.trafficType,
        kmsKeyArn: archive.keyArn,
        retentionInDays: settings.logRetentionDays,
        ...(settings.flowLogs.archiveToS3 ? { archiveBucketArn: archive.bucketArn } : {}),
        ...(settings.flowLogs.icmpDenyRule
          ? { icmpDeny: { networkAclId: receiver.defaultNetworkAclId } }
          : {}),
        filters: settings.flowLogs.filters,
        // The source design's alarm and topic keep their names, prefixed per
        // stack; the topic e-mails the alert addresses. The other flow-log
        // alarms go to the platform topic, which has the same subscribers.
        sourceNamePrefix: prefix,
        emails: settings.secrets.alertEmails,
        alarmTopicArn: alerting.topicArn,
        tags: tagsOf("flow-logs"),
      })
    : undefined;

  // The domain every indexer (CloudTrail's and the log indexer's) writes to.
  const openSearchTarget =
    observability.openSearchEndpoint !== undefined && observability.openSearchDomainArn !== undefined
      ? {
          endpoint: observability.openSearchEndpoint,
          domainArn: observability.openSearchDomainArn,
          ...(observability.openSearchIndexReplicas !== undefined
            ? { indexReplicas: observability.openSearchIndexReplicas }
            : {}),
          // Fed only once the bootstrap has let the indexers' roles in (else 403s fill their DLQs).
          ...(observability.openSearchBootstrap !== undefined
            ? { dependsOn: [observability.openSearchBootstrap] }
            : {}),
        }
      : undefined;
  const cloudTrail = settings.cloudTrail.enabled
    ? new CloudTrailPipeline(cloudTrailName, {
        kmsKeyArn: archive.keyArn,
        archiveBucketName: archive.bucketName,
        archiveBucketArn: archive.bucketArn,
        alarmTopicArn: alerting.topicArn,
        organizationTrail: settings.cloudTrail.organizationTrail,
        s3DataEvents: settings.cloudTrail.s3DataEvents,
        objectLock: settings.cloudTrail.objectLock,
        trailRetentionDays: settings.cloudTrail.trailRetentionDays,
        logRetentionDays: settings.logRetentionDays,
        retainData: settings.retainData,
        indexPrefix: settings.cloudTrail.indexPrefix,
        reservedConcurrency: settings.cloudTrail.indexerReservedConcurrency,
        ...(openSearchTarget !== undefined ? { openSearch: openSearchTarget } : {}),
        ...tracing,
        tags: tagsOf("cloudtrail"),
      })
    : undefined;
  // Only when the pipeline exists: an unresolved deferred output would hang the program.
  if (cloudTrail !== undefined) setIndexerRoleArn(cloudTrail.indexerRoleArn);

  const logIndexer =
    openSearchTarget !== undefined && Object.values(searchParts).some((on) => on)
      ? new LogIndexer(`${prefix}-search`, {
          archiveBucketName: archive.bucketName,
          archiveBucketArn: archive.bucketArn,
          kmsKeyArn: archive.keyArn,
          alarmTopicArn: alerting.topicArn,
          openSearch: openSearchTarget,
          ...(searchParts.logs
            ? {
                logs: {
                  streamArn: ingest.streamArn,
                  accessLogSources: settings.accessLogs.sources,
                  retentionDays: search.logs.retentionDays,
                  accessRetentionDays: search.logs.accessRetentionDays,
                  batchSize: search.logs.batchSize,
                  batchWindowSeconds: search.logs.batchWindowSeconds,
                  maximumRetryAttempts: search.logs.maximumRetryAttempts,
                  memoryMiB: search.logs.memoryMiB,
                  timeoutSeconds: search.logs.timeoutSeconds,
                  maxFields: search.logs.maxFields,
                },
              }
            : {}),
          ...(searchParts.flowLogs && flowLogs !== undefined
            ? {
                flowLogs: {
                  logGroupName: flowLogs.logGroupName,
                  logGroupArn: flowLogs.logGroupArn,
                  // The format FlowLogMonitor gives every flow log it creates.
                  logFormat: DEFAULT_V2_FORMAT,
                  retentionDays: search.flowLogs.retentionDays,
                },
              }
            : {}),
          ...(searchParts.findings
            ? {
                findings: {
                  retentionDays: search.findings.retentionDays,
                  alertSeverity: search.findings.alertSeverity,
                  guardDuty: search.findings.guardDuty,
                  securityHub: search.findings.securityHub,
                },
              }
            : {}),
          logRetentionDays: settings.logRetentionDays,
          ...tracing,
          tags: tagsOf("search"),
        })
      : undefined;
  // Every deferred list must resolve (else the program hangs): the part's role, or none.
  for (const part of LOG_INDEXER_PARTS) {
    const roleArn = logIndexer?.roleArns[part];
    searchRoleArns[part][1](roleArn !== undefined ? roleArn.apply((arn) => [arn]) : pulumi.output([]));
  }

  return {
    environment: settings.environment,
    archiveBucketName: archive.bucketName,
    accessLogBucketName: archive.accessLogBucketName,
    archiveKeyArn: archive.keyArn,
    alertTopicArn: alerting.topicArn,
    ingestStreamName: ingest.streamName,
    receiverEndpoint: receiver.endpoint,
    receiverLoadBalancerDnsName: receiver.loadBalancerDnsName,
    receiverTokensSecretArn: receiver.tokensSecretArn,
    agentConfigs: receiver.agentConfigs,
    ...(receiver.caCertificatePem !== undefined
      ? { receiverCaCertificatePem: receiver.caCertificatePem }
      : {}),
    accessLogTable: pulumi.interpolate`${accessLogs.glueDatabaseName}.${accessLogs.glueTableName}`,
    ...(flowLogs !== undefined ? { flowLogGroupName: flowLogs.logGroupName } : {}),
    ...(cloudTrail !== undefined ? { cloudTrailBucketName: cloudTrail.trailBucketName } : {}),
    ...(observability.grafanaUrl !== undefined ? { grafanaUrl: observability.grafanaUrl } : {}),
    ...(observability.openSearchEndpoint !== undefined
      ? { openSearchEndpoint: observability.openSearchEndpoint }
      : {}),
    ...(observability.openSearchMasterUserSecretArn !== undefined
      ? { openSearchMasterUserSecretArn: observability.openSearchMasterUserSecretArn }
      : {}),
    ...(observability.remoteWriteUrl !== undefined
      ? { prometheusRemoteWriteUrl: observability.remoteWriteUrl }
      : {}),
  };
}
