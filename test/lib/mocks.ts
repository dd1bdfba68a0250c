/**
 * Runs the real program under Pulumi's unit-test mocks and records every
 * resource it registers (components included), with its parent and inputs.
 * Shared by the program tests and by `npm run plan`.
 */
import { createHash } from "node:crypto";
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
  /**
   * Type of the parent resource; null with `parent`. A component may share its
   * name with the component that composes it (ObservabilityStack's parts), so
   * the name alone does not say which one is the parent.
   */
  readonly parentType: string | null;
  readonly custom: boolean;
  /** Inputs as the provider would receive them; secret values still wrapped. */
  readonly inputs: Record<string, unknown>;
  /** Resource options that decide what `pulumi destroy` does to it. */
  readonly options: { readonly protect: boolean; readonly retainOnDelete: boolean };
  /** Name of the resource whose deletion skips this one's (`deletedWith`); null when unset. */
  readonly deletedWith: string | null;
  /** The resources it waits for, as `<type>::<name>`: its `dependsOn` and those its inputs come from. */
  readonly dependsOn: readonly string[];
  /** The explicit provider a custom resource is created with, as `<type>::<name>`; null for the default provider. */
  readonly provider: string | null;
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

/**
 * How a value that is not known until `pulumi up` (an output of a resource
 * being created, during a preview) appears in recorded inputs read through
 * `unwrapSecrets`/`redactSecrets`, as `"[secret]"` marks a secret.
 */
export const UNKNOWN = "[unknown]";

/** Deep copy with secret wrappers replaced by `replace(value)` and unknown values by `unknown(value)`. */
function mapSecrets(
  value: unknown,
  replace: (secretValue: unknown) => unknown,
  unknown: (value: unknown) => unknown = () => UNKNOWN,
): unknown {
  if (pulumi.isUnknown(value)) return unknown(value);
  if (isSecretWrapper(value)) return replace(value.value);
  if (Array.isArray(value)) return value.map((v) => mapSecrets(v, replace, unknown));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSecrets(v, replace, unknown)]));
  }
  return value;
}

/** Inputs with secrets unwrapped (and unknowns as `"[unknown]"`), for exact assertions on values. */
export function unwrapSecrets<T = unknown>(value: unknown): T {
  return mapSecrets(value, (v) => mapSecrets(v, (inner) => inner)) as T;
}

/** Inputs with every secret replaced by `"[secret]"` (and unknowns by `"[unknown]"`), safe to print or write to disk. */
export function redactSecrets<T = unknown>(value: unknown): T {
  return mapSecrets(value, () => "[secret]") as T;
}

/** Inputs with secrets unwrapped and unknowns kept unknown: what a provider echoes back as state. */
function echoedState(value: unknown): Record<string, unknown> {
  const keep = (v: unknown) => v;
  return mapSecrets(value, (v) => mapSecrets(v, keep, keep), keep) as Record<string, unknown>;
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
const REMOTE_AND_COMPUTED_OUTPUTS: Record<
  string,
  (name: string, inputs: Record<string, unknown>) => Record<string, unknown>
> = {
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
    // The canonical hosted zone of Network Load Balancers in eu-west-1 (what alias records name).
    zoneId: "Z2IFOLAFXWLO4F",
  }),
  "aws:lb/targetGroup:TargetGroup": (name) => ({ arnSuffix: `targetgroup/${name}/0123456789abcdef` }),
  "random:index/randomPassword:RandomPassword": () => ({ result: "generated-password-0123456789" }),
  // Secrets Manager gives every new value a new version id; here it is derived from the value.
  "aws:secretsmanager/secretVersion:SecretVersion": (name, inputs) => ({
    versionId: `${name}-${createHash("sha256").update(String(inputs.secretString)).digest("hex").slice(0, 12)}`,
  }),
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

/**
 * Outputs a provider would compute, for the resources whose outputs the program reads
 * (exported so that tests can name a recorded resource by the ARN or URL the program saw).
 */
export function computedState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const state: Record<string, unknown> = { ...inputs, arn: arnFor(type, name, inputs) };
  if (type === "aws:s3/bucket:Bucket") state.bucket = inputs.bucket ?? name;
  if (type === "aws:kms/key:Key") state.keyId = `${name}-id`;
  Object.assign(state, REMOTE_AND_COMPUTED_OUTPUTS[type]?.(name, inputs));
  if (!("name" in state) && !type.startsWith("log-platform:")) state.name = name;
  return state;
}

/**
 * What the engine hands back, during a preview, for a custom resource being
 * created: the inputs as the provider's Check left them — with the auto-name
 * it assigns when the program gives none — and no computed output (arn, id,
 * endpoint…), which the SDK then resolves as unknown, as the provider's
 * preview of Create leaves them. Unknown inputs stay unknown.
 */
function previewState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const state = echoedState(inputs);
  if (type === "aws:s3/bucket:Bucket" && state.bucket === undefined) state.bucket = name;
  if (!("name" in state)) state.name = name;
  return state;
}

/** `type::name` of a resource, as a provider reference (`<urn>::<id>`) names its provider. */
function providerKeyOf(reference: string | undefined): string | undefined {
  if (reference === undefined || reference === "") return undefined;
  const [, , qualifiedType, name] = reference.split("::");
  return qualifiedType === undefined ? undefined : `${qualifiedType.split("$").pop()}::${name}`;
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
  getDeletedwith(): string;
  getRemote(): boolean;
  getProvider(): string;
  getProvidersMap(): { toArray(): [string, string][] };
  getDependenciesList(): string[];
};
type MonitorWithRegister = { registerResource(req: RegisterRequest, callback: unknown): unknown };

/** `urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>` → `<type>::<name>`. */
function typeAndName(urn: string): string {
  const [, , types = "", name = ""] = urn.split("::");
  return `${types.split("$").pop() ?? types}::${name}`;
}

/** Internal SDK entry points the harness needs; not in the SDK's type declarations. */
const runtimeInternals = pulumi.runtime as unknown as { waitForRPCs(): Promise<void> };

export interface RunOptions {
  /**
   * Evaluate the program as `pulumi preview` does for a new stack: every
   * output of a resource being created is unknown (so applies on them do not
   * run and inputs built from them are unknown), data sources still answer.
   * Default false: as `pulumi up`, every output known.
   */
  readonly preview?: boolean;
}

/** A provider whose configuration holds values unknown during preview, and what the engine cannot do with it. */
export interface UnconfiguredProvider {
  /** `type::name` of the provider resource. */
  readonly provider: string;
  /** Top-level inputs of the provider that are (or contain) unknowns. */
  readonly unknownInputs: readonly string[];
  /** Custom resources it manages: the engine previews them unchecked, with every output unknown. */
  readonly resources: readonly string[];
}

export interface PreviewRun {
  readonly resources: readonly RecordedResource[];
  /**
   * Providers configured from values unknown during preview. Allowed while they
   * only manage custom resources (the engine skips Check and previews their
   * outputs as unknown); an invoke or a remote component through one fails the run.
   */
  readonly unconfiguredProviders: readonly UnconfiguredProvider[];
}

/**
 * Runs `program` under mocks as stack `stack` of project `log-platform` with
 * the given config, and returns every registered resource and the program's
 * return value (resolved). A failure anywhere in the program rejects: an
 * exception, and also a rejected promise nobody handles — such as an apply
 * that throws — which the Pulumi runtime turns into a failed update.
 */
export async function runUnderMocks<T>(
  stack: string,
  stackConfig: StackConfig,
  program: () => T | Promise<T>,
  options: RunOptions = {},
): Promise<ProgramRun<pulumi.Unwrap<T>> & PreviewRun> {
  const preview = options.preview === true;
  const resources: RecordedResource[] = [];
  const registrations = new Map<string, RegisterRequest>();
  const problems: string[] = [];
  const unconfigured = new Map<string, { unknownInputs: string[]; resources: string[] }>();
  const unconfiguredProviderOf = (reference: string | undefined) => {
    const key = providerKeyOf(reference);
    return key === undefined ? undefined : unconfigured.has(key) ? key : undefined;
  };
  // The engine's rules for a provider whose config holds unknowns during a preview
  // (pulumi/pulumi sdk/go/common/resource/plugin/provider_plugin.go, Configure/Check/Create/Invoke/Construct):
  // it is not configured; Check returns the inputs unchanged (no auto-name) and Create an empty
  // state, so its resources preview with every output unknown; Invoke returns an empty result
  // and Construct registers the component without its children — wrong values, silently.
  const previewResult = (args: pulumi.runtime.MockResourceArgs, request: RegisterRequest | undefined) => {
    const inputs = args.inputs as Record<string, unknown>;
    const key = `${args.type}::${args.name}`;
    if (args.type.startsWith("pulumi:providers:") && pulumi.containsUnknowns(inputs)) {
      const unknownInputs = Object.keys(inputs).filter((k) => pulumi.containsUnknowns(inputs[k]));
      unconfigured.set(key, { unknownInputs, resources: [] });
    }
    const references = [args.provider, ...(request?.getProvidersMap().toArray() ?? []).map(([, ref]) => ref)];
    const viaUnconfigured = references.map(unconfiguredProviderOf).find((p) => p !== undefined);
    if (viaUnconfigured !== undefined) {
      if (request?.getRemote() === true) {
        problems.push(
          `remote component ${key} is constructed by ${viaUnconfigured}, whose configuration is unknown during preview: the engine previews it without its children`,
        );
      } else if (args.custom !== false) {
        unconfigured.get(viaUnconfigured)!.resources.push(key);
        return { id: "", state: {} };
      }
    }
    // Components (local or remote) have no state of their own; their outputs are unknown too.
    return { id: "", state: args.custom === false ? {} : previewState(args.type, args.name, inputs) };
  };
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
          parentType:
            parentUrn === "" || parentUrn.includes("::pulumi:pulumi:Stack::")
              ? null
              : (parentUrn.split("::")[2]?.split("$").pop() ?? null),
          custom: args.custom ?? true,
          inputs,
          options: {
            protect: request?.getProtect() ?? false,
            retainOnDelete: request?.getRetainondelete() ?? false,
          },
          deletedWith: request?.getDeletedwith()
            ? (request.getDeletedwith().split("::").pop() ?? null)
            : null,
          dependsOn: (request?.getDependenciesList() ?? []).map(typeAndName),
          provider: providerKeyOf(request?.getProvider()) ?? null,
        });
        if (preview) return previewResult(args, request);
        return { id: `${args.name}-id`, state: computedState(args.type, args.name, unwrapSecrets(inputs)) };
      },
      call: (args) => {
        const viaUnconfigured = preview ? unconfiguredProviderOf(args.provider) : undefined;
        if (viaUnconfigured === undefined) return mockCall(args.token);
        problems.push(
          `${args.token} is invoked through ${viaUnconfigured}, whose configuration is unknown during preview: the engine answers it with an empty result`,
        );
        return {};
      },
    },
    "log-platform",
    stack,
    preview,
  );
  // The mock's newResource is not told the parent or options; the request is, so note it on the way in.
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithRegister;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    registrations.set(`${req.getType()}::${req.getName()}`, req);
    return register(req, callback);
  };
  pulumi.runtime.setAllConfig(stackConfig.config, [...stackConfig.secretKeys]);

  // Node reports an unhandled rejection once the microtasks of its turn have run; mocha would swallow it.
  const rejections = new Set<unknown>();
  const onRejection = (reason: unknown) => rejections.add(reason);
  process.on("unhandledRejection", onRejection);
  let outputs: { result: pulumi.Unwrap<T> } | undefined;
  try {
    // During a preview the stack's outputs resolve as undefined when any of them is unknown.
    outputs = (await pulumi.runtime.runInPulumiStack(async () => {
      const result = await program();
      return result === undefined ? {} : { result };
    })) as typeof outputs;
    for (let turn = 0; turn < 3; turn++) {
      await runtimeInternals.waitForRPCs();
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  const messages = new Set([...rejections].map((r) => (r instanceof Error ? r.message : String(r))));
  problems.push(...[...messages].map((m) => `unhandled rejection (an apply or an input that failed): ${m}`));
  if (problems.length > 0) {
    throw new Error(
      `the program failed under mocks${preview ? " (preview)" : ""}:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
  return {
    resources: resources.filter((r) => r.type !== "pulumi:pulumi:Stack"),
    outputs: outputs?.result as pulumi.Unwrap<T>,
    unconfiguredProviders: [...unconfigured].map(([provider, v]) => ({ provider, ...v })),
  };
}

/** Runs `program` as `pulumi preview` evaluates it for a new stack (see {@link RunOptions.preview}). */
export async function previewUnderMocks(
  stack: string,
  stackConfig: StackConfig,
  program: () => unknown,
): Promise<PreviewRun> {
  const { resources, unconfiguredProviders } = await runUnderMocks(stack, stackConfig, program, {
    preview: true,
  });
  return { resources, unconfiguredProviders };
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
