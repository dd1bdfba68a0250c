import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { Alerting } from "../alerting";
import { awsContext } from "../lib/aws-context";
import { createAlarm } from "../lib/alarm";
import { createEncryptedLogGroup } from "../lib/log-group";
import type { Tags } from "../lib/tags";
import { throwIfInvalid } from "../lib/validation";
import { ARCHIVE_PREFIXES } from "../log-archive/lifecycle";
import type { FlowLogFilterOverride, FlowLogMetricFilter } from "./filters";
import {
  DEFAULT_ALARM_TOPIC_NAME,
  DEFAULT_FLOW_LOG_FILTERS,
  DEFAULT_V2_FORMAT,
  FlowLogFilterError,
  mergeFilters,
} from "./filters";
import { flowLogDeliveryPolicy, flowLogTrustPolicy } from "./role-policy";

/** What a flow log captures. */
export const TRAFFIC_TYPES = ["ACCEPT", "REJECT", "ALL"] as const;
/** What a flow log captures: accepted flows, rejected flows, or both. */
export type FlowLogTrafficType = (typeof TRAFFIC_TYPES)[number];

/**
 * The source design's network ACL rule that denies ICMP, so that pings are
 * rejected and show up in the `ping-deny` metric.
 *
 * It denies every ICMP type from everywhere, the VPC's own range included; that
 * also drops "fragmentation needed" messages (path MTU discovery) and replies
 * to pings sent from inside. That is why it is a demonstration, off by default.
 */
export interface IcmpDenyArgs {
  /** The network ACL to add the rule to, e.g. the VPC's default ACL (`vpc.defaultNetworkAclId`). */
  readonly networkAclId: pulumi.Input<string>;
  /**
   * Rule number, 1–99: below the default ACL's allow-all rule 100, so the deny
   * is evaluated first (rules are evaluated in ascending order, first match wins).
   * Default: 90.
   */
  readonly ruleNumber?: number;
  /** Deny outgoing ICMP as well. Default: false (incoming only, as in the source design). */
  readonly egress?: boolean;
}

export interface FlowLogMonitorArgs {
  /**
   * VPCs whose traffic is logged: one flow log per VPC (and a second one per
   * VPC when `archiveBucketArn` is given). Resources are named by position, so
   * append VPCs to the list rather than inserting them. At least one; no default.
   */
  readonly vpcIds: readonly pulumi.Input<string>[];
  /** Traffic the flow logs capture. Default: "ALL". */
  readonly trafficType?: FlowLogTrafficType;
  /** KMS key (the archive key) that encrypts the log group and a created alarm topic. Required. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Days the log group keeps flow log records (a CloudWatch Logs retention value). Default: 90. */
  readonly retentionInDays?: number;
  /**
   * ARN of the LogArchive bucket. When given, each VPC also gets a flow log
   * to `<bucket>/flow-logs/` in Parquet with hourly Hive partitions (for
   * Athena). Default: none, CloudWatch Logs only.
   */
  readonly archiveBucketArn?: pulumi.Input<string>;
  /**
   * Changes to the metric filter catalogue {@link DEFAULT_FLOW_LOG_FILTERS},
   * applied by `mergeFilters`: change fields of a default filter, disable it
   * with `enabled: false`, or add a filter. Default: none (the catalogue as is).
   */
  readonly filters?: readonly FlowLogFilterOverride[];
  /**
   * Bring your own topic (e.g. the platform's alert topic): every alarm but
   * the source design's ping-deny alarm notifies this ARN. The ping-deny alarm
   * keeps its own topic (below), which is always created. Default: none, every
   * alarm notifies the created topic.
   */
  readonly alarmTopicArn?: pulumi.Input<string>;
  /**
   * Prefix of the source design's names, e.g. the stack's name prefix, so that
   * dev and prod can share an account (alarm and topic names are unique per
   * account and region): the ping-deny alarm is `<prefix>-CloudWatch-Alarm-Ping-Deny`
   * and the created topic `<prefix>-CloudWatch-Alarms-Ping-Deny`.
   * Default: none (the source's names exactly).
   */
  readonly sourceNamePrefix?: string;
  /**
   * Name of the created topic, overriding the prefixed source name.
   * Default: `[<sourceNamePrefix>-]`{@link DEFAULT_ALARM_TOPIC_NAME}.
   */
  readonly alarmTopicName?: string;
  /**
   * E-mail addresses subscribed to the created topic (the ping-deny alarm's),
   * each kept secret. A brought topic keeps its own subscribers. Default: none.
   */
  readonly emails?: readonly pulumi.Input<string>[];
  /** Add the source design's ICMP deny rule to a network ACL. Default: none (off). */
  readonly icmpDeny?: IcmpDenyArgs;
  /** Tags for every taggable resource. Default: none. */
  readonly tags?: Tags;
}

const DEFAULTS = {
  trafficType: "ALL",
  retentionInDays: 90,
  filters: [],
  alarmTopicName: DEFAULT_ALARM_TOPIC_NAME,
  icmpDenyRuleNumber: 90,
  icmpDenyEgress: false,
  tags: {},
} as const;

/**
 * One-minute aggregation, as in the source design: a rejected ping reaches the
 * metric within about a minute, which the 60 s alarm periods rely on (the
 * AWS default of 10 minutes would delay every alarm by up to that much).
 */
const MAX_AGGREGATION_INTERVAL_SECONDS = 60;

/** The default ACL's allow-all rule; an ICMP deny must come before it. */
const DEFAULT_ACL_ALLOW_ALL_RULE = 100;
/** ICMP (IPv4) as an IP protocol number, the form network ACL rules take. */
const ICMP_PROTOCOL = "1";
/**
 * Alarms that keep the source design's names (filter name → alarm name), so
 * that runbooks and subscribers that know `CloudWatch-Alarm-Ping-Deny` still
 * find it. Other alarms get generated names.
 */
const SOURCE_ALARM_NAMES: Readonly<Record<string, string>> = { "ping-deny": "CloudWatch-Alarm-Ping-Deny" };
const SNS_TOPIC_NAME_RE = /^[A-Za-z0-9_-]{1,256}$/;
const VPC_ID_RE = /^vpc-[0-9a-f]{8,17}$/;

/** The source design's name, with the stack's prefix when one is given. */
function sourceName(args: FlowLogMonitorArgs, name: string): string {
  return args.sourceNamePrefix !== undefined ? `${args.sourceNamePrefix}-${name}` : name;
}

/** Name of the topic the component always creates (the ping-deny alarm's). */
function createdTopicName(args: FlowLogMonitorArgs): string {
  return args.alarmTopicName ?? sourceName(args, DEFAULTS.alarmTopicName);
}

/**
 * Every problem with the args, so that one error can list them all. Values
 * still unknown (Outputs) are left to the provider; literals are checked here.
 */
export function flowLogMonitorArgProblems(args: FlowLogMonitorArgs): string[] {
  const problems: string[] = [];
  if (args.vpcIds.length === 0) problems.push("vpcIds must name at least one VPC");
  const literalIds = args.vpcIds.filter((id): id is string => typeof id === "string");
  for (const id of literalIds.filter((id) => !VPC_ID_RE.test(id))) {
    problems.push(`vpcIds: "${id}" is not a VPC id (vpc-…)`);
  }
  for (const id of new Set(literalIds.filter((id, i) => literalIds.indexOf(id) !== i))) {
    problems.push(`vpcIds: "${id}" is listed more than once (AWS refuses a second identical flow log)`);
  }
  const trafficType = args.trafficType ?? DEFAULTS.trafficType;
  if (!(TRAFFIC_TYPES as readonly string[]).includes(trafficType)) {
    problems.push(`trafficType must be one of ${TRAFFIC_TYPES.join(", ")} (got ${String(trafficType)})`);
  }
  const retention = args.retentionInDays ?? DEFAULTS.retentionInDays;
  if (!Number.isInteger(retention) || retention < 1) {
    problems.push(`retentionInDays must be a whole number of at least 1 (got ${retention})`);
  }
  const topicName = createdTopicName(args);
  if (!SNS_TOPIC_NAME_RE.test(topicName)) {
    problems.push(
      `alarm topic name "${topicName}" must be 1-256 letters, digits, '-' or '_' (SNS topic names)`,
    );
  }
  const ruleNumber = args.icmpDeny?.ruleNumber;
  if (
    ruleNumber !== undefined &&
    (!Number.isInteger(ruleNumber) || ruleNumber < 1 || ruleNumber >= DEFAULT_ACL_ALLOW_ALL_RULE)
  ) {
    problems.push(
      `icmpDeny.ruleNumber must be a whole number from 1 to ${DEFAULT_ACL_ALLOW_ALL_RULE - 1}, ` +
        `before the default ACL's allow-all rule ${DEFAULT_ACL_ALLOW_ALL_RULE} (got ${ruleNumber})`,
    );
  }
  try {
    mergeFilters(DEFAULT_FLOW_LOG_FILTERS, args.filters ?? DEFAULTS.filters);
  } catch (error) {
    if (!(error instanceof FlowLogFilterError)) throw error;
    problems.push(...error.problems.map((p) => `filters: ${p}`));
  }
  return problems;
}

/**
 * VPC flow logs into a KMS-encrypted CloudWatch log group (and optionally
 * Parquet in the archive bucket), metric filters over them, and alarms that
 * notify an SNS topic: the source design's ping-deny alarm plus the rest of
 * the filter catalogue.
 */
export class FlowLogMonitor extends pulumi.ComponentResource {
  /** Name of the log group the flow logs are delivered to. */
  public readonly logGroupName: pulumi.Output<string>;
  /** ARN of that log group. */
  public readonly logGroupArn: pulumi.Output<string>;
  /** ARN of the role VPC Flow Logs assumes to write to the log group. */
  public readonly deliveryRoleArn: pulumi.Output<string>;
  /** ARN of the topic every alarm but ping-deny notifies (brought, else the created one). */
  public readonly alarmTopicArn: pulumi.Output<string>;
  /** ARN of the created topic, the source design's `CloudWatch-Alarms-Ping-Deny`. */
  public readonly pingDenyTopicArn: pulumi.Output<string>;
  /** Alarm names by filter name (filters with `createAlarm` only). */
  public readonly alarmNames: pulumi.Output<Record<string, string>>;
  /** Alarm ARNs by filter name (filters with `createAlarm` only). */
  public readonly alarmArns: pulumi.Output<Record<string, string>>;
  /** Ids of the CloudWatch Logs flow logs, in `vpcIds` order. */
  public readonly flowLogIds: pulumi.Output<string[]>;
  /** Ids of the S3 (archive) flow logs, in `vpcIds` order; empty without `archiveBucketArn`. */
  public readonly archiveFlowLogIds: pulumi.Output<string[]>;

  constructor(name: string, args: FlowLogMonitorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:flowlogs:FlowLogMonitor", name, {}, opts);
    throwIfInvalid("FlowLogMonitor", name, flowLogMonitorArgProblems(args));
    const tags = args.tags ?? DEFAULTS.tags;
    const trafficType = args.trafficType ?? DEFAULTS.trafficType;
    const ctx = awsContext(this);

    const logGroup = createEncryptedLogGroup(
      `${name}-log-group`,
      { retentionInDays: args.retentionInDays ?? DEFAULTS.retentionInDays, kmsKeyArn: args.kmsKeyArn, tags },
      this,
    );
    // The permissions are inline so that the role never exists without them:
    // a flow log created against a role that cannot write yet reports delivery errors.
    const role = new aws.iam.Role(
      `${name}-delivery-role`,
      {
        description: `Lets VPC Flow Logs of ${name} write to its log group`,
        assumeRolePolicy: pulumi.jsonStringify(ctx.apply(flowLogTrustPolicy)),
        inlinePolicies: [
          {
            name: "deliver-to-flow-log-group",
            policy: pulumi.jsonStringify(logGroup.arn.apply(flowLogDeliveryPolicy)),
          },
        ],
        tags: { ...tags },
      },
      { parent: this },
    );

    const common = {
      trafficType,
      maxAggregationInterval: MAX_AGGREGATION_INTERVAL_SECONDS,
      logFormat: DEFAULT_V2_FORMAT,
    };
    const flowLogs = args.vpcIds.map(
      (vpcId, index) =>
        new aws.ec2.FlowLog(
          `${name}-vpc-${index}`,
          {
            ...common,
            vpcId,
            logDestinationType: "cloud-watch-logs",
            logDestination: logGroup.arn,
            iamRoleArn: role.arn,
            tags: { ...tags },
          },
          { parent: this },
        ),
    );
    const bucketArn = args.archiveBucketArn;
    const archiveFlowLogs =
      bucketArn === undefined
        ? []
        : args.vpcIds.map(
            (vpcId, index) =>
              new aws.ec2.FlowLog(
                `${name}-vpc-${index}-archive`,
                {
                  ...common,
                  vpcId,
                  logDestinationType: "s3",
                  logDestination: pulumi.interpolate`${bucketArn}/${ARCHIVE_PREFIXES.flowLogs}`,
                  destinationOptions: {
                    fileFormat: "parquet",
                    hiveCompatiblePartitions: true,
                    perHourPartition: true,
                  },
                  tags: { ...tags },
                },
                { parent: this },
              ),
          );

    // The source design's topic, kept under its name whatever else is brought:
    // its subscribers expect the ping-deny alarm there.
    const alerting = new Alerting(
      `${name}-alerting`,
      {
        kmsKeyArn: args.kmsKeyArn,
        topicName: createdTopicName(args),
        ...(args.emails !== undefined ? { emails: args.emails } : {}),
        tags,
      },
      { parent: this },
    );
    const sharedTopicArn =
      args.alarmTopicArn !== undefined ? pulumi.output(args.alarmTopicArn) : alerting.topicArn;

    const alarms: [string, aws.cloudwatch.MetricAlarm][] = [];
    for (const filter of mergeFilters(DEFAULT_FLOW_LOG_FILTERS, args.filters ?? DEFAULTS.filters)) {
      this.metricFilter(name, filter, logGroup.name);
      if (filter.createAlarm) {
        const sourceAlarmName = SOURCE_ALARM_NAMES[filter.name];
        // The ping-deny alarm notifies only its own topic: SNS cannot subscribe a
        // topic to a topic, and notifying both would e-mail the same people twice.
        const topicArn = sourceAlarmName !== undefined ? alerting.topicArn : sharedTopicArn;
        const alarmName = sourceAlarmName !== undefined ? sourceName(args, sourceAlarmName) : undefined;
        alarms.push([filter.name, this.alarm(name, filter, topicArn, tags, alarmName)]);
      }
    }

    if (args.icmpDeny !== undefined) this.icmpDenyRules(name, args.icmpDeny);

    this.logGroupName = logGroup.name;
    this.logGroupArn = logGroup.arn;
    this.deliveryRoleArn = role.arn;
    this.alarmTopicArn = sharedTopicArn;
    this.pingDenyTopicArn = alerting.topicArn;
    this.alarmNames = pulumi.output(Object.fromEntries(alarms.map(([key, alarm]) => [key, alarm.name])));
    this.alarmArns = pulumi.output(Object.fromEntries(alarms.map(([key, alarm]) => [key, alarm.arn])));
    this.flowLogIds = pulumi.all(flowLogs.map((f) => f.id));
    this.archiveFlowLogIds = pulumi.all(archiveFlowLogs.map((f) => f.id));
    this.registerOutputs({
      logGroupName: this.logGroupName,
      logGroupArn: this.logGroupArn,
      deliveryRoleArn: this.deliveryRoleArn,
      alarmTopicArn: this.alarmTopicArn,
      pingDenyTopicArn: this.pingDenyTopicArn,
      alarmNames: this.alarmNames,
      alarmArns: this.alarmArns,
      flowLogIds: this.flowLogIds,
      archiveFlowLogIds: this.archiveFlowLogIds,
    });
  }

  /**
   * One metric filter, without a `defaultValue`: a default would publish a 0
   * for every non-matching record, which skews SampleCount and Average for
   * filters that use them, and still leaves gaps whenever the group receives
   * nothing; the alarms handle gaps with `treatMissingData` instead.
   */
  private metricFilter(name: string, filter: FlowLogMetricFilter, logGroupName: pulumi.Output<string>): void {
    new aws.cloudwatch.LogMetricFilter(
      `${name}-filter-${filter.name}`,
      {
        logGroupName,
        pattern: filter.pattern,
        metricTransformation: {
          name: filter.metricName,
          namespace: filter.namespace,
          value: filter.metricValue,
        },
      },
      { parent: this },
    );
  }

  /** The alarm on a filter's metric; it notifies the topic when it fires and again when it clears. */
  private alarm(
    name: string,
    filter: FlowLogMetricFilter,
    topicArn: pulumi.Output<string>,
    tags: Tags,
    alarmName: string | undefined,
  ): aws.cloudwatch.MetricAlarm {
    return createAlarm(
      `${name}-alarm-${filter.name}`,
      {
        ...(alarmName !== undefined ? { name: alarmName } : {}),
        alarmDescription:
          filter.description !== "" ? filter.description : `Flow log metric filter "${filter.name}"`,
        namespace: filter.namespace,
        metricName: filter.metricName,
        statistic: filter.statistic,
        period: filter.period,
        evaluationPeriods: filter.evaluationPeriods,
        threshold: filter.threshold,
        comparisonOperator: filter.comparison,
        treatMissingData: filter.treatMissingData,
      },
      { topicArn, tags },
      this,
    );
  }

  /** Denies ICMP from anywhere (and to anywhere with `egress`), every type and code. */
  private icmpDenyRules(name: string, icmpDeny: IcmpDenyArgs): void {
    const directions = (icmpDeny.egress ?? DEFAULTS.icmpDenyEgress) ? ["ingress", "egress"] : ["ingress"];
    for (const direction of directions) {
      new aws.ec2.NetworkAclRule(
        `${name}-icmp-deny-${direction}`,
        {
          networkAclId: icmpDeny.networkAclId,
          ruleNumber: icmpDeny.ruleNumber ?? DEFAULTS.icmpDenyRuleNumber,
          egress: direction === "egress",
          protocol: ICMP_PROTOCOL,
          ruleAction: "deny",
          cidrBlock: "0.0.0.0/0",
          icmpType: -1,
          icmpCode: -1,
        },
        { parent: this },
      );
    }
  }
}
