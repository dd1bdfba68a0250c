import * as assert from "node:assert/strict";

import { violations } from "../../../policy/rules";
import type { ProgramRun } from "../../../test/lib/mocks";
import { asPolicyInputs, parseJsonInput, resourceNamed, runUnderMocks } from "../../../test/lib/mocks";
import { bundleLambdaCode } from "../../lib/bundle";
import { LOG_RETENTION_DAYS } from "../../lib/validation";
import {
  METRICS_NAMESPACE,
  PARSED_LINES_METRIC,
  REJECTED_LINES_METRIC,
  SERVICE_DIMENSION,
} from "../../../apps/access-log-transformer/src/metrics";
import { ENVIRONMENT_DEFAULTS } from "../../../stacks/settings-schema";
import type { AccessLogPipelineArgs } from "..";
import { AccessLogPipeline, accessLogPipelineArgProblems, accessLogTableInputs, TRANSFORMER_ENTRY } from "..";

const NO_CONFIG = { config: {}, secretKeys: [] };
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const STREAM = "arn:aws:kinesis:eu-west-1:123456789012:stream/ingest";
const BUCKET_ARN = "arn:aws:s3:::archive";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const tags = { Project: "log-platform", Environment: "test", ManagedBy: "pulumi" };
// The stack settings of dev, as stacks/platform.ts passes them: their defaults live in the settings schema only.
const DEV = ENVIRONMENT_DEFAULTS.dev;
const { sources: devSources, ...devTuning } = DEV.accessLogs;
const base: AccessLogPipelineArgs = {
  streamArn: STREAM,
  archiveBucketName: "archive",
  archiveBucketArn: BUCKET_ARN,
  kmsKeyArn: KEY,
  alarmTopicArn: TOPIC,
  accessLogSources: devSources,
  ...devTuning,
  logRetentionDays: DEV.logRetentionDays,
  tags,
};

describe("AccessLogPipeline (mocks)", () => {
  let run: ProgramRun<unknown>;
  before(async () => {
    run = await runUnderMocks(
      "test",
      NO_CONFIG,
      () => new AccessLogPipeline("acc", { ...base, batchSize: 1000, batchWindowSeconds: 10 }),
    );
  });

  it("maps the stream to the function with partial-batch reporting, bisection, bounded retries and a failure queue", () => {
    const mapping = resourceNamed(
      run.resources,
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "acc-from-stream",
    );
    assert.deepEqual(mapping.props, {
      eventSourceArn: STREAM,
      functionName: "arn:aws:lambda:eu-west-1:123456789012:acc-transformer",
      startingPosition: "TRIM_HORIZON",
      batchSize: 1000,
      maximumBatchingWindowInSeconds: 10,
      functionResponseTypes: ["ReportBatchItemFailures"],
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 5,
      destinationConfig: {
        onFailure: { destinationArn: "arn:aws:sqs:eu-west-1:123456789012:acc-failed-batches" },
      },
      tags,
    });
    assert.equal(
      resourceNamed(run.resources, "aws:sqs/queue:Queue", "acc-failed-batches").props.kmsMasterKeyId,
      KEY,
    );
  });

  it("runs the bundled transformer on nodejs24.x/arm64 with its prefixes and JSON logs to its own group", () => {
    const fn = resourceNamed(run.resources, "aws:lambda/function:Function", "acc-transformer");
    assert.equal(fn.props.runtime, "nodejs24.x");
    assert.deepEqual(fn.props.architectures, ["arm64"]);
    assert.equal(fn.props.handler, "index.handler");
    assert.deepEqual(fn.props.environment, {
      variables: {
        ARCHIVE_BUCKET: "archive",
        ACCESS_PREFIX: "access/",
        ERROR_PREFIX: "access-errors/",
        POWERTOOLS_SERVICE_NAME: "acc-transformer",
      },
    });
    assert.deepEqual(fn.props.loggingConfig, { logFormat: "JSON", logGroup: "acc-transformer-logs" });
    // Mocks see the archive only as a marker; its content is checked on the bundle itself below.
    assert.ok(
      typeof fn.props.code === "object" && fn.props.code !== null && "__pulumiArchive" in fn.props.code,
    );
    const source = bundleLambdaCode(TRANSFORMER_ENTRY);
    assert.match(source, /__export\(handler_exports, \{[^}]*\bhandler: \(\) => handler/);
    assert.match(source, /require\("@aws-sdk\/client-s3"\)/, "the SDK stays external (the runtime ships it)");
    assert.ok(!source.includes("eval("), "no eval in the bundled handler");
  });

  it("role: stream reads, PutObject on the two prefixes, the key, its logs and its queue — exact ARNs", () => {
    const policy = parseJsonInput(
      resourceNamed(run.resources, "aws:iam/rolePolicy:RolePolicy", "acc-transformer-role-policy").props
        .policy,
    );
    assert.deepEqual(
      policy.Statement.map((s) => [s.Sid, s.Action, s.Resource]),
      [
        [
          "ReadTheIngestStream",
          [
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:ListShards",
          ],
          STREAM,
        ],
        [
          "WriteParsedAndRejectedLines",
          "s3:PutObject",
          ["arn:aws:s3:::archive/access/*", "arn:aws:s3:::archive/access-errors/*"],
        ],
        ["UseTheArchiveKey", ["kms:GenerateDataKey", "kms:Decrypt"], KEY],
        [
          "WriteOwnLogs",
          ["logs:CreateLogStream", "logs:PutLogEvents"],
          "arn:aws:logs:eu-west-1:123456789012:log-group:acc-transformer-logs:log-stream:*",
        ],
        ["ReportFailedBatches", "sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:acc-failed-batches"],
        ["Tracing", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"],
      ],
    );
    const trust = parseJsonInput(
      resourceNamed(run.resources, "aws:iam/role:Role", "acc-transformer-role").props.assumeRolePolicy,
    );
    assert.deepEqual(trust.Statement, [
      { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
  });

  it("alarms on iterator age, errors and failed batches, to the topic", () => {
    const expected: Record<string, [string, string, number]> = {
      "acc-iterator-age": ["AWS/Lambda", "IteratorAge", 300000],
      "acc-errors": ["AWS/Lambda", "Errors", 1],
      "acc-failed-batches": ["AWS/SQS", "ApproximateNumberOfMessagesVisible", 1],
    };
    for (const [name, [namespace, metric, threshold]] of Object.entries(expected)) {
      const alarm = resourceNamed(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", name);
      assert.deepEqual(
        [alarm.props.namespace, alarm.props.metricName, alarm.props.threshold],
        [namespace, metric, threshold],
        name,
      );
      assert.deepEqual(alarm.props.alarmActions, [TOPIC]);
    }
  });

  it("alarms when the rejected share of lines stays high, from the transformer's own EMF metrics", () => {
    // Metric math in an alarm (MetricDataQuery, IF(condition, trueValue, falseValue)):
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
    const alarm = resourceNamed(
      run.resources,
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "acc-rejected-lines",
    );
    const metric = (metricName: string) => ({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensions: { [SERVICE_DIMENSION]: "acc-transformer" },
      stat: "Sum",
      period: 300,
    });
    assert.deepEqual(alarm.props.metricQueries, [
      { id: "parsed", returnData: false, metric: metric(PARSED_LINES_METRIC) },
      { id: "rejected", returnData: false, metric: metric(REJECTED_LINES_METRIC) },
      {
        id: "share",
        label: "rejected / (parsed + rejected)",
        expression: "IF((parsed + rejected) > 0, rejected / (parsed + rejected), 0)",
        returnData: true,
      },
    ]);
    assert.deepEqual(
      [
        alarm.props.evaluationPeriods,
        alarm.props.datapointsToAlarm,
        alarm.props.threshold,
        alarm.props.treatMissingData,
      ],
      [3, 3, 0.05, "notBreaching"],
    );
    assert.equal(alarm.props.comparisonOperator, "GreaterThanOrEqualToThreshold");
    assert.deepEqual(alarm.props.alarmActions, [TOPIC]);
    // The dimension the alarm reads is the service name the function is given.
    const fn = resourceNamed(run.resources, "aws:lambda/function:Function", "acc-transformer");
    assert.equal(
      (fn.props.environment as { variables: Record<string, string> }).variables.POWERTOOLS_SERVICE_NAME,
      "acc-transformer",
    );
    assert.deepEqual(accessLogPipelineArgProblems({ ...base, rejectedShareAlarmThreshold: 1.5 }).length, 1);
  });

  it("Glue table over access/ with JSON SerDe and hourly partition projection", () => {
    const table = resourceNamed(run.resources, "aws:glue/catalogTable:CatalogTable", "acc-table");
    assert.equal(table.props.databaseName, "acc_logs");
    assert.deepEqual(table.props.parameters, {
      classification: "json",
      compressionType: "gzip",
      "projection.enabled": "true",
      "projection.year.type": "integer",
      "projection.year.range": "2020,2099",
      "projection.month.type": "integer",
      "projection.month.range": "1,12",
      "projection.month.digits": "2",
      "projection.day.type": "integer",
      "projection.day.range": "1,31",
      "projection.day.digits": "2",
      "projection.hour.type": "integer",
      "projection.hour.range": "0,23",
      "projection.hour.digits": "2",
      "storage.location.template": "s3://archive/access/year=${year}/month=${month}/day=${day}/hour=${hour}/",
    });
    const storage = table.props.storageDescriptor as {
      location: string;
      serDeInfo: unknown;
      columns: { name: string }[];
    };
    assert.equal(storage.location, "s3://archive/access/");
    assert.deepEqual(storage.serDeInfo, { serializationLibrary: "org.openx.data.jsonserde.JsonSerDe" });
    assert.deepEqual(
      storage.columns.map((c) => c.name),
      [
        "remoteaddr",
        "remoteuser",
        "timelocal",
        "time",
        "method",
        "url",
        "protocol",
        "statuscode",
        "bytessent",
        "referrer",
        "useragent",
        "extra",
      ],
    );
  });

  it("passes every policy rule", () => {
    assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
  });

  it("tells the transformer which sources carry access logs, when given", async () => {
    const filtered = await runUnderMocks(
      "test",
      NO_CONFIG,
      () => new AccessLogPipeline("acc", { ...base, accessLogSources: ["nginx", "edge"] }),
    );
    const fn = resourceNamed(filtered.resources, "aws:lambda/function:Function", "acc-transformer");
    assert.equal(
      (fn.props.environment as { variables: Record<string, string> }).variables.ACCESS_LOG_SOURCES,
      "nginx,edge",
    );
    assert.deepEqual(accessLogPipelineArgProblems({ ...base, accessLogSources: ["Bad Name"] }), [
      'accessLogSources: "Bad Name" is not a token name',
    ]);
  });

  it("lists every invalid argument", () => {
    assert.deepEqual(
      accessLogPipelineArgProblems({
        ...base,
        batchSize: 0,
        timeoutSeconds: 901,
        logRetentionDays: 13,
        glueDatabaseName: "Bad-Name",
      }),
      [
        "batchSize must be 1–10000 (got 0)",
        "timeoutSeconds must be 1–900 (got 901)",
        `logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(", ")} (got 13)`,
        'glueDatabaseName must be lowercase letters, digits and underscores (got "Bad-Name")',
      ],
    );
    assert.deepEqual(accessLogPipelineArgProblems(base), []);
    assert.equal(accessLogTableInputs("b", "access/").storageDescriptor.location, "s3://b/access/");
  });
});
