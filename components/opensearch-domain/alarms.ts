/**
 * CloudWatch alarms of the OpenSearch domain, as plain data, after AWS's
 * "Recommended CloudWatch alarms for Amazon OpenSearch Service". The
 * component turns each spec into one `aws.cloudwatch.MetricAlarm` in the
 * `AWS/ES` namespace with the dimensions `DomainName` and `ClientId` (the
 * account), which select the cluster-level series.
 */

/** Namespace OpenSearch Service publishes domain metrics to (kept from its Elasticsearch days). */
export const OPENSEARCH_NAMESPACE = "AWS/ES";

export interface AlarmSpec {
  /** Suffix of the alarm's resource name. */
  readonly name: string;
  readonly metricName: string;
  readonly statistic: "Maximum" | "Minimum" | "Sum" | "Average";
  readonly comparisonOperator:
    "GreaterThanOrEqualToThreshold" | "LessThanOrEqualToThreshold" | "LessThanThreshold";
  readonly threshold: number;
  /** Seconds per evaluation period. */
  readonly period: number;
  /** Consecutive breaching periods before the alarm fires. */
  readonly evaluationPeriods: number;
  readonly treatMissingData: "missing" | "notBreaching";
  readonly description: string;
}

export interface DomainAlarmOptions {
  /** EBS volume per data node, GiB: the free-space threshold is a share of it. */
  readonly volumeGiB: number;
  /** Dedicated master nodes run: their CPU and JVM get alarms of their own. */
  readonly dedicatedMasters: boolean;
  /**
   * Data nodes. With one, replicas cannot be placed anywhere, so yellow is
   * that domain's healthy state: no yellow alarm (red still alarms).
   */
  readonly dataNodes: number;
}

/** Free storage below this share of a node's volume: OpenSearch blocks writes at 5 % and shards stop moving. */
export const FREE_STORAGE_ALARM_SHARE = 0.2;

/**
 * The alarms for a domain. A single-node domain gets no `ClusterStatus.yellow`
 * alarm: it can never place a replica, so any index with one keeps it yellow
 * for good ("Single-node clusters always initialize with a yellow cluster
 * status", AWS "Yellow cluster status"). `FreeStorageSpace` is reported in MiB; with the
 * `Minimum` statistic over the cluster series it is the fullest node's free
 * space, so the threshold is 20 % of one node's volume.
 */
export function openSearchAlarmSpecs(options: DomainAlarmOptions): AlarmSpec[] {
  const minute = 60;
  const specs: AlarmSpec[] = [
    {
      name: "cluster-red",
      metricName: "ClusterStatus.red",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      period: minute,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      description: "At least one primary shard is unassigned: some indices cannot be searched or written.",
    },
    ...(options.dataNodes > 1
      ? [
          {
            name: "cluster-yellow",
            metricName: "ClusterStatus.yellow",
            statistic: "Maximum",
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            period: minute,
            evaluationPeriods: 5,
            treatMissingData: "notBreaching",
            description: "Replica shards are unassigned for 5 minutes: losing a node would lose data.",
          } satisfies AlarmSpec,
        ]
      : []),
    {
      name: "free-storage-low",
      metricName: "FreeStorageSpace",
      statistic: "Minimum",
      comparisonOperator: "LessThanOrEqualToThreshold",
      threshold: Math.round(options.volumeGiB * 1024 * FREE_STORAGE_ALARM_SHARE),
      period: minute,
      evaluationPeriods: 1,
      treatMissingData: "missing",
      description: "A data node has 20 % of its volume or less free: delete old indices or grow the volume.",
    },
    {
      name: "jvm-memory-pressure",
      metricName: "JVMMemoryPressure",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 80,
      period: 5 * minute,
      evaluationPeriods: 3,
      treatMissingData: "missing",
      description: "JVM heap use of a data node is 80 % or more for 15 minutes: requests will be rejected.",
    },
    {
      name: "cpu-utilization",
      metricName: "CPUUtilization",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 80,
      period: 15 * minute,
      evaluationPeriods: 3,
      treatMissingData: "missing",
      description: "A data node's CPU is 80 % or more for 45 minutes: scale the domain up or out.",
    },
    {
      // Published for every domain (a node's health check of the elected master), not only with dedicated masters.
      name: "master-unreachable",
      metricName: "MasterReachableFromNode",
      statistic: "Maximum",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      period: 24 * 60 * minute,
      evaluationPeriods: 1,
      treatMissingData: "missing",
      description: "The master node stopped or cannot be reached: the cluster cannot change state.",
    },
    {
      name: "index-writes-blocked",
      metricName: "ClusterIndexWritesBlocked",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      period: 5 * minute,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      description:
        "The cluster blocks writes (storage or memory): the CloudTrail indexer's events go to its DLQ.",
    },
    {
      name: "automated-snapshot-failure",
      metricName: "AutomatedSnapshotFailure",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      period: minute,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      description: "An automated snapshot failed (often a red cluster): there is no recent restore point.",
    },
    {
      name: "kms-key-error",
      metricName: "KMSKeyError",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      period: minute,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      description: "The at-rest encryption key is disabled: the domain will stop serving data.",
    },
    {
      name: "kms-key-inaccessible",
      metricName: "KMSKeyInaccessible",
      statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      period: minute,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      description:
        "The at-rest encryption key was deleted or its grants revoked: the domain cannot read its data.",
    },
  ];
  if (options.dedicatedMasters) {
    specs.push(
      {
        name: "master-cpu-utilization",
        metricName: "MasterCPUUtilization",
        statistic: "Maximum",
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 50,
        period: 15 * minute,
        evaluationPeriods: 3,
        treatMissingData: "missing",
        description:
          "The master node's CPU is 50 % or more for 45 minutes: use a larger master instance type.",
      },
      {
        name: "master-jvm-memory-pressure",
        metricName: "MasterJVMMemoryPressure",
        statistic: "Maximum",
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 95,
        period: minute,
        evaluationPeriods: 3,
        treatMissingData: "missing",
        description: "The master node's JVM heap is 95 % or more: cluster state updates will fail.",
      },
    );
  }
  return specs;
}
