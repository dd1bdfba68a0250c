/**
 * The platform's security rules (DESIGN.md §5.3) as pure functions over
 * resource inputs. The same functions back the `@pulumi/policy` pack in
 * `policy/index.ts` (for `pulumi preview --policy-pack policy`) and run in
 * `npm test` over every resource the program declares for dev and prod.
 *
 * A value the engine does not know yet (a preview of a new resource) arrives
 * as {@link UNKNOWN} (see unknowns.ts). A rule decides what it can from the
 * known values (mandatory findings) and reports each value it needed but
 * could not see as an advisory finding; `pulumi up` runs the rule again with
 * the values known. A missing setting is never an unknown: it fails.
 */
import {
  DEPRECATION_WARNING_DAYS,
  LAMBDA_NODE_RUNTIMES,
  LAMBDA_RUNTIMES_PAGE,
  isKnownRuntime,
  runtimeStatus,
} from "./lambda-runtimes";
import { containsUnknown, isUnknown } from "./unknowns";

/** One resource as a rule sees it. */
export interface ResourceUnderTest {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
}

/** What a rule reports: a violation (mandatory) or a warning / an undecided check (advisory). */
export interface Finding {
  readonly level: "mandatory" | "advisory";
  readonly message: string;
}

export const mandatory = (message: string): Finding => ({ level: "mandatory", message });
export const advisory = (message: string): Finding => ({ level: "advisory", message });

/** The advisory finding of a check that needs `what`, which a preview does not know yet. */
export const undecided = (what: string): Finding =>
  advisory(`cannot decide during preview: ${what} is not known yet (decided again when the update runs)`);

export interface ResourceRule {
  readonly name: string;
  readonly description: string;
  /** Resource types the rule looks at. */
  readonly types: readonly string[];
  /** Findings of one resource (empty when it complies). */
  check(resource: ResourceUnderTest): Finding[];
}

/**
 * Stack rules always decide: where an id that links two resources is still
 * unknown they fall back to the platform's naming convention.
 */
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
  lambdaFunction: "aws:lambda/function:Function",
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

/** Statements of a policy given as a JSON string or object, or why there are none. */
function statementsOf(policy: unknown): Statement[] | "missing" | "unknown" | "invalid" {
  if (policy === undefined || policy === null) return "missing";
  if (containsUnknown(policy)) return "unknown";
  try {
    const doc = (typeof policy === "string" ? JSON.parse(policy) : policy) as {
      Statement?: Statement | Statement[];
    };
    return asArray(doc.Statement);
  } catch {
    return "invalid";
  }
}

/** `props[key]` must be `true`. */
function mustBeTrue(props: Record<string, unknown>, key: string): Finding[] {
  const value = props[key];
  if (isUnknown(value)) return [undecided(key)];
  return value === true ? [] : [mandatory(`${key} must be true`)];
}

/** `props[key]` must be a string (a key ARN or id, which may come from another resource). */
function mustBeString(props: Record<string, unknown>, key: string, message: string): Finding[] {
  const value = props[key];
  if (isUnknown(value)) return [undecided(key)];
  return typeof value === "string" ? [] : [mandatory(message)];
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

/** Where each policy-bearing type keeps its policy documents, with the path of each. */
function policiesOf(resource: ResourceUnderTest): { path: string; policy: unknown }[] {
  const p = resource.props;
  switch (resource.type) {
    case TYPES.role:
      if (isUnknown(p.inlinePolicies)) return [{ path: "inlinePolicies", policy: p.inlinePolicies }];
      return asArray(p.inlinePolicies as unknown[] | undefined).map((ip, i) => ({
        path: `inlinePolicies[${i}].policy`,
        policy: isUnknown(ip) ? ip : (ip as { policy?: unknown } | undefined)?.policy,
      }));
    case TYPES.rolePolicy:
    case TYPES.iamPolicy:
    case TYPES.bucketPolicy:
    case TYPES.topicPolicy:
    case TYPES.queuePolicy:
    case TYPES.kmsKey:
      return [{ path: "policy", policy: p.policy }];
    default:
      return [];
  }
}

/** Findings of a TLS-only rule: a Deny of `action` without TLS, whose resources `covers` accepts. */
function tlsOnly(
  policy: unknown,
  action: string,
  covers: (resources: string[]) => boolean,
  message: string,
): Finding[] {
  const statements = statementsOf(policy);
  if (statements === "unknown") return [undecided("policy")];
  if (!Array.isArray(statements)) return [mandatory("policy is missing or not valid JSON")];
  const denies = tlsDenies(statements, action);
  return denies.length > 0 && covers(denies.flatMap((s) => asArray(s.Resource))) ? [] : [mandatory(message)];
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
  TYPES.lambdaFunction,
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
    check: (r) => mustBeTrue(r.props, "enableKeyRotation"),
  },
  {
    name: "s3-encryption-at-rest",
    description:
      "Bucket default encryption is SSE-KMS with a key and bucket key on, or SSE-S3 (access-log targets only).",
    types: [TYPES.bucketEncryption],
    check: (r) => {
      if (isUnknown(r.props.rules)) return [undecided("rules")];
      const rules = asArray(r.props.rules as unknown[] | undefined);
      if (rules.length === 0) return [mandatory("no encryption rule")];
      return rules.flatMap((item, i): Finding[] => {
        if (isUnknown(item)) return [undecided(`rules[${i}]`)];
        const rule = (item ?? {}) as Record<string, unknown>;
        const byDefault = rule.applyServerSideEncryptionByDefault;
        if (isUnknown(byDefault)) return [undecided(`rules[${i}].applyServerSideEncryptionByDefault`)];
        const settings = (byDefault ?? {}) as Record<string, unknown>;
        const algorithm = settings.sseAlgorithm;
        if (isUnknown(algorithm)) return [undecided(`rules[${i}]…sseAlgorithm`)];
        if (algorithm === "AES256") return [];
        if (algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse") {
          return [
            mandatory(
              `sseAlgorithm must be aws:kms (or AES256 for access-log targets), got ${String(algorithm)}`,
            ),
          ];
        }
        const keyId = mustBeString(settings, "kmsMasterKeyId", "SSE-KMS without kmsMasterKeyId");
        const bucketKey = isUnknown(rule.bucketKeyEnabled)
          ? [undecided(`rules[${i}].bucketKeyEnabled`)]
          : rule.bucketKeyEnabled === true
            ? []
            : [mandatory("bucketKeyEnabled must be true with SSE-KMS")];
        return [...keyId, ...bucketKey];
      });
    },
  },
  {
    name: "s3-block-public-access",
    description: "All four public access block settings are on.",
    types: [TYPES.bucketPublicAccess],
    check: (r) =>
      ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].flatMap((k) =>
        mustBeTrue(r.props, k),
      ),
  },
  {
    name: "s3-acls-disabled",
    description: "Object ownership is BucketOwnerEnforced (ACLs disabled).",
    types: [TYPES.bucketOwnership],
    check: (r) => {
      if (isUnknown(r.props.rule)) return [undecided("rule")];
      const ownership = (r.props.rule as { objectOwnership?: unknown } | undefined)?.objectOwnership;
      if (isUnknown(ownership)) return [undecided("rule.objectOwnership")];
      return ownership === "BucketOwnerEnforced"
        ? []
        : [mandatory(`objectOwnership must be BucketOwnerEnforced, got ${String(ownership)}`)];
    },
  },
  {
    name: "s3-tls-only",
    description: "Bucket policies deny every request without TLS, on the bucket and its objects.",
    types: [TYPES.bucketPolicy],
    check: (r) =>
      tlsOnly(
        r.props.policy,
        "s3:*",
        (resources) =>
          resources.some((res) => res.endsWith("/*")) && resources.some((res) => !res.endsWith("/*")),
        'needs a Deny of "s3:*" on the bucket and "bucket/*" when aws:SecureTransport is false',
      ),
  },
  {
    name: "sqs-tls-only",
    description: "Queue policies deny every request without TLS.",
    types: [TYPES.queuePolicy],
    check: (r) =>
      tlsOnly(
        r.props.policy,
        "sqs:*",
        () => true,
        'needs a Deny of "sqs:*" when aws:SecureTransport is false',
      ),
  },
  {
    name: "sns-encrypted",
    description: "SNS topics are encrypted with a KMS key.",
    types: [TYPES.topic],
    check: (r) => mustBeString(r.props, "kmsMasterKeyId", "kmsMasterKeyId must be set"),
  },
  {
    name: "sqs-encrypted",
    description: "SQS queues are encrypted with a KMS key.",
    types: [TYPES.queue],
    check: (r) => mustBeString(r.props, "kmsMasterKeyId", "kmsMasterKeyId must be set"),
  },
  {
    name: "kinesis-encrypted",
    description: "Kinesis streams are encrypted with KMS.",
    types: [TYPES.stream],
    check: (r) => {
      if (isUnknown(r.props.encryptionType)) return [undecided("encryptionType")];
      if (r.props.encryptionType !== "KMS") return [mandatory("encryptionType must be KMS with a kmsKeyId")];
      return mustBeString(r.props, "kmsKeyId", "encryptionType must be KMS with a kmsKeyId");
    },
  },
  {
    name: "log-group-retention-and-encryption",
    description: "Every log group has an explicit retention and a KMS key.",
    types: [TYPES.logGroup],
    check: (r) => {
      const days = r.props.retentionInDays;
      const retention = isUnknown(days)
        ? [undecided("retentionInDays")]
        : typeof days !== "number" || days <= 0
          ? [mandatory("retentionInDays must be set (logs are otherwise kept forever)")]
          : [];
      return [...retention, ...mustBeString(r.props, "kmsKeyId", "kmsKeyId must be set")];
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
      policiesOf(r).flatMap(({ path, policy }): Finding[] => {
        const statements = statementsOf(policy);
        if (statements === "unknown") return [undecided(path)];
        if (statements === "missing") return [];
        if (statements === "invalid") return [mandatory(`${path} is not valid JSON`)];
        return statements.flatMap((s, i) => {
          if (s.Effect !== "Allow") return [];
          if (s.NotAction !== undefined) return [mandatory(`${label(s, i)} uses NotAction with Allow`)];
          if (isKeyAdministrationByRoot(r.type, s)) return [];
          return asArray(s.Action)
            .filter((a) => a === "*" || a.endsWith(":*"))
            .map((a) => mandatory(`${label(s, i)} allows "${a}"`));
        });
      }),
  },
  {
    name: "least-privilege-resources",
    description: 'Identity policies name exact ARNs; "Resource": "*" only for actions AWS cannot scope.',
    types: [TYPES.role, TYPES.rolePolicy, TYPES.iamPolicy],
    check: (r) =>
      policiesOf(r).flatMap(({ path, policy }): Finding[] => {
        const statements = statementsOf(policy);
        if (statements === "unknown") return [undecided(path)];
        // A missing or unparsable document is no-wildcard-actions' finding.
        if (!Array.isArray(statements)) return [];
        return statements.flatMap((s, i) => {
          if (s.Effect !== "Allow" || !asArray(s.Resource).includes("*")) return [];
          const unscoped = asArray(s.Action).filter((a) => !ACTIONS_WITHOUT_RESOURCE_SCOPE.has(a));
          return unscoped.length === 0
            ? []
            : [mandatory(`${label(s, i)} grants ${unscoped.join(", ")} on "*"`)];
        });
      }),
  },
  {
    name: "required-tags",
    description: `Taggable resources carry ${REQUIRED_TAGS.join(", ")}.`,
    types: [...TAGGABLE_TYPES],
    check: (r) => {
      if (isUnknown(r.props.tags)) return [undecided("tags")];
      const tags = (r.props.tags ?? {}) as Record<string, unknown>;
      return REQUIRED_TAGS.flatMap((t) =>
        isUnknown(tags[t])
          ? [undecided(`tag ${t}`)]
          : typeof tags[t] !== "string" || tags[t] === ""
            ? [mandatory(`tag ${t} is missing`)]
            : [],
      );
    },
  },
  lambdaRuntimeRule(() => new Date()),
  {
    name: "lambda-trusted-layers",
    description:
      "Lambda layers are pinned versions from a trusted publisher (a layer's code runs inside the function, with its role).",
    types: [TYPES.lambdaFunction],
    check: (r) => {
      const layers = r.props.layers;
      if (layers === undefined) return [];
      if (isUnknown(layers)) return [undecided("layers")];
      if (!Array.isArray(layers)) return [mandatory("layers must be a list of layer version ARNs")];
      return layers.flatMap((arn: unknown, i): Finding[] => {
        if (isUnknown(arn)) return [undecided(`layers[${i}]`)];
        const match = typeof arn === "string" ? LAYER_VERSION_ARN.exec(arn) : null;
        if (match === null)
          return [mandatory(`layers[${i}] is not a layer version ARN (…:layer:<name>:<version>)`)];
        const account = match[1] as string;
        return TRUSTED_LAYER_ACCOUNTS.has(account)
          ? []
          : [
              mandatory(
                `layers[${i}] comes from account ${account}, not a trusted layer publisher (${[...TRUSTED_LAYER_ACCOUNTS].join(", ")})`,
              ),
            ];
      });
    },
  },
];

/**
 * Accounts whose Lambda layers a function may run: AWS's, which publishes
 * the ADOT layers (https://aws-otel.github.io/docs/getting-started/lambda).
 */
export const TRUSTED_LAYER_ACCOUNTS: ReadonlySet<string> = new Set(["901920570463"]);

/** A layer version ARN (Layer.Arn, https://docs.aws.amazon.com/lambda/latest/dg/API_Layer.html); group 1 is the account. */
const LAYER_VERSION_ARN = /^arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:(\d{12}):layer:[a-zA-Z0-9-_]+:[0-9]+$/;

/**
 * Lambda functions run on a Node.js runtime Lambda still patches. Fails from
 * the runtime's deprecation date (and says when Lambda blocks creating and
 * updating), warns {@link DEPRECATION_WARNING_DAYS} days before it, and fails
 * for a runtime the table in lambda-runtimes.ts does not list — so the next
 * deprecation fails `npm test` before it fails a deploy.
 *
 * @param now the clock; `resourceRules` passes the real date, tests a fixed one.
 */
export function lambdaRuntimeRule(now: () => Date): ResourceRule {
  return {
    name: "lambda-supported-runtime",
    description: `Lambda functions use a Node.js runtime Lambda still patches (warns ${DEPRECATION_WARNING_DAYS} days before its deprecation).`,
    types: [TYPES.lambdaFunction],
    check: (r) => {
      // A container-image function brings its own runtime; none is set.
      if (r.props.packageType === "Image") return [];
      const runtime = r.props.runtime;
      if (isUnknown(runtime)) return [undecided("runtime")];
      if (typeof runtime !== "string" || runtime === "") return [mandatory("runtime must be set")];
      const status = runtimeStatus(runtime, now());
      if (status.state === "unknown" || !isKnownRuntime(runtime)) {
        return [
          mandatory(
            `runtime ${runtime} is not in policy/lambda-runtimes.ts: add its deprecation, block-create and block-update dates from ${LAMBDA_RUNTIMES_PAGE}, or use a runtime listed there`,
          ),
        ];
      }
      const { deprecate, blockCreate, blockUpdate } = LAMBDA_NODE_RUNTIMES[runtime];
      const blocks = `Lambda blocks creating functions on it from ${blockCreate} and updating them from ${blockUpdate}`;
      switch (status.state) {
        case "update-blocked":
        case "create-blocked":
        case "deprecated":
          return [mandatory(`${runtime} is deprecated since ${deprecate} (no more patches); ${blocks}`)];
        case "deprecating":
          return [
            advisory(`${runtime} is deprecated on ${deprecate}, in ${status.daysLeft} days; ${blocks}`),
          ];
        case "supported":
          return [];
      }
    },
  };
}

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
  if (target === undefined || isUnknown(target)) return setting.name.startsWith(`${bucket.name}-`);
  return target === bucket.props.id || target === bucket.props.bucket;
}

/** True when `policy` is the queue policy of `queue`: by URL, or by the naming convention when still unknown. */
function isPolicyOf(policy: ResourceUnderTest, queue: ResourceUnderTest): boolean {
  const url = policy.props.queueUrl;
  if (url === undefined || isUnknown(url)) return policy.name === `${queue.name}-policy`;
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

/** Runs every rule over a stack's resources; returns "rule: resource: message" lines of `level`. */
function findingLines(resources: readonly ResourceUnderTest[], level: Finding["level"]): string[] {
  const perResource = resources.flatMap((r) =>
    resourceRules
      .filter((rule) => rule.types.includes(r.type))
      .flatMap((rule) =>
        rule
          .check(r)
          .filter((f) => f.level === level)
          .map((f) => `${rule.name}: ${r.name}: ${f.message}`),
      ),
  );
  const perStack =
    level === "mandatory"
      ? stackRules.flatMap((rule) => rule.check(resources).map((v) => `${rule.name}: ${v}`))
      : [];
  return [...perResource, ...perStack];
}

/** The mandatory findings of every rule over a stack's resources, as "rule: resource: problem" lines. */
export const violations = (resources: readonly ResourceUnderTest[]): string[] =>
  findingLines(resources, "mandatory");

/** The advisory findings (warnings, checks a preview cannot decide), same format. */
export const advisories = (resources: readonly ResourceUnderTest[]): string[] =>
  findingLines(resources, "advisory");
