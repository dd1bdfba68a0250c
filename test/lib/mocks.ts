/**
 * Runs the real program under Pulumi's unit-test mocks and records every
 * resource it registers (components included), with its parent and inputs.
 * Shared by the program tests and by `npm run plan`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";

/** Pulumi's marker for a secret value on the wire (what mocks receive). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export const MOCK_ACCOUNT = "123456789012";
export const MOCK_REGION = "eu-west-1";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** Name of the parent resource; null for resources directly under the stack. */
  readonly parent: string | null;
  readonly custom: boolean;
  /** Inputs as the provider would receive them; secret values still wrapped. */
  readonly inputs: Record<string, unknown>;
  /** Resource options that decide what `pulumi destroy` does to it. */
  readonly options: { readonly protect: boolean; readonly retainOnDelete: boolean };
}

export interface ProgramRun<T> {
  readonly resources: readonly RecordedResource[];
  readonly outputs: T;
}

/** Stack config as `setAllConfig` takes it: full keys, string values, and which keys are secret. */
export interface StackConfig {
  readonly config: Record<string, string>;
  readonly secretKeys: readonly string[];
}

function isSecretWrapper(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE
  );
}

/** Deep copy with secret wrappers replaced by `replace(value)`. */
function mapSecrets(value: unknown, replace: (secretValue: unknown) => unknown): unknown {
  if (isSecretWrapper(value)) return replace(value.value);
  if (Array.isArray(value)) return value.map((v) => mapSecrets(v, replace));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSecrets(v, replace)]));
  }
  return value;
}

/** Inputs with secrets unwrapped, for exact assertions on values. */
export function unwrapSecrets<T = unknown>(value: unknown): T {
  return mapSecrets(value, (v) => mapSecrets(v, (inner) => inner)) as T;
}

/** Inputs with every secret replaced by `"[secret]"`, safe to print or write to disk. */
export function redactSecrets<T = unknown>(value: unknown): T {
  return mapSecrets(value, () => "[secret]") as T;
}

/** True when the value (or something inside it) is marked secret. */
export function containsSecret(value: unknown): boolean {
  if (isSecretWrapper(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsSecret);
  return false;
}

/** The physical name a provider would use: the explicit input when given, else the logical name. */
function physicalName(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

function arnFor(type: string, name: string, inputs: Record<string, unknown>): string {
  const service = type.split(":")[1]!.split("/")[0]!;
  switch (type) {
    case "aws:s3/bucket:Bucket":
      return `arn:aws:s3:::${physicalName(inputs.bucket, name)}`;
    case "aws:kms/key:Key":
      return `arn:aws:kms:${MOCK_REGION}:${MOCK_ACCOUNT}:key/${name}-id`;
    case "aws:kinesis/stream:Stream":
      return `arn:aws:kinesis:${MOCK_REGION}:${MOCK_ACCOUNT}:stream/${physicalName(inputs.name, name)}`;
    case "aws:cloudwatch/logGroup:LogGroup":
      return `arn:aws:logs:${MOCK_REGION}:${MOCK_ACCOUNT}:log-group:${physicalName(inputs.name, name)}`;
    case "aws:secretsmanager/secret:Secret":
      return `arn:aws:secretsmanager:${MOCK_REGION}:${MOCK_ACCOUNT}:secret:${physicalName(inputs.name, name)}-AbCdEf`;
    case "aws:iam/role:Role":
    case "aws:iam/policy:Policy":
      return `arn:aws:iam::${MOCK_ACCOUNT}:${type.endsWith("Role") ? "role" : "policy"}/${physicalName(inputs.name, name)}`;
    default:
      return `arn:aws:${service}:${MOCK_REGION}:${MOCK_ACCOUNT}:${physicalName(inputs.name, name)}`;
  }
}

/**
 * Outputs of remote components (awsx: one opaque resource under mocks) and
 * computed attributes the program reads, by type.
 */
const REMOTE_AND_COMPUTED_OUTPUTS: Record<string, (name: string) => Record<string, unknown>> = {
  "awsx:ec2:Vpc": (name) => ({
    vpcId: `${name}-vpc-id`,
    publicSubnetIds: [`${name}-public-a`, `${name}-public-b`],
    privateSubnetIds: [`${name}-private-a`, `${name}-private-b`],
    isolatedSubnetIds: [],
    vpc: { id: `${name}-vpc-id`, defaultNetworkAclId: `${name}-default-acl` },
  }),
  "awsx:ecr:Image": (name) => ({
    imageUri: `${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com/${name}@sha256:0000`,
  }),
  "aws:ecr/repository:Repository": (name) => ({
    repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com/${name}`,
  }),
  "aws:lb/loadBalancer:LoadBalancer": (name) => ({
    dnsName: `${name}-0123456789.elb.${MOCK_REGION}.amazonaws.com`,
    arnSuffix: `net/${name}/0123456789abcdef`,
  }),
  "aws:lb/targetGroup:TargetGroup": (name) => ({ arnSuffix: `targetgroup/${name}/0123456789abcdef` }),
  "random:index/randomPassword:RandomPassword": () => ({ result: "generated-password-0123456789" }),
  "aws:amp/workspace:Workspace": (name) => ({
    prometheusEndpoint: `https://aps-workspaces.${MOCK_REGION}.amazonaws.com/workspaces/ws-${name}/`,
  }),
  "aws:opensearch/domain:Domain": (name) => ({
    endpoint: `search-${name}-0123456789.${MOCK_REGION}.es.amazonaws.com`,
  }),
  "aws:grafana/workspace:Workspace": (name) => ({
    endpoint: `g-${name}.grafana-workspace.${MOCK_REGION}.amazonaws.com`,
  }),
  "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount": (name) => ({
    serviceAccountId: `${name}-sa`,
  }),
  "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken": () => ({
    key: "glsa_mock_service_account_token",
  }),
  "tls:index/privateKey:PrivateKey": () => ({
    privateKeyPem: "-----BEGIN PRIVATE KEY-----\nmock\n-----END PRIVATE KEY-----",
  }),
  "tls:index/selfSignedCert:SelfSignedCert": () => ({
    certPem: "-----BEGIN CERTIFICATE-----\nmock\n-----END CERTIFICATE-----",
  }),
};

/** Outputs a provider would compute, for the resources whose outputs the program reads. */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const state: Record<string, unknown> = { ...inputs, arn: arnFor(type, name, inputs) };
  if (type === "aws:s3/bucket:Bucket") state.bucket = inputs.bucket ?? name;
  if (type === "aws:kms/key:Key") state.keyId = `${name}-id`;
  Object.assign(state, REMOTE_AND_COMPUTED_OUTPUTS[type]?.(name));
  if (!("name" in state) && !type.startsWith("log-platform:")) state.name = name;
  return state;
}

/** Answers the provider functions the program calls; anything else fails loudly. */
function mockCall(token: string): Record<string, unknown> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: MOCK_ACCOUNT,
        arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/test`,
        userId: "test",
        id: MOCK_ACCOUNT,
      };
    case "aws:index/getRegion:getRegion":
      return {
        region: MOCK_REGION,
        name: MOCK_REGION,
        id: MOCK_REGION,
        endpoint: `ec2.${MOCK_REGION}.amazonaws.com`,
      };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return {
        names: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3"],
      };
    default:
      throw new Error(`the mocks do not answer the provider function ${token}; add it to test/lib/mocks.ts`);
  }
}

type RegisterRequest = {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean;
};
type MonitorWithRegister = { registerResource(req: RegisterRequest, callback: unknown): unknown };

/** Internal SDK entry points the harness needs; not in the SDK's type declarations. */
const runtimeInternals = pulumi.runtime as unknown as { waitForRPCs(): Promise<void> };

/**
 * Runs `program` under mocks as stack `stack` of project `log-platform` with
 * the given config, and returns every registered resource and the program's
 * return value (resolved). A failure anywhere in the program rejects.
 */
export async function runUnderMocks<T>(
  stack: string,
  stackConfig: StackConfig,
  program: () => T | Promise<T>,
): Promise<ProgramRun<pulumi.Unwrap<T>>> {
  const resources: RecordedResource[] = [];
  const registrations = new Map<string, RegisterRequest>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        const request = registrations.get(`${args.type}::${args.name}`);
        const parentUrn = request?.getParent() ?? "";
        const parentName = parentUrn.split("::").pop() ?? "";
        resources.push({
          type: args.type,
          name: args.name,
          parent: parentUrn === "" || parentUrn.includes("::pulumi:pulumi:Stack::") ? null : parentName,
          custom: args.custom ?? true,
          inputs,
          options: {
            protect: request?.getProtect() ?? false,
            retainOnDelete: request?.getRetainondelete() ?? false,
          },
        });
        return { id: `${args.name}-id`, state: computedState(args.type, args.name, unwrapSecrets(inputs)) };
      },
      call: (args) => mockCall(args.token),
    },
    "log-platform",
    stack,
    false,
  );
  // The mock's newResource is not told the parent or options; the request is, so note it on the way in.
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithRegister;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    registrations.set(`${req.getType()}::${req.getName()}`, req);
    return register(req, callback);
  };
  pulumi.runtime.setAllConfig(stackConfig.config, [...stackConfig.secretKeys]);

  const outputs = (await pulumi.runtime.runInPulumiStack(async () => {
    const result = await program();
    return result === undefined ? {} : { result };
  })) as { result: pulumi.Unwrap<T> };
  await runtimeInternals.waitForRPCs();
  return { resources: resources.filter((r) => r.type !== "pulumi:pulumi:Stack"), outputs: outputs.result };
}

/** Resolves an Output in a test, failing (not hanging) when the Output fails. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    output.apply(resolve);
    // An Output whose computation failed never calls apply: its inner promise carries the error.
    (output as unknown as { promise(): Promise<T> }).promise().catch(reject);
  });
}

/** Reads `Pulumi.<stack>.yaml` as the engine would hand it to the program. */
export function readStackFile(
  stack: string,
  root = path.resolve(__dirname, "../.."),
): {
  config: Record<string, string>;
  secureKeys: string[];
} {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file))
    throw new Error(`no stack file ${file}: stacks are the Pulumi.<stack>.yaml files at the root`);
  const doc = (parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secureKeys: string[] = [];
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    if (typeof value === "object" && value !== null && "secure" in value) {
      secureKeys.push(key);
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { config, secureKeys };
}

/** The one resource of `type` named `name`, with secrets unwrapped; fails clearly when absent. */
export function resourceNamed(
  resources: readonly RecordedResource[],
  type: string,
  name: string,
): RecordedResource & { readonly props: Record<string, unknown> } {
  const found = resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) {
    const names = resources.filter((r) => r.type === type).map((r) => r.name);
    throw new Error(
      `expected one ${type} named ${name}, found ${found.length} (have: ${names.join(", ") || "none"})`,
    );
  }
  return { ...found[0]!, props: unwrapSecrets<Record<string, unknown>>(found[0]!.inputs) };
}

/** Recorded resources as the policy rules see them: unwrapped inputs plus the id the mocks assigned. */
export function asPolicyInputs(resources: readonly RecordedResource[]) {
  return resources.map((r) => ({
    type: r.type,
    name: r.name,
    props: { ...unwrapSecrets<Record<string, unknown>>(r.inputs), id: `${r.name}-id` },
  }));
}

/** A policy document as the tests read it. */
export interface PolicyJson {
  readonly Statement: readonly Record<string, unknown>[];
}

/** A JSON-string input (policy, container definitions) parsed for assertions; fails if it is not a string. */
export function parseJsonInput<T = PolicyJson>(value: unknown): T {
  if (typeof value !== "string") throw new Error(`expected a JSON string input, got ${typeof value}`);
  return JSON.parse(value) as T;
}
