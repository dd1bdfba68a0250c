import * as assert from "node:assert/strict";

import * as aws from "@pulumi/aws";

import { violations } from "../../../policy/rules";
import type { ProgramRun } from "../../../test/lib/mocks";
import { asPolicyInputs, parseJsonInput, resourceNamed, runUnderMocks } from "../../../test/lib/mocks";
import type { CloudTrailPipelineArgs } from "..";
import { CIS_FILTERS, CloudTrailPipeline, cloudTrailPipelineArgProblems } from "..";

const NO_CONFIG = { config: {}, secretKeys: [] };
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const tags = { Project: "log-platform", Environment: "test", ManagedBy: "pulumi" };
const base: CloudTrailPipelineArgs = {
  kmsKeyArn: KEY,
  archiveBucketName: "archive",
  archiveBucketArn: "arn:aws:s3:::archive",
  alarmTopicArn: TOPIC,
  tags,
};
const TRAIL_ARN = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/ct-trail";
const withDomainTarget = {
  endpoint: "search-logs.eu-west-1.es.amazonaws.com",
  domainArn: "arn:aws:es:eu-west-1:123456789012:domain/logs",
};

function deploy(args: Partial<CloudTrailPipelineArgs> = {}): Promise<ProgramRun<unknown>> {
  return runUnderMocks("test", NO_CONFIG, () => new CloudTrailPipeline("ct", { ...base, ...args }));
}

describe("CloudTrailPipeline (mocks)", () => {
  let run: ProgramRun<unknown>;
  before(async () => {
    run = await deploy({ timeoutSeconds: 100, retainData: true, objectLock: true });
  });

  it("trail: multi-region, validated, KMS-encrypted, management events, logs to its group", () => {
    const trail = resourceNamed(run.resources, "aws:cloudtrail/trail:Trail", "ct-trail");
    assert.deepEqual(trail.props, {
      name: "ct-trail",
      s3BucketName: "ct-bucket",
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      isOrganizationTrail: false,
      enableLogFileValidation: true,
      kmsKeyId: KEY,
      cloudWatchLogsGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:ct-events:*",
      cloudWatchLogsRoleArn: "arn:aws:iam::123456789012:role/ct-to-logs",
      eventSelectors: [{ readWriteType: "All", includeManagementEvents: true }],
      tags,
    });
  });

  it("trail bucket policy: TLS only, CloudTrail only for this trail and this account's prefix", () => {
    const policy = parseJsonInput(
      resourceNamed(run.resources, "aws:s3/bucketPolicy:BucketPolicy", "ct-bucket-policy").props.policy,
    );
    assert.deepEqual(policy.Statement.slice(1), [
      {
        Sid: "CloudTrailAclCheck",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:GetBucketAcl",
        Resource: "arn:aws:s3:::ct-bucket",
        Condition: { StringEquals: { "aws:SourceArn": TRAIL_ARN } },
      },
      {
        Sid: "CloudTrailWrite",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: "arn:aws:s3:::ct-bucket/AWSLogs/123456789012/*",
        Condition: {
          StringEquals: { "aws:SourceArn": TRAIL_ARN, "s3:x-amz-acl": "bucket-owner-full-control" },
        },
      },
    ]);
    assert.equal(policy.Statement[0]!.Sid, "DenyInsecureTransport");
  });

  it("prod: object lock (governance) for the retention and a protected bucket", () => {
    const bucket = resourceNamed(run.resources, "aws:s3/bucket:Bucket", "ct-bucket");
    assert.equal(bucket.props.objectLockEnabled, true);
    assert.deepEqual(bucket.options, { protect: true, retainOnDelete: true });
    const lock = resourceNamed(
      run.resources,
      "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
      "ct-bucket-object-lock",
    );
    assert.deepEqual(lock.props.rule, { defaultRetention: { mode: "GOVERNANCE", days: 365 } });
  });

  it("notification chain: bucket → KMS topic (only this bucket) → KMS queue (only this topic) with a DLQ", () => {
    const notification = resourceNamed(
      run.resources,
      "aws:s3/bucketNotification:BucketNotification",
      "ct-bucket-notification",
    );
    assert.deepEqual(notification.props.topics, [
      {
        topicArn: "arn:aws:sns:eu-west-1:123456789012:ct-new-files",
        events: ["s3:ObjectCreated:*"],
        filterPrefix: "AWSLogs/",
        filterSuffix: ".json.gz",
      },
    ]);
    assert.equal(
      resourceNamed(run.resources, "aws:sns/topic:Topic", "ct-new-files").props.kmsMasterKeyId,
      KEY,
    );
    const topicPolicy = parseJsonInput(
      resourceNamed(run.resources, "aws:sns/topicPolicy:TopicPolicy", "ct-new-files-policy").props.policy,
    );
    assert.deepEqual(topicPolicy.Statement[0]!.Condition, {
      ArnLike: { "aws:SourceArn": "arn:aws:s3:::ct-bucket" },
      StringEquals: { "aws:SourceAccount": "123456789012" },
    });
    const queue = resourceNamed(run.resources, "aws:sqs/queue:Queue", "ct-new-files");
    assert.equal(queue.props.kmsMasterKeyId, KEY);
    assert.equal(queue.props.visibilityTimeoutSeconds, 600, "six times the function timeout");
    assert.deepEqual(JSON.parse(String(queue.props.redrivePolicy)), {
      deadLetterTargetArn: "arn:aws:sqs:eu-west-1:123456789012:ct-dead-letters",
      // With the indexer's backoff (60 s doubling) the 10th receive comes 8.5 h after the first:
      // a 6-hour OpenSearch outage never reaches the DLQ. Every receive counts towards maxReceiveCount:
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
      maxReceiveCount: 10,
    });
    const queuePolicy = parseJsonInput(
      resourceNamed(run.resources, "aws:sqs/queuePolicy:QueuePolicy", "ct-new-files-policy").props.policy,
    );
    assert.deepEqual(queuePolicy.Statement[0]!.Condition, {
      ArnEquals: { "aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:ct-new-files" },
    });
    const subscription = resourceNamed(
      run.resources,
      "aws:sns/topicSubscription:TopicSubscription",
      "ct-new-files-to-queue",
    );
    assert.deepEqual(
      [subscription.props.protocol, subscription.props.endpoint],
      ["sqs", "arn:aws:sqs:eu-west-1:123456789012:ct-new-files"],
    );
  });

  it("indexer: bundled, reserved concurrency, SQS mapping with partial batch failures, archive-only env", () => {
    const fn = resourceNamed(run.resources, "aws:lambda/function:Function", "ct-indexer");
    assert.equal(fn.props.reservedConcurrentExecutions, 2);
    assert.equal(fn.props.timeout, 100);
    assert.deepEqual(fn.props.environment, {
      variables: {
        ARCHIVE_BUCKET: "archive",
        EVENTS_PREFIX: "cloudtrail-events/",
        FAILED_PREFIX: "cloudtrail-failed/",
        INDEX_PREFIX: "cloudtrail",
        RETENTION_DAYS: "90",
        RETRY_BASE_SECONDS: "60",
        POWERTOOLS_SERVICE_NAME: "ct-indexer",
      },
    });
    assert.equal(fn.props.vpcConfig, undefined);
    const mapping = resourceNamed(
      run.resources,
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "ct-from-queue",
    );
    assert.deepEqual(mapping.props.functionResponseTypes, ["ReportBatchItemFailures"]);
    assert.equal(mapping.props.eventSourceArn, "arn:aws:sqs:eu-west-1:123456789012:ct-new-files");
    // The pollers start 5 batches at once; capped at the reserved concurrency none is throttled
    // (a throttle counts a receive towards the DLQ). AWS: maximum concurrency 2–1000, "don't
    // configure maximum concurrency higher than the function's reserved concurrency":
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency
    assert.deepEqual(mapping.props.scalingConfig, { maximumConcurrency: 2 });
  });

  it("caps the queue mapping at the reserved concurrency and refuses less than Lambda's minimum of 2", async () => {
    const ten = await deploy({ reservedConcurrency: 10 });
    assert.deepEqual(
      [
        resourceNamed(ten.resources, "aws:lambda/function:Function", "ct-indexer").props
          .reservedConcurrentExecutions,
        resourceNamed(ten.resources, "aws:lambda/eventSourceMapping:EventSourceMapping", "ct-from-queue")
          .props.scalingConfig,
      ],
      [10, { maximumConcurrency: 10 }],
    );
    assert.deepEqual(cloudTrailPipelineArgProblems({ ...base, reservedConcurrency: 1 }), [
      "reservedConcurrency must be 2–1000 (got 1): it is also the SQS mapping's maximum concurrency, which Lambda accepts from 2",
    ]);
    await assert.rejects(deploy({ reservedConcurrency: 1 }), /reservedConcurrency must be 2–1000 \(got 1\)/);
  });

  it("indexer role: exact ARNs, no OpenSearch or VPC grants without a domain", () => {
    const policy = parseJsonInput(
      resourceNamed(run.resources, "aws:iam/rolePolicy:RolePolicy", "ct-indexer-role-policy").props.policy,
    );
    assert.deepEqual(
      policy.Statement.map((s) => [s.Sid, s.Resource]),
      [
        ["ReadTrailFiles", "arn:aws:s3:::ct-bucket/AWSLogs/*"],
        ["ConsumeTheQueue", "arn:aws:sqs:eu-west-1:123456789012:ct-new-files"],
        [
          "WriteEventsAndRefusals",
          ["arn:aws:s3:::archive/cloudtrail-events/*", "arn:aws:s3:::archive/cloudtrail-failed/*"],
        ],
        ["UseTheArchiveKey", KEY],
        ["WriteOwnLogs", "arn:aws:logs:eu-west-1:123456789012:log-group:ct-indexer-logs:log-stream:*"],
        ["Tracing", "*"],
      ],
    );
  });

  it("with a domain in a VPC: the endpoint, es:ESHttp* on that domain only, and VPC networking", async () => {
    const withDomain = await deploy({
      openSearch: {
        endpoint: "search-logs.eu-west-1.es.amazonaws.com",
        domainArn: "arn:aws:es:eu-west-1:123456789012:domain/logs",
        vpc: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] },
      },
    });
    const fn = resourceNamed(withDomain.resources, "aws:lambda/function:Function", "ct-indexer");
    const variables = (fn.props.environment as { variables: Record<string, string> }).variables;
    assert.deepEqual(
      [variables.OPENSEARCH_ENDPOINT, variables.INDEX_REPLICAS],
      ["search-logs.eu-west-1.es.amazonaws.com", "1"],
    );
    assert.deepEqual(fn.props.vpcConfig, { subnetIds: ["subnet-1"], securityGroupIds: ["sg-1"] });
    const policy = parseJsonInput(
      resourceNamed(withDomain.resources, "aws:iam/rolePolicy:RolePolicy", "ct-indexer-role-policy").props
        .policy,
    );
    const domainGrant = policy.Statement.find((s) => s.Sid === "IndexIntoTheDomain");
    assert.deepEqual(domainGrant?.Resource, "arn:aws:es:eu-west-1:123456789012:domain/logs/*");
    assert.ok(policy.Statement.some((s) => s.Sid === "AttachToTheVpc"));
    assert.deepEqual(violations(asPolicyInputs(withDomain.resources)), []);
  });

  it("CIS metric filters and alarms on the trail's log group, to the topic", () => {
    for (const filter of CIS_FILTERS) {
      const metricFilter = resourceNamed(
        run.resources,
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        `ct-cis-${filter.name}`,
      );
      assert.equal(metricFilter.props.pattern, filter.pattern);
      assert.equal(metricFilter.props.logGroupName, "ct-events");
      assert.deepEqual(metricFilter.props.metricTransformation, {
        name: filter.metricName,
        namespace: "CISBenchmark",
        value: "1",
      });
      const alarm = resourceNamed(
        run.resources,
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        `ct-cis-${filter.name}`,
      );
      assert.deepEqual(
        [alarm.props.metricName, alarm.props.statistic, alarm.props.threshold],
        [filter.metricName, "Sum", 1],
      );
      assert.deepEqual(alarm.props.alarmActions, [TOPIC]);
    }
    assert.deepEqual(
      CIS_FILTERS.map((f) => f.name),
      [
        "unauthorized-api-calls",
        "console-login-without-mfa",
        "root-account-usage",
        "iam-policy-changes",
        "cloudtrail-changes",
        "kms-key-disabled-or-deleted",
        "security-group-changes",
        "nacl-changes",
      ],
    );
    assert.equal(
      CIS_FILTERS.find((f) => f.name === "root-account-usage")!.pattern,
      '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    );
  });

  it("alarms on the dead-letter queue, the queue's age and indexer errors", () => {
    const expected: Record<string, [string, number]> = {
      "ct-dead-letters": ["ApproximateNumberOfMessagesVisible", 1],
      "ct-queue-age": ["ApproximateAgeOfOldestMessage", 900],
      "ct-indexer-errors": ["Errors", 1],
    };
    for (const [name, [metric, threshold]] of Object.entries(expected)) {
      const alarm = resourceNamed(run.resources, "aws:cloudwatch/metricAlarm:MetricAlarm", name);
      assert.deepEqual([alarm.props.metricName, alarm.props.threshold], [metric, threshold], name);
    }
  });

  // Lambda's Throttles metric (AWS/Lambda, by FunctionName): invocation requests refused for lack
  // of concurrency. https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
  it("alarms on any throttled indexer invocation, to the alert topic", () => {
    const alarm = resourceNamed(
      run.resources,
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "ct-indexer-throttles",
    );
    const { alarmDescription: _description, ...rest } = alarm.props;
    assert.deepEqual(rest, {
      namespace: "AWS/Lambda",
      metricName: "Throttles",
      dimensions: { FunctionName: "ct-indexer" },
      statistic: "Sum",
      period: 300,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [TOPIC],
      okActions: [TOPIC],
      tags,
    });
  });

  // EMF metrics from the indexer's logs (Powertools): namespace and `service` dimension as it writes them.
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
  it("alarms on any record filed in cloudtrail-failed/ (the indexer's RejectedRecords metric)", () => {
    const alarm = resourceNamed(
      run.resources,
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "ct-rejected-records",
    );
    assert.deepEqual(
      [
        alarm.props.namespace,
        alarm.props.metricName,
        alarm.props.dimensions,
        alarm.props.statistic,
        alarm.props.threshold,
      ],
      ["LogPlatform/CloudTrailIndexer", "RejectedRecords", { service: "ct-indexer" }, "Sum", 1],
    );
    assert.deepEqual(alarm.props.alarmActions, [TOPIC]);
  });

  it("feeds the indexer only after the domain's bootstrap, with the domain's replica count", async () => {
    const withBootstrap = await runUnderMocks("test", NO_CONFIG, () => {
      const bootstrap = new aws.sns.Topic("stand-in-for-the-bootstrap", {});
      return new CloudTrailPipeline("ct", {
        ...base,
        openSearch: {
          endpoint: "search-logs.eu-west-1.es.amazonaws.com",
          domainArn: "arn:aws:es:eu-west-1:123456789012:domain/logs",
          indexReplicas: 0,
          dependsOn: [bootstrap],
        },
      });
    });
    const mapping = resourceNamed(
      withBootstrap.resources,
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "ct-from-queue",
    );
    assert.ok(
      mapping.dependsOn.includes("aws:sns/topic:Topic::stand-in-for-the-bootstrap"),
      mapping.dependsOn.join(", "),
    );
    assert.ok(mapping.dependsOn.includes("aws:iam/rolePolicy:RolePolicy::ct-indexer-role-policy"));
    const fn = resourceNamed(withBootstrap.resources, "aws:lambda/function:Function", "ct-indexer");
    assert.equal(
      (fn.props.environment as { variables: Record<string, string> }).variables.INDEX_REPLICAS,
      "0",
    );
    assert.ok(
      !fn.dependsOn.includes("aws:sns/topic:Topic::stand-in-for-the-bootstrap"),
      "only the mapping waits (no cycle)",
    );
    assert.deepEqual(
      cloudTrailPipelineArgProblems({ ...base, openSearch: { ...withDomainTarget, indexReplicas: 2 } }),
      ["openSearch.indexReplicas must be 0–1 (got 2)"],
    );
  });

  it("passes every policy rule", () => {
    assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
  });

  it("organization trail writes under all of AWSLogs/; invalid args are all listed", async () => {
    const org = await deploy({ organizationTrail: true, s3DataEvents: true });
    const policy = parseJsonInput(
      resourceNamed(org.resources, "aws:s3/bucketPolicy:BucketPolicy", "ct-bucket-policy").props.policy,
    );
    assert.equal(policy.Statement[2]!.Resource, "arn:aws:s3:::ct-bucket/AWSLogs/*");
    const trail = resourceNamed(org.resources, "aws:cloudtrail/trail:Trail", "ct-trail");
    assert.equal(trail.props.eventSelectors, undefined);
    assert.deepEqual(trail.props.advancedEventSelectors, [
      { name: "Management events", fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] },
      {
        name: "S3 object events outside the platform's log buckets",
        fieldSelectors: [
          { field: "eventCategory", equals: ["Data"] },
          { field: "resources.type", equals: ["AWS::S3::Object"] },
          { field: "resources.ARN", notStartsWiths: ["arn:aws:s3:::ct-bucket/", "arn:aws:s3:::archive/"] },
        ],
      },
    ]);
    assert.deepEqual(cloudTrailPipelineArgProblems({ ...base, reservedConcurrency: 0, indexPrefix: "Bad" }), [
      "reservedConcurrency must be 2–1000 (got 0): it is also the SQS mapping's maximum concurrency, which Lambda accepts from 2",
      'indexPrefix must be a lowercase OpenSearch index prefix (got "Bad")',
    ]);
  });
});
