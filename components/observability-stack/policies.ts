import type { AwsContext, PolicyDocument, PolicyStatement } from "../lib/iam";
import { LAMBDA_VPC_STATEMENT, policyDocument, TRACING_STATEMENT, writeLogsStatement } from "../lib/iam";
import { ARCHIVE_PREFIXES } from "../log-archive/lifecycle";

/**
 * The ARN a domain will have, known before it exists: its access policy and
 * the log resource policy must name it before the domain is created.
 */
export function openSearchDomainArn(ctx: AwsContext, domainName: string): string {
  return `arn:${ctx.partition}:es:${ctx.region}:${ctx.accountId}:domain/${domainName}`;
}

/** The indexer writes documents, templates and ISM policies; no index or cluster deletion over HTTP. */
export const OPENSEARCH_WRITER_ACTIONS = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"];
/** Grafana searches (`_msearch` is a POST) and reads mappings. */
export const OPENSEARCH_READER_ACTIONS = ["es:ESHttpGet", "es:ESHttpPost"];
/**
 * What an operator signed in as the admin user, and the master role, may do;
 * fine-grained access control decides the rest.
 */
export const OPENSEARCH_OPERATOR_ACTIONS = [
  "es:ESHttpGet",
  "es:ESHttpHead",
  "es:ESHttpPost",
  "es:ESHttpPut",
  "es:ESHttpPatch",
  "es:ESHttpDelete",
];

export interface DomainAccess {
  readonly domainArn: string;
  /** The fine-grained access control master: the bootstrap Lambda's role, which maps the others. */
  readonly masterRoleArn: string;
  /** Roles that index (the CloudTrail indexer). */
  readonly writerRoleArns: readonly string[];
  /** Roles that only search (Grafana). */
  readonly readerRoleArns: readonly string[];
  /**
   * Address ranges from which unsigned requests (the master user's basic
   * auth, OpenSearch Dashboards in a browser) are let through to
   * fine-grained access control. Empty: IAM-signed requests of the roles only.
   */
  readonly operatorCidrs: readonly string[];
}

/**
 * Domain access policy: only the named roles, each with the HTTP methods its
 * job needs, on the domain's paths; optionally operators from known address
 * ranges, who must then still sign in (fine-grained access control).
 */
export function domainAccessPolicy(access: DomainAccess): PolicyDocument {
  const resource = `${access.domainArn}/*`;
  const statements: PolicyStatement[] = [
    {
      Sid: "Master",
      Effect: "Allow",
      Principal: { AWS: [access.masterRoleArn] },
      Action: OPENSEARCH_OPERATOR_ACTIONS,
      Resource: resource,
    },
  ];
  if (access.writerRoleArns.length > 0) {
    statements.push({
      Sid: "Writers",
      Effect: "Allow",
      Principal: { AWS: [...access.writerRoleArns] },
      Action: OPENSEARCH_WRITER_ACTIONS,
      Resource: resource,
    });
  }
  if (access.readerRoleArns.length > 0) {
    statements.push({
      Sid: "Readers",
      Effect: "Allow",
      Principal: { AWS: [...access.readerRoleArns] },
      Action: OPENSEARCH_READER_ACTIONS,
      Resource: resource,
    });
  }
  if (access.operatorCidrs.length > 0) {
    statements.push({
      Sid: "OperatorsFromKnownNetworks",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: OPENSEARCH_OPERATOR_ACTIONS,
      Resource: resource,
      Condition: { IpAddress: { "aws:SourceIp": [...access.operatorCidrs] } },
    });
  }
  return policyDocument(statements);
}

/** What the OpenSearch bootstrap Lambda's role may touch. */
export interface BootstrapScope {
  readonly domainArn: string;
  /** The secret holding the admin user's password. */
  readonly secretArn: string;
  /** The key encrypting that secret (and the function's environment). */
  readonly keyArn: string;
  readonly logGroupArn: string;
  /** The function runs in the domain's VPC. */
  readonly inVpc: boolean;
}

/**
 * The bootstrap Lambda's role, the domain's fine-grained access control
 * master: every HTTP method on the domain's paths (the security API needs PUT
 * and, for later repairs, GET/PATCH/DELETE), the master password secret and
 * its key, its own logs and traces.
 */
export function bootstrapStatements(scope: BootstrapScope): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    {
      Sid: "AdministerTheDomain",
      Effect: "Allow",
      Action: OPENSEARCH_OPERATOR_ACTIONS,
      Resource: `${scope.domainArn}/*`,
    },
    {
      Sid: "ReadTheMasterPassword",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: scope.secretArn,
    },
    { Sid: "DecryptTheSecret", Effect: "Allow", Action: "kms:Decrypt", Resource: scope.keyArn },
    writeLogsStatement(scope.logGroupArn),
    TRACING_STATEMENT,
  ];
  if (scope.inVpc) {
    statements.push(LAMBDA_VPC_STATEMENT);
  }
  return statements;
}

/**
 * CloudWatch Logs resource policy that lets OpenSearch Service publish the
 * domain's logs into its log groups, on behalf of this domain only.
 */
export function openSearchLogsPolicy(
  ctx: AwsContext,
  domainArn: string,
  logGroupArns: readonly string[],
): PolicyDocument {
  return policyDocument([
    {
      Sid: "OpenSearchPublishesDomainLogs",
      Effect: "Allow",
      Principal: { Service: "es.amazonaws.com" },
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: logGroupArns.map((arn) => `${arn}:*`),
      Condition: {
        StringEquals: { "aws:SourceAccount": ctx.accountId },
        ArnLike: { "aws:SourceArn": domainArn },
      },
    },
  ]);
}

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

export interface GrafanaAthenaScope {
  readonly workgroupArn: string;
  readonly databaseName: string;
  readonly tableName: string;
  readonly archiveBucketArn: string;
  readonly kmsKeyArn: string;
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
 * workspace, the domain, the Athena workgroup, Glue catalog/database/table,
 * the archive's `access/` prefix and the results prefix; CloudWatch alarms
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
        ],
      },
      {
        Sid: "ReadAccessLogs",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: `${athena.archiveBucketArn}/${ACCESS_LOGS_PREFIX}*`,
      },
      {
        Sid: "ListAccessLogsAndResults",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: athena.archiveBucketArn,
        Condition: { StringLike: { "s3:prefix": [`${ACCESS_LOGS_PREFIX}*`, `${ATHENA_RESULTS_PREFIX}*`] } },
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
