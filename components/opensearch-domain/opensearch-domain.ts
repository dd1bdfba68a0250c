import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

import { createAlarm } from "../lib/alarm";
import { awsContext } from "../lib/aws-context";
import { dataStoreOptions } from "../lib/data-protection";
import { createBundledFunction } from "../lib/lambda";
import { createEncryptedLogGroup } from "../lib/log-group";
import { createServiceRole } from "../lib/service-role";
import type { Tags } from "../lib/tags";
import { logRetentionProblems, rangeProblems, throwIfInvalid } from "../lib/validation";
import { OPENSEARCH_NAMESPACE, openSearchAlarmSpecs } from "./alarms";
import {
  BOOTSTRAP_ENTRY,
  BOOTSTRAP_RETRY_SECONDS,
  BOOTSTRAP_TIMEOUT_SECONDS,
  MASTER_USER_NAME,
} from "./bootstrap";
import {
  OPENSEARCH_LOG_TYPES,
  OPENSEARCH_TLS_POLICY,
  openSearchIndexReplicas,
  openSearchVersionNumber,
} from "./domain";
import {
  bootstrapStatements,
  domainAccessPolicy,
  openSearchDomainArn,
  openSearchLogsPolicy,
} from "./policies";

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

/**
 * The domain's settings: what a stack chooses about its size, placement and
 * access. Those without a default are stack settings (stacks/settings-schema.ts
 * holds their defaults per environment); the others have theirs here.
 */
export interface OpenSearchDomainSettings {
  /** Domain name: 3–28 lowercase letters, digits and hyphens, starting with a letter. Default: the component name. */
  readonly domainName?: string;
  /** Engine version. Default: OpenSearch_2.19. */
  readonly engineVersion?: string;
  /** Data node instance type, e.g. r6g.large.search. No default: a stack setting. */
  readonly instanceType: string;
  /** Data nodes (1–80); a multiple of `availabilityZoneCount` with zone awareness. No default: a stack setting. */
  readonly instanceCount: number;
  /** Dedicated master nodes: 0 (none), 3 or 5. No default: a stack setting. */
  readonly dedicatedMasterCount: number;
  /** Instance type of dedicated masters. Default: m6g.large.search. */
  readonly dedicatedMasterType?: string;
  /** Spread nodes and replicas over availability zones. No default: a stack setting. */
  readonly zoneAwareness: boolean;
  /** Zones with zone awareness: 2 or 3. Default: 3. */
  readonly availabilityZoneCount?: number;
  /** gp3 volume per data node, GiB (10–16384). No default: a stack setting. */
  readonly volumeGiB: number;
  /** UTC hour of the daily automated snapshot (0–23). No default: a stack setting. */
  readonly snapshotHour: number;
  /**
   * Address ranges from which operators may reach the domain without IAM
   * signing (master user sign-in, OpenSearch Dashboards); empty: none.
   * No default: a stack setting.
   */
  readonly operatorCidrs: readonly string[];
  /** Master user password (secret). Default: a generated 32-character password. */
  readonly masterPassword?: pulumi.Input<string>;
  /** Put the domain in a VPC. Default: public endpoint (IAM-signed access only). */
  readonly vpc?: {
    readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
    readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  };
}

export interface OpenSearchDomainArgs extends OpenSearchDomainSettings {
  /** Key of the domain at rest, its log groups and the master user secret. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Topic of the domain's alarms. */
  readonly alarmTopicArn: pulumi.Input<string>;
  /**
   * The indexers: each gets an OpenSearch role of its own on exactly its
   * index patterns, mapped to its IAM roles, and its roles may sign requests
   * to the domain; empty: none. No default: the caller's content.
   */
  readonly writers: readonly DomainWriter[];
  /** Roles that only search (Grafana's). Default: none. */
  readonly readerRoleArns?: pulumi.Input<pulumi.Input<string>[]>;
  /** Retention of every log group (a CloudWatch Logs value). No default: a stack setting. */
  readonly logRetentionDays: number;
  /** Protect and retain the domain, keep the password secret 30 days after deletion (prod). No default: a stack setting. */
  readonly retainData: boolean;
  /** Tags for every resource. No default: a stack setting. */
  readonly tags: Tags;
}

/** Defaults of the settings no stack setting defines (the one place they live). */
export const OPENSEARCH_DOMAIN_DEFAULTS = {
  engineVersion: "OpenSearch_2.19",
  dedicatedMasterType: "m6g.large.search",
  availabilityZoneCount: 3,
} as const;

const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

/**
 * Every problem with the domain's settings, keyed by their names; the domain
 * name defaults to `name`, so a long component name is caught too.
 */
export function openSearchDomainSettingProblems(name: string, settings: OpenSearchDomainSettings): string[] {
  const problems: string[] = [];
  const domainName = settings.domainName ?? name;
  if (!/^[a-z][a-z0-9-]{2,27}$/.test(domainName)) {
    problems.push(
      `domainName must be 3–28 lowercase letters, digits or hyphens starting with a letter (got "${domainName}")`,
    );
  }
  const engineVersion = settings.engineVersion ?? OPENSEARCH_DOMAIN_DEFAULTS.engineVersion;
  if (!/^OpenSearch_\d+\.\d+$/.test(engineVersion)) {
    problems.push(`engineVersion must look like OpenSearch_2.19 (got "${engineVersion}")`);
  }
  const types = {
    instanceType: settings.instanceType,
    dedicatedMasterType: settings.dedicatedMasterType ?? OPENSEARCH_DOMAIN_DEFAULTS.dedicatedMasterType,
  };
  for (const [key, type] of Object.entries(types)) {
    if (!/^[a-z0-9]+\.[a-z0-9]+\.search$/.test(type)) {
      problems.push(`${key} must be an OpenSearch instance type such as r6g.large.search (got "${type}")`);
    }
  }
  problems.push(...rangeProblems("instanceCount", settings.instanceCount, 1, 80));
  if (![0, 3, 5].includes(settings.dedicatedMasterCount))
    problems.push(`dedicatedMasterCount must be 0, 3 or 5 (got ${settings.dedicatedMasterCount})`);
  const zones = settings.availabilityZoneCount ?? OPENSEARCH_DOMAIN_DEFAULTS.availabilityZoneCount;
  if (settings.zoneAwareness) {
    if (zones !== 2 && zones !== 3) problems.push(`availabilityZoneCount must be 2 or 3 (got ${zones})`);
    else if (settings.instanceCount % zones !== 0) {
      problems.push(
        `instanceCount must be a multiple of availabilityZoneCount with zone awareness (got ${settings.instanceCount} over ${zones} zones)`,
      );
    }
  }
  problems.push(...rangeProblems("volumeGiB", settings.volumeGiB, 10, 16384));
  problems.push(...rangeProblems("snapshotHour", settings.snapshotHour, 0, 23));
  const badCidrs = settings.operatorCidrs.filter((cidr) => !CIDR.test(cidr));
  if (badCidrs.length > 0)
    problems.push(`operatorCidrs must be IPv4 CIDR blocks (got ${badCidrs.join(", ")})`);
  return problems;
}

/** Every problem with the args, so that one error can list them all. */
export function openSearchDomainArgProblems(name: string, args: OpenSearchDomainArgs): string[] {
  return [
    ...logRetentionProblems("logRetentionDays", args.logRetentionDays),
    ...openSearchDomainSettingProblems(name, args),
  ];
}

/**
 * An OpenSearch Service domain: encrypted at rest with the given key and
 * between nodes, HTTPS only, fine-grained access control whose master is the
 * role of a bootstrap Lambda; that Lambda, invoked on every change of its
 * inputs, creates the internal `admin` user with the password (given or
 * generated, kept in Secrets Manager) and maps each writer's roles to a role
 * of its own on its index patterns, and the reader roles. Its four logs in KMS log groups; AWS's
 * recommended alarms.
 */
export class OpenSearchDomain extends pulumi.ComponentResource {
  /** Derived from the domain's name, as its access policy names it. */
  public readonly domainArn: pulumi.Output<string>;
  public readonly domainName: pulumi.Output<string>;
  /** Domain endpoint host name (no scheme), as the indexers take it. */
  public readonly endpoint: pulumi.Output<string>;
  /** Secrets Manager secret with the master user's name and password (never an output itself). */
  public readonly masterUserSecretArn: pulumi.Output<string>;
  /**
   * The bootstrap run that maps the writer and reader roles. Anything that
   * writes to the domain must `dependsOn` it: before it, fine-grained access
   * control refuses every signed request of the writers (403).
   */
  public readonly bootstrap: aws.lambda.Invocation;
  /** Replicas the writers should give their indices ({@link openSearchIndexReplicas}). */
  public readonly indexReplicas: number;
  /** The engine version as Grafana's data source takes it (`2.19.0`). */
  public readonly versionNumber: string;

  constructor(name: string, args: OpenSearchDomainArgs, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:opensearch:OpenSearchDomain", name, {}, opts);
    throwIfInvalid("OpenSearchDomain", name, openSearchDomainArgProblems(name, args));
    const settings = {
      ...args,
      domainName: args.domainName ?? name,
      engineVersion: args.engineVersion ?? OPENSEARCH_DOMAIN_DEFAULTS.engineVersion,
      dedicatedMasterType: args.dedicatedMasterType ?? OPENSEARCH_DOMAIN_DEFAULTS.dedicatedMasterType,
      availabilityZoneCount: args.availabilityZoneCount ?? OPENSEARCH_DOMAIN_DEFAULTS.availabilityZoneCount,
      readerRoleArns: args.readerRoleArns ?? [],
    };
    const ctx = awsContext(this);
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
          { parent: this },
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
      { parent: this },
    );
    const secretVersion = new aws.secretsmanager.SecretVersion(
      `${name}-master-user-value`,
      {
        secretId: secret.id,
        secretString: pulumi.secret(pulumi.jsonStringify({ username: MASTER_USER_NAME, password })),
      },
      { parent: this },
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
        this,
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
      { parent: this },
    );

    // The master role exists before the domain (which names it); the function needs the domain's endpoint, so it comes after.
    const bootstrapLogs = createEncryptedLogGroup(
      `${name}-opensearch-bootstrap-logs`,
      { retentionInDays: settings.logRetentionDays, kmsKeyArn: settings.kmsKeyArn, tags },
      this,
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
      this,
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
      { ...dataStoreOptions(this, settings.retainData), dependsOn: [logsPolicy] },
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
              vpcConfig: {
                subnetIds: settings.vpc.subnetIds,
                securityGroupIds: settings.vpc.securityGroupIds,
              },
            }
          : {}),
        tags,
      },
      // The role's policy must be in place before the first invocation can sign anything.
      { parent: this, dependsOn: [bootstrapRole.policy] },
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
      { parent: this, dependsOn: [domain] },
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
        this,
      );
    }

    this.domainArn = pulumi.all([ctx, domain.domainName]).apply(([c, n]) => openSearchDomainArn(c, n));
    this.domainName = domain.domainName;
    this.endpoint = domain.endpoint;
    this.masterUserSecretArn = secret.arn;
    this.bootstrap = bootstrapRun;
    this.indexReplicas = openSearchIndexReplicas(settings.instanceCount);
    this.versionNumber = openSearchVersionNumber(settings.engineVersion);
    this.registerOutputs({
      domainArn: this.domainArn,
      domainName: this.domainName,
      endpoint: this.endpoint,
      masterUserSecretArn: this.masterUserSecretArn,
    });
  }
}
