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
import { selfSignedCertificate } from "../../../test/lib/test-certificate";
import { ENVIRONMENT_DEFAULTS } from "../../../stacks/settings-schema";
import type { AgentConfigs, LogReceiverClusterArgs } from "..";
import { LogReceiverCluster, TLS_POLICY } from "..";

const NO_CONFIG = { config: {}, secretKeys: [] };
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const STREAM_ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/ingest";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const tags = { Project: "log-platform", Environment: "test", ManagedBy: "pulumi" };
const DOMAIN = "logs.example.com";
const ZONE = "Z0123456789EXAMPLE";
const LEAF = selfSignedCertificate([DOMAIN]);
const INTERMEDIATE = selfSignedCertificate([], "Example Intermediate CA").certificatePem.trim();
const CERT = `${LEAF.certificatePem}${INTERMEDIATE}\n`;
const PRIVATE_KEY = LEAF.privateKeyPem;

// The stack settings of dev, as stacks/platform.ts passes them: their defaults live in the settings schema only.
const DEV = ENVIRONMENT_DEFAULTS.dev;
const base: LogReceiverClusterArgs = {
  streamName: "ingest",
  streamArn: STREAM_ARN,
  kmsKeyArn: KEY,
  alarmTopicArn: TOPIC,
  ...DEV.network,
  ...DEV.receiver,
  logRetentionDays: DEV.logRetentionDays,
  retainData: DEV.retainData,
  tags,
};

/** The component's outputs that agents see. */
interface AgentFacing {
  endpoint: string;
  agentConfigs: AgentConfigs;
  caCertificatePem?: string;
}

function deploy(args: Partial<LogReceiverClusterArgs>): Promise<ProgramRun<AgentFacing>> {
  return runUnderMocks("test", NO_CONFIG, () => {
    const rx = new LogReceiverCluster("rx", { ...base, ...args });
    return {
      endpoint: rx.endpoint,
      agentConfigs: rx.agentConfigs,
      ...(rx.caCertificatePem !== undefined ? { caCertificatePem: rx.caCertificatePem } : {}),
    };
  });
}

/**
 * INGEST_TOKENS_VERSION of the receiver container: the mocks give the tokens'
 * SecretVersion a `versionId` that changes with the value, as AWS does.
 */
function tokensVersionId(run: ProgramRun<AgentFacing>): string {
  const task = resourceNamed(run.resources, "aws:ecs/taskDefinition:TaskDefinition", "rx-task");
  const [container] = parseJsonInput<{ environment: { name: string; value: string }[] }[]>(
    task.props.containerDefinitions,
  );
  const value = container!.environment.find((e) => e.name === "INGEST_TOKENS_VERSION")?.value ?? "";
  assert.match(value, /^rx-tokens-value-[0-9a-f]{12}$/, "the SecretVersion's versionId");
  return value;
}

const prodArgs: Partial<LogReceiverClusterArgs> = {
  tls: { certificatePem: pulumi.secret(CERT), privateKeyPem: pulumi.secret(PRIVATE_KEY) },
  domainName: DOMAIN,
  hostedZoneId: ZONE,
  ingestTokens: pulumi.secret([{ name: "office", token: "x".repeat(40) }]),
  minTasks: 2,
  maxTasks: 8,
  cpu: 1024,
  memoryMiB: 2048,
  natGateways: "OnePerAz",
  availabilityZoneCount: 3,
  allowedCidrs: ["198.51.100.0/24", "203.0.113.0/24"],
  retainData: true,
};

describe("LogReceiverCluster (mocks)", () => {
  let prod: ProgramRun<AgentFacing>;
  before(async () => {
    prod = await deploy(prodArgs);
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
      certificateBody: LEAF.certificatePem.trim(),
      certificateChain: INTERMEDIATE,
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

  it("names the endpoint: an A alias to the NLB in the hosted zone, the name in the endpoint and every agent config", () => {
    // Alias to an NLB: A record (the NLB is IPv4 only), the NLB's DNS name and canonical zone,
    // EvaluateTargetHealth so that Route 53 follows the target groups' health.
    // https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html
    // https://www.pulumi.com/registry/packages/aws/api-docs/route53/record/
    const record = prod.resources.find((r) => r.type === "aws:route53/record:Record");
    assert.equal(record?.name, "rx-dns");
    assert.deepEqual(unwrapSecrets(record.inputs), {
      zoneId: ZONE,
      name: DOMAIN,
      type: "A",
      aliases: [
        {
          name: "rx-nlb-0123456789.elb.eu-west-1.amazonaws.com",
          zoneId: "Z2IFOLAFXWLO4F",
          evaluateTargetHealth: true,
        },
      ],
    });
    const { endpoint, agentConfigs, caCertificatePem } = prod.outputs;
    assert.equal(endpoint, "https://logs.example.com/v1/logs");
    assert.match(agentConfigs.logSender, /--url https:\/\/logs\.example\.com\/v1\/logs --spool \S+$/);
    assert.match(agentConfigs.fluentBit, /^ {4}Host {9}logs\.example\.com$/m);
    assert.match(agentConfigs.fluentd, /https:\/\/logs\.example\.com/);
    for (const config of [agentConfigs.logSender, agentConfigs.fluentBit, agentConfigs.fluentd]) {
      assert.ok(
        !config.includes(".elb."),
        "agents must not be given the NLB's name: the certificate does not cover it",
      );
      assert.ok(!/--ca |ca_file/.test(config), "a CA-issued certificate needs no extra trust");
    }
    assert.equal(caCertificatePem, undefined, "no self-signed certificate to trust");
  });

  it("requires a valid domainName with an imported certificate (it cannot name the NLB)", async () => {
    await assert.rejects(
      deploy({ ...prodArgs, domainName: undefined, hostedZoneId: undefined }),
      (error: Error) => {
        assert.match(error.message, /domainName is required with tls: agents verify the certificate/);
        return true;
      },
    );
    await assert.rejects(
      deploy({ ...prodArgs, domainName: "Logs_Example" }),
      /domainName must be a DNS host name/,
    );
    await assert.rejects(deploy({ ...prodArgs, domainName: undefined }), /hostedZoneId needs domainName/);
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
      { name: "INGEST_TOKENS_VERSION", value: tokensVersionId(prod) },
      // The task's memory (no metrics sidecar in these args): the receiver's budgets derive from it.
      { name: "MEMORY_LIMIT_MIB", value: "2048" },
      { name: "PORT", value: "8080" },
      { name: "PROXY_PROTOCOL", value: "on" },
      { name: "STREAM_NAME", value: "ingest" },
    ]);
    assert.ok(
      !String(task.props.containerDefinitions).includes("x".repeat(40)),
      "a token leaked into the task definition",
    );
    assert.match(String(container!.image), /rx-image@sha256:/);
    assert.ok(!containsSecret(task.inputs.containerDefinitions), "the version id is not a secret");
  });

  it("rolls the tasks when the tokens change: the secret's version id is in the task definition, no token is", async () => {
    // ECS injects `secrets` when a container starts and never refreshes them
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html);
    // a new value is a new secret version with a new VersionId
    // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_update-secret-value.html).
    // So the version id in the container definitions makes a token change register a new
    // task definition revision, which the service rolls out.
    const rotated = await deploy({
      ...prodArgs,
      ingestTokens: pulumi.secret([
        { name: "office", token: "x".repeat(40) },
        { name: "office-2026", token: "y".repeat(40) },
      ]),
    });
    const definitions = (run: ProgramRun<AgentFacing>) =>
      String(
        resourceNamed(run.resources, "aws:ecs/taskDefinition:TaskDefinition", "rx-task").props
          .containerDefinitions,
      );
    assert.notEqual(tokensVersionId(rotated), tokensVersionId(prod));
    assert.notEqual(
      definitions(rotated),
      definitions(prod),
      "same task definition: the tasks keep the old tokens",
    );
    assert.equal(
      definitions(rotated),
      definitions(prod).replace(tokensVersionId(prod), tokensVersionId(rotated)),
      "only the version id changes",
    );
    for (const token of ["x".repeat(40), "y".repeat(40)]) assert.ok(!definitions(rotated).includes(token));
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
    assert.equal(dev.outputs.endpoint, "https://rx-nlb-0123456789.elb.eu-west-1.amazonaws.com/v1/logs");
    // The self-signed certificate (the mocks' certPem) is published for agents to trust.
    assert.equal(
      dev.outputs.caCertificatePem,
      "-----BEGIN CERTIFICATE-----\nmock\n-----END CERTIFICATE-----",
    );
    assert.match(
      dev.outputs.agentConfigs.logSender,
      /pulumi stack output receiverCaCertificatePem > \/etc\/log-sender\/receiver-ca\.pem\n.*\n.*--url https:\/\/rx-nlb-0123456789\.elb\.eu-west-1\.amazonaws\.com\/v1\/logs .* --ca \/etc\/log-sender\/receiver-ca\.pem$/,
    );
    assert.match(
      dev.outputs.agentConfigs.fluentBit,
      /^ {4}tls\.ca_file {2}\/etc\/fluent-bit\/receiver-ca\.pem$/m,
    );
    assert.match(dev.outputs.agentConfigs.fluentBit, /^ {4}tls\.verify {3}On$/m);
    assert.equal(dev.resources.filter((r) => r.type === "aws:route53/record:Record").length, 0);
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

  it("dev with domainName: the self-signed certificate covers that name, the endpoint and the agents use it", async () => {
    const dev = await deploy({
      allowSelfSignedCertificate: true,
      allowGeneratedTokens: true,
      domainName: "logs.dev.example.com",
      hostedZoneId: "Z0DEV0EXAMPLE",
    });
    const cert = resourceNamed(dev.resources, "tls:index/selfSignedCert:SelfSignedCert", "rx-self-signed");
    assert.deepEqual(cert.props.dnsNames, ["logs.dev.example.com"]);
    assert.equal(dev.outputs.endpoint, "https://logs.dev.example.com/v1/logs");
    assert.match(dev.outputs.agentConfigs.fluentBit, /^ {4}Host {9}logs\.dev\.example\.com$/m);
    assert.match(
      dev.outputs.agentConfigs.logSender,
      /--url https:\/\/logs\.dev\.example\.com\/v1\/logs .* --ca /,
    );
    const record = resourceNamed(dev.resources, "aws:route53/record:Record", "rx-dns");
    assert.equal(record.props.zoneId, "Z0DEV0EXAMPLE");
    assert.equal(record.props.name, "logs.dev.example.com");
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

  describe("tracing", () => {
    const workspaceArn = "arn:aws:aps:eu-west-1:123456789012:workspace/ws-1";
    const remoteWriteUrl =
      "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write";
    const devArgs = { allowSelfSignedCertificate: true, allowGeneratedTokens: true };
    type Container = { name: string; environment: { name: string; value: string }[] };
    const containersOf = (run: ProgramRun<AgentFacing>): Container[] =>
      parseJsonInput<Container[]>(
        resourceNamed(run.resources, "aws:ecs/taskDefinition:TaskDefinition", "rx-task").props
          .containerDefinitions,
      );
    const variable = (container: Container | undefined, name: string) =>
      container?.environment.find((e) => e.name === name)?.value;
    const taskStatements = (run: ProgramRun<AgentFacing>) =>
      parseJsonInput(
        resourceNamed(run.resources, "aws:iam/rolePolicy:RolePolicy", "rx-task-policy").props.policy,
      ).Statement;

    it("without AMP: a traces-only sidecar, the OTEL_* variables, PutTraceSegments, the receiver's memory less the sidecar's", async () => {
      const run = await deploy({ ...devArgs, tracing: { sampleRatio: 0.5 } });
      const [receiver, sidecar, ...others] = containersOf(run);
      assert.equal(others.length, 0);
      assert.equal(sidecar?.name, "adot-collector");
      assert.deepEqual(
        receiver?.environment.filter((e) => e.name.startsWith("OTEL_")),
        [
          { name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", value: "http://127.0.0.1:4318/v1/traces" },
          { name: "OTEL_SERVICE_NAME", value: "log-receiver" },
          { name: "OTEL_TRACES_SAMPLER", value: "parentbased_traceidratio" },
          { name: "OTEL_TRACES_SAMPLER_ARG", value: "0.5" },
        ],
      );
      assert.equal(variable(receiver, "MEMORY_LIMIT_MIB"), String(base.memoryMiB - 128));
      const config = parse(variable(sidecar, "AOT_CONFIG_CONTENT") ?? "") as Record<string, unknown>;
      assert.deepEqual(Object.keys(config), ["receivers", "processors", "exporters", "service"]);
      assert.deepEqual(config.exporters, { awsxray: { region: "eu-west-1" } });
      assert.deepEqual(
        taskStatements(run).map((s) => [s.Sid, s.Action, s.Resource]),
        [
          ["PutIntoTheIngestStream", "kinesis:PutRecords", STREAM_ARN],
          ["EncryptForTheStream", "kms:GenerateDataKey", KEY],
          ["SendTraces", "xray:PutTraceSegments", "*"],
        ],
      );
      assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
    });

    it("with AMP: one sidecar with both pipelines, and both grants", async () => {
      const run = await deploy({
        ...devArgs,
        metrics: { workspaceArn, remoteWriteUrl },
        tracing: { sampleRatio: 1 },
      });
      const containers = containersOf(run);
      assert.deepEqual(
        containers.map((c) => c.name),
        ["log-receiver", "adot-collector"],
      );
      const config = parse(variable(containers[1], "AOT_CONFIG_CONTENT") ?? "") as {
        service: { pipelines: Record<string, unknown> };
      };
      assert.deepEqual(Object.keys(config.service.pipelines), ["metrics", "traces"]);
      assert.deepEqual(
        taskStatements(run).map((s) => s.Sid),
        ["PutIntoTheIngestStream", "EncryptForTheStream", "SendTraces", "RemoteWriteMetrics"],
      );
    });

    it("off: no sidecar without AMP, no OTEL_* variable, no X-Ray grant, all the task's memory for the receiver", async () => {
      const run = await deploy(devArgs);
      const containers = containersOf(run);
      assert.deepEqual(
        containers.map((c) => c.name),
        ["log-receiver"],
      );
      assert.ok(!containers[0]!.environment.some((e) => e.name.startsWith("OTEL_")));
      assert.equal(variable(containers[0], "MEMORY_LIMIT_MIB"), String(base.memoryMiB));
      assert.ok(!JSON.stringify(taskStatements(run)).includes("xray:"));
    });

    it("refuses a sample ratio outside 0..1 along with the other problems", async () => {
      await assert.rejects(
        deploy({ ...devArgs, tracing: { sampleRatio: 2 }, minTasks: 0 }),
        (error: Error) => {
          assert.match(error.message, /tracing\.sampleRatio must be a number from 0 to 1 \(got 2\)/);
          assert.match(error.message, /minTasks/);
          return true;
        },
      );
    });
  });

  it("refuses to run without a certificate or tokens unless dev allows it, listing both", async () => {
    await assert.rejects(deploy({}), (error: Error) => {
      assert.match(error.message, /LogReceiverCluster "rx" has invalid arguments/);
      assert.match(error.message, /tls is required/);
      assert.match(error.message, /ingestTokens is required/);
      return true;
    });
  });

  it("lists every out-of-range setting at once, the log-group retention too", async () => {
    const bad: Partial<LogReceiverClusterArgs> = {
      ...prodArgs,
      minTasks: 0,
      targetCpuPercent: 95,
      availabilityZoneCount: 4,
      logRetentionDays: 13,
      allowedCidrs: [],
    };
    await assert.rejects(deploy(bad), (error: Error) => {
      for (const key of [
        "minTasks",
        "targetCpuPercent",
        "availabilityZoneCount",
        "logRetentionDays",
        "allowedCidrs",
      ]) {
        assert.match(error.message, new RegExp(`- ${key} `), key);
      }
      return true;
    });
  });
});
