import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

import { violations } from "../../../policy/rules";
import type { ProgramRun } from "../../../test/lib/mocks";
import {
  asPolicyInputs,
  containsSecret,
  resourceNamed,
  runUnderMocks,
  unwrapSecrets,
  parseJsonInput,
} from "../../../test/lib/mocks";
import type { LogReceiverClusterArgs } from "..";
import { LogReceiverCluster, TLS_POLICY } from "..";

const NO_CONFIG = { config: {}, secretKeys: [] };
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const STREAM_ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/ingest";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const tags = { Project: "log-platform", Environment: "test", ManagedBy: "pulumi" };
const CERT =
  "-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----";
const PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----";

const base: LogReceiverClusterArgs = {
  streamName: "ingest",
  streamArn: STREAM_ARN,
  kmsKeyArn: KEY,
  alarmTopicArn: TOPIC,
  tags,
};

function deploy(args: Partial<LogReceiverClusterArgs>): Promise<ProgramRun<unknown>> {
  return runUnderMocks("test", NO_CONFIG, () => new LogReceiverCluster("rx", { ...base, ...args }));
}

describe("LogReceiverCluster (mocks)", () => {
  let prod: ProgramRun<unknown>;
  before(async () => {
    prod = await deploy({
      tls: { certificatePem: pulumi.secret(CERT), privateKeyPem: pulumi.secret(PRIVATE_KEY) },
      ingestTokens: pulumi.secret([{ name: "office", token: "x".repeat(40) }]),
      minTasks: 2,
      maxTasks: 8,
      cpu: 1024,
      memoryMiB: 2048,
      natGateways: "OnePerAz",
      availabilityZoneCount: 3,
      allowedCidrs: ["198.51.100.0/24", "203.0.113.0/24"],
      retainData: true,
    });
  });

  it("listens with TLS on 443 with the modern policy and the imported certificate, forwarding to the tasks", () => {
    const listener = resourceNamed(prod.resources, "aws:lb/listener:Listener", "rx-tls");
    assert.equal(listener.props.port, 443);
    assert.equal(listener.props.protocol, "TLS");
    assert.equal(listener.props.sslPolicy, TLS_POLICY);
    assert.equal(TLS_POLICY, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert.equal(listener.props.certificateArn, "arn:aws:acm:eu-west-1:123456789012:rx-certificate");
    const certificate = prod.resources.find((r) => r.name === "rx-certificate")!;
    assert.ok(containsSecret(certificate.inputs.privateKey), "the private key stays secret");
    assert.deepEqual(unwrapSecrets(certificate.inputs), {
      certificateBody: "-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----",
      certificateChain: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----",
      privateKey: PRIVATE_KEY,
      tags,
    });
    const targetGroup = resourceNamed(prod.resources, "aws:lb/targetGroup:TargetGroup", "rx-tg");
    assert.deepEqual(
      [
        targetGroup.props.protocol,
        targetGroup.props.port,
        targetGroup.props.targetType,
        targetGroup.props.proxyProtocolV2,
        targetGroup.props.preserveClientIp,
      ],
      ["TCP", 8080, "ip", true, "false"],
    );
    assert.deepEqual(targetGroup.props.healthCheck, {
      protocol: "HTTP",
      path: "/healthz",
      port: "8080",
      matcher: "200",
      interval: 10,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
    });
    assert.equal(
      resourceNamed(prod.resources, "aws:lb/loadBalancer:LoadBalancer", "rx-nlb").props
        .enableDeletionProtection,
      true,
    );
  });

  it("task definition: Fargate, non-root, read-only root, tokens from Secrets Manager, no plain secrets", () => {
    const task = resourceNamed(prod.resources, "aws:ecs/taskDefinition:TaskDefinition", "rx-task");
    assert.deepEqual([task.props.cpu, task.props.memory, task.props.networkMode], ["1024", "2048", "awsvpc"]);
    assert.deepEqual(task.props.requiresCompatibilities, ["FARGATE"]);
    const [container] = parseJsonInput<Record<string, unknown>[]>(task.props.containerDefinitions);
    assert.equal(container!.user, "65532:65532");
    assert.equal(container!.readonlyRootFilesystem, true);
    assert.deepEqual(container!.secrets, [
      { name: "TOKENS", valueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rx-tokens-AbCdEf" },
    ]);
    assert.deepEqual(container!.environment, [
      { name: "AWS_REGION", value: "eu-west-1" },
      { name: "PORT", value: "8080" },
      { name: "PROXY_PROTOCOL", value: "on" },
      { name: "STREAM_NAME", value: "ingest" },
    ]);
    assert.ok(
      !String(task.props.containerDefinitions).includes("x".repeat(40)),
      "a token leaked into the task definition",
    );
    assert.match(String(container!.image), /rx-image@sha256:/);
  });

  it("stores the tokens encrypted with the archive key, as a secret value", () => {
    const secret = resourceNamed(prod.resources, "aws:secretsmanager/secret:Secret", "rx-tokens");
    assert.equal(secret.props.kmsKeyId, KEY);
    assert.equal(secret.props.recoveryWindowInDays, 30);
    const version = prod.resources.find((r) => r.name === "rx-tokens-value")!;
    assert.ok(containsSecret(version.inputs.secretString));
    assert.deepEqual(parseJsonInput(unwrapSecrets<Record<string, unknown>>(version.inputs).secretString), [
      { name: "office", token: "x".repeat(40) },
    ]);
  });

  it("task role: exactly kinesis:PutRecords on the stream (and the stream key); execution role scoped to exact ARNs", () => {
    const taskPolicy = parseJsonInput(
      resourceNamed(prod.resources, "aws:iam/rolePolicy:RolePolicy", "rx-task-policy").props.policy,
    );
    assert.deepEqual(taskPolicy.Statement, [
      { Sid: "PutIntoTheIngestStream", Effect: "Allow", Action: "kinesis:PutRecords", Resource: STREAM_ARN },
      { Sid: "EncryptForTheStream", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: KEY },
    ]);
    const trust = parseJsonInput(
      resourceNamed(prod.resources, "aws:iam/role:Role", "rx-task").props.assumeRolePolicy,
    );
    assert.deepEqual(trust.Statement[0]?.Condition, {
      StringEquals: { "aws:SourceAccount": "123456789012" },
      ArnLike: { "aws:SourceArn": "arn:aws:ecs:eu-west-1:123456789012:*" },
    });
    const executionTrust = parseJsonInput(
      resourceNamed(prod.resources, "aws:iam/role:Role", "rx-execution").props.assumeRolePolicy,
    );
    assert.deepEqual(executionTrust.Statement, [
      { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    const execution = parseJsonInput(
      resourceNamed(prod.resources, "aws:iam/rolePolicy:RolePolicy", "rx-execution-policy").props.policy,
    );
    assert.deepEqual(
      execution.Statement.map((s) => [s.Sid, s.Resource]),
      [
        ["LogInToEcr", "*"],
        ["PullTheReceiverImage", "arn:aws:ecr:eu-west-1:123456789012:rx-images"],
        ["WriteTheTaskLogs", "arn:aws:logs:eu-west-1:123456789012:log-group:rx-tasks:log-stream:*"],
        ["ReadTheTokens", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rx-tokens-AbCdEf"],
        ["DecryptTheTokens", KEY],
      ],
    );
  });

  it("autoscales prod between 2 and 8 tasks on CPU", () => {
    const target = resourceNamed(prod.resources, "aws:appautoscaling/target:Target", "rx-scaling");
    assert.deepEqual([target.props.minCapacity, target.props.maxCapacity], [2, 8]);
    assert.equal(target.props.resourceId, "service/rx-cluster/rx-service");
    const policy = resourceNamed(prod.resources, "aws:appautoscaling/policy:Policy", "rx-cpu-tracking");
    assert.deepEqual(policy.props.targetTrackingScalingPolicyConfiguration, {
      predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
      targetValue: 60,
      scaleOutCooldown: 60,
      scaleInCooldown: 300,
    });
    const service = resourceNamed(prod.resources, "aws:ecs/service:Service", "rx-service");
    assert.equal(service.props.desiredCount, 2);
    assert.deepEqual(service.props.networkConfiguration, {
      subnets: ["rx-vpc-private-a", "rx-vpc-private-b"],
      securityGroups: ["rx-task-sg-id"],
      assignPublicIp: false,
    });
  });

  it("security groups: 443 only from the configured CIDRs to the NLB, 8080 only from the NLB to the tasks", () => {
    const rules = prod.resources
      .filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .map((r) => unwrapSecrets<Record<string, unknown>>(r.inputs))
      .map((p) => [p.securityGroupId, p.fromPort, p.toPort, p.cidrIpv4 ?? p.referencedSecurityGroupId])
      .sort();
    assert.deepEqual(rules, [
      ["rx-nlb-sg-id", 443, 443, "198.51.100.0/24"],
      ["rx-nlb-sg-id", 443, 443, "203.0.113.0/24"],
      ["rx-task-sg-id", 8080, 8080, "rx-nlb-sg-id"],
    ]);
    const egress = prod.resources
      .filter((r) => r.type === "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
      .map((r) => unwrapSecrets<Record<string, unknown>>(r.inputs))
      .map((p) => [p.securityGroupId, p.fromPort, p.cidrIpv4 ?? p.referencedSecurityGroupId])
      .sort();
    assert.deepEqual(egress, [
      ["rx-nlb-sg-id", 8080, "rx-task-sg-id"],
      ["rx-task-sg-id", 443, "0.0.0.0/0"],
    ]);
  });

  it("VPC: NAT per AZ across 3 zones in prod; image repository scans on push", () => {
    const vpc = resourceNamed(prod.resources, "awsx:ec2:Vpc", "rx-vpc");
    assert.deepEqual(vpc.props.natGateways, { strategy: "OnePerAz" });
    assert.equal(vpc.props.numberOfAvailabilityZones, 3);
    const repository = resourceNamed(prod.resources, "aws:ecr/repository:Repository", "rx-images");
    assert.deepEqual(repository.props.imageScanningConfiguration, { scanOnPush: true });
    assert.deepEqual(repository.props.encryptionConfigurations, [{ encryptionType: "KMS", kmsKey: KEY }]);
  });

  it("alarms on unhealthy targets, no healthy target and saturation; ECS warnings go to the topic", () => {
    const alarms = prod.resources
      .filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm")
      .map((r) => r.name)
      .sort();
    assert.deepEqual(alarms, ["rx-at-max-capacity", "rx-no-healthy-targets", "rx-unhealthy-targets"]);
    const down = resourceNamed(
      prod.resources,
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "rx-no-healthy-targets",
    );
    assert.deepEqual(
      [down.props.comparisonOperator, down.props.threshold, down.props.treatMissingData],
      ["LessThanThreshold", 1, "breaching"],
      "no data from the NLB means the endpoint is gone",
    );
    const saturation = resourceNamed(
      prod.resources,
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "rx-at-max-capacity",
    );
    assert.equal(saturation.props.threshold, 8);
    assert.deepEqual(saturation.props.alarmActions, [TOPIC]);
    const unhealthy = resourceNamed(
      prod.resources,
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "rx-unhealthy-targets",
    );
    assert.deepEqual(unhealthy.props.dimensions, {
      LoadBalancer: "net/rx-nlb/0123456789abcdef",
      TargetGroup: "targetgroup/rx-tg/0123456789abcdef",
    });
    assert.equal(
      resourceNamed(prod.resources, "aws:cloudwatch/eventTarget:EventTarget", "rx-service-events-to-topic")
        .props.arn,
      TOPIC,
    );
  });

  it("passes every policy rule", () => {
    assert.deepEqual(violations(asPolicyInputs(prod.resources)), []);
  });

  it("dev: self-signed certificate for the NLB name and a generated token; given image skips the repository", async () => {
    const dev = await deploy({
      allowSelfSignedCertificate: true,
      allowGeneratedTokens: true,
      imageUri: "registry.example/receiver:1",
    });
    const cert = resourceNamed(dev.resources, "tls:index/selfSignedCert:SelfSignedCert", "rx-self-signed");
    assert.deepEqual(cert.props.dnsNames, ["rx-nlb-0123456789.elb.eu-west-1.amazonaws.com"]);
    assert.equal(
      resourceNamed(dev.resources, "tls:index/privateKey:PrivateKey", "rx-self-signed-key").props.algorithm,
      "ECDSA",
    );
    assert.equal(dev.resources.filter((r) => r.type === "aws:ecr/repository:Repository").length, 0);
    const execution = parseJsonInput(
      resourceNamed(dev.resources, "aws:iam/rolePolicy:RolePolicy", "rx-execution-policy").props.policy,
    );
    assert.ok(!JSON.stringify(execution).includes("ecr:"));
    const version = dev.resources.find((r) => r.name === "rx-tokens-value")!;
    assert.ok(containsSecret(version.inputs.secretString));
    assert.deepEqual(violations(asPolicyInputs(dev.resources)), []);
  });

  it("with AMP: an ADOT sidecar scrapes /metrics on loopback and remote-writes with SigV4; aps:RemoteWrite on that workspace only", async () => {
    const workspaceArn = "arn:aws:aps:eu-west-1:123456789012:workspace/ws-1";
    const remoteWriteUrl =
      "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write";
    const withMetrics = await deploy({
      allowSelfSignedCertificate: true,
      allowGeneratedTokens: true,
      metrics: { workspaceArn, remoteWriteUrl },
    });
    const task = resourceNamed(withMetrics.resources, "aws:ecs/taskDefinition:TaskDefinition", "rx-task");
    const containers = parseJsonInput<Record<string, unknown>[]>(task.props.containerDefinitions);
    assert.deepEqual(
      containers.map((c) => [c.name, c.essential, c.user, c.readonlyRootFilesystem]),
      [
        ["log-receiver", true, "65532:65532", true],
        ["adot-collector", false, "10001:10001", true],
      ],
    );
    const config = parse((containers[1]!.environment as { name: string; value: string }[])[0]!.value) as {
      receivers: {
        prometheus: {
          config: { scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
        };
      };
      exporters: { prometheusremotewrite: { endpoint: string; auth: { authenticator: string } } };
      extensions: { sigv4auth: { region: string; service: string } };
    };
    assert.deepEqual(config.receivers.prometheus.config.scrape_configs[0], {
      job_name: "log-receiver",
      metrics_path: "/metrics",
      static_configs: [{ targets: ["127.0.0.1:8080"] }],
    });
    assert.equal(config.exporters.prometheusremotewrite.endpoint, remoteWriteUrl);
    assert.deepEqual(config.extensions.sigv4auth, { region: "eu-west-1", service: "aps" });
    const taskPolicy = parseJsonInput(
      resourceNamed(withMetrics.resources, "aws:iam/rolePolicy:RolePolicy", "rx-task-policy").props.policy,
    );
    assert.deepEqual(taskPolicy.Statement[2], {
      Sid: "RemoteWriteMetrics",
      Effect: "Allow",
      Action: "aps:RemoteWrite",
      Resource: workspaceArn,
    });
    assert.deepEqual(violations(asPolicyInputs(withMetrics.resources)), []);
  });

  it("refuses to run without a certificate or tokens unless dev allows it, listing both", async () => {
    await assert.rejects(deploy({}), (error: Error) => {
      assert.match(error.message, /LogReceiverCluster "rx" has invalid arguments/);
      assert.match(error.message, /tls is required/);
      assert.match(error.message, /ingestTokens is required/);
      return true;
    });
  });
});
