import type { AwsContext, PolicyStatement } from "../lib/iam";
import { ARCHIVE_PREFIXES } from "../log-archive/lifecycle";
import { OPENSEARCH_READER_ACTIONS } from "../opensearch-domain/policies";

/** ARN pattern of the Grafana workspaces of this account, for the role's trust policy. */
export function grafanaWorkspacesArn(ctx: AwsContext): string {
  return `arn:${ctx.partition}:grafana:${ctx.region}:${ctx.accountId}:/workspaces/*`;
}

/** Name of a bucket from its ARN (`arn:aws:s3:::name`). */
export function bucketNameFromArn(bucketArn: string): string {
  const match = /^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/.exec(bucketArn);
  if (match === null) throw new Error(`"${bucketArn}" is not an S3 bucket ARN (arn:aws:s3:::<name>)`);
  return match[1] as string;
}

/** Where the Grafana workgroup's Athena query results go in the archive bucket. */
export const ATHENA_RESULTS_PREFIX = `${ARCHIVE_PREFIXES.athenaResults}grafana/`;

/** Archive prefix holding the parsed access logs the Athena table reads. */
export const ACCESS_LOGS_PREFIX = ARCHIVE_PREFIXES.access;

/** A further table in the same database over an archive prefix, which Grafana may read too. */
export interface GrafanaExtraTable {
  readonly tableName: string;
  /** Key prefix of its objects in the archive, ending in `/`. */
  readonly prefix: string;
}

export interface GrafanaAthenaScope {
  readonly workgroupArn: string;
  readonly databaseName: string;
  readonly tableName: string;
  readonly archiveBucketArn: string;
  readonly kmsKeyArn: string;
  /** The cost table (CostExport) and its prefix. Default: none. */
  readonly cost?: GrafanaExtraTable;
}

export interface GrafanaScope {
  readonly ctx: AwsContext;
  /** Where Grafana's SNS contact point publishes. */
  readonly alertTopicArn: string;
  /** Key of the alert topic (SNS needs a data key to publish to an encrypted topic). */
  readonly topicKeyArn: string;
  readonly prometheusWorkspaceArn?: string;
  readonly openSearchDomainArn?: string;
  readonly athena?: GrafanaAthenaScope;
}

/**
 * Actions the Grafana CloudWatch and X-Ray data sources need that AWS does
 * not scope to resources (the Service Authorization Reference lists no
 * resource type for them, so only `"Resource": "*"` works).
 */
export const GRAFANA_UNSCOPED_ACTIONS = [
  "cloudwatch:GetMetricData",
  "cloudwatch:ListMetrics",
  "cloudwatch:DescribeAlarmsForMetric",
  "logs:GetQueryResults",
  "logs:StopQuery",
  "logs:DescribeLogGroups",
  "ec2:DescribeRegions",
  "xray:BatchGetTraces",
  "xray:GetTraceSummaries",
  "xray:GetTraceGraph",
  "xray:GetServiceGraph",
  "xray:GetTimeSeriesServiceStatistics",
  "xray:GetInsightSummaries",
  "xray:GetGroups",
];

/**
 * The Grafana workspace role: read the platform's data sources and publish
 * to the alert topic. Exact ARNs wherever AWS can scope the action: the AMP
 * workspace, the domain, the Athena workgroup, Glue catalog/database/table(s),
 * the archive's `access/` prefix (and the cost export's) and the results prefix; CloudWatch alarms
 * and Logs Insights within this account and region.
 */
export function grafanaStatements(scope: GrafanaScope): PolicyStatement[] {
  const { partition, region, accountId } = scope.ctx;
  const statements: PolicyStatement[] = [];
  if (scope.prometheusWorkspaceArn !== undefined) {
    statements.push({
      Sid: "QueryPrometheus",
      Effect: "Allow",
      Action: ["aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata"],
      Resource: scope.prometheusWorkspaceArn,
    });
  }
  if (scope.openSearchDomainArn !== undefined) {
    statements.push({
      Sid: "SearchOpenSearch",
      Effect: "Allow",
      Action: OPENSEARCH_READER_ACTIONS,
      Resource: `${scope.openSearchDomainArn}/*`,
    });
  }
  statements.push(
    {
      Sid: "ReadMetricsTracesAndRegions",
      Effect: "Allow",
      Action: GRAFANA_UNSCOPED_ACTIONS,
      Resource: "*",
    },
    {
      Sid: "ReadAlarms",
      Effect: "Allow",
      Action: ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"],
      Resource: `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*`,
    },
    {
      Sid: "QueryLogGroups",
      Effect: "Allow",
      Action: ["logs:StartQuery", "logs:GetLogGroupFields", "logs:GetLogEvents"],
      Resource: `arn:${partition}:logs:${region}:${accountId}:log-group:*`,
    },
    {
      Sid: "NotifyAlertTopic",
      Effect: "Allow",
      Action: "sns:Publish",
      Resource: scope.alertTopicArn,
    },
  );
  const keys = new Set([scope.topicKeyArn]);
  const athena = scope.athena;
  if (athena !== undefined) {
    keys.add(athena.kmsKeyArn);
    const glue = `arn:${partition}:glue:${region}:${accountId}`;
    statements.push(
      {
        Sid: "RunQueriesInTheWorkgroup",
        Effect: "Allow",
        Action: [
          "athena:StartQueryExecution",
          "athena:GetQueryExecution",
          "athena:GetQueryResults",
          "athena:StopQueryExecution",
          "athena:GetWorkGroup",
        ],
        Resource: athena.workgroupArn,
      },
      {
        Sid: "BrowseTheCatalog",
        Effect: "Allow",
        Action: [
          "athena:GetDataCatalog",
          "athena:ListDatabases",
          "athena:GetDatabase",
          "athena:ListTableMetadata",
          "athena:GetTableMetadata",
        ],
        Resource: `arn:${partition}:athena:${region}:${accountId}:datacatalog/AwsDataCatalog`,
      },
      {
        Sid: "ReadTheTableDefinition",
        Effect: "Allow",
        Action: ["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"],
        Resource: [
          `${glue}:catalog`,
          `${glue}:database/${athena.databaseName}`,
          `${glue}:table/${athena.databaseName}/${athena.tableName}`,
          ...(athena.cost !== undefined
            ? [`${glue}:table/${athena.databaseName}/${athena.cost.tableName}`]
            : []),
        ],
      },
      {
        Sid: "ReadAccessLogs",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: `${athena.archiveBucketArn}/${ACCESS_LOGS_PREFIX}*`,
      },
      ...(athena.cost !== undefined
        ? [
            {
              Sid: "ReadCostExport",
              Effect: "Allow" as const,
              Action: "s3:GetObject",
              Resource: `${athena.archiveBucketArn}/${athena.cost.prefix}*`,
            },
          ]
        : []),
      {
        Sid: "ListAccessLogsAndResults",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: athena.archiveBucketArn,
        Condition: {
          StringLike: {
            "s3:prefix": [
              `${ACCESS_LOGS_PREFIX}*`,
              `${ATHENA_RESULTS_PREFIX}*`,
              ...(athena.cost !== undefined ? [`${athena.cost.prefix}*`] : []),
            ],
          },
        },
      },
      {
        Sid: "LocateTheBucket",
        Effect: "Allow",
        Action: "s3:GetBucketLocation",
        Resource: athena.archiveBucketArn,
      },
      {
        Sid: "WriteQueryResults",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
        Resource: `${athena.archiveBucketArn}/${ATHENA_RESULTS_PREFIX}*`,
      },
    );
  }
  statements.push({
    Sid: "UseTheKeys",
    Effect: "Allow",
    Action: ["kms:Decrypt", "kms:GenerateDataKey"],
    Resource: [...keys],
  });
  return statements;
}
