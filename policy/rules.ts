/**
 * The platform's security rules (DESIGN.md §5.3) as pure functions over
 * resource inputs. The same functions back the `@pulumi/policy` pack in
 * `policy/index.ts` (for `pulumi preview --policy-pack policy`) and run in
 * `npm test` over every resource the program declares for dev and prod.
 *
 * A value the engine does not know yet (a preview of a new resource) arrives
 * as `undefined`; rules treat an unknown as "cannot tell" only where a real
 * value could still satisfy them, never as a pass for a missing setting.
 */

/** One resource as a rule sees it. */
export interface ResourceUnderTest {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
}

export interface ResourceRule {
  readonly name: string;
  readonly description: string;
  /** Resource types the rule looks at. */
  readonly types: readonly string[];
  /** Violations of one resource (empty when it complies). */
  check(resource: ResourceUnderTest): string[];
}

export interface StackRule {
  readonly name: string;
  readonly description: string;
  /** Violations across all resources of a stack. */
  check(resources: readonly ResourceUnderTest[]): string[];
}

export const TYPES = {
  bucket: "aws:s3/bucket:Bucket",
  bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  bucketPublicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketOwnership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  bucketVersioning: "aws:s3/bucketVersioning:BucketVersioning",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  kmsKey: "aws:kms/key:Key",
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  stream: "aws:kinesis/stream:Stream",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
} as const;

interface Statement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Statements of a policy given as a JSON string or object; undefined when unknown or unparsable. */
function statementsOf(policy: unknown): Statement[] | undefined {
  if (policy === undefined) return undefined;
  try {
    const doc = (typeof policy === "string" ? JSON.parse(policy) : policy) as {
      Statement?: Statement | Statement[];
    };
    return asArray(doc.Statement);
  } catch {
    return undefined;
  }
}

const label = (s: Statement, i: number) =>
  s.Sid !== undefined ? `statement "${s.Sid}"` : `statement #${i + 1}`;

/** True for the AWS default key-policy grant to the account root, the one allowed `kms:*`. */
function isKeyAdministrationByRoot(type: string, s: Statement): boolean {
  const principal = s.Principal as { AWS?: string | string[] } | undefined;
  return (
    type === TYPES.kmsKey &&
    asArray(s.Action).every((a) => a === "kms:*") &&
    asArray(principal?.AWS).length > 0 &&
    asArray(principal?.AWS).every((arn) => /^arn:aws[\w-]*:iam::\d{12}:root$/.test(arn))
  );
}

/** Deny statements for everyone that refuse `action` without TLS. */
function tlsDenies(statements: Statement[], action: string): Statement[] {
  return statements.filter(
    (s) =>
      s.Effect === "Deny" &&
      s.Principal === "*" &&
      asArray(s.Action).includes(action) &&
      String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false",
  );
}

/** Where each policy-bearing type keeps its policy documents. */
function policiesOf(resource: ResourceUnderTest): unknown[] {
  const p = resource.props;
  switch (resource.type) {
    case TYPES.role:
      return [...asArray(p.inlinePolicies as { policy?: unknown }[] | undefined).map((ip) => ip.policy)];
    case TYPES.rolePolicy:
    case TYPES.iamPolicy:
    case TYPES.bucketPolicy:
    case TYPES.topicPolicy:
    case TYPES.queuePolicy:
    case TYPES.kmsKey:
      return [p.policy];
    default:
      return [];
  }
}

/**
 * Actions that AWS does not scope to a resource, so `"Resource": "*"` is the
 * only possible value for them. Anything else must name exact ARNs.
 */
export const ACTIONS_WITHOUT_RESOURCE_SCOPE: ReadonlySet<string> = new Set([
  "ecr:GetAuthorizationToken",
  "cloudwatch:PutMetricData",
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "logs:DescribeLogGroups",
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
  // Read-only actions of the Grafana CloudWatch and X-Ray data sources (ObservabilityStack): the
  // Service Authorization Reference lists no resource type for any of them.
  "cloudwatch:GetMetricData",
  "cloudwatch:ListMetrics",
  "cloudwatch:DescribeAlarmsForMetric",
  "logs:GetQueryResults", // a query id, not a log group, is the only input
  "logs:StopQuery",
  "ec2:DescribeRegions", // the `regions()` variable of the dashboards
  "xray:BatchGetTraces",
  "xray:GetTraceSummaries",
  "xray:GetTraceGraph",
  "xray:GetServiceGraph",
  "xray:GetTimeSeriesServiceStatistics",
  "xray:GetInsightSummaries",
  "xray:GetGroups",
]);

/** Types whose resources carry tags in this platform. */
export const TAGGABLE_TYPES: ReadonlySet<string> = new Set([
  TYPES.bucket,
  TYPES.kmsKey,
  TYPES.topic,
  TYPES.queue,
  TYPES.logGroup,
  TYPES.stream,
  TYPES.role,
  "aws:lambda/function:Function",
  "aws:ecs/cluster:Cluster",
  "aws:ecs/service:Service",
  "aws:ecs/taskDefinition:TaskDefinition",
  "aws:lb/loadBalancer:LoadBalancer",
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
  "aws:cloudtrail/trail:Trail",
  "aws:opensearch/domain:Domain",
  "aws:amp/workspace:Workspace",
  "aws:grafana/workspace:Workspace",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
]);

export const REQUIRED_TAGS = ["Project", "Environment", "ManagedBy"] as const;

export const resourceRules: readonly ResourceRule[] = [
  {
    name: "kms-key-rotation",
    description: "Customer-managed KMS keys rotate yearly.",
    types: [TYPES.kmsKey],
    check: (r) => (r.props.enableKeyRotation === true ? [] : ["enableKeyRotation must be true"]),
  },
  {
    name: "s3-encryption-at-rest",
    description:
      "Bucket default encryption is SSE-KMS with a key and bucket key on, or SSE-S3 (access-log targets only).",
    types: [TYPES.bucketEncryption],
    check: (r) => {
      const rules = asArray(r.props.rules as Record<string, unknown>[] | undefined);
      if (rules.length === 0) return ["no encryption rule"];
      return rules.flatMap((rule) => {
        const byDefault = rule.applyServerSideEncryptionByDefault as Record<string, unknown> | undefined;
        const algorithm = byDefault?.sseAlgorithm;
        if (algorithm === "AES256") return [];
        if (algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse") {
          return [
            `sseAlgorithm must be aws:kms (or AES256 for access-log targets), got ${String(algorithm)}`,
          ];
        }
        const problems: string[] = [];
        if (typeof byDefault?.kmsMasterKeyId !== "string") problems.push("SSE-KMS without kmsMasterKeyId");
        if (rule.bucketKeyEnabled !== true) problems.push("bucketKeyEnabled must be true with SSE-KMS");
        return problems;
      });
    },
  },
  {
    name: "s3-block-public-access",
    description: "All four public access block settings are on.",
    types: [TYPES.bucketPublicAccess],
    check: (r) =>
      ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]
        .filter((k) => r.props[k] !== true)
        .map((k) => `${k} must be true`),
  },
  {
    name: "s3-acls-disabled",
    description: "Object ownership is BucketOwnerEnforced (ACLs disabled).",
    types: [TYPES.bucketOwnership],
    check: (r) => {
      const ownership = (r.props.rule as { objectOwnership?: unknown } | undefined)?.objectOwnership;
      return ownership === "BucketOwnerEnforced"
        ? []
        : [`objectOwnership must be BucketOwnerEnforced, got ${String(ownership)}`];
    },
  },
  {
    name: "s3-tls-only",
    description: "Bucket policies deny every request without TLS, on the bucket and its objects.",
    types: [TYPES.bucketPolicy],
    check: (r) => {
      const statements = statementsOf(r.props.policy);
      if (statements === undefined) return ["policy is missing or not valid JSON"];
      const resources = tlsDenies(statements, "s3:*").flatMap((s) => asArray(s.Resource));
      const coversObjects = resources.some((res) => res.endsWith("/*"));
      const coversBucket = resources.some((res) => !res.endsWith("/*"));
      return coversObjects && coversBucket
        ? []
        : ['needs a Deny of "s3:*" on the bucket and "bucket/*" when aws:SecureTransport is false'];
    },
  },
  {
    name: "sqs-tls-only",
    description: "Queue policies deny every request without TLS.",
    types: [TYPES.queuePolicy],
    check: (r) => {
      const statements = statementsOf(r.props.policy);
      if (statements === undefined) return ["policy is missing or not valid JSON"];
      return tlsDenies(statements, "sqs:*").length > 0
        ? []
        : ['needs a Deny of "sqs:*" when aws:SecureTransport is false'];
    },
  },
  {
    name: "sns-encrypted",
    description: "SNS topics are encrypted with a KMS key.",
    types: [TYPES.topic],
    check: (r) => (typeof r.props.kmsMasterKeyId === "string" ? [] : ["kmsMasterKeyId must be set"]),
  },
  {
    name: "sqs-encrypted",
    description: "SQS queues are encrypted with a KMS key.",
    types: [TYPES.queue],
    check: (r) => (typeof r.props.kmsMasterKeyId === "string" ? [] : ["kmsMasterKeyId must be set"]),
  },
  {
    name: "kinesis-encrypted",
    description: "Kinesis streams are encrypted with KMS.",
    types: [TYPES.stream],
    check: (r) =>
      r.props.encryptionType === "KMS" && typeof r.props.kmsKeyId === "string"
        ? []
        : ["encryptionType must be KMS with a kmsKeyId"],
  },
  {
    name: "log-group-retention-and-encryption",
    description: "Every log group has an explicit retention and a KMS key.",
    types: [TYPES.logGroup],
    check: (r) => {
      const problems: string[] = [];
      const days = r.props.retentionInDays;
      if (typeof days !== "number" || days <= 0)
        problems.push("retentionInDays must be set (logs are otherwise kept forever)");
      if (typeof r.props.kmsKeyId !== "string") problems.push("kmsKeyId must be set");
      return problems;
    },
  },
  {
    name: "no-wildcard-actions",
    description:
      'Allow statements never grant "*" or "service:*" (except kms:* to the account root in a key policy).',
    types: [
      TYPES.role,
      TYPES.rolePolicy,
      TYPES.iamPolicy,
      TYPES.bucketPolicy,
      TYPES.topicPolicy,
      TYPES.queuePolicy,
      TYPES.kmsKey,
    ],
    check: (r) =>
      policiesOf(r).flatMap((policy) => {
        const statements = statementsOf(policy);
        if (statements === undefined) return policy === undefined ? [] : ["policy is not valid JSON"];
        return statements.flatMap((s, i) => {
          if (s.Effect !== "Allow") return [];
          if (s.NotAction !== undefined) return [`${label(s, i)} uses NotAction with Allow`];
          if (isKeyAdministrationByRoot(r.type, s)) return [];
          return asArray(s.Action)
            .filter((a) => a === "*" || a.endsWith(":*"))
            .map((a) => `${label(s, i)} allows "${a}"`);
        });
      }),
  },
  {
    name: "least-privilege-resources",
    description: 'Identity policies name exact ARNs; "Resource": "*" only for actions AWS cannot scope.',
    types: [TYPES.role, TYPES.rolePolicy, TYPES.iamPolicy],
    check: (r) =>
      policiesOf(r).flatMap((policy) =>
        (statementsOf(policy) ?? []).flatMap((s, i) => {
          if (s.Effect !== "Allow" || !asArray(s.Resource).includes("*")) return [];
          const unscoped = asArray(s.Action).filter((a) => !ACTIONS_WITHOUT_RESOURCE_SCOPE.has(a));
          return unscoped.length === 0 ? [] : [`${label(s, i)} grants ${unscoped.join(", ")} on "*"`];
        }),
      ),
  },
  {
    name: "required-tags",
    description: `Taggable resources carry ${REQUIRED_TAGS.join(", ")}.`,
    types: [...TAGGABLE_TYPES],
    check: (r) => {
      const tags = (r.props.tags ?? {}) as Record<string, unknown>;
      return REQUIRED_TAGS.filter((t) => typeof tags[t] !== "string" || tags[t] === "").map(
        (t) => `tag ${t} is missing`,
      );
    },
  },
];

/** The settings resources every bucket must have, by the resource type that holds them. */
const BUCKET_BASELINE: readonly { type: string; what: string }[] = [
  { type: TYPES.bucketEncryption, what: "default encryption" },
  { type: TYPES.bucketPublicAccess, what: "a public access block" },
  { type: TYPES.bucketOwnership, what: "ownership controls" },
  { type: TYPES.bucketVersioning, what: "versioning" },
  { type: TYPES.bucketPolicy, what: "a bucket policy (TLS only)" },
];

/** True when `setting` configures `bucket`: by its id or name, or by the naming convention when still unknown. */
function configures(setting: ResourceUnderTest, bucket: ResourceUnderTest): boolean {
  const target = setting.props.bucket;
  if (target === undefined) return setting.name.startsWith(`${bucket.name}-`);
  return target === bucket.props.id || target === bucket.props.bucket;
}

/** True when `policy` is the queue policy of `queue`: by URL, or by the naming convention when still unknown. */
function isPolicyOf(policy: ResourceUnderTest, queue: ResourceUnderTest): boolean {
  const url = policy.props.queueUrl;
  if (url === undefined) return policy.name === `${queue.name}-policy`;
  return url === queue.props.url || url === queue.props.id;
}

export const stackRules: readonly StackRule[] = [
  {
    name: "sqs-queue-policy",
    description: "Every queue has a queue policy (which sqs-tls-only makes TLS only).",
    check: (resources) =>
      resources
        .filter((r) => r.type === TYPES.queue)
        .filter((queue) => !resources.some((r) => r.type === TYPES.queuePolicy && isPolicyOf(r, queue)))
        .map((queue) => `queue ${queue.name} has no queue policy`),
  },
  {
    name: "s3-bucket-baseline",
    description:
      "Every bucket has default encryption, a public access block, ACLs disabled, versioning and a TLS-only policy.",
    check: (resources) => {
      const buckets = resources.filter((r) => r.type === TYPES.bucket);
      return buckets.flatMap((bucket) =>
        BUCKET_BASELINE.filter(
          ({ type }) => !resources.some((r) => r.type === type && configures(r, bucket)),
        ).map(({ what }) => `bucket ${bucket.name} has no ${what}`),
      );
    },
  },
];

/** Runs every rule over a stack's resources; returns "rule: resource: problem" lines. */
export function violations(resources: readonly ResourceUnderTest[]): string[] {
  const perResource = resources.flatMap((r) =>
    resourceRules
      .filter((rule) => rule.types.includes(r.type))
      .flatMap((rule) => rule.check(r).map((v) => `${rule.name}: ${r.name}: ${v}`)),
  );
  const perStack = stackRules.flatMap((rule) => rule.check(resources).map((v) => `${rule.name}: ${v}`));
  return [...perResource, ...perStack];
}
