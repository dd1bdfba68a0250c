import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import type { AlarmSpec } from "../lib/alarm";
import { createAlarm } from "../lib/alarm";
import { awsContext } from "../lib/aws-context";
import type { PolicyStatement } from "../lib/iam";
import { createBundledFunction } from "../lib/lambda";
import { functionErrorsAlarm, iteratorAgeAlarm, queueBacklogAlarm } from "../lib/lambda-alarms";
import { createEncryptedLogGroup } from "../lib/log-group";
import { createSecureQueue } from "../lib/queue";
import { createServiceRole } from "../lib/service-role";
import type { StreamConsumerTuning } from "../lib/stream-consumer";
import { createStreamConsumerMapping, streamConsumerTuningProblems } from "../lib/stream-consumer";
import type { Tags } from "../lib/tags";
import type { TracingArgs } from "../lib/tracing";
import { sampleRatioProblems, TRACED_SERVICES } from "../lib/tracing";
import { logRetentionProblems, rangeProblems, throwIfInvalid } from "../lib/validation";
import {
  FAILED_PREFIXES,
  FINDING_EVENT_PATTERNS,
  findingsIndexerStatements,
  flowLogIndexerStatements,
  fromFindingRulesStatements,
  logsIndexerStatements,
} from "./policies";
import type { AlertSeverity, FindingsServiceMode } from "./modes";
import { ALERT_SEVERITIES, FINDINGS_SERVICE_MODES } from "./modes";
import type { LogIndexerPart } from "./writers";

/** The handlers the three Lambdas run (apps/log-indexer), bundled from source at deploy time. */
export const LOG_INDEXER_ENTRIES = {
  logs: "apps/log-indexer/src/handler.ts",
  flowLogs: "apps/log-indexer/src/flow-logs/handler.ts",
  findings: "apps/log-indexer/src/findings/handler.ts",
} as const;

/** The OpenSearch domain the indexers write to; absent: documents go to the S3 preview sink. */
export interface LogIndexerOpenSearch {
  /** Domain endpoint host. */
  readonly endpoint: pulumi.Input<string>;
  readonly domainArn: pulumi.Input<string>;
  /** Replicas of each new index (0 on a single data node). Default: 1. */
  readonly indexReplicas?: number;
  /**
   * Resources that must exist before the indexers are fed: the domain's
   * security bootstrap, which maps their roles (before it, every write is a 403). Default: none.
   */
  readonly dependsOn?: readonly pulumi.Resource[];
}

/**
 * Lines of the ingest stream → `logs-*` and `access-*`; batching and size as
 * {@link StreamConsumerTuning}. No defaults: stack
 * settings `search.logs.*`.
 */
export interface LogIndexerLogsArgs extends StreamConsumerTuning {
  readonly streamArn: pulumi.Input<string>;
  /**
   * Same meaning as the transformer's: token names whose lines are access
   * logs; empty: every source. No default: stack setting `accessLogs.sources`.
   */
  readonly accessLogSources: readonly string[];
  /** Days `logs-*` indices are kept (ISM). No default: stack setting `search.logs.retentionDays`. */
  readonly retentionDays: number;
  /** Days `access-*` indices are kept (ISM). No default: stack setting `search.logs.accessRetentionDays`. */
  readonly accessRetentionDays: number;
  /** Flattened JSON leaves kept per document (10–1000). No default: stack setting `search.logs.maxFields`. */
  readonly maxFields: number;
}

/** The VPC flow-log group → `vpcflow-*`. */
export interface LogIndexerFlowLogsArgs {
  readonly logGroupName: pulumi.Input<string>;
  /** The group's ARN as the provider gives it (without `:*`). */
  readonly logGroupArn: pulumi.Input<string>;
  /** The flow log's `logFormat`: the handler parses fields by it. */
  readonly logFormat: string;
  /** Days `vpcflow-*` indices are kept. No default: stack setting `search.flowLogs.retentionDays`. */
  readonly retentionDays: number;
}

/** GuardDuty and Security Hub findings → `findings-*`, severe ones also to the alert topic. */
export interface LogIndexerFindingsArgs {
  /** Days `findings-*` indices are kept. No default: stack setting `search.findings.retentionDays`. */
  readonly retentionDays: number;
  /** Lowest severity alerted. No default: stack setting `search.findings.alertSeverity`. */
  readonly alertSeverity: AlertSeverity;
  /** No default: stack setting `search.findings.guardDuty`. */
  readonly guardDuty: FindingsServiceMode;
  /** No default: stack setting `search.findings.securityHub`. */
  readonly securityHub: FindingsServiceMode;
}

export interface LogIndexerArgs {
  readonly archiveBucketName: pulumi.Input<string>;
  readonly archiveBucketArn: pulumi.Input<string>;
  /** Archive key: objects, queues, log groups, environments; it admits EventBridge (log-archive key policy). */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Alarms and severe findings go here. */
  readonly alarmTopicArn: pulumi.Input<string>;
  readonly openSearch?: LogIndexerOpenSearch;
  /** Each part is deployed only when given. */
  readonly logs?: LogIndexerLogsArgs;
  readonly flowLogs?: LogIndexerFlowLogsArgs;
  readonly findings?: LogIndexerFindingsArgs;
  /** Retention of the functions' own log groups (a CloudWatch Logs value). No default: stack setting `logRetentionDays`. */
  readonly logRetentionDays: number;
  /**
   * Trace the functions with OpenTelemetry through the ADOT collector layer
   * (components/lib/lambda.ts). Default: no tracing (Lambda's own active
   * tracing of the invocation stays on either way).
   */
  readonly tracing?: TracingArgs;
  /** Tags for every resource. No default: the stack's tags. */
  readonly tags: Tags;
}

/** Async retries of a flow-log batch before the on-failure queue (Lambda allows 0–2). */
const FLOW_LOG_ASYNC_RETRIES = 2;
/** Receives of a findings message before its dead-letter queue. */
const FINDINGS_MAX_RECEIVE_COUNT = 5;
/** Flow-log and findings functions: small documents, one batch per invocation. */
const SMALL_FUNCTION = { memoryMiB: 256, timeoutSeconds: 60 } as const;

/** The X-Ray service name of each function, by the part of its resource names. */
const INDEXER_SERVICES = {
  logs: TRACED_SERVICES.logsIndexer,
  flow: TRACED_SERVICES.flowLogsIndexer,
  findings: TRACED_SERVICES.findingsIndexer,
} as const;

/** A problem when `value` is not one of `choices` (the types say so, but a plain-JS caller may not). */
function choiceProblems(key: string, value: string, choices: readonly string[]): string[] {
  return choices.includes(value) ? [] : [`${key} must be one of ${choices.join(", ")} (got ${value})`];
}

/** Every problem with the args, so that one error lists them all. */
export function logIndexerArgProblems(args: LogIndexerArgs): string[] {
  const problems: string[] = [
    ...logRetentionProblems("logRetentionDays", args.logRetentionDays),
    ...(args.tracing !== undefined
      ? sampleRatioProblems("tracing.sampleRatio", args.tracing.sampleRatio)
      : []),
  ];
  const logs = args.logs;
  if (logs !== undefined) {
    problems.push(
      ...streamConsumerTuningProblems(logs, "logs."),
      ...rangeProblems("logs.maxFields", logs.maxFields, 10, 1000),
      ...rangeProblems("logs.retentionDays", logs.retentionDays, 1, 3650),
      ...rangeProblems("logs.accessRetentionDays", logs.accessRetentionDays, 1, 3650),
    );
  }
  if (args.flowLogs !== undefined) {
    problems.push(...rangeProblems("flowLogs.retentionDays", args.flowLogs.retentionDays, 1, 3650));
    if (args.flowLogs.logFormat.trim() === "") problems.push("flowLogs.logFormat must not be empty");
  }
  if (args.findings !== undefined) {
    const { retentionDays, alertSeverity, guardDuty, securityHub } = args.findings;
    problems.push(
      ...rangeProblems("findings.retentionDays", retentionDays, 1, 3650),
      ...choiceProblems("findings.alertSeverity", alertSeverity, ALERT_SEVERITIES),
      ...choiceProblems("findings.guardDuty", guardDuty, FINDINGS_SERVICE_MODES),
      ...choiceProblems("findings.securityHub", securityHub, FINDINGS_SERVICE_MODES),
    );
  }
  return problems;
}

/** Products whose EventBridge rule exists: every one not `off`. */
export function findingProducts(
  findings: Pick<LogIndexerFindingsArgs, "guardDuty" | "securityHub">,
): (keyof typeof FINDING_EVENT_PATTERNS)[] {
  return (["guardduty", "securityhub"] as const).filter(
    (product) => (product === "guardduty" ? findings.guardDuty : findings.securityHub) !== "off",
  );
}

/**
 * Makes every log searchable in OpenSearch (apps/log-indexer): the ingest
 * stream's lines (`logs-*`, `access-*`) through a second Kinesis event source
 * mapping beside the transformer's; VPC flow logs (`vpcflow-*`) through a
 * subscription filter on the flow-log group; GuardDuty and Security Hub
 * findings (`findings-*`) through EventBridge → SQS, severe ones also to the
 * alert topic. Each part has its own role on exact ARNs, log group, failure
 * queue and alarms.
 */
export class LogIndexer extends pulumi.ComponentResource {
  /**
   * Role of each deployed part: the OpenSearch security bootstrap maps each
   * to its own writer role (`LOG_INDEXER_WRITERS`).
   */
  public readonly roleArns: Partial<Record<LogIndexerPart, pulumi.Output<string>>>;
  public readonly logsFunctionName?: pulumi.Output<string>;
  public readonly flowLogsFunctionName?: pulumi.Output<string>;
  public readonly findingsFunctionName?: pulumi.Output<string>;
  public readonly findingsQueueUrl?: pulumi.Output<string>;

  constructor(name: string, args: LogIndexerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:search:LogIndexer", name, {}, opts);
    throwIfInvalid("LogIndexer", name, logIndexerArgProblems(args));
    const tags = args.tags;
    const ctx = awsContext(this);
    const openSearch = args.openSearch;
    const alarmTarget = { topicArn: args.alarmTopicArn, tags };
    const alarm = (suffix: string, alarmDescription: string, spec: AlarmSpec) =>
      createAlarm(`${name}-${suffix}`, { alarmDescription, ...spec }, alarmTarget, this);
    const queueDepthAlarm = (suffix: string, description: string, queue: aws.sqs.Queue) =>
      alarm(suffix, description, queueBacklogAlarm(queue.name));
    const errorsAlarm = (suffix: string, description: string, fn: aws.lambda.Function) =>
      alarm(suffix, description, functionErrorsAlarm(fn.name));

    /** Log group, role and function of one indexer; `statements` gets the exact ARNs. */
    const indexerFunction = (
      part: keyof typeof INDEXER_SERVICES,
      spec: {
        readonly entry: string;
        readonly memoryMiB: number;
        readonly timeoutSeconds: number;
        readonly failedPrefix: string;
        readonly environment: Record<string, pulumi.Input<string>>;
        readonly statements: (base: {
          bucketArn: string;
          keyArn: string;
          logGroupArn: string;
          failedPrefix: string;
          domainArn?: string;
        }) => pulumi.Output<PolicyStatement[]>;
      },
    ) => {
      const logGroup = createEncryptedLogGroup(
        `${name}-${part}-logs`,
        {
          retentionInDays: args.logRetentionDays,
          kmsKeyArn: args.kmsKeyArn,
          tags,
        },
        this,
      );
      const role = createServiceRole(
        `${name}-${part}-role`,
        {
          service: "lambda.amazonaws.com",
          // Lambda assumes its execution role without source-account context.
          sourceAccountCondition: false,
          statements: pulumi
            .all([args.archiveBucketArn, args.kmsKeyArn, logGroup.arn, openSearch?.domainArn])
            .apply(([bucketArn, keyArn, logGroupArn, domainArn]) =>
              spec.statements({
                bucketArn,
                keyArn,
                logGroupArn,
                failedPrefix: spec.failedPrefix,
                ...(domainArn !== undefined ? { domainArn } : {}),
              }),
            ),
          tags,
        },
        ctx,
        this,
      );
      const fn = createBundledFunction(
        `${name}-${part}`,
        {
          entry: spec.entry,
          roleArn: role.role.arn,
          memoryMiB: spec.memoryMiB,
          timeoutSeconds: spec.timeoutSeconds,
          kmsKeyArn: args.kmsKeyArn,
          environment: {
            ARCHIVE_BUCKET: args.archiveBucketName,
            FAILED_PREFIX: spec.failedPrefix,
            POWERTOOLS_SERVICE_NAME: `${name}-${part}`,
            POWERTOOLS_METRICS_NAMESPACE: "LogPlatform/Search",
            ...(openSearch !== undefined
              ? {
                  OPENSEARCH_ENDPOINT: openSearch.endpoint,
                  INDEX_REPLICAS: String(openSearch.indexReplicas ?? 1),
                }
              : {}),
            ...spec.environment,
          },
          logGroupName: logGroup.name,
          ...(args.tracing !== undefined
            ? {
                tracing: {
                  serviceName: INDEXER_SERVICES[part],
                  sampleRatio: args.tracing.sampleRatio,
                  region: ctx.region,
                },
              }
            : {}),
          tags,
        },
        // The function must not start before it may write its logs.
        { parent: this, dependsOn: [role.policy] },
      );
      return { fn, role };
    };
    // Sources feed the indexers only once the domain lets their roles in.
    const fedAfter = (role: { policy: aws.iam.RolePolicy }) => [
      role.policy,
      ...(openSearch?.dependsOn ?? []),
    ];

    const roleArns: Partial<Record<LogIndexerPart, pulumi.Output<string>>> = {};

    // ---- Ingest stream → logs-* / access-*.
    const logs = args.logs;
    if (logs !== undefined) {
      const failureQueue = createSecureQueue(
        `${name}-logs-failed-batches`,
        { kmsKeyArn: args.kmsKeyArn, tags },
        this,
      );
      const { fn, role } = indexerFunction("logs", {
        entry: LOG_INDEXER_ENTRIES.logs,
        memoryMiB: logs.memoryMiB,
        timeoutSeconds: logs.timeoutSeconds,
        failedPrefix: FAILED_PREFIXES.logs,
        environment: {
          LOGS_RETENTION_DAYS: String(logs.retentionDays),
          ACCESS_RETENTION_DAYS: String(logs.accessRetentionDays),
          MAX_FIELDS: String(logs.maxFields),
          ...(logs.accessLogSources.length > 0
            ? { ACCESS_LOG_SOURCES: logs.accessLogSources.join(",") }
            : {}),
        },
        statements: (base) =>
          pulumi
            .all([logs.streamArn, failureQueue.arn])
            .apply(([streamArn, failureQueueArn]) =>
              logsIndexerStatements({ ...base, streamArn, failureQueueArn }),
            ),
      });
      // Beside the transformer's mapping, like it from the oldest record kept: documents have
      // deterministic ids and the `create` action, so replays are harmless.
      createStreamConsumerMapping(
        `${name}-logs-from-stream`,
        {
          streamArn: logs.streamArn,
          functionArn: fn.arn,
          batchSize: logs.batchSize,
          batchWindowSeconds: logs.batchWindowSeconds,
          maximumRetryAttempts: logs.maximumRetryAttempts,
          failureQueueArn: failureQueue.arn,
          tags,
        },
        { parent: this, dependsOn: fedAfter(role) },
      );
      alarm(
        "logs-iterator-age",
        "The log indexer is more than 5 minutes behind the ingest stream.",
        iteratorAgeAlarm(fn.name),
      );
      errorsAlarm(
        "logs-errors",
        "The log indexer failed invocations (batches are retried, then queued).",
        fn,
      );
      queueDepthAlarm(
        "logs-failed-batches",
        "Ingest batches exhausted their indexing retries: their records are named in the failure queue.",
        failureQueue,
      );
      roleArns.logs = role.role.arn;
      this.logsFunctionName = fn.name;
    }

    // ---- Flow-log group → vpcflow-*.
    const flow = args.flowLogs;
    if (flow !== undefined) {
      const failureQueue = createSecureQueue(
        `${name}-flow-failed-events`,
        { kmsKeyArn: args.kmsKeyArn, tags },
        this,
      );
      const { fn, role } = indexerFunction("flow", {
        entry: LOG_INDEXER_ENTRIES.flowLogs,
        ...SMALL_FUNCTION,
        failedPrefix: FAILED_PREFIXES.flowLogs,
        environment: {
          RETENTION_DAYS: String(flow.retentionDays),
          FLOW_LOG_FORMAT: flow.logFormat,
        },
        statements: (base) =>
          failureQueue.arn.apply((failureQueueArn) => flowLogIndexerStatements({ ...base, failureQueueArn })),
      });
      // Subscription filters invoke asynchronously: two retries, then the event goes to the queue.
      new aws.lambda.FunctionEventInvokeConfig(
        `${name}-flow-async`,
        {
          functionName: fn.name,
          maximumRetryAttempts: FLOW_LOG_ASYNC_RETRIES,
          destinationConfig: { onFailure: { destination: failureQueue.arn } },
        },
        { parent: this, dependsOn: [role.policy] },
      );
      // "Using subscription filters with Lambda" (CloudWatch Logs user guide): CloudWatch Logs
      // may invoke the function for this group only, in this account.
      const permission = new aws.lambda.Permission(
        `${name}-flow-invoke`,
        {
          action: "lambda:InvokeFunction",
          function: fn.name,
          principal: "logs.amazonaws.com",
          sourceArn: pulumi.interpolate`${flow.logGroupArn}:*`,
          sourceAccount: ctx.accountId,
        },
        { parent: this },
      );
      new aws.cloudwatch.LogSubscriptionFilter(
        `${name}-flow-subscription`,
        {
          logGroup: flow.logGroupName,
          // Every flow record: what to keep is decided by the flow log's traffic type.
          filterPattern: "",
          destinationArn: fn.arn,
        },
        { parent: this, dependsOn: [permission, ...fedAfter(role)] },
      );
      errorsAlarm("flow-errors", "The flow-log indexer failed invocations (retried, then queued).", fn);
      queueDepthAlarm(
        "flow-failed-events",
        "Flow-log batches exhausted their retries: the events wait in the failure queue.",
        failureQueue,
      );
      roleArns.flowLogs = role.role.arn;
      this.flowLogsFunctionName = fn.name;
    }

    // ---- GuardDuty / Security Hub → findings-*.
    const findings = args.findings;
    if (findings !== undefined) {
      if (findings.guardDuty === "create") {
        new aws.guardduty.Detector(
          `${name}-guardduty`,
          // Updated findings are re-published every 15 minutes (the fastest), not every 6 hours.
          { enable: true, findingPublishingFrequency: "FIFTEEN_MINUTES", tags: { ...tags } },
          { parent: this },
        );
      }
      if (findings.securityHub === "create") {
        // Aggregation only: the default standards (paid checks) are a separate decision.
        new aws.securityhub.Account(
          `${name}-securityhub`,
          { enableDefaultStandards: false },
          { parent: this },
        );
      }
      const products = findingProducts(findings);
      if (products.length > 0) {
        const rules = products.map(
          (product) =>
            new aws.cloudwatch.EventRule(
              `${name}-${product}-findings`,
              {
                description: `${product} findings to the findings indexer`,
                eventPattern: JSON.stringify(FINDING_EVENT_PATTERNS[product]),
                tags: { ...tags },
              },
              { parent: this },
            ),
        );
        const deadLetters = createSecureQueue(
          `${name}-findings-dlq`,
          { kmsKeyArn: args.kmsKeyArn, tags },
          this,
        );
        const queue = createSecureQueue(
          `${name}-findings`,
          {
            kmsKeyArn: args.kmsKeyArn,
            // SQS as a Lambda event source: at least 6 × the function's timeout.
            visibilityTimeoutSeconds: 6 * SMALL_FUNCTION.timeoutSeconds,
            redrivePolicy: pulumi.jsonStringify({
              deadLetterTargetArn: deadLetters.arn,
              maxReceiveCount: FINDINGS_MAX_RECEIVE_COUNT,
            }),
            allow: (queueArn) =>
              pulumi
                .all(rules.map((rule) => rule.arn))
                .apply((ruleArns) => fromFindingRulesStatements(queueArn, ruleArns)),
            tags,
          },
          this,
        );
        rules.forEach(
          (rule, index) =>
            new aws.cloudwatch.EventTarget(
              `${name}-${products[index]}-to-queue`,
              { rule: rule.name, arn: queue.arn },
              { parent: this },
            ),
        );
        const { fn, role } = indexerFunction("findings", {
          entry: LOG_INDEXER_ENTRIES.findings,
          ...SMALL_FUNCTION,
          failedPrefix: FAILED_PREFIXES.findings,
          environment: {
            RETENTION_DAYS: String(findings.retentionDays),
            ALERT_TOPIC_ARN: args.alarmTopicArn,
            ALERT_SEVERITY: findings.alertSeverity,
            // Security Hub's copies of GuardDuty findings alert only when GuardDuty's own events do not come here.
            GUARDDUTY_DIRECT: String(products.includes("guardduty")),
          },
          statements: (base) =>
            pulumi
              .all([queue.arn, args.alarmTopicArn])
              .apply(([queueArn, alertTopicArn]) =>
                findingsIndexerStatements({ ...base, queueArn, alertTopicArn }),
              ),
        });
        new aws.lambda.EventSourceMapping(
          `${name}-findings-from-queue`,
          {
            eventSourceArn: queue.arn,
            functionName: fn.arn,
            batchSize: 10,
            functionResponseTypes: ["ReportBatchItemFailures"],
            tags: { ...tags },
          },
          { parent: this, dependsOn: fedAfter(role) },
        );
        errorsAlarm("findings-errors", "The findings indexer failed invocations.", fn);
        queueDepthAlarm(
          "findings-dead-letters",
          "Findings the indexer failed for good wait in the dead-letter queue.",
          deadLetters,
        );
        roleArns.findings = role.role.arn;
        this.findingsFunctionName = fn.name;
        this.findingsQueueUrl = queue.url;
      }
    }

    this.roleArns = roleArns;
    this.registerOutputs({ roleArns });
  }
}
