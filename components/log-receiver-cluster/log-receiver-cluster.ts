import * as path from "node:path";

import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";

import { createAlarm } from "../lib/alarm";
import { awsContext } from "../lib/aws-context";
import { createEncryptedLogGroup } from "../lib/log-group";
import { createServiceRole } from "../lib/service-role";
import type { Tags } from "../lib/tags";
import type { TracingArgs } from "../lib/tracing";
import { sampleRatioProblems } from "../lib/tracing";
import { logRetentionProblems, throwIfInvalid } from "../lib/validation";
import type { AgentConfigs } from "./agent-configs";
import { agentConfigs } from "./agent-configs";
import {
  RECEIVER_CONTAINER,
  RECEIVER_PORT,
  receiverContainerDefinitions,
  receiverMemoryMiB,
} from "./container-definition";
import { adotContainerDefinition, remoteWriteStatement } from "./metrics-sidecar";
import { DNS_NAME } from "./certificate-names";
import { splitCertificateChain } from "./pem";
import { receiverExecutionStatements, receiverTaskStatements } from "./task-policies";

/** A named bearer token; the name shows in logs and metrics, the token never does. */
export interface IngestToken {
  readonly name: string;
  readonly token: string;
}

export interface LogReceiverClusterArgs {
  /** The ingest stream the receiver writes to. */
  readonly streamName: pulumi.Input<string>;
  readonly streamArn: pulumi.Input<string>;
  /** Archive key: encrypts the stream, the tokens secret, the log group and the image repository. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Topic for the health and scaling alarms. */
  readonly alarmTopicArn: pulumi.Input<string>;
  /**
   * Ingest tokens (secret). Default: one generated token named `generated`,
   * only when `allowGeneratedTokens` is true.
   */
  readonly ingestTokens?: pulumi.Input<IngestToken[]>;
  /** Allow generating a token when none is given (dev). Default: false. */
  readonly allowGeneratedTokens?: boolean;
  /**
   * TLS certificate (PEM, leaf first then chain) and key for the endpoint,
   * both secret. ACM imports any certificate, so the caller checks that it
   * covers `domainName` (`certificateNameProblem`; the stack settings do, while
   * the secret is still plain text and every problem can be listed at once).
   */
  readonly tls?: {
    readonly certificatePem: pulumi.Input<string>;
    readonly privateKeyPem: pulumi.Input<string>;
  };
  /**
   * Without `tls`, use a self-signed certificate for `domainName`, else for
   * the NLB's name (dev only); its PEM is the `caCertificatePem` output that
   * agents trust. Default: false.
   */
  readonly allowSelfSignedCertificate?: boolean;
  /**
   * The endpoint's host name, given to every agent (and the name they verify
   * the certificate against). Required with `tls`: an imported certificate
   * can never name the NLB's own `*.elb.amazonaws.com` name. Default: the
   * NLB's DNS name (self-signed certificate only).
   */
  readonly domainName?: string;
  /**
   * Route 53 public hosted zone of `domainName`: an A alias record to the NLB
   * is created there. Default: no record (DNS managed elsewhere: point a
   * CNAME at `loadBalancerDnsName`).
   */
  readonly hostedZoneId?: pulumi.Input<string>;
  /** VPC CIDR block. No default: stack setting `network.cidrBlock`. */
  readonly cidrBlock: string;
  /** Availability zones (2–3). No default: stack setting `network.availabilityZoneCount`. */
  readonly availabilityZoneCount: number;
  /** NAT gateways: one for the VPC (cheap) or one per zone (HA). No default: stack setting `network.natGateways`. */
  readonly natGateways: "Single" | "OnePerAz";
  /** Client address ranges allowed to reach port 443 (PCs on the internet: 0.0.0.0/0). No default: stack setting `receiver.allowedCidrs`. */
  readonly allowedCidrs: readonly string[];
  /** Task count bounds for autoscaling. No defaults: stack settings `receiver.minTasks`, `receiver.maxTasks`. */
  readonly minTasks: number;
  readonly maxTasks: number;
  /** Fargate CPU units and memory. No defaults: stack settings `receiver.cpu`, `receiver.memoryMiB`. */
  readonly cpu: number;
  readonly memoryMiB: number;
  /** Average CPU the service scales to hold. No default: stack setting `receiver.targetCpuPercent`. */
  readonly targetCpuPercent: number;
  /** Run this image instead of building `apps/log-receiver` (then no repository is created). */
  readonly imageUri?: pulumi.Input<string>;
  /**
   * Send the receiver's Prometheus metrics to AMP through an ADOT collector
   * sidecar. Default: no sidecar.
   */
  readonly metrics?: {
    readonly workspaceArn: pulumi.Input<string>;
    readonly remoteWriteUrl: pulumi.Input<string>;
  };
  /**
   * Trace requests with OpenTelemetry: the receiver sends spans to the ADOT
   * sidecar on loopback, which exports them to X-Ray (the task role may then
   * call `xray:PutTraceSegments`). Default: no tracing.
   */
  readonly tracing?: TracingArgs;
  /** Retention of the task log group (a CloudWatch Logs value). No default: stack setting `logRetentionDays`. */
  readonly logRetentionDays: number;
  /** Prod: deletion protection on the NLB, tokens secret kept 30 days after deletion. No default: stack setting `retainData`. */
  readonly retainData: boolean;
  /** Tags for every resource. No default: the stack's tags. */
  readonly tags: Tags;
}

/** TLS 1.3 with 1.2 fallback, forward secrecy only (AWS's recommended NLB policy). */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** Every problem with the args, so that one error can list them all. */
export function logReceiverClusterArgProblems(args: LogReceiverClusterArgs): string[] {
  const problems: string[] = [];
  const min = args.minTasks;
  const max = args.maxTasks;
  if (!Number.isInteger(min) || min < 1)
    problems.push(`minTasks must be a whole number of at least 1 (got ${min})`);
  if (!Number.isInteger(max) || max < min)
    problems.push(`maxTasks must be a whole number of at least minTasks (got ${max})`);
  const target = args.targetCpuPercent;
  if (target < 10 || target > 90) problems.push(`targetCpuPercent must be 10–90 (got ${target})`);
  const zones = args.availabilityZoneCount;
  if (zones < 2 || zones > 3) problems.push(`availabilityZoneCount must be 2 or 3 (got ${zones})`);
  problems.push(...logRetentionProblems("logRetentionDays", args.logRetentionDays));
  if (args.tracing !== undefined) {
    problems.push(...sampleRatioProblems("tracing.sampleRatio", args.tracing.sampleRatio));
  }
  if (args.domainName !== undefined && !DNS_NAME.test(args.domainName)) {
    problems.push(`domainName must be a DNS host name such as logs.example.com (got ${args.domainName})`);
  }
  if (args.tls !== undefined && args.domainName === undefined) {
    problems.push(
      "domainName is required with tls: agents verify the certificate against the name they connect to, and no certificate can name the NLB's own *.elb.amazonaws.com name",
    );
  }
  if (args.hostedZoneId !== undefined && args.domainName === undefined) {
    problems.push("hostedZoneId needs domainName: it is the zone the domainName record goes in");
  }
  if (args.tls === undefined && args.allowSelfSignedCertificate !== true) {
    problems.push(
      "tls is required: give the endpoint's certificate and key (self-signed is allowed only in dev)",
    );
  }
  if (args.ingestTokens === undefined && args.allowGeneratedTokens !== true) {
    problems.push(
      "ingestTokens is required: give at least one named token (generated tokens are allowed only in dev)",
    );
  }
  if (args.allowedCidrs.length === 0) {
    problems.push("allowedCidrs must name at least one address range");
  }
  return problems;
}

/**
 * The HTTPS endpoint where PCs and servers ship logs: a VPC, an internet
 * facing NLB terminating TLS on 443, and a Fargate service running
 * `apps/log-receiver` that writes every line into the ingest stream, with
 * CPU autoscaling and alarms for unhealthy targets and saturation.
 */
export class LogReceiverCluster extends pulumi.ComponentResource {
  /** `https://<domainName, else the NLB's DNS name>/v1/logs` */
  public readonly endpoint: pulumi.Output<string>;
  /** The self-signed certificate (PEM, not secret) agents must trust; undefined with an imported one. */
  public readonly caCertificatePem?: pulumi.Output<string>;
  public readonly loadBalancerDnsName: pulumi.Output<string>;
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** The VPC's default network ACL (where the optional ICMP deny rule of the flow-log demo goes). */
  public readonly defaultNetworkAclId: pulumi.Output<string>;
  public readonly clusterName: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;
  /** Secrets Manager secret holding the tokens (read it to hand tokens to agents). */
  public readonly tokensSecretArn: pulumi.Output<string>;
  /** log-sender, Fluent Bit and fluentd configurations with the endpoint filled in. */
  public readonly agentConfigs: pulumi.Output<AgentConfigs>;

  constructor(name: string, args: LogReceiverClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:receiver:LogReceiverCluster", name, {}, opts);
    throwIfInvalid("LogReceiverCluster", name, logReceiverClusterArgProblems(args));
    const tags = args.tags;
    const retainData = args.retainData;
    const minTasks = args.minTasks;
    const maxTasks = args.maxTasks;
    const ctx = awsContext(this);
    const tracing = args.tracing;

    // ---- Network: public subnets for the NLB, private ones for the tasks.
    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.cidrBlock,
        numberOfAvailabilityZones: args.availabilityZoneCount,
        natGateways: { strategy: args.natGateways },
        subnetStrategy: "Auto",
        subnetSpecs: [
          { type: "Public", cidrMask: 24 },
          { type: "Private", cidrMask: 20 },
        ],
        tags: { ...tags },
      },
      { parent: this },
    );
    const lbGroup = new aws.ec2.SecurityGroup(
      `${name}-nlb-sg`,
      { vpcId: vpc.vpcId, description: "log receiver NLB: 443 from allowed clients", tags: { ...tags } },
      { parent: this },
    );
    const taskGroup = new aws.ec2.SecurityGroup(
      `${name}-task-sg`,
      { vpcId: vpc.vpcId, description: "log receiver tasks: only from the NLB", tags: { ...tags } },
      { parent: this },
    );
    args.allowedCidrs.forEach((cidr, index) => {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-nlb-in-${index}`,
        {
          securityGroupId: lbGroup.id,
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrIpv4: cidr,
          description: "HTTPS from clients",
        },
        { parent: this },
      );
    });
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-nlb-to-tasks`,
      {
        securityGroupId: lbGroup.id,
        ipProtocol: "tcp",
        fromPort: RECEIVER_PORT,
        toPort: RECEIVER_PORT,
        referencedSecurityGroupId: taskGroup.id,
        description: "to the receiver tasks (traffic and health checks)",
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-tasks-from-nlb`,
      {
        securityGroupId: taskGroup.id,
        ipProtocol: "tcp",
        fromPort: RECEIVER_PORT,
        toPort: RECEIVER_PORT,
        referencedSecurityGroupId: lbGroup.id,
        description: "from the NLB only",
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-tasks-to-aws`,
      {
        securityGroupId: taskGroup.id,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrIpv4: "0.0.0.0/0",
        description: "AWS APIs (Kinesis, ECR, Secrets Manager, CloudWatch) through the NAT gateway",
      },
      { parent: this },
    );

    // ---- Load balancer: TLS ends here; targets get plain HTTP on 8080 behind a PROXY protocol v2 header.
    const lb = new aws.lb.LoadBalancer(
      `${name}-nlb`,
      {
        loadBalancerType: "network",
        internal: false,
        subnets: vpc.publicSubnetIds,
        securityGroups: [lbGroup.id],
        enableCrossZoneLoadBalancing: true,
        enableDeletionProtection: retainData,
        tags: { ...tags },
      },
      { parent: this },
    );
    const targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: vpc.vpcId,
        port: RECEIVER_PORT,
        protocol: "TCP",
        targetType: "ip",
        // Every connection (health checks too, naming no client) starts with a PROXY protocol
        // v2 header naming the client, IPv4 or IPv6. Client IP preservation would show IPv6
        // clients as the NLB on these IPv4 targets, so it is off: the task's peer is the NLB.
        // The receiver (PROXY_PROTOCOL=on) believes the header only because the task security
        // group admits the NLB alone (tasks-from-nlb).
        proxyProtocolV2: true,
        preserveClientIp: "false",
        // Long enough for in-flight requests to finish their Kinesis puts on scale-in.
        deregistrationDelay: 30,
        healthCheck: {
          protocol: "HTTP",
          path: "/healthz",
          port: String(RECEIVER_PORT),
          matcher: "200",
          interval: 10,
          healthyThreshold: 2,
          unhealthyThreshold: 2,
        },
        tags: { ...tags },
      },
      { parent: this },
    );
    // The name agents connect to, verify the certificate against, and find in their configs.
    const host = args.domainName !== undefined ? pulumi.output(args.domainName) : lb.dnsName;
    if (args.domainName !== undefined && args.hostedZoneId !== undefined) {
      new aws.route53.Record(
        `${name}-dns`,
        {
          zoneId: args.hostedZoneId,
          name: args.domainName,
          // The NLB is IPv4 only (its default ipAddressType), so an A alias and no AAAA.
          type: "A",
          // Target health evaluated: the record takes the health of the NLB's target groups,
          // which lets failover or weighted records added later (another region) take over.
          // Alone it is still answered when unhealthy: Route 53 then answers with what it has.
          aliases: [{ name: lb.dnsName, zoneId: lb.zoneId, evaluateTargetHealth: true }],
        },
        { parent: this },
      );
    }
    const { certificate, selfSignedPem } = this.certificate(name, args, host, tags);
    const listener = new aws.lb.Listener(
      `${name}-tls`,
      {
        loadBalancerArn: lb.arn,
        port: 443,
        protocol: "TLS",
        sslPolicy: TLS_POLICY,
        certificateArn: certificate.arn,
        alpnPolicy: "HTTP1Only",
        defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
        tags: { ...tags },
      },
      { parent: this },
    );

    // ---- Secrets, image, logs.
    const tokens =
      args.ingestTokens !== undefined
        ? pulumi.secret(pulumi.output(args.ingestTokens))
        : new random.RandomPassword(
            `${name}-generated-token`,
            { length: 48, special: false },
            { parent: this },
          ).result.apply((token) => [{ name: "generated", token }]);
    const tokensSecret = new aws.secretsmanager.Secret(
      `${name}-tokens`,
      {
        description: "Ingest tokens of the log receiver, JSON [{name, token}]",
        kmsKeyId: args.kmsKeyArn,
        // dev: delete at once so `pulumi destroy` leaves nothing behind; prod: 30 days to recover.
        recoveryWindowInDays: retainData ? 30 : 0,
        tags: { ...tags },
      },
      { parent: this },
    );
    const tokensVersion = new aws.secretsmanager.SecretVersion(
      `${name}-tokens-value`,
      { secretId: tokensSecret.id, secretString: pulumi.secret(pulumi.jsonStringify(tokens)) },
      { parent: this },
    );
    const logGroup = createEncryptedLogGroup(
      `${name}-tasks`,
      {
        retentionInDays: args.logRetentionDays,
        kmsKeyArn: args.kmsKeyArn,
        tags,
      },
      this,
    );
    const { image, repositoryArn } = this.image(name, args, retainData, tags);

    // ---- Roles: ECS (pull, logs, secret) and the app (put into the stream).
    const ecsTasksSourceArn = (c: { partition: string; region: string; accountId: string }) =>
      `arn:${c.partition}:ecs:${c.region}:${c.accountId}:*`;
    const executionRole = createServiceRole(
      `${name}-execution`,
      {
        service: "ecs-tasks.amazonaws.com",
        // The ECS agent assumes the execution role; AWS documents the confused-deputy
        // conditions for task roles only, so the execution role goes without.
        sourceAccountCondition: false,
        statements: pulumi
          .all([repositoryArn, logGroup.arn, tokensSecret.arn, args.kmsKeyArn])
          .apply(([repo, logGroupArn, tokensSecretArn, keyArn]) =>
            receiverExecutionStatements({
              ...(repo !== undefined ? { repositoryArn: repo } : {}),
              logGroupArn,
              tokensSecretArn,
              keyArn,
            }),
          ),
        tags,
      },
      ctx,
      this,
    );
    const taskRole = createServiceRole(
      `${name}-task`,
      {
        service: "ecs-tasks.amazonaws.com",
        sourceArnLike: ecsTasksSourceArn,
        statements: pulumi
          .all([args.streamArn, args.kmsKeyArn, args.metrics?.workspaceArn])
          .apply(([streamArn, keyArn, workspaceArn]) => [
            ...receiverTaskStatements(streamArn, keyArn, tracing !== undefined),
            ...(workspaceArn !== undefined ? [remoteWriteStatement(workspaceArn)] : []),
          ]),
        tags,
      },
      ctx,
      this,
    );

    // ---- ECS: cluster, task definition, service, autoscaling.
    const cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      { settings: [{ name: "containerInsights", value: "enabled" }], tags: { ...tags } },
      { parent: this },
    );
    const taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: `${name}-receiver`,
        cpu: String(args.cpu),
        memory: String(args.memoryMiB),
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        executionRoleArn: executionRole.role.arn,
        taskRoleArn: taskRole.role.arn,
        containerDefinitions: pulumi.jsonStringify(
          pulumi
            .all([
              image,
              args.streamName,
              ctx,
              tokensSecret.arn,
              tokensVersion.versionId,
              logGroup.name,
              args.metrics?.remoteWriteUrl,
            ])
            .apply(([img, streamName, c, tokensSecretArn, tokensVersionId, logGroupName, remoteWriteUrl]) => {
              // One ADOT sidecar for whatever it collects: the receiver's metrics, its traces.
              const withSidecar = remoteWriteUrl !== undefined || tracing !== undefined;
              return [
                ...receiverContainerDefinitions({
                  image: img,
                  streamName,
                  region: c.region,
                  tokensSecretArn,
                  tokensVersionId,
                  logGroupName,
                  memoryLimitMiB: receiverMemoryMiB(args.memoryMiB, withSidecar),
                  ...(tracing !== undefined ? { tracing } : {}),
                }),
                ...(withSidecar
                  ? [
                      adotContainerDefinition({
                        ...(remoteWriteUrl !== undefined ? { remoteWriteUrl } : {}),
                        traces: tracing !== undefined,
                        region: c.region,
                        logGroupName,
                      }),
                    ]
                  : []),
              ];
            }),
        ),
        tags: { ...tags },
      },
      { parent: this },
    );
    const service = new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: cluster.arn,
        taskDefinition: taskDefinition.arn,
        desiredCount: minTasks,
        launchType: "FARGATE",
        networkConfiguration: {
          subnets: vpc.privateSubnetIds,
          securityGroups: [taskGroup.id],
          assignPublicIp: false,
        },
        loadBalancers: [
          {
            targetGroupArn: targetGroup.arn,
            containerName: RECEIVER_CONTAINER,
            containerPort: RECEIVER_PORT,
          },
        ],
        healthCheckGracePeriodSeconds: 30,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        propagateTags: "SERVICE",
        enableEcsManagedTags: true,
        tags: { ...tags },
      },
      // ECS refuses a target group that no listener uses yet; autoscaling owns desiredCount after creation.
      { parent: this, dependsOn: [listener], ignoreChanges: ["desiredCount"] },
    );
    const scalingTarget = new aws.appautoscaling.Target(
      `${name}-scaling`,
      {
        serviceNamespace: "ecs",
        scalableDimension: "ecs:service:DesiredCount",
        resourceId: pulumi.interpolate`service/${cluster.name}/${service.name}`,
        minCapacity: minTasks,
        maxCapacity: maxTasks,
        tags: { ...tags },
      },
      { parent: this },
    );
    new aws.appautoscaling.Policy(
      `${name}-cpu-tracking`,
      {
        policyType: "TargetTrackingScaling",
        serviceNamespace: scalingTarget.serviceNamespace,
        scalableDimension: scalingTarget.scalableDimension,
        resourceId: scalingTarget.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
          targetValue: args.targetCpuPercent,
          scaleOutCooldown: 60,
          scaleInCooldown: 300,
        },
      },
      { parent: this },
    );

    this.alarms(name, args.alarmTopicArn, { lb, targetGroup, cluster, service, maxTasks }, tags);

    this.loadBalancerDnsName = lb.dnsName;
    this.endpoint = pulumi.interpolate`https://${host}/v1/logs`;
    if (selfSignedPem !== undefined) this.caCertificatePem = selfSignedPem;
    this.vpcId = vpc.vpcId;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.defaultNetworkAclId = vpc.vpc.defaultNetworkAclId;
    this.clusterName = cluster.name;
    this.serviceName = service.name;
    this.tokensSecretArn = tokensSecret.arn;
    this.agentConfigs = pulumi.all([host, ctx, args.streamName]).apply(([hostName, c, streamName]) =>
      agentConfigs({
        host: hostName,
        region: c.region,
        streamName,
        selfSignedCertificate: selfSignedPem !== undefined,
      }),
    );
    this.registerOutputs({
      endpoint: this.endpoint,
      caCertificatePem: this.caCertificatePem,
      loadBalancerDnsName: this.loadBalancerDnsName,
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      defaultNetworkAclId: this.defaultNetworkAclId,
      clusterName: this.clusterName,
      serviceName: this.serviceName,
      tokensSecretArn: this.tokensSecretArn,
      agentConfigs: this.agentConfigs,
    });
  }

  /**
   * The endpoint certificate in ACM: imported from config, or (dev only)
   * self-signed for `host`, returned as PEM too.
   */
  private certificate(
    name: string,
    args: LogReceiverClusterArgs,
    host: pulumi.Output<string>,
    tags: Tags,
  ): { certificate: aws.acm.Certificate; selfSignedPem?: pulumi.Output<string> } {
    if (args.tls !== undefined) {
      const parts = pulumi.output(args.tls.certificatePem).apply(splitCertificateChain);
      const certificate = new aws.acm.Certificate(
        `${name}-certificate`,
        {
          certificateBody: parts.body,
          certificateChain: parts.apply((p) => p.chain),
          privateKey: pulumi.secret(args.tls.privateKeyPem),
          tags: { ...tags },
        },
        { parent: this },
      );
      return { certificate };
    }
    const key = new tls.PrivateKey(
      `${name}-self-signed-key`,
      { algorithm: "ECDSA", ecdsaCurve: "P256" },
      { parent: this },
    );
    const cert = new tls.SelfSignedCert(
      `${name}-self-signed`,
      {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: "log-receiver", organization: "log-platform (self-signed, dev only)" },
        dnsNames: [host],
        validityPeriodHours: 24 * 365,
        earlyRenewalHours: 24 * 30,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
      },
      { parent: this },
    );
    const certificate = new aws.acm.Certificate(
      `${name}-certificate`,
      { certificateBody: cert.certPem, privateKey: key.privateKeyPem, tags: { ...tags } },
      { parent: this },
    );
    // A certificate is public: agents read it from a stack output, which must not come out secret.
    return { certificate, selfSignedPem: pulumi.unsecret(cert.certPem) };
  }

  /** The image to run: given, or built from `apps/log-receiver` into a scanned, encrypted repository. */
  private image(
    name: string,
    args: LogReceiverClusterArgs,
    retainData: boolean,
    tags: Tags,
  ): { image: pulumi.Output<string>; repositoryArn: pulumi.Output<string | undefined> } {
    if (args.imageUri !== undefined) {
      return { image: pulumi.output(args.imageUri), repositoryArn: pulumi.output(undefined) };
    }
    const repository = new aws.ecr.Repository(
      `${name}-images`,
      {
        imageScanningConfiguration: { scanOnPush: true },
        imageTagMutability: "MUTABLE",
        encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
        forceDelete: !retainData,
        tags: { ...tags },
      },
      { parent: this },
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-images-lifecycle`,
      {
        repository: repository.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: "keep the last 20 images",
              selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 20 },
              action: { type: "expire" },
            },
          ],
        }),
      },
      { parent: this },
    );
    const built = new awsx.ecr.Image(
      `${name}-image`,
      {
        repositoryUrl: repository.repositoryUrl,
        // The receiver imports apps/lib, so the build context is the repository root.
        context: path.resolve(__dirname, "../.."),
        dockerfile: path.resolve(__dirname, "../../apps/log-receiver/Dockerfile"),
        platform: "linux/amd64",
      },
      { parent: this },
    );
    return { image: built.imageUri, repositoryArn: repository.arn };
  }

  /** Alarms to the topic: targets unhealthy, endpoint down, service pinned at its maximum; ECS service warnings. */
  private alarms(
    name: string,
    topicArn: pulumi.Input<string>,
    targets: {
      lb: aws.lb.LoadBalancer;
      targetGroup: aws.lb.TargetGroup;
      cluster: aws.ecs.Cluster;
      service: aws.ecs.Service;
      maxTasks: number;
    },
    tags: Tags,
  ): void {
    const alarmTarget = { topicArn, tags };
    const lbDimensions = { LoadBalancer: targets.lb.arnSuffix, TargetGroup: targets.targetGroup.arnSuffix };
    createAlarm(
      `${name}-unhealthy-targets`,
      {
        alarmDescription: "At least one receiver task fails its health check.",
        namespace: "AWS/NetworkELB",
        metricName: "UnHealthyHostCount",
        dimensions: lbDimensions,
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 3,
        threshold: 1,
      },
      alarmTarget,
      this,
    );
    createAlarm(
      `${name}-no-healthy-targets`,
      {
        alarmDescription:
          "No healthy receiver task: the endpoint refuses every client, which spool and retry.",
        namespace: "AWS/NetworkELB",
        metricName: "HealthyHostCount",
        dimensions: lbDimensions,
        statistic: "Minimum",
        period: 60,
        evaluationPeriods: 2,
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        // No data from the load balancer is itself a sign the endpoint is gone.
        treatMissingData: "breaching",
      },
      alarmTarget,
      this,
    );
    createAlarm(
      `${name}-at-max-capacity`,
      {
        alarmDescription: `The receiver has scaled out to its maximum of ${targets.maxTasks} tasks for 15 minutes.`,
        namespace: "ECS/ContainerInsights",
        metricName: "RunningTaskCount",
        dimensions: { ClusterName: targets.cluster.name, ServiceName: targets.service.name },
        statistic: "Maximum",
        period: 300,
        evaluationPeriods: 3,
        threshold: targets.maxTasks,
      },
      alarmTarget,
      this,
    );
    // Scaling and deployment trouble as it happens (the source e-mailed the operator on scaling events).
    const rule = new aws.cloudwatch.EventRule(
      `${name}-service-events`,
      {
        description: "Warnings and errors of the log receiver ECS service",
        eventPattern: pulumi.jsonStringify({
          source: ["aws.ecs"],
          "detail-type": ["ECS Service Action", "ECS Deployment State Change"],
          resources: [targets.service.id],
          detail: { eventType: ["WARN", "ERROR"] },
        }),
        tags: { ...tags },
      },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      `${name}-service-events-to-topic`,
      { rule: rule.name, arn: topicArn },
      { parent: this },
    );
  }
}
