import type { AwsContext, PolicyDocument, PolicyStatement } from "../lib/iam";
import { LAMBDA_VPC_STATEMENT, policyDocument, TRACING_STATEMENT, writeLogsStatement } from "../lib/iam";

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
