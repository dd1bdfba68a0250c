import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";

import { violations } from "../../../policy/rules";
import { CloudTrailPipeline } from "../../cloudtrail-pipeline";
import { bundleLambdaCode } from "../../lib/bundle";
import type { ProgramRun, RecordedResource } from "../../../test/lib/mocks";
import {
  asPolicyInputs,
  computedState,
  containsSecret,
  parseJsonInput,
  resourceNamed,
  runUnderMocks,
  valueOf,
} from "../../../test/lib/mocks";
import { cloudTrailIndexPattern } from "../../cloudtrail-pipeline";
import {
  DATA_SOURCE_TYPES,
  dashboardDatasourceUses,
  readDashboards,
  TOKEN_ROTATION,
  TOKEN_SECONDS_TO_LIVE,
} from "../../grafana-workspace";
import {
  BOOTSTRAP_ENTRY,
  BOOTSTRAP_RETRY_SECONDS,
  BOOTSTRAP_TIMEOUT_SECONDS,
  OPENSEARCH_LOG_TYPES,
  openSearchAlarmSpecs,
} from "../../opensearch-domain";
import { ENVIRONMENT_DEFAULTS } from "../../../stacks/settings-schema";
import type { GrafanaOptions, ObservabilityStackArgs, OpenSearchOptions, PrometheusOptions } from "..";
import { DASHBOARDS_DIR, ObservabilityStack, observabilityStackArgProblems, RULES_DIR } from "..";

const NO_CONFIG = { config: {}, secretKeys: [] };
const ACCOUNT = "123456789012";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const INDEXER = "arn:aws:iam::123456789012:role/indexer";
const LOGS_INDEXER = "arn:aws:iam::123456789012:role/logs-indexer";
const WRITERS = [
  { role: "cloudtrail_writer", roleArns: [INDEXER], indexPatterns: ["cloudtrail-*"] },
  { role: "logs_writer", roleArns: [LOGS_INDEXER], indexPatterns: ["logs-*", "access-*"] },
];
const ARCHIVE = "arn:aws:s3:::archive";
const DOMAIN_ARN = "arn:aws:es:eu-west-1:123456789012:domain/obs";
const MASTER_ROLE = "arn:aws:iam::123456789012:role/obs-opensearch-bootstrap-role";
const GRAFANA_ROLE = "arn:aws:iam::123456789012:role/obs-grafana-role";
const ALL_METHODS = [
  "es:ESHttpGet",
  "es:ESHttpHead",
  "es:ESHttpPost",
  "es:ESHttpPut",
  "es:ESHttpPatch",
  "es:ESHttpDelete",
];
const tags = { Project: "log-platform", Environment: "test", ManagedBy: "pulumi" };
// The stack settings of dev, as stacks/platform.ts passes them: their defaults live in the settings schema only.
const DEV = ENVIRONMENT_DEFAULTS.dev;
const base: ObservabilityStackArgs = {
  kmsKeyArn: KEY,
  alarmTopicArn: TOPIC,
  tags,
  prometheus: { enabled: DEV.observability.prometheus },
  openSearch: {
    ...DEV.observability.openSearch,
    indexPattern: cloudTrailIndexPattern(DEV.cloudTrail.indexPrefix),
  },
  grafana: DEV.observability.grafana,
  logRetentionDays: DEV.logRetentionDays,
  retainData: DEV.retainData,
};

/** What a test changes from {@link base}; each part is merged over the base's. */
type Overrides = Partial<Omit<ObservabilityStackArgs, "prometheus" | "openSearch" | "grafana">> & {
  readonly prometheus?: Partial<PrometheusOptions>;
  readonly openSearch?: Partial<OpenSearchOptions>;
  readonly grafana?: Partial<GrafanaOptions>;
};

function withBase(args: Overrides): ObservabilityStackArgs {
  return {
    ...base,
    ...args,
    prometheus: { ...base.prometheus, ...args.prometheus },
    openSearch: { ...base.openSearch, ...args.openSearch },
    grafana: { ...base.grafana, ...args.grafana },
  };
}

const TYPES = {
  ampWorkspace: "aws:amp/workspace:Workspace",
  ruleNamespace: "aws:amp/ruleGroupNamespace:RuleGroupNamespace",
  alertManager: "aws:amp/alertManagerDefinition:AlertManagerDefinition",
  domain: "aws:opensearch/domain:Domain",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  randomPassword: "random:index/randomPassword:RandomPassword",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  logResourcePolicy: "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  grafanaWorkspace: "aws:grafana/workspace:Workspace",
  token: "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken",
  rotating: "time:index/rotating:Rotating",
  grafanaProvider: "pulumi:providers:grafana",
  dataSource: "grafana:oss/dataSource:DataSource",
  folder: "grafana:oss/folder:Folder",
  dashboard: "grafana:oss/dashboard:Dashboard",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  role: "aws:iam/role:Role",
  workgroup: "aws:athena/workgroup:Workgroup",
  lambda: "aws:lambda/function:Function",
  invocation: "aws:lambda/invocation:Invocation",
} as const;

/** Outputs of the component, resolved, and whether any of them is secret. */
interface Exposed {
  readonly values: Record<string, unknown>;
  readonly secretOutputs: string[];
}

const OUTPUT_NAMES = [
  "prometheusWorkspaceArn",
  "prometheusEndpoint",
  "remoteWriteUrl",
  "openSearchDomainArn",
  "openSearchDomainName",
  "openSearchEndpoint",
  "openSearchMasterUserSecretArn",
  "grafanaUrl",
  "grafanaRoleArn",
] as const;

function deploy(args: Overrides): Promise<ProgramRun<Exposed>> {
  return runUnderMocks("test", NO_CONFIG, async () => {
    const stack = new ObservabilityStack("obs", withBase(args));
    const values: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    for (const key of OUTPUT_NAMES) {
      const output = stack[key];
      if (output === undefined) continue;
      values[key] = await valueOf(output);
      if (await pulumi.isSecret(output)) secretOutputs.push(key);
    }
    return { values, secretOutputs };
  });
}

const ofType = (run: ProgramRun<unknown>, type: string): RecordedResource[] =>
  run.resources.filter((r) => r.type === type);

const PROD_LIKE: Overrides = {
  retainData: true,
  logRetentionDays: 365,
  openSearch: {
    instanceType: "r6g.large.search",
    instanceCount: 3,
    dedicatedMasterCount: 3,
    zoneAwareness: true,
    volumeGiB: 100,
    snapshotHour: 2,
    writers: WRITERS,
  },
  grafana: {
    enabled: true,
    authenticationProviders: ["AWS_SSO"],
    athena: {
      databaseName: "lp_logs",
      tableName: "nginx_access",
      archiveBucketArn: ARCHIVE,
      kmsKeyArn: KEY,
      // With the cost table every dashboard of the repository is provisioned (the cost one needs it).
      cost: { tableName: "cost_and_usage", prefix: "cost/" },
    },
  },
};

describe("ObservabilityStack (mocks)", () => {
  let prod: ProgramRun<Exposed>;
  let dev: ProgramRun<Exposed>;
  const infos: string[] = [];
  before(async () => {
    prod = await deploy(PROD_LIKE);
    // The grafana-off message goes through pulumi.log.info; capture it for one run.
    const log = pulumi.log as { info: typeof pulumi.log.info };
    const original = log.info;
    log.info = (message: string) => {
      infos.push(message);
      return Promise.resolve();
    };
    try {
      dev = await deploy({ openSearch: { masterPassword: pulumi.secret("given-Password-1!") } });
    } finally {
      log.info = original;
    }
  });

  describe("AMP", () => {
    it("workspace: alias, archive key, errors logged to a KMS log group with retention", () => {
      const workspace = resourceNamed(prod.resources, TYPES.ampWorkspace, "obs-amp");
      assert.deepEqual(workspace.props, {
        alias: "obs",
        kmsKeyArn: KEY,
        loggingConfiguration: {
          logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/prometheus/obs:*",
        },
        tags,
      });
      const logGroup = resourceNamed(prod.resources, TYPES.logGroup, "obs-amp-logs");
      assert.deepEqual(logGroup.props, {
        name: "/aws/vendedlogs/prometheus/obs",
        retentionInDays: 365,
        kmsKeyId: KEY,
        tags,
      });
    });

    it("one rule group namespace per rules file, with the file's content", () => {
      const files = fs
        .readdirSync(RULES_DIR)
        .filter((f) => f.endsWith(".yml"))
        .sort();
      assert.ok(files.length > 0, "the repository has rule files");
      const namespaces = ofType(prod, TYPES.ruleNamespace);
      assert.deepEqual(
        namespaces.map((n) => n.name),
        files.map((f) => `obs-rules-${f.replace(/\.yml$/, "")}`),
      );
      for (const file of files) {
        const namespace = resourceNamed(
          prod.resources,
          TYPES.ruleNamespace,
          `obs-rules-${file.replace(/\.yml$/, "")}`,
        );
        assert.equal(namespace.props.data, fs.readFileSync(path.join(RULES_DIR, file), "utf8"));
        assert.equal(namespace.props.name, file.replace(/\.yml$/, ""));
        assert.equal(namespace.props.workspaceId, "obs-amp-id");
      }
    });

    it("alertmanager: every receiver publishes to the alert topic, signed for the region, no placeholder left", () => {
      const definition = resourceNamed(prod.resources, TYPES.alertManager, "obs-alertmanager");
      assert.equal(definition.props.workspaceId, "obs-amp-id");
      const text = definition.props.definition as string;
      assert.doesNotMatch(text, /\$\{/);
      const doc = parseYaml(text) as { alertmanager_config: string; template_files: Record<string, string> };
      assert.ok(Object.keys(doc.template_files).length > 0, "notification templates are included");
      const config = parseYaml(doc.alertmanager_config) as {
        receivers: { name: string; sns_configs: { topic_arn: string; sigv4: { region: string } }[] }[];
      };
      const sns = config.receivers.flatMap((r) => r.sns_configs);
      assert.ok(sns.length > 0);
      for (const target of sns)
        assert.deepEqual([target.topic_arn, target.sigv4.region], [TOPIC, "eu-west-1"]);
    });

    it("outputs the endpoint and the remote-write URL", () => {
      assert.equal(
        prod.outputs.values.prometheusEndpoint,
        "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-obs-amp/",
      );
      assert.equal(
        prod.outputs.values.remoteWriteUrl,
        "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-obs-amp/api/v1/remote_write",
      );
      assert.equal(prod.outputs.values.prometheusWorkspaceArn, "arn:aws:amp:eu-west-1:123456789012:obs-amp");
    });
  });

  describe("OpenSearch", () => {
    it("prod-like domain: encrypted, HTTPS with the TLS policy, FGAC, zone awareness, dedicated masters, protected", () => {
      const domain = resourceNamed(prod.resources, TYPES.domain, "obs-domain");
      const { accessPolicies: _policy, logPublishingOptions: _logs, ...rest } = domain.props;
      assert.deepEqual(rest, {
        domainName: "obs",
        engineVersion: "OpenSearch_2.19",
        clusterConfig: {
          instanceType: "r6g.large.search",
          instanceCount: 3,
          zoneAwarenessEnabled: true,
          zoneAwarenessConfig: { availabilityZoneCount: 3 },
          dedicatedMasterEnabled: true,
          dedicatedMasterCount: 3,
          dedicatedMasterType: "m6g.large.search",
        },
        ebsOptions: { ebsEnabled: true, volumeType: "gp3", volumeSize: 100 },
        encryptAtRest: { enabled: true, kmsKeyId: KEY },
        nodeToNodeEncryption: { enabled: true },
        domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: "Policy-Min-TLS-1-2-PFS-2023-10" },
        advancedSecurityOptions: {
          enabled: true,
          anonymousAuthEnabled: false,
          internalUserDatabaseEnabled: true,
          masterUserOptions: { masterUserArn: MASTER_ROLE },
        },
        snapshotOptions: { automatedSnapshotStartHour: 2 },
        softwareUpdateOptions: { autoSoftwareUpdateEnabled: true },
        tags,
      });
      assert.deepEqual(domain.options, { protect: true, retainOnDelete: true });
    });

    it("dev-like domain: one node, no zone awareness, no dedicated masters, not protected", () => {
      const domain = resourceNamed(dev.resources, TYPES.domain, "obs-domain");
      assert.deepEqual(domain.props.clusterConfig, {
        instanceType: "t3.small.search",
        instanceCount: 1,
        zoneAwarenessEnabled: false,
        dedicatedMasterEnabled: false,
      });
      assert.deepEqual(domain.props.ebsOptions, { ebsEnabled: true, volumeType: "gp3", volumeSize: 10 });
      assert.deepEqual(domain.options, { protect: false, retainOnDelete: false });
    });

    it("publishes all four logs to KMS log groups with retention, which OpenSearch may write for this domain only", () => {
      const domain = resourceNamed(prod.resources, TYPES.domain, "obs-domain");
      const groupArn = (type: string) =>
        `arn:aws:logs:eu-west-1:123456789012:log-group:/aws/opensearch/obs/${type.toLowerCase()}`;
      assert.deepEqual(
        domain.props.logPublishingOptions,
        OPENSEARCH_LOG_TYPES.map((logType) => ({
          logType,
          cloudwatchLogGroupArn: groupArn(logType),
          enabled: true,
        })),
      );
      assert.deepEqual(
        [...OPENSEARCH_LOG_TYPES],
        ["AUDIT_LOGS", "INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS"],
      );
      for (const logType of OPENSEARCH_LOG_TYPES) {
        const group = resourceNamed(
          prod.resources,
          TYPES.logGroup,
          `obs-${logType.toLowerCase().replace(/_/g, "-")}`,
        );
        assert.deepEqual([group.props.retentionInDays, group.props.kmsKeyId], [365, KEY]);
      }
      const resourcePolicy = resourceNamed(prod.resources, TYPES.logResourcePolicy, "obs-opensearch-logs");
      assert.deepEqual(parseJsonInput(resourcePolicy.props.policyDocument).Statement, [
        {
          Sid: "OpenSearchPublishesDomainLogs",
          Effect: "Allow",
          Principal: { Service: "es.amazonaws.com" },
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: OPENSEARCH_LOG_TYPES.map((t) => `${groupArn(t)}:*`),
          Condition: {
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            ArnLike: { "aws:SourceArn": DOMAIN_ARN },
          },
        },
      ]);
    });

    it("access policy: exactly the indexer (writes) and the Grafana role (reads), on the domain's paths", () => {
      const domain = resourceNamed(prod.resources, TYPES.domain, "obs-domain");
      assert.deepEqual(parseJsonInput(domain.props.accessPolicies).Statement, [
        {
          Sid: "Master",
          Effect: "Allow",
          Principal: { AWS: [MASTER_ROLE] },
          Action: ALL_METHODS,
          Resource: `${DOMAIN_ARN}/*`,
        },
        {
          Sid: "Writers",
          Effect: "Allow",
          Principal: { AWS: [INDEXER, LOGS_INDEXER] },
          Action: ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"],
          Resource: `${DOMAIN_ARN}/*`,
        },
        {
          Sid: "Readers",
          Effect: "Allow",
          Principal: { AWS: [GRAFANA_ROLE] },
          Action: ["es:ESHttpGet", "es:ESHttpPost"],
          Resource: `${DOMAIN_ARN}/*`,
        },
      ]);
      // Without roles or operator ranges only the master gets in.
      const devPolicy = parseJsonInput(
        resourceNamed(dev.resources, TYPES.domain, "obs-domain").props.accessPolicies,
      );
      assert.deepEqual(
        devPolicy.Statement.map((s) => [s.Sid, s.Effect, s.Principal]),
        [["Master", "Allow", { AWS: [MASTER_ROLE] }]],
      );
    });

    it("admin password: generated when not given, only in the KMS-encrypted secret, never in the domain", () => {
      assert.equal(ofType(prod, TYPES.randomPassword).length, 1);
      assert.equal(ofType(dev, TYPES.randomPassword).length, 0, "a given password is used as is");
      for (const [run, password] of [
        [prod, "generated-password-0123456789"],
        [dev, "given-Password-1!"],
      ] as const) {
        const domain = resourceNamed(run.resources, TYPES.domain, "obs-domain");
        // The master is a role: the domain's inputs carry no password at all.
        assert.ok(!JSON.stringify(domain.props).includes(password));
        const version = resourceNamed(run.resources, TYPES.secretVersion, "obs-master-user-value");
        assert.ok(containsSecret(version.inputs.secretString));
        assert.deepEqual(JSON.parse(version.props.secretString as string), { username: "admin", password });
        const secret = resourceNamed(run.resources, "aws:secretsmanager/secret:Secret", "obs-master-user");
        assert.equal(secret.props.kmsKeyId, KEY);
      }
      assert.equal(
        resourceNamed(prod.resources, "aws:secretsmanager/secret:Secret", "obs-master-user").props
          .recoveryWindowInDays,
        30,
      );
    });

    it("bootstrap: a bundled Lambda as the FGAC master, with an exact role, invoked with the roles to map", () => {
      const role = resourceNamed(prod.resources, TYPES.role, "obs-opensearch-bootstrap-role");
      assert.deepEqual(parseJsonInput(role.props.assumeRolePolicy).Statement, [
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]);
      const logGroup = resourceNamed(prod.resources, TYPES.logGroup, "obs-opensearch-bootstrap-logs");
      assert.deepEqual([logGroup.props.retentionInDays, logGroup.props.kmsKeyId], [365, KEY]);
      const logGroupArn = "arn:aws:logs:eu-west-1:123456789012:log-group:obs-opensearch-bootstrap-logs";
      const secretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:obs-master-user-AbCdEf";
      assert.deepEqual(
        parseJsonInput(
          resourceNamed(prod.resources, TYPES.rolePolicy, "obs-opensearch-bootstrap-role-policy").props
            .policy,
        ).Statement,
        [
          { Sid: "AdministerTheDomain", Effect: "Allow", Action: ALL_METHODS, Resource: `${DOMAIN_ARN}/*` },
          {
            Sid: "ReadTheMasterPassword",
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: secretArn,
          },
          { Sid: "DecryptTheSecret", Effect: "Allow", Action: "kms:Decrypt", Resource: KEY },
          {
            Sid: "WriteOwnLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${logGroupArn}:log-stream:*`,
          },
          {
            Sid: "Tracing",
            Effect: "Allow",
            Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            Resource: "*",
          },
        ],
      );

      const fn = resourceNamed(prod.resources, TYPES.lambda, "obs-opensearch-bootstrap");
      assert.equal(fn.props.role, MASTER_ROLE);
      assert.equal(fn.props.kmsKeyArn, KEY);
      assert.deepEqual(fn.props.loggingConfig, {
        logFormat: "JSON",
        logGroup: "obs-opensearch-bootstrap-logs",
      });
      assert.deepEqual(fn.props.environment, {
        variables: {
          OPENSEARCH_ENDPOINT: "search-obs-domain-0123456789.eu-west-1.es.amazonaws.com",
          MASTER_SECRET_ARN: secretArn,
          MASTER_ROLE_ARN: MASTER_ROLE,
          RETRY_FOR_SECONDS: "600",
        },
      });
      // Ten minutes of retries need a longer run than that: 900 s, the most Lambda allows.
      assert.deepEqual(
        [fn.props.timeout, BOOTSTRAP_TIMEOUT_SECONDS, BOOTSTRAP_RETRY_SECONDS],
        [900, 900, 600],
      );
      // Mocks see the archive only as a marker; its content is checked on the bundle itself.
      assert.ok(
        typeof fn.props.code === "object" && fn.props.code !== null && "__pulumiArchive" in fn.props.code,
      );
      const source = bundleLambdaCode(BOOTSTRAP_ENTRY);
      assert.match(source, /__export\(handler_exports, \{[^}]*\bhandler: \(\) => handler/);
      assert.match(source, /_plugins\/_security\/api/, "the bootstrap app is what is bundled");

      const invocation = resourceNamed(prod.resources, TYPES.invocation, "obs-opensearch-bootstrap");
      assert.equal(invocation.props.functionName, fn.props.name ?? fn.name);
      // Each writer on its own patterns (the bootstrap gives each its own OpenSearch role).
      assert.deepEqual(JSON.parse(invocation.props.input as string), {
        writers: WRITERS,
        readerRoleArns: [GRAFANA_ROLE],
      });
      // A replaced domain (same name, new endpoint) has an empty security index: the domain's
      // ARN and endpoint are triggers, so the bootstrap runs again for it.
      const domain = resourceNamed(prod.resources, TYPES.domain, "obs-domain");
      const domainState = computedState(domain.type, domain.name, domain.props);
      const secretVersion = resourceNamed(prod.resources, TYPES.secretVersion, "obs-master-user-value");
      // passwordVersion and code are computed by the provider; JSON drops those the mocks do not compute.
      const expectedTriggers: unknown = JSON.parse(
        JSON.stringify({
          domainArn: domainState.arn,
          endpoint: "search-obs-domain-0123456789.eu-west-1.es.amazonaws.com",
          writers: JSON.stringify(WRITERS),
          readerRoleArns: JSON.stringify([GRAFANA_ROLE]),
          passwordVersion: computedState(secretVersion.type, secretVersion.name, secretVersion.props)
            .versionId,
          code: computedState(fn.type, fn.name, fn.props).codeSha256,
        }),
      );
      assert.deepEqual(invocation.props.triggers, expectedTriggers);
      assert.ok(invocation.dependsOn.includes(`${TYPES.domain}::obs-domain`), "runs after the domain exists");
      assert.ok(!JSON.stringify(invocation.props).includes("generated-password"), "no password in the input");

      const devInvocation = resourceNamed(dev.resources, TYPES.invocation, "obs-opensearch-bootstrap");
      assert.deepEqual(JSON.parse(devInvocation.props.input as string), {
        writers: [],
        readerRoleArns: [],
      });
    });

    it("alarms: the recommended set on AWS/ES for this domain and account, to the topic", () => {
      const alarms = ofType(prod, TYPES.alarm).filter((a) => a.name.startsWith("obs-opensearch-"));
      const specs = openSearchAlarmSpecs({ volumeGiB: 100, dedicatedMasters: true, dataNodes: 3 });
      assert.deepEqual(
        alarms.map((a) => a.name),
        specs.map((s) => `obs-opensearch-${s.name}`),
      );
      for (const spec of specs) {
        const alarm = resourceNamed(prod.resources, TYPES.alarm, `obs-opensearch-${spec.name}`);
        assert.deepEqual(alarm.props, {
          alarmDescription: `OpenSearch obs: ${spec.description}`,
          namespace: "AWS/ES",
          metricName: spec.metricName,
          dimensions: { DomainName: "obs", ClientId: ACCOUNT },
          statistic: spec.statistic,
          period: spec.period,
          evaluationPeriods: spec.evaluationPeriods,
          threshold: spec.threshold,
          comparisonOperator: spec.comparisonOperator,
          treatMissingData: spec.treatMissingData,
          alarmActions: [TOPIC],
          okActions: [TOPIC],
          tags,
        });
      }
      assert.ok(
        specs.some((s) => s.name === "cluster-yellow"),
        "three data nodes: yellow means a lost replica",
      );
      // One data node: its replicas can never be placed, so yellow is its normal state (red still alarms).
      const devAlarms = ofType(dev, TYPES.alarm).map((a) => a.name);
      assert.deepEqual(
        devAlarms,
        openSearchAlarmSpecs({ volumeGiB: 10, dedicatedMasters: false, dataNodes: 1 }).map(
          (s) => `obs-opensearch-${s.name}`,
        ),
        "no master alarms without dedicated masters",
      );
      assert.ok(!devAlarms.includes("obs-opensearch-cluster-yellow"));
      assert.ok(devAlarms.includes("obs-opensearch-cluster-red"));
    });

    it("outputs: domain ARN, name, endpoint and the secret's ARN, none of them secret", () => {
      assert.deepEqual(
        {
          arn: prod.outputs.values.openSearchDomainArn,
          name: prod.outputs.values.openSearchDomainName,
          endpoint: prod.outputs.values.openSearchEndpoint,
          secret: prod.outputs.values.openSearchMasterUserSecretArn,
        },
        {
          arn: DOMAIN_ARN,
          name: "obs",
          endpoint: "search-obs-domain-0123456789.eu-west-1.es.amazonaws.com",
          secret: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:obs-master-user-AbCdEf",
        },
      );
      assert.deepEqual(prod.outputs.secretOutputs, []);
      assert.ok(
        !JSON.stringify(prod.outputs.values).includes("generated-password"),
        "the password is not in any output",
      );
    });
  });

  describe("AMG", () => {
    it("workspace: this account, customer-managed role, the five data sources, SNS notifications", () => {
      const workspace = resourceNamed(prod.resources, TYPES.grafanaWorkspace, "obs-grafana");
      const { configuration, ...rest } = workspace.props;
      assert.deepEqual(rest, {
        name: "obs-grafana",
        description: "log-platform: Prometheus, CloudWatch, OpenSearch, Athena and X-Ray in one place",
        accountAccessType: "CURRENT_ACCOUNT",
        authenticationProviders: ["AWS_SSO"],
        permissionType: "CUSTOMER_MANAGED",
        roleArn: "arn:aws:iam::123456789012:role/obs-grafana-role",
        dataSources: ["PROMETHEUS", "CLOUDWATCH", "AMAZON_OPENSEARCH_SERVICE", "ATHENA", "XRAY"],
        notificationDestinations: ["SNS"],
        grafanaVersion: "10.4",
        tags,
      });
      assert.deepEqual(JSON.parse(configuration as string), {
        plugins: { pluginAdminEnabled: false },
        unifiedAlerting: { enabled: true },
      });
      assert.equal(
        prod.outputs.values.grafanaUrl,
        "https://g-obs-grafana.grafana-workspace.eu-west-1.amazonaws.com",
      );
    });

    it("role: trusted by Grafana workspaces of this account only, scoped to the platform's sources", () => {
      const role = resourceNamed(prod.resources, TYPES.role, "obs-grafana-role");
      assert.deepEqual(parseJsonInput(role.props.assumeRolePolicy).Statement, [
        {
          Effect: "Allow",
          Principal: { Service: "grafana.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            ArnLike: { "aws:SourceArn": "arn:aws:grafana:eu-west-1:123456789012:/workspaces/*" },
          },
        },
      ]);
      const policy = parseJsonInput(
        resourceNamed(prod.resources, TYPES.rolePolicy, "obs-grafana-role-policy").props.policy,
      );
      assert.deepEqual(
        policy.Statement.map((s) => [s.Sid, s.Resource]),
        [
          ["QueryPrometheus", "arn:aws:amp:eu-west-1:123456789012:obs-amp"],
          ["SearchOpenSearch", `${DOMAIN_ARN}/*`],
          ["ReadMetricsTracesAndRegions", "*"],
          ["ReadAlarms", "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*"],
          ["QueryLogGroups", "arn:aws:logs:eu-west-1:123456789012:log-group:*"],
          ["NotifyAlertTopic", TOPIC],
          ["RunQueriesInTheWorkgroup", "arn:aws:athena:eu-west-1:123456789012:obs-grafana"],
          ["BrowseTheCatalog", "arn:aws:athena:eu-west-1:123456789012:datacatalog/AwsDataCatalog"],
          [
            "ReadTheTableDefinition",
            [
              "arn:aws:glue:eu-west-1:123456789012:catalog",
              "arn:aws:glue:eu-west-1:123456789012:database/lp_logs",
              "arn:aws:glue:eu-west-1:123456789012:table/lp_logs/nginx_access",
              "arn:aws:glue:eu-west-1:123456789012:table/lp_logs/cost_and_usage",
            ],
          ],
          ["ReadAccessLogs", "arn:aws:s3:::archive/access/*"],
          ["ReadCostExport", "arn:aws:s3:::archive/cost/*"],
          ["ListAccessLogsAndResults", ARCHIVE],
          ["LocateTheBucket", ARCHIVE],
          ["WriteQueryResults", "arn:aws:s3:::archive/athena-results/grafana/*"],
          ["UseTheKeys", [KEY]],
        ],
      );
      const search = policy.Statement.find((s) => s.Sid === "SearchOpenSearch");
      assert.deepEqual(search?.Action, ["es:ESHttpGet", "es:ESHttpPost"]);
    });

    it("Athena workgroup: results encrypted in the archive's results prefix, settings enforced", () => {
      const workgroup = resourceNamed(prod.resources, TYPES.workgroup, "obs-grafana");
      assert.deepEqual(workgroup.props.configuration, {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: 10240 * 1024 * 1024,
        resultConfiguration: {
          outputLocation: "s3://archive/athena-results/grafana/",
          encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: KEY },
        },
      });
      assert.equal(workgroup.props.forceDestroy, false, "prod keeps its query history");
    });

    it("a short-lived service account token, renamed (so replaced) by each rotation; the provider's auth is secret", () => {
      const rotation = resourceNamed(prod.resources, TYPES.rotating, "obs-grafana-token-rotation");
      assert.deepEqual(rotation.props, { rotationDays: 7 });
      const token = resourceNamed(prod.resources, TYPES.token, "obs-grafana-token");
      assert.deepEqual(token.props, {
        workspaceId: "obs-grafana-id",
        serviceAccountId: "obs-grafana-pulumi-sa",
        // The mocks give the Rotating resource the id "<name>-id": the name carries it.
        name: "pulumi-obs-grafana-token-rotation-id",
        secondsToLive: TOKEN_SECONDS_TO_LIVE,
      });
      assert.equal(TOKEN_SECONDS_TO_LIVE, 2592000);
      const serviceAccount = resourceNamed(
        prod.resources,
        "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount",
        "obs-grafana-pulumi",
      );
      assert.equal(serviceAccount.props.grafanaRole, "ADMIN");
      const provider = resourceNamed(prod.resources, TYPES.grafanaProvider, "obs-grafana");
      assert.ok(containsSecret(provider.inputs.auth), "auth is secret");
      assert.equal(provider.props.auth, "glsa_mock_service_account_token");
      assert.equal(provider.props.url, "https://g-obs-grafana.grafana-workspace.eu-west-1.amazonaws.com");
    });

    it("TOKEN_ROTATION (what the scheduled rotation workflow targets) names the rotation, the token and the Grafana provider", () => {
      // One resource of each targeted type, so the workflow's targets resolve to
      // exactly these three and the replaced one is the Rotating the token is named after.
      const targeted = TOKEN_ROTATION.target.map((type) => ofType(prod, type).map((r) => r.name));
      assert.deepEqual(targeted, [["obs-grafana-token-rotation"], ["obs-grafana-token"], ["obs-grafana"]]);
      assert.deepEqual(TOKEN_ROTATION.replace, [TYPES.rotating]);
      assert.equal(TOKEN_ROTATION.target[2], TYPES.grafanaProvider);
      // The provider authenticates with the token, so updating it is part of a rotation.
      const provider = resourceNamed(prod.resources, TYPES.grafanaProvider, "obs-grafana");
      assert.equal(provider.props.auth, "glsa_mock_service_account_token");
    });

    it("a destroy never calls the Grafana API: every Grafana resource is deleted with the workspace", () => {
      // AMG deletes a workspace's dashboards and data sources with it:
      // https://docs.aws.amazon.com/grafana/latest/userguide/AMG-edit-delete-workspace.html
      // so deletedWith skips their API deletes when the workspace goes too
      // (https://www.pulumi.com/docs/iac/concepts/resources/options/deletedwith/),
      // and an expired token cannot block `pulumi destroy`.
      const onGrafana = prod.resources.filter((r) => r.type.startsWith("grafana:"));
      assert.ok(
        onGrafana.length >= 1 + 9 + readDashboards(DASHBOARDS_DIR).length,
        "folder, data sources, dashboards",
      );
      for (const resource of onGrafana) {
        assert.equal(resource.deletedWith, "obs-grafana", `${resource.type} ${resource.name}`);
      }
      assert.equal(resourceNamed(prod.resources, TYPES.grafanaWorkspace, "obs-grafana").deletedWith, null);
    });

    it("data sources as code with fixed uids, authenticated as the workspace role", () => {
      const sources = ofType(prod, TYPES.dataSource).map(
        (r) => resourceNamed(prod.resources, r.type, r.name).props,
      );
      // Registered in the order their inputs resolve: compare sorted.
      assert.deepEqual(sources.map((s) => [s.uid, s.type]).sort(), [
        ["athena", "grafana-athena-datasource"],
        ["cloudwatch", "cloudwatch"],
        ["opensearch-access", "grafana-opensearch-datasource"],
        ["opensearch-cloudtrail", "grafana-opensearch-datasource"],
        ["opensearch-findings", "grafana-opensearch-datasource"],
        ["opensearch-logs", "grafana-opensearch-datasource"],
        ["opensearch-vpcflow", "grafana-opensearch-datasource"],
        ["prometheus", "prometheus"],
        ["xray", "grafana-x-ray-datasource"],
      ]);
      const byUid = new Map(sources.map((s) => [s.uid, s]));
      const sigV4 = { sigV4Auth: true, sigV4AuthType: "ec2_iam_role", sigV4Region: "eu-west-1" };
      assert.equal(
        byUid.get("prometheus")?.url,
        "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-obs-amp/",
      );
      assert.deepEqual(JSON.parse(byUid.get("prometheus")?.jsonDataEncoded as string), {
        httpMethod: "POST",
        ...sigV4,
      });
      // One data source per index family, each on its own index pattern.
      const patterns = {
        cloudtrail: "cloudtrail-*",
        logs: "logs-*",
        access: "access-*",
        vpcflow: "vpcflow-*",
        findings: "findings-*",
      };
      for (const [family, database] of Object.entries(patterns)) {
        const source = byUid.get(`opensearch-${family}`);
        assert.equal(source?.url, "https://search-obs-domain-0123456789.eu-west-1.es.amazonaws.com", family);
        assert.match(String(source?.name), /^OpenSearch \(.+\)$/, family);
        assert.deepEqual(JSON.parse(source?.jsonDataEncoded as string), {
          ...sigV4,
          flavor: "opensearch",
          version: "2.19.0",
          database,
          timeField: "@timestamp",
          maxConcurrentShardRequests: 5,
          pplEnabled: true,
          ...(family === "logs" ? { logMessageField: "message", logLevelField: "level" } : {}),
        });
      }
      assert.equal(new Set(sources.map((s) => s.name)).size, sources.length, "names are unique");
      assert.deepEqual(JSON.parse(byUid.get("athena")?.jsonDataEncoded as string), {
        authType: "ec2_iam_role",
        defaultRegion: "eu-west-1",
        catalog: "AwsDataCatalog",
        database: "lp_logs",
        workgroup: "obs-grafana",
      });
      for (const uid of ["cloudwatch", "xray"]) {
        assert.equal(byUid.get(uid)?.url, undefined);
        assert.deepEqual(JSON.parse(byUid.get(uid)?.jsonDataEncoded as string), {
          authType: "ec2_iam_role",
          defaultRegion: "eu-west-1",
        });
      }
    });

    it("every data source a dashboard uses is provisioned, with the same plugin type", () => {
      const provisioned = new Map(
        ofType(prod, TYPES.dataSource).map((r) => [r.inputs.uid as string, r.inputs.type as string]),
      );
      const dashboards = readDashboards(DASHBOARDS_DIR);
      assert.ok(dashboards.length >= 4, "the repository's dashboards are found");
      for (const dashboard of dashboards) {
        const uses = dashboardDatasourceUses(JSON.parse(dashboard.configJson) as object);
        assert.ok(uses.length > 0, `${dashboard.name} uses a data source`);
        for (const use of uses) {
          assert.equal(provisioned.get(use.uid), use.type, `${dashboard.name}: ${use.type} "${use.uid}"`);
        }
      }
    });

    it("dashboards in the log-platform folder, one per JSON file, with the file's content", () => {
      const folder = resourceNamed(prod.resources, TYPES.folder, "obs-folder");
      assert.deepEqual(folder.props, { uid: "log-platform", title: "log-platform" });
      const dashboards = readDashboards(DASHBOARDS_DIR);
      assert.deepEqual(
        ofType(prod, TYPES.dashboard).map((d) => d.name),
        dashboards.map((d) => `obs-dashboard-${d.name}`),
      );
      for (const dashboard of dashboards) {
        const resource = resourceNamed(prod.resources, TYPES.dashboard, `obs-dashboard-${dashboard.name}`);
        assert.deepEqual(resource.props, {
          configJson: dashboard.configJson,
          folder: "log-platform",
          overwrite: true,
          message: "pulumi up",
        });
      }
    });

    it("grafana off (the default): no AMG resources, and a message saying how to turn it on", () => {
      const amgTypes = [
        TYPES.grafanaWorkspace,
        TYPES.token,
        TYPES.rotating,
        TYPES.grafanaProvider,
        TYPES.dataSource,
        TYPES.folder,
        TYPES.dashboard,
        TYPES.workgroup,
      ];
      assert.deepEqual(
        dev.resources.filter(
          (r) => amgTypes.includes(r.type as (typeof amgTypes)[number]) || r.name.includes("grafana"),
        ),
        [],
      );
      assert.equal(infos.length, 1);
      assert.match(infos[0]!, /Amazon Managed Grafana is off/);
      assert.match(infos[0]!, /IAM Identity Center \(AWS_SSO\)/);
      assert.match(infos[0]!, /grafana\.enabled: true/);
    });
  });

  it("every resource of both runs passes the policy rules", () => {
    assert.deepEqual(violations(asPolicyInputs(prod.resources)), []);
    assert.deepEqual(violations(asPolicyInputs(dev.resources)), []);
  });

  it("each part can be switched off: Grafana alone provisions only CloudWatch and X-Ray", async () => {
    const run = await deploy({
      prometheus: { enabled: false },
      openSearch: { enabled: false },
      grafana: { enabled: true, authenticationProviders: ["SAML"] },
    });
    assert.deepEqual(ofType(run, TYPES.ampWorkspace), []);
    assert.deepEqual(ofType(run, TYPES.domain), []);
    assert.deepEqual(
      ofType(run, TYPES.dataSource)
        .map((r) => r.inputs.uid)
        .sort(),
      ["cloudwatch", "xray"],
    );
    const workspace = resourceNamed(run.resources, TYPES.grafanaWorkspace, "obs-grafana");
    assert.deepEqual(workspace.props.dataSources, ["CLOUDWATCH", "XRAY"]);
    assert.deepEqual(workspace.props.authenticationProviders, ["SAML"]);
    const policy = parseJsonInput(
      resourceNamed(run.resources, TYPES.rolePolicy, "obs-grafana-role-policy").props.policy,
    );
    assert.deepEqual(
      policy.Statement.map((s) => s.Sid),
      ["ReadMetricsTracesAndRegions", "ReadAlarms", "QueryLogGroups", "NotifyAlertTopic", "UseTheKeys"],
    );
    assert.deepEqual(Object.keys(run.outputs.values), ["grafanaUrl", "grafanaRoleArn"]);
    assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
  });

  it("the CloudTrail indexer's role, created after the stack, is let in through a deferred output", async () => {
    const run = await runUnderMocks("test", NO_CONFIG, () => {
      const [indexerRoleArn, setIndexerRoleArn] = pulumi.deferredOutput<string>();
      const stack = new ObservabilityStack(
        "obs",
        withBase({
          openSearch: {
            writers: [
              { role: "cloudtrail_writer", roleArns: [indexerRoleArn], indexPatterns: ["cloudtrail-*"] },
            ],
          },
        }),
      );
      const pipeline = new CloudTrailPipeline("ct", {
        kmsKeyArn: KEY,
        archiveBucketName: "archive",
        archiveBucketArn: ARCHIVE,
        alarmTopicArn: TOPIC,
        openSearch: { endpoint: stack.openSearchEndpoint!, domainArn: stack.openSearchDomainArn! },
        tags,
      });
      setIndexerRoleArn(pipeline.indexerRoleArn);
    });
    const domain = resourceNamed(run.resources, TYPES.domain, "obs-domain");
    const writers = parseJsonInput(domain.props.accessPolicies).Statement.find((s) => s.Sid === "Writers");
    assert.deepEqual(writers?.Principal, { AWS: ["arn:aws:iam::123456789012:role/ct-indexer-role"] });
    const invocation = resourceNamed(run.resources, TYPES.invocation, "obs-opensearch-bootstrap");
    assert.deepEqual(JSON.parse(invocation.props.input as string), {
      writers: [
        {
          role: "cloudtrail_writer",
          roleArns: ["arn:aws:iam::123456789012:role/ct-indexer-role"],
          indexPatterns: ["cloudtrail-*"],
        },
      ],
      readerRoleArns: [],
    });
    const indexer = resourceNamed(run.resources, "aws:lambda/function:Function", "ct-indexer");
    assert.equal(
      (indexer.props.environment as { variables: Record<string, string> }).variables.OPENSEARCH_ENDPOINT,
      "search-obs-domain-0123456789.eu-west-1.es.amazonaws.com",
    );
    assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
  });

  it("lists every invalid argument at once, and refuses to build with them", () => {
    const bad: ObservabilityStackArgs = withBase({
      logRetentionDays: 10,
      openSearch: {
        domainName: "Bad_Name",
        engineVersion: "Elasticsearch_7.10",
        instanceType: "r6g.large",
        instanceCount: 4,
        dedicatedMasterCount: 2,
        zoneAwareness: true,
        volumeGiB: 5,
        snapshotHour: 24,
        operatorCidrs: ["10.0.0.0/8", "nope"],
        indexPattern: "Cloud Trail*",
      },
      grafana: {
        enabled: true,
        authenticationProviders: [],
        tokenRotationDays: 30,
        athena: { ...athenaOf(), bytesScannedCutoffMiB: 1 },
      },
    });
    const expected = [
      "logRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 10)",
      'openSearch.domainName must be 3–28 lowercase letters, digits or hyphens starting with a letter (got "Bad_Name")',
      'openSearch.engineVersion must look like OpenSearch_2.19 (got "Elasticsearch_7.10")',
      'openSearch.instanceType must be an OpenSearch instance type such as r6g.large.search (got "r6g.large")',
      "openSearch.dedicatedMasterCount must be 0, 3 or 5 (got 2)",
      "openSearch.instanceCount must be a multiple of availabilityZoneCount with zone awareness (got 4 over 3 zones)",
      "openSearch.volumeGiB must be 10–16384 (got 5)",
      "openSearch.snapshotHour must be 0–23 (got 24)",
      "openSearch.operatorCidrs must be IPv4 CIDR blocks (got nope)",
      'openSearch.indexPattern must be one lowercase index pattern such as cloudtrail-* (got "Cloud Trail*")',
      "grafana.authenticationProviders must be AWS_SSO and/or SAML (got [])",
      "grafana.tokenRotationDays must be 1–29 (got 30)",
      "grafana.athena.bytesScannedCutoffMiB must be 10–1073741824 (got 1)",
    ];
    assert.deepEqual(observabilityStackArgProblems("obs", bad), expected);
    assert.throws(
      () => new ObservabilityStack("obs", bad),
      (error: Error) =>
        error.message === `ObservabilityStack "obs" has invalid arguments:\n  - ${expected.join("\n  - ")}`,
    );
    // The default domain name comes from the component name, so a long component name is caught too.
    assert.deepEqual(observabilityStackArgProblems("a-very-long-component-name-over-28", base), [
      'openSearch.domainName must be 3–28 lowercase letters, digits or hyphens starting with a letter (got "a-very-long-component-name-over-28")',
    ]);
    assert.deepEqual(observabilityStackArgProblems("obs", base), []);
  });
});

function athenaOf() {
  return { databaseName: "lp_logs", tableName: "nginx_access", archiveBucketArn: ARCHIVE, kmsKeyArn: KEY };
}

describe("data source types", () => {
  it("match the plugin ids Grafana knows them by", () => {
    assert.deepEqual(DATA_SOURCE_TYPES, {
      prometheus: "prometheus",
      cloudwatch: "cloudwatch",
      opensearch: "grafana-opensearch-datasource",
      athena: "grafana-athena-datasource",
      xray: "grafana-x-ray-datasource",
    });
  });
});
