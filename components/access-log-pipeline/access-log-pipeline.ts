import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import {
  METRICS_NAMESPACE,
  PARSED_LINES_METRIC,
  REJECTED_LINES_METRIC,
  SERVICE_DIMENSION,
} from "../../apps/access-log-transformer/src/metrics";
import type { AlarmSpec } from "../lib/alarm";
import { createAlarm } from "../lib/alarm";
import { awsContext } from "../lib/aws-context";
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
import { logRetentionProblems, throwIfInvalid } from "../lib/validation";
import { ARCHIVE_PREFIXES } from "../log-archive/lifecycle";
import { accessLogTableInputs } from "./glue-table";
import { transformerStatements } from "./role-policy";

/** The handler the Lambda runs, bundled from source at deploy time. */
export const TRANSFORMER_ENTRY = "apps/access-log-transformer/src/handler.ts";

/**
 * Batching, retries, memory and timeout of the transformer:
 * {@link StreamConsumerTuning}. No defaults: stack
 * settings `accessLogs.*`.
 */
export interface AccessLogPipelineArgs extends StreamConsumerTuning {
  /** The ingest stream to read. */
  readonly streamArn: pulumi.Input<string>;
  readonly archiveBucketName: pulumi.Input<string>;
  readonly archiveBucketArn: pulumi.Input<string>;
  /** Archive key: the stream, the objects, the queue, the log group and the function's environment. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Topic for iterator-age, error and failed-batch alarms. */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** Retention of the function's log group (a CloudWatch Logs value). No default: stack setting `logRetentionDays`. */
  readonly logRetentionDays: number;
  /**
   * Ingest token names whose lines are nginx access logs. The ingest stream
   * also carries other logs; lines from other sources are skipped by the
   * transformer (they stay in the raw archive) instead of filling
   * `access-errors/`. Records written straight to the stream (fluentd) are
   * always parsed. Empty: every source. No default: stack setting
   * `accessLogs.sources`.
   */
  readonly accessLogSources: readonly string[];
  /**
   * Share of rejected lines, rejected / (parsed + rejected), that alarms when
   * every one of three 5-minute periods reaches it (0 < share ≤ 1): a format change in
   * nginx sends every line to `access-errors/`. Default: 0.05.
   */
  readonly rejectedShareAlarmThreshold?: number;
  /** Glue database name (lowercase, digits, underscores). Default: derived from the component name. */
  readonly glueDatabaseName?: string;
  /**
   * Trace the function with OpenTelemetry through the ADOT collector layer
   * (components/lib/lambda.ts). Default: no tracing (Lambda's own active
   * tracing of the invocation stays on either way).
   */
  readonly tracing?: TracingArgs;
  /** Tags for every resource. No default: the stack's tags. */
  readonly tags: Tags;
}

/** Defaults of the args that are no stack setting. */
const DEFAULTS = {
  rejectedShareAlarmThreshold: 0.05,
} as const;

/** Every problem with the args, so that one error can list them all. */
export function accessLogPipelineArgProblems(args: AccessLogPipelineArgs): string[] {
  const problems = [
    ...streamConsumerTuningProblems(args),
    ...logRetentionProblems("logRetentionDays", args.logRetentionDays),
    ...(args.tracing !== undefined
      ? sampleRatioProblems("tracing.sampleRatio", args.tracing.sampleRatio)
      : []),
  ];
  // A share, not a count: the range checks want integers.
  const share = args.rejectedShareAlarmThreshold ?? DEFAULTS.rejectedShareAlarmThreshold;
  if (!(share > 0 && share <= 1)) {
    problems.push(`rejectedShareAlarmThreshold must be a share in (0, 1] (got ${share})`);
  }
  for (const source of args.accessLogSources) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(source))
      problems.push(`accessLogSources: "${source}" is not a token name`);
  }
  if (args.glueDatabaseName !== undefined && !/^[a-z0-9_]{1,255}$/.test(args.glueDatabaseName)) {
    problems.push(
      `glueDatabaseName must be lowercase letters, digits and underscores (got "${args.glueDatabaseName}")`,
    );
  }
  return problems;
}

/**
 * nginx access logs from the ingest stream to queryable JSON in S3: an event
 * source mapping with partial-batch failure reporting, bisection and a
 * failure queue; the transformer Lambda (built from
 * `apps/access-log-transformer`); alarms; and a Glue table with partition
 * projection so Athena can query `access/` directly.
 */
export class AccessLogPipeline extends pulumi.ComponentResource {
  public readonly functionName: pulumi.Output<string>;
  public readonly failureQueueUrl: pulumi.Output<string>;
  public readonly glueDatabaseName: pulumi.Output<string>;
  public readonly glueTableName: pulumi.Output<string>;

  constructor(name: string, args: AccessLogPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:access-logs:AccessLogPipeline", name, {}, opts);
    throwIfInvalid("AccessLogPipeline", name, accessLogPipelineArgProblems(args));
    const tags = args.tags;
    const ctx = awsContext(this);
    const timeoutSeconds = args.timeoutSeconds;
    // The `service` dimension of the transformer's metrics, one per pipeline.
    const serviceName = `${name}-transformer`;

    const failureQueue = createSecureQueue(
      `${name}-failed-batches`,
      { kmsKeyArn: args.kmsKeyArn, tags },
      this,
    );
    const logGroup = createEncryptedLogGroup(
      `${name}-transformer-logs`,
      {
        retentionInDays: args.logRetentionDays,
        kmsKeyArn: args.kmsKeyArn,
        tags,
      },
      this,
    );
    const execution = createServiceRole(
      `${name}-transformer-role`,
      {
        service: "lambda.amazonaws.com",
        // Lambda assumes its execution role without source-account context.
        sourceAccountCondition: false,
        statements: pulumi
          .all([args.streamArn, args.archiveBucketArn, args.kmsKeyArn, logGroup.arn, failureQueue.arn])
          .apply(([streamArn, bucketArn, keyArn, logGroupArn, failureQueueArn]) =>
            transformerStatements({
              streamArn,
              bucketArn,
              keyArn,
              logGroupArn,
              failureQueueArn,
              prefixes: [ARCHIVE_PREFIXES.access, ARCHIVE_PREFIXES.accessErrors],
            }),
          ),
        tags,
      },
      ctx,
      this,
    );

    const transformer = createBundledFunction(
      `${name}-transformer`,
      {
        entry: TRANSFORMER_ENTRY,
        roleArn: execution.role.arn,
        memoryMiB: args.memoryMiB,
        timeoutSeconds,
        kmsKeyArn: args.kmsKeyArn,
        environment: {
          ARCHIVE_BUCKET: args.archiveBucketName,
          ACCESS_PREFIX: ARCHIVE_PREFIXES.access,
          ERROR_PREFIX: ARCHIVE_PREFIXES.accessErrors,
          POWERTOOLS_SERVICE_NAME: serviceName,
          ...(args.accessLogSources.length > 0
            ? { ACCESS_LOG_SOURCES: args.accessLogSources.join(",") }
            : {}),
        },
        logGroupName: logGroup.name,
        ...(args.tracing !== undefined
          ? {
              tracing: {
                serviceName: TRACED_SERVICES.accessLogTransformer,
                sampleRatio: args.tracing.sampleRatio,
                region: ctx.region,
              },
            }
          : {}),
        tags,
      },
      // The function must not start before it may write its logs.
      { parent: this, dependsOn: [execution.policy] },
    );

    createStreamConsumerMapping(
      `${name}-from-stream`,
      {
        streamArn: args.streamArn,
        functionArn: transformer.arn,
        batchSize: args.batchSize,
        batchWindowSeconds: args.batchWindowSeconds,
        maximumRetryAttempts: args.maximumRetryAttempts,
        failureQueueArn: failureQueue.arn,
        tags,
      },
      // Lambda checks at creation that the role may read the stream and reach the queue.
      { parent: this, dependsOn: [execution.policy] },
    );

    const alarmTarget = { topicArn: args.alarmTopicArn, tags };
    const alarm = (suffix: string, alarmDescription: string, spec: AlarmSpec) =>
      createAlarm(`${name}-${suffix}`, { alarmDescription, ...spec }, alarmTarget, this);
    alarm(
      "iterator-age",
      "The transformer is more than 5 minutes behind the ingest stream.",
      iteratorAgeAlarm(transformer.name),
    );
    alarm(
      "errors",
      "The transformer failed invocations (batches are retried, then sent to the failure queue).",
      functionErrorsAlarm(transformer.name),
    );
    alarm(
      "failed-batches",
      "Batches exhausted their retries: their records are named in the failure queue.",
      queueBacklogAlarm(failureQueue.name),
    );

    const lineCount = (id: string, metricName: string) => ({
      id,
      returnData: false,
      metric: {
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensions: { [SERVICE_DIMENSION]: serviceName },
        stat: "Sum",
        period: 300,
      },
    });
    alarm(
      "rejected-lines",
      "Most lines the transformer reads are rejected (see access-errors/): has the nginx log format changed?",
      {
        metricQueries: [
          lineCount("parsed", PARSED_LINES_METRIC),
          lineCount("rejected", REJECTED_LINES_METRIC),
          {
            id: "share",
            label: "rejected / (parsed + rejected)",
            // A period with no lines has a share of 0, not a division by zero.
            expression: "IF((parsed + rejected) > 0, rejected / (parsed + rejected), 0)",
            returnData: true,
          },
        ],
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        threshold: args.rejectedShareAlarmThreshold ?? DEFAULTS.rejectedShareAlarmThreshold,
      },
    );

    const database = new aws.glue.CatalogDatabase(
      `${name}-database`,
      {
        name: args.glueDatabaseName ?? `${name.replace(/[^a-z0-9]/g, "_")}_logs`,
        description: "log-platform archive tables (Athena)",
        tags: { ...tags },
      },
      { parent: this },
    );
    const tableInputs = pulumi
      .output(args.archiveBucketName)
      .apply((bucket) => accessLogTableInputs(bucket, ARCHIVE_PREFIXES.access));
    const table = new aws.glue.CatalogTable(
      `${name}-table`,
      {
        databaseName: database.name,
        name: "nginx_access",
        description: "nginx access logs parsed by the access-log transformer, one JSON object per request",
        tableType: tableInputs.tableType,
        parameters: tableInputs.parameters,
        partitionKeys: tableInputs.partitionKeys,
        storageDescriptor: tableInputs.storageDescriptor,
      },
      { parent: this },
    );

    this.functionName = transformer.name;
    this.failureQueueUrl = failureQueue.url;
    this.glueDatabaseName = database.name;
    this.glueTableName = table.name;
    this.registerOutputs({
      functionName: this.functionName,
      failureQueueUrl: this.failureQueueUrl,
      glueDatabaseName: this.glueDatabaseName,
      glueTableName: this.glueTableName,
    });
  }
}
