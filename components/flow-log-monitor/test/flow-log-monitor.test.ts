import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { violations } from "../../../policy/rules";
import type { ProgramRun, RecordedResource } from "../../../test/lib/mocks";
import {
  MOCK_ACCOUNT,
  asPolicyInputs,
  containsSecret,
  resourceNamed,
  runUnderMocks,
  valueOf,
} from "../../../test/lib/mocks";
import type { FlowLogMonitorArgs } from "..";
import { FlowLogMonitor, flowLogMonitorArgProblems, matchesFilterPattern } from "..";
import { RECORDS } from "./records.test";

const NO_CONFIG = { config: {}, secretKeys: [] };
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/archive";
const BUCKET = "arn:aws:s3:::log-platform-archive";
const VPC = "vpc-0a1b2c3d4e5f60718";
const EXTRA_VPC = "vpc-11112222";
const BYO_TOPIC = "arn:aws:sns:eu-west-1:123456789012:ops-alerts";
const tags = { Project: "log-platform", Environment: "test", ManagedBy: "pulumi" };

/** The source design's pattern, written out here so that a change to the constant fails the test. */
const SOURCE_PATTERN =
  '[version, account, eni, source, destination, srcport, destport, protocol="1", packets, bytes, starttime, endtime, action="REJECT", flowlogstatus]';
const V2_FORMAT =
  "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

const T = {
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  role: "aws:iam/role:Role",
  flowLog: "aws:ec2/flowLog:FlowLog",
  filter: "aws:cloudwatch/logMetricFilter:LogMetricFilter",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  aclRule: "aws:ec2/networkAclRule:NetworkAclRule",
} as const;

interface MonitorOutputs {
  logGroupName: string;
  logGroupArn: string;
  deliveryRoleArn: string;
  alarmTopicArn: string;
  alarmNames: Record<string, string>;
  alarmArns: Record<string, string>;
  flowLogIds: string[];
  archiveFlowLogIds: string[];
}

async function monitorRun(args: FlowLogMonitorArgs): Promise<ProgramRun<MonitorOutputs>> {
  return runUnderMocks("test", NO_CONFIG, async () => {
    const m = new FlowLogMonitor("flm", args);
    return {
      logGroupName: await valueOf(m.logGroupName),
      logGroupArn: await valueOf(m.logGroupArn),
      deliveryRoleArn: await valueOf(m.deliveryRoleArn),
      alarmTopicArn: await valueOf(m.alarmTopicArn),
      alarmNames: await valueOf(m.alarmNames),
      alarmArns: await valueOf(m.alarmArns),
      flowLogIds: await valueOf(m.flowLogIds),
      archiveFlowLogIds: await valueOf(m.archiveFlowLogIds),
    };
  });
}

const ofType = (run: ProgramRun<unknown>, type: string): RecordedResource[] =>
  run.resources.filter((r) => r.type === type);
const namesOf = (run: ProgramRun<unknown>, type: string): string[] =>
  ofType(run, type)
    .map((r) => r.name)
    .sort();

describe("FlowLogMonitor (mocks)", () => {
  describe("defaults: one VPC, CloudWatch Logs only, created topic", () => {
    let run: ProgramRun<MonitorOutputs>;
    before(async () => {
      run = await monitorRun({
        vpcIds: [VPC],
        kmsKeyArn: KEY,
        retentionInDays: 30,
        emails: ["ops@example.com"],
        tags,
      });
    });

    it("keeps the flow log group KMS-encrypted with the archive key and with the given retention", () => {
      assert.deepEqual(resourceNamed(run.resources, T.logGroup, "flm-log-group").props, {
        retentionInDays: 30,
        kmsKeyId: KEY,
        tags,
      });
      assert.equal(run.outputs.logGroupName, "flm-log-group");
    });

    it("logs ALL traffic of the VPC at 1-minute aggregation in the v2 format, through the delivery role", () => {
      assert.deepEqual(namesOf(run, T.flowLog), ["flm-vpc-0"]);
      assert.deepEqual(resourceNamed(run.resources, T.flowLog, "flm-vpc-0").props, {
        vpcId: VPC,
        trafficType: "ALL",
        maxAggregationInterval: 60,
        logFormat: V2_FORMAT,
        logDestinationType: "cloud-watch-logs",
        logDestination: run.outputs.logGroupArn,
        iamRoleArn: run.outputs.deliveryRoleArn,
        tags,
      });
      assert.deepEqual(run.outputs.flowLogIds, ["flm-vpc-0-id"]);
      assert.deepEqual(run.outputs.archiveFlowLogIds, []);
    });

    it("lets only this account's flow logs assume the role, and the role write only to the group", () => {
      const role = resourceNamed(run.resources, T.role, "flm-delivery-role").props;
      assert.deepEqual(JSON.parse(String(role.assumeRolePolicy)), {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "VpcFlowLogsOfThisAccount",
            Effect: "Allow",
            Principal: { Service: "vpc-flow-logs.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: {
              StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT },
              ArnLike: { "aws:SourceArn": `arn:aws:ec2:eu-west-1:${MOCK_ACCOUNT}:vpc-flow-log/*` },
            },
          },
        ],
      });
      const inline = role.inlinePolicies as { name: string; policy: string }[];
      assert.equal(inline.length, 1);
      assert.equal(inline[0]?.name, "deliver-to-flow-log-group");
      const group = run.outputs.logGroupArn;
      assert.deepEqual((JSON.parse(inline[0]?.policy ?? "") as { Statement: unknown }).Statement, [
        {
          Sid: "DeliverToTheFlowLogGroup",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: [group, `${group}:log-stream:*`],
        },
      ]);
      assert.deepEqual(role.tags, tags);
    });

    it("creates the source design's ping-deny metric filter exactly, without a default value", () => {
      const filter = resourceNamed(run.resources, T.filter, "flm-filter-ping-deny").props;
      assert.deepEqual(filter, {
        logGroupName: run.outputs.logGroupName,
        pattern: SOURCE_PATTERN,
        metricTransformation: { name: "Ping-Deny", namespace: "Ping-Deny-Metrics", value: "1" },
      });
      // The pattern the provider receives counts a rejected ping and nothing else.
      assert.equal(matchesFilterPattern(String(filter.pattern), RECORDS.icmpReject), true);
      assert.equal(matchesFilterPattern(String(filter.pattern), RECORDS.icmpAccept), false);
      assert.equal(matchesFilterPattern(String(filter.pattern), RECORDS.sshReject), false);
    });

    it("creates one metric filter per catalogue entry and an alarm for each with createAlarm", () => {
      assert.deepEqual(namesOf(run, T.filter), [
        "flm-filter-no-data-records",
        "flm-filter-ping-deny",
        "flm-filter-rdp-probes",
        "flm-filter-rejected-flows",
        "flm-filter-skipped-records",
        "flm-filter-ssh-probes",
      ]);
      assert.deepEqual(namesOf(run, T.alarm), [
        "flm-alarm-ping-deny",
        "flm-alarm-rdp-probes",
        "flm-alarm-rejected-flows",
        "flm-alarm-skipped-records",
        "flm-alarm-ssh-probes",
      ]);
      assert.deepEqual(Object.keys(run.outputs.alarmNames).sort(), [
        "ping-deny",
        "rdp-probes",
        "rejected-flows",
        "skipped-records",
        "ssh-probes",
      ]);
      // The source design's alarm keeps its name; the others are generated.
      assert.equal(run.outputs.alarmNames["ping-deny"], "CloudWatch-Alarm-Ping-Deny");
      assert.equal(run.outputs.alarmNames["ssh-probes"], "flm-alarm-ssh-probes");
      assert.equal(
        run.outputs.alarmArns["ping-deny"],
        `arn:aws:cloudwatch:eu-west-1:${MOCK_ACCOUNT}:CloudWatch-Alarm-Ping-Deny`,
      );
    });

    it("alarms on Sum >= 1 over 60 s of Ping-Deny and notifies the created topic on alarm and OK", () => {
      const topicArn = `arn:aws:sns:eu-west-1:${MOCK_ACCOUNT}:CloudWatch-Alarms-Ping-Deny`;
      assert.equal(run.outputs.alarmTopicArn, topicArn);
      assert.deepEqual(resourceNamed(run.resources, T.alarm, "flm-alarm-ping-deny").props, {
        name: "CloudWatch-Alarm-Ping-Deny",
        alarmDescription: "ICMP (protocol 1) traffic rejected, e.g. pings denied by the network ACL",
        namespace: "Ping-Deny-Metrics",
        metricName: "Ping-Deny",
        statistic: "Sum",
        period: 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [topicArn],
        okActions: [topicArn],
        tags,
      });
      const ssh = resourceNamed(run.resources, T.alarm, "flm-alarm-ssh-probes").props;
      assert.deepEqual(
        [ssh.namespace, ssh.metricName, ssh.period, ssh.threshold, ssh.alarmActions],
        ["FlowLogs", "RejectedSshProbes", 300, 20, [topicArn]],
      );
    });

    it("creates the topic CloudWatch-Alarms-Ping-Deny through Alerting: KMS-encrypted, CloudWatch may publish", () => {
      assert.deepEqual(resourceNamed(run.resources, T.topic, "flm-alerting-topic").props, {
        name: "CloudWatch-Alarms-Ping-Deny",
        displayName: "log-platform alerts",
        kmsMasterKeyId: KEY,
        tags,
      });
      const policy = JSON.parse(
        String(resourceNamed(run.resources, T.topicPolicy, "flm-alerting-topic-policy").props.policy),
      ) as { Statement: { Sid: string; Principal?: unknown; Condition?: unknown; Resource: unknown }[] };
      const alarms = policy.Statement.find((s) => s.Sid === "AlarmsOfThisAccount");
      assert.deepEqual(alarms?.Principal, { Service: "cloudwatch.amazonaws.com" });
      assert.deepEqual(alarms?.Condition, { StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT } });
      assert.equal(alarms?.Resource, run.outputs.alarmTopicArn);
      assert.equal(
        resourceNamed(run.resources, "log-platform:alerting:Alerting", "flm-alerting").parent,
        "flm",
      );
    });

    it("subscribes the e-mail addresses to the topic as secrets", () => {
      const [subscription, ...others] = ofType(run, T.subscription);
      assert.equal(others.length, 0);
      assert.ok(subscription !== undefined && containsSecret(subscription.inputs.endpoint));
      const props = resourceNamed(run.resources, T.subscription, "flm-alerting-email-0").props;
      assert.deepEqual(
        [props.topic, props.protocol, props.endpoint],
        [run.outputs.alarmTopicArn, "email", "ops@example.com"],
      );
    });

    it("adds no network ACL rule unless asked", () => {
      assert.deepEqual(ofType(run, T.aclRule), []);
    });

    it("parents every child to the component (topic resources through its Alerting)", () => {
      const children = run.resources.filter((r) => r.name !== "flm");
      const parents = new Set(children.map((r) => r.parent));
      assert.deepEqual([...parents].sort(), ["flm", "flm-alerting"]);
      for (const r of children.filter((c) => c.parent === "flm-alerting")) {
        assert.ok([T.topic, T.topicPolicy, T.subscription].includes(r.type as never), r.type);
      }
      assert.equal(resourceNamed(run.resources, "log-platform:flowlogs:FlowLogMonitor", "flm").parent, null);
    });

    it("passes every policy rule", () => {
      assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
    });
  });

  describe("with the archive bucket and several VPCs", () => {
    let run: ProgramRun<MonitorOutputs>;
    before(async () => {
      run = await monitorRun({
        // The cluster VPC is an Output in the platform; extra VPCs from settings are plain strings.
        vpcIds: [pulumi.output(VPC), EXTRA_VPC],
        trafficType: "REJECT",
        kmsKeyArn: KEY,
        archiveBucketArn: pulumi.output(BUCKET),
        tags,
      });
    });

    it("writes each VPC to CloudWatch Logs and to the archive under flow-logs/ in hourly Parquet", () => {
      assert.deepEqual(namesOf(run, T.flowLog), [
        "flm-vpc-0",
        "flm-vpc-0-archive",
        "flm-vpc-1",
        "flm-vpc-1-archive",
      ]);
      for (const [index, vpcId] of [VPC, EXTRA_VPC].entries()) {
        assert.deepEqual(resourceNamed(run.resources, T.flowLog, `flm-vpc-${index}-archive`).props, {
          vpcId,
          trafficType: "REJECT",
          maxAggregationInterval: 60,
          logFormat: V2_FORMAT,
          logDestinationType: "s3",
          logDestination: `${BUCKET}/flow-logs/`,
          destinationOptions: {
            fileFormat: "parquet",
            hiveCompatiblePartitions: true,
            perHourPartition: true,
          },
          tags,
        });
        const cw = resourceNamed(run.resources, T.flowLog, `flm-vpc-${index}`).props;
        assert.deepEqual(
          [cw.vpcId, cw.trafficType, cw.logDestinationType, cw.logDestination, cw.iamRoleArn],
          [vpcId, "REJECT", "cloud-watch-logs", run.outputs.logGroupArn, run.outputs.deliveryRoleArn],
        );
      }
      assert.deepEqual(run.outputs.flowLogIds, ["flm-vpc-0-id", "flm-vpc-1-id"]);
      assert.deepEqual(run.outputs.archiveFlowLogIds, ["flm-vpc-0-archive-id", "flm-vpc-1-archive-id"]);
    });

    it("applies the default retention of 90 days", () => {
      assert.equal(resourceNamed(run.resources, T.logGroup, "flm-log-group").props.retentionInDays, 90);
    });

    it("passes every policy rule", () => {
      assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
    });
  });

  describe("bring your own topic", () => {
    let run: ProgramRun<MonitorOutputs>;
    before(async () => {
      run = await monitorRun({ vpcIds: [VPC], kmsKeyArn: KEY, alarmTopicArn: BYO_TOPIC, tags });
    });

    it("keeps the source's ping-deny topic and alarm, and sends every other alarm to the given ARN", () => {
      const pingDenyTopic = `arn:aws:sns:eu-west-1:${MOCK_ACCOUNT}:CloudWatch-Alarms-Ping-Deny`;
      assert.deepEqual(namesOf(run, T.topic), ["flm-alerting-topic"]);
      assert.equal(
        resourceNamed(run.resources, T.topic, "flm-alerting-topic").props.name,
        "CloudWatch-Alarms-Ping-Deny",
      );
      assert.equal(run.outputs.alarmTopicArn, BYO_TOPIC);
      const alarms = ofType(run, T.alarm);
      assert.equal(alarms.length, 5);
      for (const alarm of alarms) {
        const topic = alarm.name === "flm-alarm-ping-deny" ? pingDenyTopic : BYO_TOPIC;
        assert.deepEqual([alarm.inputs.alarmActions, alarm.inputs.okActions], [[topic], [topic]], alarm.name);
      }
    });

    it("prefixes the source's names so that stacks can share an account", async () => {
      const prefixed = await monitorRun({
        vpcIds: [VPC],
        kmsKeyArn: KEY,
        alarmTopicArn: BYO_TOPIC,
        sourceNamePrefix: "lp-dev",
        tags,
      });
      assert.equal(
        resourceNamed(prefixed.resources, T.topic, "flm-alerting-topic").props.name,
        "lp-dev-CloudWatch-Alarms-Ping-Deny",
      );
      assert.equal(prefixed.outputs.alarmNames["ping-deny"], "lp-dev-CloudWatch-Alarm-Ping-Deny");
      assert.deepEqual(resourceNamed(prefixed.resources, T.alarm, "flm-alarm-ping-deny").props.alarmActions, [
        `arn:aws:sns:eu-west-1:${MOCK_ACCOUNT}:lp-dev-CloudWatch-Alarms-Ping-Deny`,
      ]);
    });

    it("passes every policy rule", () => {
      assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
    });
  });

  describe("filters changed through args", () => {
    const DNS_PATTERN =
      '[version, account, eni, source, destination, srcport, destport=53, protocol=17, packets, bytes, starttime, endtime, action="REJECT", flowlogstatus]';
    let run: ProgramRun<MonitorOutputs>;
    before(async () => {
      run = await monitorRun({
        vpcIds: [VPC],
        kmsKeyArn: KEY,
        alarmTopicName: "dev-flow-log-alarms",
        filters: [
          { name: "ssh-probes", enabled: false },
          { name: "rejected-flows", threshold: 1000, evaluationPeriods: 3 },
          { name: "ping-deny", createAlarm: false },
          { name: "dns-rejects", pattern: DNS_PATTERN, metricName: "RejectedDns" },
        ],
        tags,
      });
    });

    it("drops a disabled filter and its alarm", () => {
      assert.ok(!namesOf(run, T.filter).includes("flm-filter-ssh-probes"));
      assert.ok(!namesOf(run, T.alarm).includes("flm-alarm-ssh-probes"));
    });

    it("keeps a filter whose alarm is switched off, without the alarm", () => {
      assert.equal(
        resourceNamed(run.resources, T.filter, "flm-filter-ping-deny").props.pattern,
        SOURCE_PATTERN,
      );
      assert.ok(!namesOf(run, T.alarm).includes("flm-alarm-ping-deny"));
    });

    it("changes a threshold and evaluation periods and keeps the other fields", () => {
      const alarm = resourceNamed(run.resources, T.alarm, "flm-alarm-rejected-flows").props;
      assert.deepEqual(
        [alarm.threshold, alarm.evaluationPeriods, alarm.period, alarm.metricName, alarm.statistic],
        [1000, 3, 300, "RejectedFlows", "Sum"],
      );
    });

    it("adds a filter with the new-filter defaults, alarmed on the created topic", () => {
      const filter = resourceNamed(run.resources, T.filter, "flm-filter-dns-rejects").props;
      assert.deepEqual(filter, {
        logGroupName: run.outputs.logGroupName,
        pattern: DNS_PATTERN,
        metricTransformation: { name: "RejectedDns", namespace: "FlowLogs", value: "1" },
      });
      const topicArn = `arn:aws:sns:eu-west-1:${MOCK_ACCOUNT}:dev-flow-log-alarms`;
      assert.deepEqual(resourceNamed(run.resources, T.alarm, "flm-alarm-dns-rejects").props, {
        alarmDescription: 'Flow log metric filter "dns-rejects"',
        namespace: "FlowLogs",
        metricName: "RejectedDns",
        statistic: "Sum",
        period: 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [topicArn],
        okActions: [topicArn],
        tags,
      });
      assert.equal(matchesFilterPattern(DNS_PATTERN, RECORDS.udpRejectDns), true);
    });

    it("reports alarms only for filters that have one", () => {
      assert.deepEqual(Object.keys(run.outputs.alarmNames).sort(), [
        "dns-rejects",
        "rdp-probes",
        "rejected-flows",
        "skipped-records",
      ]);
    });

    it("passes every policy rule", () => {
      assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
    });
  });

  describe("ICMP deny rule", () => {
    it("denies incoming ICMP from anywhere as rule 90 by default", async () => {
      const run = await monitorRun({
        vpcIds: [VPC],
        kmsKeyArn: KEY,
        icmpDeny: { networkAclId: pulumi.output("acl-0123") },
        tags,
      });
      assert.deepEqual(namesOf(run, T.aclRule), ["flm-icmp-deny-ingress"]);
      assert.deepEqual(resourceNamed(run.resources, T.aclRule, "flm-icmp-deny-ingress").props, {
        networkAclId: "acl-0123",
        ruleNumber: 90,
        egress: false,
        protocol: "1",
        ruleAction: "deny",
        cidrBlock: "0.0.0.0/0",
        icmpType: -1,
        icmpCode: -1,
      });
      assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
    });

    it("also denies outgoing ICMP with egress, at the rule number given", async () => {
      const run = await monitorRun({
        vpcIds: [VPC],
        kmsKeyArn: KEY,
        icmpDeny: { networkAclId: "acl-0123", ruleNumber: 42, egress: true },
        tags,
      });
      assert.deepEqual(namesOf(run, T.aclRule), ["flm-icmp-deny-egress", "flm-icmp-deny-ingress"]);
      const egress = resourceNamed(run.resources, T.aclRule, "flm-icmp-deny-egress").props;
      const ingress = resourceNamed(run.resources, T.aclRule, "flm-icmp-deny-ingress").props;
      assert.deepEqual([egress.egress, egress.ruleNumber, egress.protocol], [true, 42, "1"]);
      assert.deepEqual([ingress.egress, ingress.ruleNumber], [false, 42]);
    });
  });

  describe("invalid arguments", () => {
    it("lists every problem, filter problems included, in one error", async () => {
      const args: FlowLogMonitorArgs = {
        vpcIds: [],
        kmsKeyArn: KEY,
        alarmTopicArn: BYO_TOPIC,
        alarmTopicName: "not allowed here",
        retentionInDays: 0,
        trafficType: "SOME" as never,
        icmpDeny: { networkAclId: "acl-1", ruleNumber: 100 },
        filters: [
          { name: "no-such-filter", enabled: false },
          { name: "ping-deny", threshold: -1 },
          { name: "dns", pattern: "[a, b", metricName: "X" },
        ],
      };
      const problems = flowLogMonitorArgProblems(args);
      const expected = [
        /^vpcIds must name at least one VPC$/,
        /^trafficType must be one of ACCEPT, REJECT, ALL \(got SOME\)$/,
        /^retentionInDays must be a whole number of at least 1 \(got 0\)$/,
        /^alarm topic name "not allowed here" must be/,
        /^icmpDeny\.ruleNumber must be a whole number from 1 to 99, .* \(got 100\)$/,
        /^filters: override #1 \("no-such-filter"\): cannot disable "no-such-filter", no such filter$/,
        /^filters: filter "ping-deny": threshold -1 must be a finite number >= 0/,
        /^filters: filter "dns": pattern: Invalid filter pattern/,
      ];
      assert.equal(problems.length, expected.length, problems.join("\n"));
      expected.forEach((re, i) => assert.match(problems[i] ?? "", re));

      await assert.rejects(monitorRun(args), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /^FlowLogMonitor "flm" has invalid arguments:\n {2}- vpcIds must/);
        for (const problem of problems) assert.ok(error.message.includes(problem), problem);
        return true;
      });
    });

    it("checks literal VPC ids and rule numbers at the edges", () => {
      const base = { kmsKeyArn: KEY };
      assert.deepEqual(flowLogMonitorArgProblems({ ...base, vpcIds: [VPC, pulumi.output("vpc-x")] }), []);
      assert.deepEqual(flowLogMonitorArgProblems({ ...base, vpcIds: ["subnet-1234abcd", VPC, VPC] }), [
        'vpcIds: "subnet-1234abcd" is not a VPC id (vpc-…)',
        `vpcIds: "${VPC}" is listed more than once (AWS refuses a second identical flow log)`,
      ]);
      for (const ruleNumber of [1, 99]) {
        assert.deepEqual(
          flowLogMonitorArgProblems({ ...base, vpcIds: [VPC], icmpDeny: { networkAclId: "a", ruleNumber } }),
          [],
        );
      }
      for (const ruleNumber of [0, 100, 32767, 1.5]) {
        const problems = flowLogMonitorArgProblems({
          ...base,
          vpcIds: [VPC],
          icmpDeny: { networkAclId: "a", ruleNumber },
        });
        assert.equal(problems.length, 1, String(ruleNumber));
        assert.match(problems[0] ?? "", /icmpDeny\.ruleNumber/);
      }
    });
  });
});
