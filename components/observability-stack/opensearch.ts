import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

import { dataStoreOptions } from "../lib/data-protection";
import type { AwsContext } from "../lib/iam";
import { createAlarm } from "../lib/alarm";
import { createBundledFunction } from "../lib/lambda";
import { createEncryptedLogGroup } from "../lib/log-group";
import { createServiceRole } from "../lib/service-role";
import type { Tags } from "../lib/tags";
import { OPENSEARCH_NAMESPACE, openSearchAlarmSpecs } from "./alarms";
import {
  bootstrapStatements,
  domainAccessPolicy,
  openSearchDomainArn,
  openSearchLogsPolicy,
} from "./policies";

/** The Lambda that sets up fine-grained access control, bundled from source at deploy time. */
export const BOOTSTRAP_ENTRY = "apps/opensearch-bootstrap/src/handler.ts";

/** The logs a domain can publish, each to a log group of its own. */
export const OPENSEARCH_LOG_TYPES = [
  "AUDIT_LOGS",
  "INDEX_SLOW_LOGS",
  "SEARCH_SLOW_LOGS",
  "ES_APPLICATION_LOGS",
] as const;

/** Internal user a human signs in with; the bootstrap Lambda creates it with the secret's password. */
export const MASTER_USER_NAME = "admin";

/** Only TLS 1.2+ with forward-secret ciphers on the domain endpoint. */
export const OPENSEARCH_TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10";

/**
 * The bootstrap's Lambda timeout, the most Lambda allows: a new domain can
 * refuse its master for minutes, and the run must outlast its retries.
 */
export const BOOTSTRAP_TIMEOUT_SECONDS = 900;

/** How long one bootstrap run retries refused calls; the rest of the timeout is headroom to report the failure. */
export const BOOTSTRAP_RETRY_SECONDS = 600;

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

/**
 * One indexer's access to the domain: the bootstrap gives it an OpenSearch
 * role of its own on exactly these index patterns and maps its IAM roles to
 * it (apps/opensearch-bootstrap/src/security.ts, `WriterAccess`).
 */
export interface DomainWriter {
  /** OpenSearch role name, e.g. `cloudtrail_writer`. */
  readonly role: string;
  /** IAM roles of the indexer; empty clears the mapping (the indexer is off). */
  readonly roleArns: pulumi.Input<pulumi.Input<string>[]>;
  /** Indices it writes, e.g. `["logs-*", "access-*"]`. */
  readonly indexPatterns: readonly string[];
}

export interface DomainSettings {
  readonly domainName: string;
  readonly engineVersion: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly dedicatedMasterCount: number;
  readonly dedicatedMasterType: string;
  readonly zoneAwareness: boolean;
  readonly availabilityZoneCount: number;
  readonly volumeGiB: number;
  readonly snapshotHour: number;
  readonly masterPassword?: pulumi.Input<string>;
  /** Every indexer, each mapped by the bootstrap to its own role on its own patterns. */
  readonly writers: readonly DomainWriter[];
  readonly readerRoleArns: pulumi.Input<pulumi.Input<string>[]>;
  readonly operatorCidrs: readonly string[];
  readonly vpc?: {
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  };
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly alarmTopicArn: pulumi.Input<string>;
  readonly logRetentionDays: number;
  readonly retainData: boolean;
  readonly tags: Tags;
}

export interface OpenSearch {
  readonly domain: aws.opensearch.Domain;
  /**
   * The bootstrap run that maps the writer and reader roles. Anything that
   * writes to the domain must depend on it: before it, every signed request
   * of the indexer is refused (403).
   */
  readonly bootstrap: aws.lambda.Invocation;
  /** Replicas the writers should give their indices ({@link openSearchIndexReplicas}). */
  readonly indexReplicas: number;
  /** Derived from the domain's name, as its access policy names it. */
  readonly domainArn: pulumi.Output<string>;
  readonly masterPasswordSecretArn: pulumi.Output<string>;
  readonly versionNumber: string;
}

/**
 * An OpenSearch domain for CloudTrail events: encrypted at rest with the
 * archive key and between nodes, HTTPS only, fine-grained access control
 * whose master is the role of a bootstrap Lambda; that Lambda, invoked on
 * every change of its inputs, creates the internal `admin` user with the
 * password (given or generated, kept in Secrets Manager) and maps the writer
 * and reader roles to OpenSearch roles. Its four logs in KMS log groups; the
 * recommended alarms.
 */
export function createOpenSearch(
  name: string,
  settings: DomainSettings,
  ctx: pulumi.Output<AwsContext>,
  parent: pulumi.Resource,
): OpenSearch {
  const { tags } = settings;
  const domainArn = ctx.apply((c) => openSearchDomainArn(c, settings.domainName));
  // The bootstrap's view of the writers, and every writer's IAM roles for the domain's access policy.
  const writers = pulumi.output(
    settings.writers.map(({ role, roleArns, indexPatterns }) => ({ role, roleArns, indexPatterns })),
  );
  const writerRoleArns = writers.apply((all) => all.flatMap((writer) => writer.roleArns));

  const password = pulumi.secret(
    settings.masterPassword ??
      new random.RandomPassword(
        `${name}-master-password`,
        {
          length: 32,
          // Fine-grained access control wants all four character classes; quotes and slashes stay out of shells and JSON.
          minUpper: 1,
          minLower: 1,
          minNumeric: 1,
          minSpecial: 1,
          overrideSpecial: "!#%*()-_=+[]{}<>:?",
        },
        { parent },
      ).result,
  );
  const secret = new aws.secretsmanager.Secret(
    `${name}-master-user`,
    {
      description: `Master user of the OpenSearch domain ${settings.domainName}, JSON {username, password}`,
      kmsKeyId: settings.kmsKeyArn,
      // dev: delete at once so `pulumi destroy` leaves nothing behind; prod: 30 days to recover.
      recoveryWindowInDays: settings.retainData ? 30 : 0,
      tags: { ...tags },
    },
    { parent },
  );
  const secretVersion = new aws.secretsmanager.SecretVersion(
    `${name}-master-user-value`,
    {
      secretId: secret.id,
      secretString: pulumi.secret(pulumi.jsonStringify({ username: MASTER_USER_NAME, password })),
    },
    { parent },
  );

  const logGroups = OPENSEARCH_LOG_TYPES.map((logType) => ({
    logType,
    group: createEncryptedLogGroup(
      `${name}-${logType.toLowerCase().replace(/_/g, "-")}`,
      {
        logGroupName: `/aws/opensearch/${settings.domainName}/${logType.toLowerCase()}`,
        retentionInDays: settings.logRetentionDays,
        kmsKeyArn: settings.kmsKeyArn,
        tags,
      },
      parent,
    ),
  }));
  const logsPolicy = new aws.cloudwatch.LogResourcePolicy(
    `${name}-opensearch-logs`,
    {
      policyName: `${settings.domainName}-opensearch-logs`,
      policyDocument: pulumi.jsonStringify(
        pulumi
          .all([ctx, domainArn, pulumi.all(logGroups.map((l) => l.group.arn))])
          .apply(([c, arn, groupArns]) => openSearchLogsPolicy(c, arn, groupArns)),
      ),
    },
    { parent },
  );

  // The master role exists before the domain (which names it); the function needs the domain's endpoint, so it comes after.
  const bootstrapLogs = createEncryptedLogGroup(
    `${name}-opensearch-bootstrap-logs`,
    { retentionInDays: settings.logRetentionDays, kmsKeyArn: settings.kmsKeyArn, tags },
    parent,
  );
  const bootstrapRole = createServiceRole(
    `${name}-opensearch-bootstrap-role`,
    {
      service: "lambda.amazonaws.com",
      // Lambda assumes its execution role without source-account context.
      sourceAccountCondition: false,
      statements: pulumi
        .all([domainArn, secret.arn, settings.kmsKeyArn, bootstrapLogs.arn])
        .apply(([arn, secretArn, keyArn, logGroupArn]) =>
          bootstrapStatements({
            domainArn: arn,
            secretArn,
            keyArn,
            logGroupArn,
            inVpc: settings.vpc !== undefined,
          }),
        ),
      tags,
    },
    ctx,
    parent,
  );
  const masterRoleArn = bootstrapRole.role.arn;

  const dedicatedMasters = settings.dedicatedMasterCount > 0;
  const domain = new aws.opensearch.Domain(
    `${name}-domain`,
    {
      domainName: settings.domainName,
      engineVersion: settings.engineVersion,
      clusterConfig: {
        instanceType: settings.instanceType,
        instanceCount: settings.instanceCount,
        zoneAwarenessEnabled: settings.zoneAwareness,
        ...(settings.zoneAwareness
          ? { zoneAwarenessConfig: { availabilityZoneCount: settings.availabilityZoneCount } }
          : {}),
        dedicatedMasterEnabled: dedicatedMasters,
        ...(dedicatedMasters
          ? {
              dedicatedMasterCount: settings.dedicatedMasterCount,
              dedicatedMasterType: settings.dedicatedMasterType,
            }
          : {}),
      },
      ebsOptions: { ebsEnabled: true, volumeType: "gp3", volumeSize: settings.volumeGiB },
      encryptAtRest: { enabled: true, kmsKeyId: settings.kmsKeyArn },
      nodeToNodeEncryption: { enabled: true },
      domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: OPENSEARCH_TLS_POLICY },
      advancedSecurityOptions: {
        enabled: true,
        anonymousAuthEnabled: false,
        internalUserDatabaseEnabled: true,
        // An IAM role as master: the bootstrap signs its requests, no password is needed to set up access.
        masterUserOptions: { masterUserArn: masterRoleArn },
      },
      snapshotOptions: { automatedSnapshotStartHour: settings.snapshotHour },
      softwareUpdateOptions: { autoSoftwareUpdateEnabled: true },
      ...(settings.vpc !== undefined
        ? {
            vpcOptions: {
              subnetIds: settings.vpc.subnetIds,
              securityGroupIds: settings.vpc.securityGroupIds,
            },
          }
        : {}),
      logPublishingOptions: logGroups.map(({ logType, group }) => ({
        logType,
        cloudwatchLogGroupArn: group.arn,
        enabled: true,
      })),
      accessPolicies: pulumi.jsonStringify(
        pulumi
          .all([domainArn, masterRoleArn, writerRoleArns, settings.readerRoleArns])
          .apply(([arn, master, writerRoleArns, readerRoleArns]) =>
            domainAccessPolicy({
              domainArn: arn,
              masterRoleArn: master,
              writerRoleArns,
              readerRoleArns,
              operatorCidrs: settings.operatorCidrs,
            }),
          ),
      ),
      tags: { ...tags },
    },
    // OpenSearch checks at creation that it may write to the log groups.
    { ...dataStoreOptions(parent, settings.retainData), dependsOn: [logsPolicy] },
  );

  const bootstrap = createBundledFunction(
    `${name}-opensearch-bootstrap`,
    {
      entry: BOOTSTRAP_ENTRY,
      roleArn: masterRoleArn,
      memoryMiB: 256,
      timeoutSeconds: BOOTSTRAP_TIMEOUT_SECONDS,
      kmsKeyArn: settings.kmsKeyArn,
      environment: {
        OPENSEARCH_ENDPOINT: domain.endpoint,
        MASTER_SECRET_ARN: secret.arn,
        MASTER_ROLE_ARN: masterRoleArn,
        RETRY_FOR_SECONDS: String(BOOTSTRAP_RETRY_SECONDS),
      },
      logGroupName: bootstrapLogs.name,
      ...(settings.vpc !== undefined
        ? {
            vpcConfig: { subnetIds: settings.vpc.subnetIds, securityGroupIds: settings.vpc.securityGroupIds },
          }
        : {}),
      tags,
    },
    // The role's policy must be in place before the first invocation can sign anything.
    { parent, dependsOn: [bootstrapRole.policy] },
  );
  const bootstrapRun = new aws.lambda.Invocation(
    `${name}-opensearch-bootstrap`,
    {
      functionName: bootstrap.name,
      input: pulumi.jsonStringify({ writers, readerRoleArns: settings.readerRoleArns }),
      // Re-run whenever who gets mapped, the password or the bootstrap's code changes, and on a
      // new domain: a replaced domain starts with an empty security index, and keeps its name
      // (so its ARN may not change) but not its endpoint.
      triggers: {
        domainArn: domain.arn,
        endpoint: domain.endpoint,
        writers: pulumi.jsonStringify(writers),
        readerRoleArns: pulumi.jsonStringify(settings.readerRoleArns),
        passwordVersion: secretVersion.versionId,
        code: bootstrap.codeSha256,
      },
    },
    // The payload names no domain output, yet FGAC with this master and the access policy must be in effect first.
    { parent, dependsOn: [domain] },
  );

  for (const spec of openSearchAlarmSpecs({
    volumeGiB: settings.volumeGiB,
    dedicatedMasters,
    dataNodes: settings.instanceCount,
  })) {
    createAlarm(
      `${name}-opensearch-${spec.name}`,
      {
        alarmDescription: `OpenSearch ${settings.domainName}: ${spec.description}`,
        namespace: OPENSEARCH_NAMESPACE,
        metricName: spec.metricName,
        dimensions: { DomainName: domain.domainName, ClientId: ctx.accountId },
        statistic: spec.statistic,
        period: spec.period,
        evaluationPeriods: spec.evaluationPeriods,
        threshold: spec.threshold,
        comparisonOperator: spec.comparisonOperator,
        treatMissingData: spec.treatMissingData,
      },
      { topicArn: settings.alarmTopicArn, tags },
      parent,
    );
  }

  return {
    domain,
    bootstrap: bootstrapRun,
    indexReplicas: openSearchIndexReplicas(settings.instanceCount),
    domainArn: pulumi.all([ctx, domain.domainName]).apply(([c, n]) => openSearchDomainArn(c, n)),
    masterPasswordSecretArn: secret.arn,
    versionNumber: openSearchVersionNumber(settings.engineVersion),
  };
}
