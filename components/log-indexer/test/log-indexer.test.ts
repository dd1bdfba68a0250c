import * as assert from "node:assert/strict";

import { violations } from "../../../policy/rules";
import type { ProgramRun } from "../../../test/lib/mocks";
import { asPolicyInputs, parseJsonInput, resourceNamed, runUnderMocks } from "../../../test/lib/mocks";
import { bundleLambdaCode } from "../../lib/bundle";
import { DEFAULT_V2_FORMAT } from "../../flow-log-monitor";
import { ENVIRONMENT_DEFAULTS } from "../../../stacks/settings-schema";
import type { LogIndexerArgs, LogIndexerFindingsArgs, LogIndexerLogsArgs, LogIndexerPart } from "..";
import {
  LOG_INDEXER_ENTRIES,
  LOG_INDEXER_WRITERS,
  LogIndexer,
  findingProducts,
  logIndexerArgProblems,
} from "..";

const NO_CONFIG = { config: {}, secretKeys: [] };
const ACCOUNT = "123456789012";
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/k`;
const STREAM = `arn:aws:kinesis:eu-west-1:${ACCOUNT}:stream/ingest`;
const BUCKET_ARN = "arn:aws:s3:::archive";
const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:alerts`;
const DOMAIN = `arn:aws:es:eu-west-1:${ACCOUNT}:domain/search`;
const FLOW_GROUP = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/vpc/flow`;
const tags = { Project: "log-platform", Environment: "test", ManagedBy: "pulumi" };
const sqs = (name: string) => `arn:aws:sqs:eu-west-1:${ACCOUNT}:${name}`;
const lambda = (name: string) => `arn:aws:lambda:eu-west-1:${ACCOUNT}:${name}`;
const logStreams = (group: string) => `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:${group}:log-stream:*`;

// The stack settings of dev, as stacks/platform.ts passes them: their defaults live in the settings schema only.
const DEV = ENVIRONMENT_DEFAULTS.dev;
const { enabled: _logsOn, ...devLogs } = DEV.search.logs;
const { enabled: _findingsOn, ...devFindings } = DEV.search.findings;
const logsArgs = (overrides: Partial<LogIndexerLogsArgs> = {}): LogIndexerLogsArgs => ({
  streamArn: STREAM,
  accessLogSources: DEV.accessLogs.sources,
  ...devLogs,
  ...overrides,
});
const findingsArgs = (overrides: Partial<LogIndexerFindingsArgs> = {}): LogIndexerFindingsArgs => ({
  ...devFindings,
  ...overrides,
});
const flowLogsArgs = { logGroupName: "/vpc/flow", logGroupArn: FLOW_GROUP, logFormat: DEFAULT_V2_FORMAT };

const base: LogIndexerArgs = {
  archiveBucketName: "archive",
  archiveBucketArn: BUCKET_ARN,
  kmsKeyArn: KEY,
  alarmTopicArn: TOPIC,
  openSearch: { endpoint: "search.example", domainArn: DOMAIN, indexReplicas: 0 },
  // Batching other than dev's, so that the mapping shows the given values, not a default.
  logs: logsArgs({ accessLogSources: ["nginx"], batchSize: 1000, batchWindowSeconds: 10 }),
  flowLogs: { ...flowLogsArgs, retentionDays: DEV.search.flowLogs.retentionDays },
  findings: findingsArgs({ alertSeverity: "CRITICAL", guardDuty: "create", securityHub: "existing" }),
  logRetentionDays: DEV.logRetentionDays,
  tags,
};

type Statement = { Sid: string; Action: unknown; Resource: unknown; Condition?: unknown };
function statementsOf(run: ProgramRun<unknown>, role: string): [string, unknown, unknown][] {
  const policy = parseJsonInput<{ Statement: Statement[] }>(
    resourceNamed(run.resources, "aws:iam/rolePolicy:RolePolicy", `${role}-policy`).props.policy,
  );
  return policy.Statement.map((s) => [s.Sid, s.Action, s.Resource]);
}

const KEY_STATEMENT = ["UseTheArchiveKey", ["kms:Decrypt", "kms:GenerateDataKey"], KEY];
const DOMAIN_STATEMENT = [
  "IndexIntoTheDomain",
  ["es:ESHttpGet", "es:ESHttpPost", "es:ESHttpPut"],
  `${DOMAIN}/*`,
];
const TRACING = ["Tracing", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"];

describe("LogIndexer (mocks)", () => {
  let run: ProgramRun<{ roleArns: Partial<Record<LogIndexerPart, string>> }>;
  before(async () => {
    run = await runUnderMocks("test", NO_CONFIG, () => ({ roleArns: new LogIndexer("ix", base).roleArns }));
  });

  it("every resource passes every policy rule", () => {
    assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
  });

  describe("ingest stream → logs-*/access-*", () => {
    it("maps the stream with TRIM_HORIZON, partial-batch reporting, bisection, bounded retries and a KMS failure queue", () => {
      const mapping = resourceNamed(
        run.resources,
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "ix-logs-from-stream",
      );
      assert.deepEqual(mapping.props, {
        eventSourceArn: STREAM,
        functionName: lambda("ix-logs"),
        startingPosition: "TRIM_HORIZON",
        batchSize: 1000,
        maximumBatchingWindowInSeconds: 10,
        functionResponseTypes: ["ReportBatchItemFailures"],
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 5,
        destinationConfig: { onFailure: { destinationArn: sqs("ix-logs-failed-batches") } },
        tags,
      });
      assert.equal(
        resourceNamed(run.resources, "aws:sqs/queue:Queue", "ix-logs-failed-batches").props.kmsMasterKeyId,
        KEY,
      );
    });

    it("runs the bundled handler with the contract's environment", () => {
      const fn = resourceNamed(run.resources, "aws:lambda/function:Function", "ix-logs");
      assert.equal(fn.props.runtime, "nodejs24.x");
      assert.deepEqual(fn.props.environment, {
        variables: {
          ARCHIVE_BUCKET: "archive",
          FAILED_PREFIX: "logs-failed/",
          POWERTOOLS_SERVICE_NAME: "ix-logs",
          POWERTOOLS_METRICS_NAMESPACE: "LogPlatform/Search",
          OPENSEARCH_ENDPOINT: "search.example",
          INDEX_REPLICAS: "0",
          LOGS_RETENTION_DAYS: "14",
          ACCESS_RETENTION_DAYS: "14",
          MAX_FIELDS: "200",
          ACCESS_LOG_SOURCES: "nginx",
        },
      });
      assert.deepEqual(fn.props.loggingConfig, { logFormat: "JSON", logGroup: "ix-logs-logs" });
    });

    it("role: the stream, logs-failed/ only, the key, the domain, its logs and its queue — exact ARNs", () => {
      assert.deepEqual(statementsOf(run, "ix-logs-role"), [
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
        ["WriteRefusedDocuments", "s3:PutObject", [`${BUCKET_ARN}/logs-failed/*`]],
        KEY_STATEMENT,
        DOMAIN_STATEMENT,
        ["WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], logStreams("ix-logs-logs")],
        TRACING,
        ["ReportFailedBatches", "sqs:SendMessage", sqs("ix-logs-failed-batches")],
      ]);
    });

    it("alarms on iterator age, errors and failed batches, to the topic", () => {
      for (const [name, metric] of [
        ["ix-logs-iterator-age", "IteratorAge"],
        ["ix-logs-errors", "Errors"],
        ["ix-logs-failed-batches", "ApproximateNumberOfMessagesVisible"],
      ] as const) {
        const alarm = resourceNamed(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", name);
        assert.equal(alarm.props.metricName, metric);
        assert.deepEqual(alarm.props.alarmActions, [TOPIC]);
      }
    });
  });

  describe("flow-log group → vpcflow-*", () => {
    it("subscribes the function to the whole group, after CloudWatch Logs may invoke it", () => {
      const filter = resourceNamed(
        run.resources,
        "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
        "ix-flow-subscription",
      );
      assert.deepEqual(filter.props, {
        logGroup: "/vpc/flow",
        filterPattern: "",
        destinationArn: lambda("ix-flow"),
      });
      // "Using subscription filters with Lambda": the group's ARN with `:*`, and the account.
      const permission = resourceNamed(run.resources, "aws:lambda/permission:Permission", "ix-flow-invoke");
      assert.deepEqual(permission.props, {
        action: "lambda:InvokeFunction",
        function: "ix-flow",
        principal: "logs.amazonaws.com",
        sourceArn: `${FLOW_GROUP}:*`,
        sourceAccount: ACCOUNT,
      });
    });

    it("async failures go to a KMS queue after two retries; the format is the flow log's", () => {
      const config = resourceNamed(
        run.resources,
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        "ix-flow-async",
      );
      assert.deepEqual(config.props, {
        functionName: "ix-flow",
        maximumRetryAttempts: 2,
        destinationConfig: { onFailure: { destination: sqs("ix-flow-failed-events") } },
      });
      const fn = resourceNamed(run.resources, "aws:lambda/function:Function", "ix-flow");
      const variables = (fn.props.environment as { variables: Record<string, string> }).variables;
      assert.equal(variables.FLOW_LOG_FORMAT, DEFAULT_V2_FORMAT);
      assert.equal(variables.FAILED_PREFIX, "vpcflow-failed/");
      assert.equal(variables.RETENTION_DAYS, "14");
    });

    it("role: vpcflow-failed/ only, the key, the domain, its logs and its failure queue", () => {
      assert.deepEqual(statementsOf(run, "ix-flow-role"), [
        ["WriteRefusedDocuments", "s3:PutObject", [`${BUCKET_ARN}/vpcflow-failed/*`]],
        KEY_STATEMENT,
        DOMAIN_STATEMENT,
        ["WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], logStreams("ix-flow-logs")],
        TRACING,
        ["ReportFailedEvents", "sqs:SendMessage", sqs("ix-flow-failed-events")],
      ]);
    });
  });

  describe("findings → findings-*", () => {
    it("creates the GuardDuty detector (create) but no Security Hub account (existing)", () => {
      const detector = resourceNamed(run.resources, "aws:guardduty/detector:Detector", "ix-guardduty");
      assert.equal(detector.props.enable, true);
      assert.equal(detector.props.findingPublishingFrequency, "FIFTEEN_MINUTES");
      assert.equal(run.resources.filter((r) => r.type === "aws:securityhub/account:Account").length, 0);
    });

    it("routes both products' finding events to the queue", () => {
      const pattern = (name: string) =>
        JSON.parse(
          resourceNamed(run.resources, "aws:cloudwatch/eventRule:EventRule", name).props
            .eventPattern as string,
        ) as unknown;
      assert.deepEqual(pattern("ix-guardduty-findings"), {
        source: ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
      });
      assert.deepEqual(pattern("ix-securityhub-findings"), {
        source: ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
      });
      for (const product of ["guardduty", "securityhub"]) {
        const target = resourceNamed(
          run.resources,
          "aws:cloudwatch/eventTarget:EventTarget",
          `ix-${product}-to-queue`,
        );
        assert.equal(target.props.arn, sqs("ix-findings"));
      }
    });

    it("the queue: KMS, a DLQ after 5 receives, and only the two rules may send", () => {
      const queue = resourceNamed(run.resources, "aws:sqs/queue:Queue", "ix-findings");
      assert.equal(queue.props.kmsMasterKeyId, KEY);
      assert.equal(queue.props.visibilityTimeoutSeconds, 360);
      assert.deepEqual(JSON.parse(queue.props.redrivePolicy as string), {
        deadLetterTargetArn: sqs("ix-findings-dlq"),
        maxReceiveCount: 5,
      });
      const policy = parseJsonInput<{ Statement: (Statement & { Principal?: unknown })[] }>(
        resourceNamed(run.resources, "aws:sqs/queuePolicy:QueuePolicy", "ix-findings-policy").props.policy,
      );
      const grant = policy.Statement.find((s) => s.Sid === "FromTheFindingRules");
      assert.deepEqual(grant, {
        Sid: "FromTheFindingRules",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: sqs("ix-findings"),
        Condition: {
          ArnEquals: {
            "aws:SourceArn": [
              `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:ix-guardduty-findings`,
              `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:ix-securityhub-findings`,
            ],
          },
        },
      });
    });

    it("consumes the queue with partial-batch reporting; alerts from the configured severity", () => {
      const mapping = resourceNamed(
        run.resources,
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "ix-findings-from-queue",
      );
      assert.deepEqual(mapping.props, {
        eventSourceArn: sqs("ix-findings"),
        functionName: lambda("ix-findings"),
        batchSize: 10,
        functionResponseTypes: ["ReportBatchItemFailures"],
        tags,
      });
      const fn = resourceNamed(run.resources, "aws:lambda/function:Function", "ix-findings");
      const variables = (fn.props.environment as { variables: Record<string, string> }).variables;
      assert.equal(variables.ALERT_SEVERITY, "CRITICAL");
      // Both rules exist in this run: Security Hub's copies of GuardDuty findings must not alert twice.
      assert.equal(variables.GUARDDUTY_DIRECT, "true");
      assert.equal(variables.ALERT_TOPIC_ARN, TOPIC);
      assert.equal(variables.RETENTION_DAYS, "30");
    });

    it("role: its queue, findings-failed/ only, the key, the domain, its logs, and sns:Publish on the alert topic only", () => {
      assert.deepEqual(statementsOf(run, "ix-findings-role"), [
        [
          "ConsumeTheQueue",
          ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
          sqs("ix-findings"),
        ],
        ["WriteRefusedDocuments", "s3:PutObject", [`${BUCKET_ARN}/findings-failed/*`]],
        KEY_STATEMENT,
        DOMAIN_STATEMENT,
        ["WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], logStreams("ix-findings-logs")],
        TRACING,
        ["AlertOnSevereFindings", "sns:Publish", TOPIC],
      ]);
    });
  });

  it("exposes each part's role for the domain's writer mapping", () => {
    assert.deepEqual(run.outputs.roleArns, {
      logs: `arn:aws:iam::${ACCOUNT}:role/ix-logs-role`,
      flowLogs: `arn:aws:iam::${ACCOUNT}:role/ix-flow-role`,
      findings: `arn:aws:iam::${ACCOUNT}:role/ix-findings-role`,
    });
  });

  it("each part writes exactly its families' patterns, none shared with another part", () => {
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(LOG_INDEXER_WRITERS).map(([part, w]) => [part, [w.role, w.indexPatterns]]),
      ),
      {
        logs: ["logs_writer", ["logs-*", "access-*"]],
        flowLogs: ["vpcflow_writer", ["vpcflow-*"]],
        findings: ["findings_writer", ["findings-*"]],
      },
    );
  });

  it("each entry bundles into a handler module with the SDK external", () => {
    for (const entry of Object.values(LOG_INDEXER_ENTRIES)) {
      const source = bundleLambdaCode(entry);
      assert.match(source, /\bhandler: \(\) => handler/, entry);
    }
  });
});

describe("LogIndexer parts (mocks)", () => {
  it("without a domain: no es: grant, and the preview prefix may be written", async () => {
    const { openSearch: _omitted, ...noDomain } = base;
    const run = await runUnderMocks(
      "test",
      NO_CONFIG,
      () => new LogIndexer("pv", { ...noDomain, flowLogs: undefined, findings: undefined }),
    );
    const statements = statementsOf(run, "pv-logs-role");
    assert.ok(!statements.some(([sid]) => sid === "IndexIntoTheDomain"));
    assert.deepEqual(
      statements.find(([sid]) => sid === "WriteRefusedDocuments"),
      [
        "WriteRefusedDocuments",
        "s3:PutObject",
        [`${BUCKET_ARN}/logs-failed/*`, `${BUCKET_ARN}/opensearch-preview/*`],
      ],
    );
    const fn = resourceNamed(run.resources, "aws:lambda/function:Function", "pv-logs");
    const variables = (fn.props.environment as { variables: Record<string, string> }).variables;
    assert.equal(variables.OPENSEARCH_ENDPOINT, undefined);
  });

  it("each part's own log group keeps its logs the given days, with the archive key", async () => {
    const run = await runUnderMocks(
      "test",
      NO_CONFIG,
      () => new LogIndexer("rt", { ...base, logRetentionDays: 90 }),
    );
    const groups = run.resources.filter((r) => r.type === "aws:cloudwatch/logGroup:LogGroup");
    assert.deepEqual(
      groups.map((g) => [g.name, g.inputs.retentionInDays, g.inputs.kmsKeyId]),
      ["logs", "flow", "findings"].map((part) => [`rt-${part}-logs`, 90, KEY]),
    );
  });

  it("findings with both products off: no rule, no queue, no function", async () => {
    const run = await runUnderMocks("test", NO_CONFIG, () => ({
      roleArns: new LogIndexer("off", {
        ...base,
        logs: undefined,
        flowLogs: undefined,
        findings: findingsArgs({ guardDuty: "off", securityHub: "off" }),
      }).roleArns,
    }));
    assert.deepEqual(
      run.resources.filter((r) => r.custom).map((r) => r.type),
      [],
    );
    assert.deepEqual(run.outputs.roleArns, {});
  });
});

describe("LogIndexer (pure)", () => {
  it("findingProducts: every product not off", () => {
    assert.deepEqual(findingProducts({ guardDuty: "existing", securityHub: "existing" }), [
      "guardduty",
      "securityhub",
    ]);
    assert.deepEqual(findingProducts({ guardDuty: "off", securityHub: "create" }), ["securityhub"]);
    assert.deepEqual(findingProducts({ guardDuty: "create", securityHub: "off" }), ["guardduty"]);
  });

  it("lists every out-of-range setting at once", () => {
    const problems = logIndexerArgProblems({
      ...base,
      logRetentionDays: 13,
      logs: logsArgs({ batchSize: 0, maxFields: 5, timeoutSeconds: 901, accessRetentionDays: 3651 }),
      flowLogs: { ...flowLogsArgs, logGroupName: "g", logFormat: " ", retentionDays: 0 },
      findings: findingsArgs({
        retentionDays: 0,
        alertSeverity: "high" as LogIndexerFindingsArgs["alertSeverity"],
        securityHub: "on" as LogIndexerFindingsArgs["securityHub"],
      }),
    });
    const keys = [
      "logRetentionDays",
      "logs.batchSize",
      "logs.maxFields",
      "logs.timeoutSeconds",
      "logs.accessRetentionDays",
      "flowLogs.logFormat",
      "flowLogs.retentionDays",
      "findings.retentionDays",
      "findings.alertSeverity",
      "findings.securityHub",
    ];
    assert.equal(problems.length, keys.length, problems.join("; "));
    for (const key of keys) {
      assert.ok(
        problems.some((p) => p.includes(key)),
        `${key}: ${problems.join("; ")}`,
      );
    }
    assert.deepEqual(logIndexerArgProblems(base), []);
  });
});
