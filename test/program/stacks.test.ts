import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { violations } from "../../policy/rules";
import type { ProgramRun } from "../lib/mocks";
import {
  asPolicyInputs,
  containsSecret,
  resourceNamed,
  runUnderMocks,
  unwrapSecrets,
  parseJsonInput,
} from "../lib/mocks";
import { offlineStackConfig } from "../lib/stack-config";
import { selfSignedCertificate } from "../lib/test-certificate";
import type { AgentConfigs } from "../../components/log-receiver-cluster";
import { CA_CERTIFICATE_OUTPUT } from "../../components/log-receiver-cluster";
import { FAILED_PREFIXES, PREVIEW_PREFIX } from "../../components/log-indexer";

/** Stack outputs, and the names of those marked secret (read before resolution drops the marks). */
type StackRun = ProgramRun<{ outputs: Record<string, unknown>; secretOutputs: string[] }>;

/** Runs the real program (settings → platform) for a stack, as the engine would. */
async function runStack(stack: string, config = offlineStackConfig(stack)): Promise<StackRun> {
  return runUnderMocks(stack, config, async () => {
    const { buildPlatform } = await import("../../stacks/platform");
    const { loadSettings } = await import("../../stacks/settings");
    const outputs: Record<string, unknown> = { ...buildPlatform(loadSettings()) };
    const secretOutputs: string[] = [];
    for (const [key, value] of Object.entries(outputs)) {
      if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secretOutputs.push(key);
    }
    return { outputs, secretOutputs };
  });
}

describe("the program, per stack (mocks, real Pulumi.<stack>.yaml)", () => {
  const runs: Record<string, StackRun> = {};
  before(async () => {
    runs.dev = await runStack("dev");
    runs.prod = await runStack("prod");
  });

  for (const stack of ["dev", "prod"]) {
    it(`${stack}: every resource passes every policy rule`, () => {
      const resources = runs[stack]!.resources;
      assert.ok(resources.length > 15, `only ${resources.length} resources`);
      assert.deepEqual(violations(asPolicyInputs(resources)), []);
    });

    it(`${stack}: stack outputs hold nothing secret`, () => {
      const { outputs, secretOutputs } = runs[stack]!.outputs;
      assert.deepEqual(
        Object.keys(outputs).sort(),
        [
          "accessLogBucketName",
          "accessLogTable",
          "agentConfigs",
          "alertTopicArn",
          "archiveBucketName",
          "archiveKeyArn",
          "cloudTrailBucketName",
          "environment",
          "flowLogGroupName",
          "ingestStreamName",
          "openSearchEndpoint",
          "openSearchMasterUserSecretArn",
          "prometheusRemoteWriteUrl",
          // dev's self-signed certificate (public), for agents to trust; prod imports a CA-issued one.
          ...(stack === "dev" ? [CA_CERTIFICATE_OUTPUT] : []),
          "receiverEndpoint",
          "receiverLoadBalancerDnsName",
          "receiverTokensSecretArn",
        ].sort(),
      );
      assert.deepEqual(secretOutputs, [], "no stack output may be secret (secrets stay in Secrets Manager)");
      assert.equal(outputs.environment, stack);
    });

    it(`${stack}: Amazon Managed Grafana is an explicit opt-in (no workspace by default)`, () => {
      // An AMG workspace with AWS_SSO fails to create in an account without IAM
      // Identity Center, so neither stack file turns it on.
      const types = new Set(runs[stack]!.resources.map((r) => r.type));
      assert.ok(types.has("aws:opensearch/domain:Domain"), "the observability stack itself is deployed");
      assert.equal(types.has("aws:grafana/workspace:Workspace"), false);
    });
  }

  it("dev: disposable data stores and no e-mail subscriptions (none configured)", () => {
    const bucket = resourceNamed(runs.dev!.resources, "aws:s3/bucket:Bucket", "lp-dev-archive-bucket");
    assert.equal(bucket.props.forceDestroy, true);
    assert.deepEqual(bucket.options, { protect: false, retainOnDelete: false });
    assert.deepEqual(bucket.props.tags, {
      CostCenter: "platform-dev",
      Project: "log-platform",
      Environment: "dev",
      ManagedBy: "pulumi",
    });
    assert.equal(
      resourceNamed(runs.dev!.resources, "aws:kms/key:Key", "lp-dev-archive-key").props.deletionWindowInDays,
      7,
    );
    const emailSubscriptions = runs.dev!.resources.filter(
      (r) =>
        r.type === "aws:sns/topicSubscription:TopicSubscription" &&
        unwrapSecrets<Record<string, unknown>>(r.inputs).protocol === "email",
    );
    assert.equal(emailSubscriptions.length, 0);
  });

  it("archive: every prefix the log indexer writes expires, in both stacks", () => {
    const expiry = (stack: string) => {
      const lifecycle = resourceNamed(
        runs[stack]!.resources,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        `lp-${stack}-archive-bucket-lifecycle`,
      );
      const rules = lifecycle.props.rules as { filter: { prefix?: string }; expiration: { days?: number } }[];
      return [...Object.values(FAILED_PREFIXES), PREVIEW_PREFIX].map((prefix) => [
        prefix,
        rules.find((rule) => rule.filter.prefix === prefix)?.expiration.days,
      ]);
    };
    assert.deepEqual(expiry("dev"), [
      ["logs-failed/", 14],
      ["vpcflow-failed/", 14],
      ["findings-failed/", 14],
      ["opensearch-preview/", 7],
    ]);
    assert.deepEqual(expiry("prod"), [
      ["logs-failed/", 90],
      ["vpcflow-failed/", 90],
      ["findings-failed/", 365],
      ["opensearch-preview/", 14],
    ]);
  });

  it("prod: protected, retained data stores, long lifecycle, and the alert address subscribed as a secret", () => {
    for (const [type, name] of [
      ["aws:kms/key:Key", "lp-prod-archive-key"],
      ["aws:s3/bucket:Bucket", "lp-prod-archive-bucket"],
      ["aws:s3/bucket:Bucket", "lp-prod-archive-access-logs"],
    ] as const) {
      assert.deepEqual(
        resourceNamed(runs.prod!.resources, type, name).options,
        { protect: true, retainOnDelete: true },
        name,
      );
    }
    const lifecycle = resourceNamed(
      runs.prod!.resources,
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "lp-prod-archive-bucket-lifecycle",
    );
    const raw = (lifecycle.props.rules as { id: string }[]).find((r) => r.id === "expire-raw");
    assert.deepEqual(raw, {
      id: "expire-raw",
      status: "Enabled",
      filter: { prefix: "raw/" },
      expiration: { days: 400 },
      transitions: [
        { days: 30, storageClass: "STANDARD_IA" },
        { days: 90, storageClass: "GLACIER_IR" },
      ],
    });
    const subscription = runs.prod!.resources.find(
      (r) => r.type === "aws:sns/topicSubscription:TopicSubscription",
    );
    assert.ok(subscription !== undefined);
    assert.ok(containsSecret(subscription.inputs.endpoint));
    const topic = resourceNamed(runs.prod!.resources, "aws:sns/topic:Topic", "lp-prod-alerting-topic");
    assert.equal(topic.props.kmsMasterKeyId, "arn:aws:kms:eu-west-1:123456789012:key/lp-prod-archive-key-id");
  });

  for (const stack of ["dev", "prod"]) {
    it(`${stack}: the ping-deny alarm keeps the source's names, prefixed, on its own topic that e-mails the alert addresses`, () => {
      const resources = runs[stack]!.resources;
      const alarm = resourceNamed(
        resources,
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        `lp-${stack}-flow-logs-alarm-ping-deny`,
      );
      const topic = resourceNamed(resources, "aws:sns/topic:Topic", `lp-${stack}-flow-logs-alerting-topic`);
      assert.equal(alarm.props.name, `lp-${stack}-CloudWatch-Alarm-Ping-Deny`);
      assert.equal(topic.props.name, `lp-${stack}-CloudWatch-Alarms-Ping-Deny`);
      const topicArn = `arn:aws:sns:eu-west-1:123456789012:lp-${stack}-CloudWatch-Alarms-Ping-Deny`;
      assert.deepEqual(alarm.props.alarmActions, [topicArn]);
      const emails = resources
        .filter((r) => r.type === "aws:sns/topicSubscription:TopicSubscription")
        .map((r) => unwrapSecrets<Record<string, unknown>>(r.inputs))
        .filter((props) => props.topic === topicArn)
        .map((props) => [props.protocol, props.endpoint]);
      // prod's offline config carries one placeholder address; dev has none.
      assert.deepEqual(emails.length, stack === "prod" ? 1 : 0);
      for (const [protocol] of emails) assert.equal(protocol, "email");
    });
  }

  it("prod: the receiver runs 2..8 tasks from the stack file, behind the imported certificate, on the ingest stream", () => {
    const resources = runs.prod!.resources;
    const scaling = resourceNamed(resources, "aws:appautoscaling/target:Target", "lp-prod-receiver-scaling");
    assert.deepEqual([scaling.props.minCapacity, scaling.props.maxCapacity], [2, 8]);
    assert.equal(resources.filter((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert").length, 0);
    const policy = parseJsonInput(
      resourceNamed(resources, "aws:iam/rolePolicy:RolePolicy", "lp-prod-receiver-task-policy").props.policy,
    );
    assert.equal(
      policy.Statement[0]?.Resource,
      "arn:aws:kinesis:eu-west-1:123456789012:stream/lp-prod-ingest-stream",
    );
    assert.deepEqual(resourceNamed(resources, "awsx:ec2:Vpc", "lp-prod-receiver-vpc").props.natGateways, {
      strategy: "OnePerAz",
    });
  });

  it("prod: the endpoint is receiver.domainName, an A alias to the NLB in its zone, in the endpoint and every agent config", () => {
    // https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html (EvaluateTargetHealth
    // on an NLB alias: Route 53 follows the health of its target groups)
    const record = resourceNamed(runs.prod!.resources, "aws:route53/record:Record", "lp-prod-receiver-dns");
    assert.deepEqual(record.props, {
      zoneId: "Z0123456789EXAMPLE",
      name: "logs.example.com",
      type: "A",
      aliases: [
        {
          name: "lp-prod-receiver-nlb-0123456789.elb.eu-west-1.amazonaws.com",
          zoneId: "Z2IFOLAFXWLO4F",
          evaluateTargetHealth: true,
        },
      ],
    });
    const { outputs } = runs.prod!.outputs;
    assert.equal(outputs.receiverEndpoint, "https://logs.example.com/v1/logs");
    const configs = outputs.agentConfigs as AgentConfigs;
    assert.match(configs.logSender, /--url https:\/\/logs\.example\.com\/v1\/logs /);
    assert.match(configs.fluentBit, /^ {4}Host {9}logs\.example\.com$/m);
    assert.match(configs.fluentd, /https:\/\/logs\.example\.com/);
    for (const config of [configs.logSender, configs.fluentBit, configs.fluentd])
      assert.ok(!config.includes(".elb."), config);
    // dev has no domainName in its stack file: the self-signed certificate names the NLB.
    assert.equal(
      runs.dev!.resources.filter((r) => r.type === "aws:route53/record:Record").length,
      0,
      "no zone, no record",
    );
    assert.match(
      String(runs.dev!.outputs.outputs.receiverEndpoint),
      /^https:\/\/lp-dev-receiver-nlb-0123456789\.elb\.eu-west-1\.amazonaws\.com\/v1\/logs$/,
    );
    assert.match((runs.dev!.outputs.outputs.agentConfigs as AgentConfigs).logSender, / --ca /);
  });

  it("dev: a self-signed certificate and a generated token, one NAT gateway", () => {
    const resources = runs.dev!.resources;
    assert.equal(resources.filter((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert").length, 1);
    assert.ok(
      resources.some(
        (r) =>
          r.type === "random:index/randomPassword:RandomPassword" &&
          r.name === "lp-dev-receiver-generated-token",
      ),
      "a generated ingest token",
    );
    assert.deepEqual(resourceNamed(resources, "awsx:ec2:Vpc", "lp-dev-receiver-vpc").props.natGateways, {
      strategy: "Single",
    });
  });

  it("both: flow logs of the receiver VPC; flow-log alarms other than ping-deny on the platform topic", () => {
    for (const stack of ["dev", "prod"]) {
      const resources = runs[stack]!.resources;
      const flowLog = resources.find((r) => r.type === "aws:ec2/flowLog:FlowLog")!;
      assert.equal(
        unwrapSecrets<Record<string, unknown>>(flowLog.inputs).vpcId,
        `lp-${stack}-receiver-vpc-vpc-id`,
      );
      const ssh = resourceNamed(
        resources,
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        `lp-${stack}-flow-logs-alarm-ssh-probes`,
      );
      assert.deepEqual(ssh.props.alarmActions, [
        `arn:aws:sns:eu-west-1:123456789012:lp-${stack}-alerting-topic`,
      ]);
    }
  });

  it("observability: prod OpenSearch is zone-aware with dedicated masters, dev is one node; the indexer writes to it", () => {
    const prodDomain = resourceNamed(
      runs.prod!.resources,
      "aws:opensearch/domain:Domain",
      "lp-prod-obs-domain",
    );
    const prodCluster = prodDomain.props.clusterConfig as Record<string, unknown>;
    assert.deepEqual(
      [prodCluster.instanceCount, prodCluster.zoneAwarenessEnabled, prodCluster.dedicatedMasterEnabled],
      [3, true, true],
    );
    const devDomain = resourceNamed(runs.dev!.resources, "aws:opensearch/domain:Domain", "lp-dev-obs-domain");
    const devCluster = devDomain.props.clusterConfig as Record<string, unknown>;
    assert.deepEqual([devCluster.instanceCount, devCluster.zoneAwarenessEnabled], [1, false]);
    assert.deepEqual(
      (devDomain.props.advancedSecurityOptions as { masterUserOptions: unknown }).masterUserOptions,
      { masterUserArn: "arn:aws:iam::123456789012:role/lp-dev-obs-opensearch-bootstrap-role" },
      "the FGAC master is the bootstrap Lambda's role, no password in the domain",
    );
    const devSecretValue = resourceNamed(
      runs.dev!.resources,
      "aws:secretsmanager/secretVersion:SecretVersion",
      "lp-dev-obs-master-user-value",
    );
    assert.ok(containsSecret(devSecretValue.inputs.secretString), "the admin password stays secret");
    for (const stack of ["dev", "prod"]) {
      const indexer = resourceNamed(
        runs[stack]!.resources,
        "aws:lambda/function:Function",
        `lp-${stack}-cloudtrail-indexer`,
      );
      const env = (indexer.props.environment as { variables: Record<string, string> }).variables;
      assert.match(
        env.OPENSEARCH_ENDPOINT ?? "",
        /lp-\w+-obs/,
        `${stack}: the indexer targets the platform's domain`,
      );
      const access = parseJsonInput(
        resourceNamed(runs[stack]!.resources, "aws:opensearch/domain:Domain", `lp-${stack}-obs-domain`).props
          .accessPolicies,
      );
      assert.ok(
        JSON.stringify(access).includes(`lp-${stack}-cloudtrail-indexer-role`),
        `${stack}: the domain lets the indexer role in`,
      );
      const bootstrap = resourceNamed(
        runs[stack]!.resources,
        "aws:lambda/invocation:Invocation",
        `lp-${stack}-obs-opensearch-bootstrap`,
      );
      const role = (name: string) => `arn:aws:iam::123456789012:role/lp-${stack}-${name}-role`;
      assert.deepEqual(
        JSON.parse(bootstrap.props.input as string),
        {
          // Each indexer on its own OpenSearch role, on exactly the families it writes.
          writers: [
            {
              role: "cloudtrail_writer",
              roleArns: [role("cloudtrail-indexer")],
              indexPatterns: ["cloudtrail-*"],
            },
            { role: "logs_writer", roleArns: [role("search-logs")], indexPatterns: ["logs-*", "access-*"] },
            { role: "vpcflow_writer", roleArns: [role("search-flow")], indexPatterns: ["vpcflow-*"] },
            { role: "findings_writer", roleArns: [role("search-findings")], indexPatterns: ["findings-*"] },
          ],
          readerRoleArns: [],
        },
        `${stack}: the bootstrap maps every indexer role in fine-grained access control`,
      );
      const writers = (
        access as { Statement: { Sid: string; Principal?: { AWS?: string[] } }[] }
      ).Statement.find((statement) => statement.Sid === "Writers");
      assert.deepEqual(
        writers?.Principal?.AWS,
        ["cloudtrail-indexer", "search-logs", "search-flow", "search-findings"].map(role),
        `${stack}: every indexer role may sign requests to the domain`,
      );
    }
  });

  it("observability: the receiver task ships its metrics to the platform's AMP workspace", () => {
    const task = resourceNamed(
      runs.prod!.resources,
      "aws:ecs/taskDefinition:TaskDefinition",
      "lp-prod-receiver-task",
    );
    const containers = parseJsonInput<{ name: string }[]>(task.props.containerDefinitions);
    assert.deepEqual(
      containers.map((c) => c.name),
      ["log-receiver", "adot-collector"],
    );
  });

  // Lambda's SQS pollers start at five concurrent batches; capping them at the reserved
  // concurrency keeps throttled receives from pushing healthy files to the DLQ
  // (maximum concurrency 2–1000, not above the reserved concurrency):
  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency
  it("cloudtrail: the queue mapping runs at most the reserved concurrency (dev 2, prod 10); throttles alarm", () => {
    for (const [stack, concurrency] of [
      ["dev", 2],
      ["prod", 10],
    ] as const) {
      const resources = runs[stack]!.resources;
      const fn = resourceNamed(resources, "aws:lambda/function:Function", `lp-${stack}-cloudtrail-indexer`);
      const mapping = resourceNamed(
        resources,
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        `lp-${stack}-cloudtrail-from-queue`,
      );
      assert.deepEqual(
        [fn.props.reservedConcurrentExecutions, mapping.props.scalingConfig],
        [concurrency, { maximumConcurrency: concurrency }],
        stack,
      );
      const throttles = resourceNamed(
        resources,
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        `lp-${stack}-cloudtrail-indexer-throttles`,
      );
      assert.deepEqual(
        [
          throttles.props.namespace,
          throttles.props.metricName,
          throttles.props.dimensions,
          throttles.props.alarmActions,
        ],
        [
          "AWS/Lambda",
          "Throttles",
          { FunctionName: `lp-${stack}-cloudtrail-indexer` },
          [`arn:aws:sns:eu-west-1:123456789012:lp-${stack}-alerting-topic`],
        ],
      );
    }
  });

  it("search: the log indexer reads the ingest stream with the stack's batching, fed only after the bootstrap", () => {
    const batching = { dev: [500, 5, 5], prod: [1000, 10, 20] } as const;
    for (const stack of ["dev", "prod"] as const) {
      const resources = runs[stack]!.resources;
      const mapping = resourceNamed(
        resources,
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        `lp-${stack}-search-logs-from-stream`,
      );
      const [batchSize, window, retries] = batching[stack];
      assert.deepEqual(
        {
          eventSourceArn: mapping.props.eventSourceArn,
          startingPosition: mapping.props.startingPosition,
          batchSize: mapping.props.batchSize,
          maximumBatchingWindowInSeconds: mapping.props.maximumBatchingWindowInSeconds,
          maximumRetryAttempts: mapping.props.maximumRetryAttempts,
          functionResponseTypes: mapping.props.functionResponseTypes,
          bisectBatchOnFunctionError: mapping.props.bisectBatchOnFunctionError,
          destinationConfig: mapping.props.destinationConfig,
        },
        {
          eventSourceArn: `arn:aws:kinesis:eu-west-1:123456789012:stream/lp-${stack}-ingest-stream`,
          startingPosition: "TRIM_HORIZON",
          batchSize,
          maximumBatchingWindowInSeconds: window,
          maximumRetryAttempts: retries,
          functionResponseTypes: ["ReportBatchItemFailures"],
          bisectBatchOnFunctionError: true,
          destinationConfig: {
            onFailure: {
              destinationArn: `arn:aws:sqs:eu-west-1:123456789012:lp-${stack}-search-logs-failed-batches`,
            },
          },
        },
        stack,
      );
      for (const fed of [
        mapping,
        resourceNamed(
          resources,
          "aws:lambda/eventSourceMapping:EventSourceMapping",
          `lp-${stack}-search-findings-from-queue`,
        ),
        resourceNamed(
          resources,
          "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
          `lp-${stack}-search-flow-subscription`,
        ),
      ]) {
        assert.ok(
          fed.dependsOn.includes(`aws:lambda/invocation:Invocation::lp-${stack}-obs-opensearch-bootstrap`),
          `${stack}: ${fed.name} waits for the bootstrap`,
        );
      }
      const fn = resourceNamed(resources, "aws:lambda/function:Function", `lp-${stack}-search-logs`);
      const env = (fn.props.environment as { variables: Record<string, string> }).variables;
      assert.deepEqual(
        [env.OPENSEARCH_ENDPOINT, env.INDEX_REPLICAS, env.LOGS_RETENTION_DAYS, env.ACCESS_RETENTION_DAYS],
        stack === "dev"
          ? ["search-lp-dev-obs-domain-0123456789.eu-west-1.es.amazonaws.com", "0", "14", "14"]
          : ["search-lp-prod-obs-domain-0123456789.eu-west-1.es.amazonaws.com", "1", "90", "90"],
        stack,
      );
    }
  });

  it("search: flow logs of the platform's flow-log group, in its real format; findings from both products", () => {
    for (const stack of ["dev", "prod"] as const) {
      const resources = runs[stack]!.resources;
      // Auto-named: the mocks' ARN ends in the resource name.
      resourceNamed(resources, "aws:cloudwatch/logGroup:LogGroup", `lp-${stack}-flow-logs-log-group`);
      const groupArn = `arn:aws:logs:eu-west-1:123456789012:log-group:${`lp-${stack}-flow-logs-log-group`}`;
      const filter = resourceNamed(
        resources,
        "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
        `lp-${stack}-search-flow-subscription`,
      );
      assert.equal(
        filter.props.destinationArn,
        `arn:aws:lambda:eu-west-1:123456789012:lp-${stack}-search-flow`,
      );
      const permission = resourceNamed(
        resources,
        "aws:lambda/permission:Permission",
        `lp-${stack}-search-flow-invoke`,
      );
      assert.deepEqual(
        [permission.props.principal, permission.props.sourceArn, permission.props.sourceAccount],
        ["logs.amazonaws.com", `${groupArn}:*`, "123456789012"],
        stack,
      );
      const flowLog = resources.find((r) => r.type === "aws:ec2/flowLog:FlowLog");
      const flowFn = resourceNamed(resources, "aws:lambda/function:Function", `lp-${stack}-search-flow`);
      const flowEnv = (flowFn.props.environment as { variables: Record<string, string> }).variables;
      assert.ok(flowLog !== undefined);
      assert.equal(flowEnv.FLOW_LOG_FORMAT, (flowLog.inputs as { logFormat: string }).logFormat, stack);

      // "existing" in both stacks: subscribe only, never create the detector or the hub.
      assert.equal(resources.filter((r) => r.type === "aws:guardduty/detector:Detector").length, 0);
      assert.equal(resources.filter((r) => r.type === "aws:securityhub/account:Account").length, 0);
      const patterns = resources
        .filter(
          (r) => r.type === "aws:cloudwatch/eventRule:EventRule" && r.name.startsWith(`lp-${stack}-search-`),
        )
        .map((r) => JSON.parse(r.inputs.eventPattern as string) as unknown);
      assert.deepEqual(patterns, [
        { source: ["aws.guardduty"], "detail-type": ["GuardDuty Finding"] },
        { source: ["aws.securityhub"], "detail-type": ["Security Hub Findings - Imported"] },
      ]);
      const findingsFn = resourceNamed(
        resources,
        "aws:lambda/function:Function",
        `lp-${stack}-search-findings`,
      );
      const findingsEnv = (findingsFn.props.environment as { variables: Record<string, string> }).variables;
      assert.deepEqual(
        [findingsEnv.ALERT_SEVERITY, findingsEnv.RETENTION_DAYS],
        ["HIGH", stack === "dev" ? "30" : "365"],
      );
    }
  });

  it("opensearch: the bootstrap re-runs for a new domain and the indexer is fed only after it", () => {
    for (const stack of ["dev", "prod"]) {
      const resources = runs[stack]!.resources;
      const invocation = resourceNamed(
        resources,
        "aws:lambda/invocation:Invocation",
        `lp-${stack}-obs-opensearch-bootstrap`,
      );
      const triggers = invocation.props.triggers as Record<string, string>;
      assert.deepEqual(
        [triggers.domainArn, triggers.endpoint, triggers.writers],
        [
          `arn:aws:opensearch:eu-west-1:123456789012:lp-${stack}-obs-domain`,
          `search-lp-${stack}-obs-domain-0123456789.eu-west-1.es.amazonaws.com`,
          // A writer's pattern or role changing re-runs the bootstrap.
          JSON.stringify((JSON.parse(invocation.props.input as string) as { writers: unknown }).writers),
        ],
        stack,
      );
      const mapping = resourceNamed(
        resources,
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        `lp-${stack}-cloudtrail-from-queue`,
      );
      assert.ok(
        mapping.dependsOn.includes(`aws:lambda/invocation:Invocation::lp-${stack}-obs-opensearch-bootstrap`),
        `${stack}: the mapping waits for the bootstrap (${mapping.dependsOn.join(", ")})`,
      );
      const bootstrapFn = resourceNamed(
        resources,
        "aws:lambda/function:Function",
        `lp-${stack}-obs-opensearch-bootstrap`,
      );
      assert.equal(bootstrapFn.props.timeout, 900, `${stack}: long enough for ten minutes of retries`);
    }
  });

  // https://docs.aws.amazon.com/opensearch-service/latest/developerguide/handling-errors.html#handling-errors-yellow-cluster-status
  it("opensearch: one-node dev indexes without replicas and has no yellow alarm; three-node prod keeps both", () => {
    const alarms = (stack: string) =>
      runs[stack]!.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm").map(
        (r) => r.name,
      );
    const replicas = (stack: string) =>
      (
        resourceNamed(
          runs[stack]!.resources,
          "aws:lambda/function:Function",
          `lp-${stack}-cloudtrail-indexer`,
        ).props.environment as { variables: Record<string, string> }
      ).variables.INDEX_REPLICAS;
    assert.deepEqual([replicas("dev"), replicas("prod")], ["0", "1"]);
    assert.ok(!alarms("dev").includes("lp-dev-obs-opensearch-cluster-yellow"));
    assert.ok(alarms("dev").includes("lp-dev-obs-opensearch-cluster-red"));
    assert.ok(alarms("prod").includes("lp-prod-obs-opensearch-cluster-yellow"));
    assert.ok(alarms("prod").includes("lp-prod-obs-opensearch-cluster-red"));
  });

  it("opensearch: a non-default cloudTrail.indexPrefix is the index pattern the writer role gets", async () => {
    const config = offlineStackConfig("dev");
    const run = await runStack("dev", {
      ...config,
      config: { ...config.config, "log-platform:cloudTrail": JSON.stringify({ indexPrefix: "audit" }) },
    });
    const invocation = resourceNamed(
      run.resources,
      "aws:lambda/invocation:Invocation",
      "lp-dev-obs-opensearch-bootstrap",
    );
    const writers = (
      JSON.parse(invocation.props.input as string) as { writers: { role: string; indexPatterns: string[] }[] }
    ).writers;
    assert.deepEqual(
      writers.map((w) => [w.role, w.indexPatterns]),
      [
        ["cloudtrail_writer", ["audit-*"]],
        ["logs_writer", ["logs-*", "access-*"]],
        ["vpcflow_writer", ["vpcflow-*"]],
        ["findings_writer", ["findings-*"]],
      ],
    );
    assert.equal((invocation.props.triggers as Record<string, string>).writers, JSON.stringify(writers));
    const indexer = resourceNamed(run.resources, "aws:lambda/function:Function", "lp-dev-cloudtrail-indexer");
    assert.equal(
      (indexer.props.environment as { variables: Record<string, string> }).variables.INDEX_PREFIX,
      "audit",
      "the indexer writes audit-YYYY.MM.DD, inside the role's pattern",
    );
  });

  it("settings: an indexer reserved concurrency below 2 is refused (the mapping's maximum concurrency)", async () => {
    const config = offlineStackConfig("dev");
    await assert.rejects(
      runStack("dev", {
        ...config,
        config: {
          ...config.config,
          "log-platform:cloudTrail": JSON.stringify({ indexerReservedConcurrency: 1 }),
        },
      }),
      /indexerReservedConcurrency[\s\S]*must be at least 2/,
    );
  });

  it("fails naming the key and the command when a required setting is removed from the stack file", async () => {
    const config = offlineStackConfig("prod");
    const withoutEnvironment = { ...config, config: { ...config.config } };
    delete withoutEnvironment.config["log-platform:environment"];
    await assert.rejects(runStack("prod", withoutEnvironment), (error: Error) => {
      assert.match(error.message, /Invalid configuration for stack "prod"/);
      assert.match(
        error.message,
        /log-platform:environment is missing\n\s+fix: pulumi config set environment prod/,
      );
      return true;
    });
  });

  it("fails listing every missing prod secret when they are not set", async () => {
    const config = offlineStackConfig("prod");
    const noSecrets = { config: { ...config.config }, secretKeys: [], placeholders: [] };
    for (const key of config.placeholders) delete noSecrets.config[key];
    await assert.rejects(runStack("prod", noSecrets), (error: Error) => {
      for (const key of ["alertEmails", "receiverTlsCertificate", "receiverTlsPrivateKey", "ingestTokens"]) {
        assert.ok(error.message.includes(`log-platform:${key} is required in prod.`), error.message);
      }
      return true;
    });
  });

  it("settings: an imported certificate that does not cover receiver.domainName is refused, listing what it covers", async () => {
    const config = offlineStackConfig("prod");
    // A wildcard covering the name is enough (run first: a failed run leaves rejections behind).
    const wildcard = selfSignedCertificate(["*.example.com"]);
    await runStack("prod", {
      ...config,
      config: {
        ...config.config,
        "log-platform:receiverTlsCertificate": wildcard.certificatePem,
        "log-platform:receiverTlsPrivateKey": wildcard.privateKeyPem,
      },
    });
    const other = selfSignedCertificate(["www.example.com", "*.intake.example.com"]);
    await assert.rejects(
      runStack("prod", {
        ...config,
        config: {
          ...config.config,
          "log-platform:receiverTlsCertificate": other.certificatePem,
          "log-platform:receiverTlsPrivateKey": other.privateKeyPem,
        },
      }),
      (error: Error) => {
        assert.match(
          error.message,
          /log-platform:receiverTlsCertificate does not cover receiver\.domainName logs\.example\.com: the certificate covers www\.example\.com, \*\.intake\.example\.com, not logs\.example\.com \(a wildcard stands for exactly one label\)\. Fluent Bit and log-sender would refuse the connection\.\n\s+fix: pulumi config set --path receiver\.domainName <a name it covers>/,
        );
        assert.ok(!error.message.includes("PRIVATE KEY"), "never echo the key");
        return true;
      },
    );
  });

  it("settings: prod needs receiver.domainName (with its hosted zone): an imported certificate cannot name the NLB", async () => {
    const config = offlineStackConfig("prod");
    const receiver = JSON.parse(config.config["log-platform:receiver"]!) as Record<string, unknown>;
    const { domainName: _domain, hostedZoneId: _zone, ...withoutName } = receiver;
    await assert.rejects(
      runStack("prod", {
        ...config,
        config: { ...config.config, "log-platform:receiver": JSON.stringify(withoutName) },
      }),
      (error: Error) => {
        assert.match(
          error.message,
          /log-platform:receiver\.domainName is required in prod: agents are given this name and verify the endpoint's certificate against it/,
        );
        return true;
      },
    );
    const { domainName: _onlyName, ...zoneWithoutName } = receiver;
    await assert.rejects(
      runStack("prod", {
        ...config,
        config: { ...config.config, "log-platform:receiver": JSON.stringify(zoneWithoutName) },
      }),
      /log-platform:receiver\.hostedZoneId: hostedZoneId needs domainName/,
    );
  });
});
