import { z } from "zod";

import {
  DEFAULT_FLOW_LOG_FILTERS,
  FlowLogFilterError,
  mergeFilters,
} from "../components/flow-log-monitor/filters";
import { MAX_EMAIL_SUBSCRIBERS, thresholdProblems } from "../components/cost-budgets/notifications";
import { TIME_GRANULARITIES } from "../components/cost-export/export-definition";
import { ALERT_SEVERITIES, FINDINGS_SERVICE_MODES } from "../components/log-indexer/modes";
import { lifecycleProblems } from "../components/log-archive/lifecycle";
import { DNS_NAME } from "../components/log-receiver-cluster/certificate-names";

/**
 * The schema of every setting of the platform, with per-environment defaults.
 * Pure (no Pulumi): `settings.ts` feeds it the stack's config.
 */

export const ENVIRONMENTS = ["dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const wholeNumber = (min: number, max: number) => z.number().int().min(min).max(max);
/** Days an OpenSearch index family is kept. */
const retentionDays = z
  .number()
  .int()
  .min(1, "must be at least 1 day")
  .max(3650, "must be at most 3650 days");
const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "must be an IPv4 CIDR block such as 203.0.113.0/24");
const pem = (label: string) =>
  z
    .string()
    .regex(
      new RegExp(`-----BEGIN ${label}-----[\\s\\S]+-----END ${label}-----`),
      `must be a PEM block (-----BEGIN ${label}-----)`,
    );

const lifecycleRule = z.object({
  prefix: z.string(),
  infrequentAccessAfterDays: z.number().optional(),
  glacierAfterDays: z.number().optional(),
  expireAfterDays: z.number(),
});

const email = z.email("must be an e-mail address");
const monthlyUsd = z.number().positive("must be an amount in USD above 0");

/** Non-secret settings: each top-level key is one config key `log-platform:<key>`. */
export const plainSchema = z.object({
  environment: z.enum(ENVIRONMENTS),
  namePrefix: z
    .string()
    .regex(
      /^[a-z][a-z0-9-]{1,18}[a-z0-9]$/,
      "must be 3–20 lowercase letters, digits or hyphens, starting with a letter",
    ),
  tags: z.record(z.string().regex(/^[\w.:/=+@ -]{1,128}$/, "invalid tag key"), z.string().max(256)),
  retainData: z.boolean(),
  logRetentionDays: z.number().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `must be one of ${LOG_RETENTION_DAYS.join(", ")} (CloudWatch Logs values)`,
  }),
  archive: z.strictObject({
    lifecycle: z.array(lifecycleRule).superRefine((rules, ctx) => {
      for (const problem of lifecycleProblems(rules)) ctx.addIssue({ code: "custom", message: problem });
    }),
    noncurrentVersionExpireDays: wholeNumber(1, 3650),
    accessLogExpireDays: wholeNumber(1, 3650),
    keyDeletionWindowDays: wholeNumber(7, 30),
  }),
  alerting: z.strictObject({
    topicArn: z
      .string()
      .regex(/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/, "must be an SNS topic ARN")
      .optional(),
  }),
  network: z.strictObject({
    cidrBlock: cidr,
    availabilityZoneCount: wholeNumber(2, 3),
    natGateways: z.enum(["Single", "OnePerAz"]),
  }),
  receiver: z
    .strictObject({
      minTasks: wholeNumber(1, 100),
      maxTasks: wholeNumber(1, 100),
      cpu: z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)]),
      memoryMiB: wholeNumber(512, 30720),
      targetCpuPercent: wholeNumber(10, 90),
      allowedCidrs: z.array(cidr).min(1, "needs at least one CIDR block allowed to reach the endpoint"),
      imageUri: z.string().min(1).optional(),
      /**
       * The endpoint's host name, given to every agent, which verify the
       * certificate against it. Required in prod and with receiverTlsCertificate
       * (settings.ts): no certificate can name the NLB's *.elb.amazonaws.com name.
       */
      domainName: z
        .string()
        .regex(DNS_NAME, "must be a lowercase DNS host name such as logs.example.com")
        .optional(),
      /**
       * The Route 53 public hosted zone of domainName, where the program creates
       * an A alias to the NLB. Absent: no record; point a CNAME for domainName at
       * the receiverLoadBalancerDnsName output in the DNS that holds the name.
       */
      hostedZoneId: z
        .string()
        .regex(/^Z[0-9A-Z]{1,31}$/, "must be a Route 53 hosted zone id (Z…)")
        .optional(),
    })
    .refine((r) => r.maxTasks >= r.minTasks, {
      message: "maxTasks must be at least minTasks",
      path: ["maxTasks"],
    })
    // An id, not a zone name to look up: a lookup would be a call that fails in preview without access.
    .refine((r) => r.hostedZoneId === undefined || r.domainName !== undefined, {
      message: "hostedZoneId needs domainName (the name of the record created in that zone)",
      path: ["hostedZoneId"],
    }),
  ingestStream: z.strictObject({
    mode: z.enum(["ON_DEMAND", "PROVISIONED"]),
    shardCount: wholeNumber(1, 500),
    retentionHours: wholeNumber(24, 8760),
  }),
  rawArchive: z.strictObject({
    bufferIntervalSeconds: wholeNumber(0, 900),
    bufferSizeMiB: wholeNumber(1, 128),
  }),
  accessLogs: z.strictObject({
    /** Ingest token names whose lines are nginx access logs; empty: every source. */
    sources: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be an ingest token name")),
    batchSize: wholeNumber(1, 10000),
    batchWindowSeconds: wholeNumber(0, 300),
    maximumRetryAttempts: wholeNumber(0, 10000),
    memoryMiB: wholeNumber(128, 10240),
    timeoutSeconds: wholeNumber(1, 900),
  }),
  flowLogs: z.strictObject({
    enabled: z.boolean(),
    trafficType: z.enum(["ACCEPT", "REJECT", "ALL"]),
    extraVpcIds: z.array(z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "must be a VPC id (vpc-…)")),
    archiveToS3: z.boolean(),
    icmpDenyRule: z.boolean(),
    /** Changes to the default metric filters: add, change by name, or `{ name, enabled: false }`. */
    filters: z.array(z.looseObject({ name: z.string() })).superRefine((overrides, ctx) => {
      try {
        mergeFilters(DEFAULT_FLOW_LOG_FILTERS, overrides);
      } catch (error) {
        if (!(error instanceof FlowLogFilterError)) throw error;
        for (const problem of error.problems) ctx.addIssue({ code: "custom", message: problem });
      }
    }),
  }),
  cloudTrail: z.strictObject({
    enabled: z.boolean(),
    organizationTrail: z.boolean(),
    s3DataEvents: z.boolean(),
    objectLock: z.boolean(),
    trailRetentionDays: wholeNumber(1, 36500),
    /** Also the SQS mapping's maximum concurrency, which Lambda accepts from 2 (services-sqs-scaling). */
    indexerReservedConcurrency: z
      .number()
      .int()
      .min(
        2,
        "must be at least 2: it is also the SQS mapping's maximum concurrency, which Lambda accepts from 2",
      )
      .max(1000),
    indexPrefix: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "must be a lowercase OpenSearch index prefix"),
  }),
  observability: z.strictObject({
    prometheus: z.boolean(),
    grafana: z.strictObject({
      enabled: z.boolean(),
      authenticationProviders: z
        .array(z.enum(["AWS_SSO", "SAML"]))
        .min(1, "name at least one identity source"),
    }),
    openSearch: z.strictObject({
      enabled: z.boolean(),
      instanceType: z
        .string()
        .regex(/^[a-z0-9]+\.[a-z0-9]+\.search$/, "must be an OpenSearch instance type (….search)"),
      instanceCount: wholeNumber(1, 80),
      dedicatedMasterCount: z.union([z.literal(0), z.literal(3), z.literal(5)]),
      zoneAwareness: z.boolean(),
      volumeGiB: wholeNumber(10, 16384),
      snapshotHour: wholeNumber(0, 23),
      /** Address ranges allowed to reach OpenSearch Dashboards with the master user (unsigned requests). */
      operatorCidrs: z.array(cidr),
    }),
  }),
  /**
   * OpenTelemetry traces to AWS X-Ray: the receiver through its ADOT
   * sidecar, the transformer and the indexers through the ADOT collector
   * Lambda layer. `sampleRatio` is the share of the traces started in the
   * platform that are kept (`OTEL_TRACES_SAMPLER_ARG` of every traced app).
   * Lambda's own active tracing of each invocation is on either way. X-Ray
   * bills $5 per million traces recorded after 100,000 free a month, $0.50
   * per million retrieved or scanned (the dashboards) after 1,000,000 free
   * (https://aws.amazon.com/xray/pricing/).
   */
  tracing: z.strictObject({
    enabled: z.boolean(),
    sampleRatio: z
      .number()
      .min(0, "must be a share from 0 to 1 (0.05 keeps 5 % of the traces)")
      .max(1, "must be a share from 0 to 1 (1 keeps every trace)"),
  }),
  /**
   * AWS Budgets (components/cost-budgets): a monthly cost budget over the
   * platform's tags (Project and Environment), optionally one over the whole
   * account, notifying the alert topic (so alertEmails too) at each threshold
   * for actual and forecasted spend. `emails` are extra addresses Budgets
   * e-mails directly (e.g. whoever pays the bill).
   */
  budgets: z.strictObject({
    enabled: z.boolean(),
    platformMonthlyUsd: monthlyUsd,
    /** Absent: no account budget (one per account is enough: set it in one stack only). */
    accountMonthlyUsd: monthlyUsd.optional(),
    /** Percent of each budget. */
    thresholds: z.array(z.number()).superRefine((thresholds, ctx) => {
      for (const problem of thresholdProblems("thresholds", thresholds))
        ctx.addIssue({ code: "custom", message: problem });
    }),
    emails: z
      .array(email)
      .max(
        MAX_EMAIL_SUBSCRIBERS,
        `at most ${MAX_EMAIL_SUBSCRIBERS} addresses (a budget notification's limit)`,
      ),
  }),
  /**
   * AWS Data Exports (components/cost-export): a CUR 2.0 export of the
   * account (Parquet) into the archive under `cost/`, a Glue table over it
   * and, with Grafana, the cost dashboard. One export per account is enough
   * (it covers the whole account): enable it in one stack of each account.
   * With it, every resource also carries a `Component` tag (the dashboard's
   * cost per component).
   */
  costExport: z.strictObject({
    enabled: z.boolean(),
    /** Line item granularity (CUR 2.0 TIME_GRANULARITY). */
    timeGranularity: z.enum(TIME_GRANULARITIES),
    /** One line item per resource (line_item_resource_id): the dashboard's top resources. */
    includeResources: z.boolean(),
    /** Days the export's files are kept under `cost/` after their last rewrite. */
    expireAfterDays: wholeNumber(1, 36500),
  }),
  /**
   * Indexing into OpenSearch (components/log-indexer): ingest-stream lines
   * (`logs-*`, `access-*`), VPC flow logs (`vpcflow-*`), GuardDuty and
   * Security Hub findings (`findings-*`). Each part needs
   * observability.openSearch.enabled; flowLogs also needs flowLogs.enabled.
   */
  search: z.strictObject({
    logs: z.strictObject({
      enabled: z.boolean(),
      /** Days `logs-*` indices are kept (ISM deletes older ones). */
      retentionDays: retentionDays,
      /** Days `access-*` indices are kept. */
      accessRetentionDays: retentionDays,
      batchSize: wholeNumber(1, 10000),
      batchWindowSeconds: wholeNumber(0, 300),
      maximumRetryAttempts: wholeNumber(0, 10000),
      memoryMiB: wholeNumber(128, 10240),
      timeoutSeconds: wholeNumber(1, 900),
      /** Flattened JSON leaves kept per document; the rest goes to `fields_overflow`. */
      maxFields: wholeNumber(10, 1000),
    }),
    flowLogs: z.strictObject({ enabled: z.boolean(), retentionDays: retentionDays }),
    findings: z.strictObject({
      enabled: z.boolean(),
      retentionDays: retentionDays,
      /** Lowest severity also published to the alert topic. */
      alertSeverity: z.enum(ALERT_SEVERITIES),
      /** `create` enables it (fails if the account already has it); `existing` only subscribes; `off` neither. */
      guardDuty: z.enum(FINDINGS_SERVICE_MODES),
      securityHub: z.enum(FINDINGS_SERVICE_MODES),
    }),
  }),
});

export type PlainSettings = z.infer<typeof plainSchema>;

/** Secret settings: set with `pulumi config set --secret`, never in clear text. */
export const secretSchema = z.object({
  alertEmails: z.array(email).optional(),
  receiverTlsCertificate: pem("CERTIFICATE").optional(),
  receiverTlsPrivateKey: pem("(RSA |EC )?PRIVATE KEY").optional(),
  ingestTokens: z
    .array(
      z.strictObject({
        name: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "token names are lowercase letters, digits, hyphens"),
        token: z.string().min(32, "tokens must be at least 32 characters"),
      }),
    )
    .min(1)
    .refine(
      (tokens) => new Set(tokens.map((t) => t.name)).size === tokens.length,
      "token names must be unique",
    )
    .optional(),
  openSearchMasterPassword: z.string().min(12, "must be at least 12 characters").optional(),
});

export type SecretSettings = z.infer<typeof secretSchema>;
export type SecretKey = keyof SecretSettings;

/** How to set each secret, shown in errors and used by the offline plan as a stand-in value. */
export const SECRET_KEYS: Readonly<
  Record<SecretKey, { readonly howToSet: string; readonly placeholder: string }>
> = {
  alertEmails: {
    howToSet: `pulumi config set --secret alertEmails '["ops@example.com"]'`,
    placeholder: JSON.stringify(["alerts@example.com"]),
  },
  receiverTlsCertificate: {
    howToSet: "pulumi config set --secret receiverTlsCertificate < fullchain.pem",
    placeholder: "-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----",
  },
  receiverTlsPrivateKey: {
    howToSet: "pulumi config set --secret receiverTlsPrivateKey < privkey.pem",
    placeholder: "-----BEGIN PRIVATE KEY-----\nplaceholder\n-----END PRIVATE KEY-----",
  },
  ingestTokens: {
    howToSet: `pulumi config set --secret ingestTokens '[{"name":"office","token":"'$(openssl rand -hex 32)'"}]'`,
    placeholder: JSON.stringify([{ name: "placeholder", token: "p".repeat(64) }]),
  },
  openSearchMasterPassword: {
    howToSet: "pulumi config set --secret openSearchMasterPassword",
    placeholder: "Placeholder-Passw0rd!",
  },
};

/** Secrets that prod cannot run without (dev generates or skips them). */
export const REQUIRED_IN_PROD: readonly SecretKey[] = [
  "alertEmails",
  "receiverTlsCertificate",
  "receiverTlsPrivateKey",
  "ingestTokens",
];

type DefaultedSections = Omit<PlainSettings, "environment" | "namePrefix">;

const SHARED_DEFAULTS = {
  tags: {},
  alerting: {},
  rawArchive: { bufferIntervalSeconds: 60, bufferSizeMiB: 64 },
  flowLogs: {
    enabled: true,
    trafficType: "ALL",
    extraVpcIds: [],
    archiveToS3: false,
    icmpDenyRule: false,
    filters: [],
  },
} as const satisfies Partial<DefaultedSections>;

/** Batching of the Kinesis log indexer per environment: the transformer's, which reads the same stream. */
const LOG_INDEXER_BATCHING = {
  dev: { batchSize: 500, batchWindowSeconds: 5, maximumRetryAttempts: 5, memoryMiB: 512, timeoutSeconds: 60 },
  prod: {
    batchSize: 1000,
    batchWindowSeconds: 10,
    maximumRetryAttempts: 20,
    memoryMiB: 1024,
    timeoutSeconds: 120,
  },
} as const;

/**
 * Search defaults: every part on; GuardDuty and Security Hub `existing`
 * (creating them fails in an account that already has them, and most do).
 */
function searchDefaults(
  retention: { logs: number; access: number; flowLogs: number; findings: number },
  batching: (typeof LOG_INDEXER_BATCHING)[Environment],
): PlainSettings["search"] {
  return {
    logs: {
      enabled: true,
      retentionDays: retention.logs,
      accessRetentionDays: retention.access,
      ...batching,
      maxFields: 200,
    },
    flowLogs: { enabled: true, retentionDays: retention.flowLogs },
    findings: {
      enabled: true,
      retentionDays: retention.findings,
      alertSeverity: "HIGH",
      guardDuty: "existing",
      securityHub: "existing",
    },
  };
}

/** Defaults per environment: dev is cheap and destroyable, prod is highly available and keeps its data. */
export const ENVIRONMENT_DEFAULTS: Readonly<Record<Environment, DefaultedSections>> = {
  dev: {
    ...SHARED_DEFAULTS,
    retainData: false,
    logRetentionDays: 14,
    archive: {
      lifecycle: [
        { prefix: "raw/", expireAfterDays: 30 },
        { prefix: "raw-errors/", expireAfterDays: 30 },
        { prefix: "access/", expireAfterDays: 30 },
        { prefix: "access-errors/", expireAfterDays: 14 },
        { prefix: "flow-logs/", expireAfterDays: 14 },
        { prefix: "cloudtrail-events/", expireAfterDays: 30 },
        { prefix: "cloudtrail-failed/", expireAfterDays: 14 },
        // Documents OpenSearch refused: kept as long as CloudTrail's, for a redrive after a mapping fix.
        { prefix: "logs-failed/", expireAfterDays: 14 },
        { prefix: "vpcflow-failed/", expireAfterDays: 14 },
        { prefix: "findings-failed/", expireAfterDays: 14 },
        // A look at what would be indexed without a domain; raw/ keeps the lines themselves.
        { prefix: "opensearch-preview/", expireAfterDays: 7 },
        { prefix: "athena-results/", expireAfterDays: 7 },
      ],
      noncurrentVersionExpireDays: 7,
      accessLogExpireDays: 14,
      keyDeletionWindowDays: 7,
    },
    network: { cidrBlock: "10.20.0.0/16", availabilityZoneCount: 2, natGateways: "Single" },
    receiver: {
      minTasks: 1,
      maxTasks: 2,
      cpu: 256,
      memoryMiB: 512,
      targetCpuPercent: 60,
      allowedCidrs: ["0.0.0.0/0"],
    },
    ingestStream: { mode: "ON_DEMAND", shardCount: 1, retentionHours: 24 },
    // dev runs on one generated token, so every line it receives is taken for an access log.
    accessLogs: {
      sources: [],
      batchSize: 500,
      batchWindowSeconds: 5,
      maximumRetryAttempts: 5,
      memoryMiB: 512,
      timeoutSeconds: 60,
    },
    cloudTrail: {
      enabled: true,
      organizationTrail: false,
      s3DataEvents: false,
      objectLock: false,
      trailRetentionDays: 30,
      indexerReservedConcurrency: 2,
      indexPrefix: "cloudtrail",
    },
    observability: {
      prometheus: true,
      grafana: { enabled: false, authenticationProviders: ["AWS_SSO"] },
      openSearch: {
        enabled: true,
        instanceType: "t3.small.search",
        instanceCount: 1,
        dedicatedMasterCount: 0,
        zoneAwareness: false,
        volumeGiB: 10,
        snapshotHour: 3,
        operatorCidrs: [],
      },
    },
    // Every request: dev sees little traffic, far under X-Ray's 100,000 free traces a month.
    tracing: { enabled: true, sampleRatio: 1 },
    budgets: { enabled: true, platformMonthlyUsd: 50, thresholds: [80, 100], emails: [] },
    // Off: dev and prod often share an account, and one export per account is enough (prod's).
    costExport: { enabled: false, timeGranularity: "DAILY", includeResources: true, expireAfterDays: 30 },
    search: searchDefaults({ logs: 14, access: 14, flowLogs: 14, findings: 30 }, LOG_INDEXER_BATCHING.dev),
  },
  prod: {
    ...SHARED_DEFAULTS,
    retainData: true,
    logRetentionDays: 365,
    archive: {
      lifecycle: [
        { prefix: "raw/", infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 400 },
        { prefix: "raw-errors/", expireAfterDays: 90 },
        { prefix: "access/", infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 400 },
        { prefix: "access-errors/", expireAfterDays: 90 },
        { prefix: "flow-logs/", infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 400 },
        {
          prefix: "cloudtrail-events/",
          infrequentAccessAfterDays: 30,
          glacierAfterDays: 90,
          expireAfterDays: 2557,
        },
        { prefix: "cloudtrail-failed/", expireAfterDays: 90 },
        // Documents OpenSearch refused: kept as long as CloudTrail's, for a redrive after a mapping fix.
        { prefix: "logs-failed/", expireAfterDays: 90 },
        { prefix: "vpcflow-failed/", expireAfterDays: 90 },
        // Findings are kept a year in the index: their refused ones as long.
        { prefix: "findings-failed/", expireAfterDays: 365 },
        // A look at what would be indexed without a domain; raw/ keeps the lines themselves.
        { prefix: "opensearch-preview/", expireAfterDays: 14 },
        { prefix: "athena-results/", expireAfterDays: 7 },
      ],
      noncurrentVersionExpireDays: 30,
      accessLogExpireDays: 365,
      keyDeletionWindowDays: 30,
    },
    network: { cidrBlock: "10.30.0.0/16", availabilityZoneCount: 3, natGateways: "OnePerAz" },
    receiver: {
      minTasks: 2,
      maxTasks: 8,
      cpu: 1024,
      memoryMiB: 2048,
      targetCpuPercent: 60,
      allowedCidrs: ["0.0.0.0/0"],
    },
    ingestStream: { mode: "ON_DEMAND", shardCount: 2, retentionHours: 168 },
    accessLogs: {
      sources: ["nginx"],
      batchSize: 1000,
      batchWindowSeconds: 10,
      maximumRetryAttempts: 20,
      memoryMiB: 1024,
      timeoutSeconds: 120,
    },
    cloudTrail: {
      enabled: true,
      organizationTrail: false,
      s3DataEvents: false,
      objectLock: true,
      trailRetentionDays: 365,
      indexerReservedConcurrency: 10,
      indexPrefix: "cloudtrail",
    },
    observability: {
      prometheus: true,
      // Off by default in prod too: an AMG workspace with AWS_SSO fails to create
      // in an account without IAM Identity Center, so Grafana is an explicit
      // opt-in once the identity source exists (README, "Observability").
      grafana: { enabled: false, authenticationProviders: ["AWS_SSO"] },
      openSearch: {
        enabled: true,
        instanceType: "r6g.large.search",
        instanceCount: 3,
        dedicatedMasterCount: 3,
        zoneAwareness: true,
        volumeGiB: 100,
        snapshotHour: 2,
        operatorCidrs: [],
      },
    },
    // 1 % of the traces started here: at 100 requests/s, 2.6 million a month, about 13 USD of
    // X-Ray recording ($5 per million after the free 100,000), enough to find the slow ones.
    tracing: { enabled: true, sampleRatio: 0.01 },
    budgets: { enabled: true, platformMonthlyUsd: 500, thresholds: [80, 100], emails: [] },
    // Daily line items per resource: the dashboard's granularity; three years of billing periods.
    costExport: { enabled: true, timeGranularity: "DAILY", includeResources: true, expireAfterDays: 1096 },
    search: searchDefaults({ logs: 90, access: 90, flowLogs: 90, findings: 365 }, LOG_INDEXER_BATCHING.prod),
  },
};

/** Config keys whose value is an object, merged over the environment's defaults one level deep. */
export const OBJECT_KEYS = [
  "archive",
  "alerting",
  "network",
  "receiver",
  "ingestStream",
  "rawArchive",
  "accessLogs",
  "flowLogs",
  "cloudTrail",
  "observability",
  "tracing",
  "budgets",
  "costExport",
  "search",
] as const satisfies readonly (keyof PlainSettings)[];
