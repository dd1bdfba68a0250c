import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";

import { ADOT_LAYER_REGIONS } from "../components/lib/adot-lambda-layer";
import { certificateNameProblem } from "../components/log-receiver-cluster/certificate-names";
import type { Environment, PlainSettings, SecretKey, SecretSettings } from "./settings-schema";
import {
  ENVIRONMENT_DEFAULTS,
  ENVIRONMENTS,
  OBJECT_KEYS,
  plainSchema,
  REQUIRED_IN_PROD,
  SECRET_KEYS,
  secretSchema,
} from "./settings-schema";

/** The Pulumi project name; config keys are `log-platform:<key>`. */
export const PROJECT = "log-platform";

/** One config value as the stack holds it. */
export interface RawValue {
  readonly value: string;
  readonly secret: boolean;
}

/** A stack's config for this project, keyed without the `log-platform:` prefix. */
export type RawConfig = ReadonlyMap<string, RawValue>;

/** Secrets as the program uses them: wrapped so Pulumi keeps them encrypted. */
export interface Secrets {
  /** One Output per address, so components can create one subscription each (the count is not secret). */
  readonly alertEmails: readonly pulumi.Output<string>[];
  readonly receiverTls?: {
    readonly certificatePem: pulumi.Output<string>;
    readonly privateKeyPem: pulumi.Output<string>;
  };
  readonly ingestTokens?: pulumi.Output<{ readonly name: string; readonly token: string }[]>;
  readonly openSearchMasterPassword?: pulumi.Output<string>;
}

/** Every setting of one stack, validated. */
export type Settings = PlainSettings & { readonly stack: string; readonly secrets: Secrets };

/** Thrown when the config is invalid; its message lists every problem and how to fix it. */
export class SettingsError extends Error {
  constructor(
    stack: string,
    public readonly problems: readonly string[],
  ) {
    super(
      `Invalid configuration for stack "${stack}" (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "SettingsError";
  }
}

const STRING_KEYS = new Set([
  "environment",
  "namePrefix",
  "receiverTlsCertificate",
  "receiverTlsPrivateKey",
  "openSearchMasterPassword",
]);
const SECRET_KEY_NAMES = Object.keys(SECRET_KEYS) as SecretKey[];
const KNOWN_KEYS = [...Object.keys(plainSchema.shape), ...SECRET_KEY_NAMES];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep merge of plain objects; arrays and scalars in `override` replace the default. */
function mergeOver(defaults: unknown, override: unknown): unknown {
  if (!isPlainObject(defaults) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(override)) merged[key] = mergeOver(defaults[key], value);
  return merged;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (isPlainObject(node) || Array.isArray(node) ? (node as never)[key] : undefined),
    root,
  );
}

/** Levenshtein distance, for "did you mean" hints on misspelled keys. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** A config path in the syntax of `pulumi config set --path`: `a.b[0].c`. */
function configPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

function fixForPlain(path: readonly PropertyKey[], example: unknown): string {
  const key = configPath(path);
  const value =
    example === undefined
      ? "<value>"
      : typeof example === "string" || typeof example === "number" || typeof example === "boolean"
        ? String(example)
        : `'${JSON.stringify(example)}'`;
  return path.length > 1 ? `pulumi config set --path '${key}' ${value}` : `pulumi config set ${key} ${value}`;
}

function describeIssue(issue: z.core.$ZodIssue, root: string, exampleRoot: unknown, given: unknown): string {
  const path = [root, ...issue.path];
  const where = `${PROJECT}:${configPath(path)}`;
  const got = valueAt(given, issue.path);
  const gotText = got === undefined ? "" : ` (got ${JSON.stringify(got)})`;
  const fix = SECRET_KEY_NAMES.includes(root as SecretKey)
    ? SECRET_KEYS[root as SecretKey].howToSet
    : fixForPlain(path, valueAt(exampleRoot, issue.path));
  const message =
    got === undefined && issue.code === "invalid_type" ? "is missing" : `${issue.message}${gotText}`;
  return `${where}: ${message}\n      fix: ${fix}`;
}

/**
 * The endpoint's name against its certificate. Agents are given
 * receiver.domainName and verify the certificate against it; an imported
 * certificate can never name the NLB's own *.elb.amazonaws.com name, so
 * prod (which must import one) and any imported certificate need a
 * domainName that the certificate covers. Checked here, where the
 * certificate is still plain text, so that the message can list what it
 * covers (names of a certificate are public, not secret).
 */
function endpointNameProblems(
  env: Environment,
  plain: PlainSettings,
  secrets: SecretSettings | undefined,
): string[] {
  const domainName = plain.receiver.domainName;
  const certificate = secrets?.receiverTlsCertificate;
  if (domainName === undefined) {
    if (env !== "prod" && certificate === undefined) return [];
    return [
      `${PROJECT}:receiver.domainName is required ${env === "prod" ? "in prod" : "with receiverTlsCertificate"}: agents are given this name and verify the endpoint's certificate against it, and no certificate can name the load balancer's *.elb.amazonaws.com name.\n      fix: pulumi config set --path receiver.domainName logs.example.com && pulumi config set --path receiver.hostedZoneId <its Route 53 hosted zone id>`,
    ];
  }
  const problem = certificate === undefined ? undefined : certificateNameProblem(certificate, domainName);
  if (problem === undefined) return [];
  return [
    `${PROJECT}:receiverTlsCertificate does not cover receiver.domainName ${domainName}: ${problem}. Fluent Bit and log-sender would refuse the connection.\n      fix: pulumi config set --path receiver.domainName <a name it covers>, or ${SECRET_KEYS.receiverTlsCertificate.howToSet} with a certificate for ${domainName}`,
  ];
}

/**
 * Tracing needs the ADOT collector Lambda layer in the stack's region
 * (components/lib/adot-lambda-layer.ts); a layer is usable in its own region
 * only. Unknown region (no `aws:region`, no AWS_REGION): nothing to check here.
 */
function tracingRegionProblems(plain: PlainSettings, region: string | undefined): string[] {
  if (!plain.tracing.enabled || region === undefined || ADOT_LAYER_REGIONS.includes(region)) return [];
  return [
    `${PROJECT}:tracing.enabled is true, but the ADOT collector Lambda layer that traces the functions is not published in ${region} (it is in ${ADOT_LAYER_REGIONS.join(", ")}).\n      fix: pulumi config set --path tracing.enabled false`,
  ];
}

/**
 * Validates a stack's config: returns the settings, or every problem found
 * (never just the first), each with the `pulumi config set` command that
 * fixes it. Pure: tests call it with a literal config.
 * @param region the AWS region the stack deploys to, when known (what some settings depend on)
 */
export function parseSettings(
  raw: RawConfig,
  stack: string,
  region?: string,
): { ok: true; plain: PlainSettings; secrets: SecretSettings } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const parsed: Record<string, unknown> = {};

  for (const [key, { value, secret }] of raw) {
    if (!KNOWN_KEYS.includes(key)) {
      const closest = [...KNOWN_KEYS].sort((a, b) => editDistance(key, a) - editDistance(key, b))[0]!;
      const hint = editDistance(key, closest) <= 3 ? ` Did you mean "${closest}"?` : "";
      problems.push(
        `${PROJECT}:${key} is not a setting of this project.${hint}\n      fix: pulumi config rm ${key}`,
      );
      continue;
    }
    const isSecretKey = SECRET_KEY_NAMES.includes(key as SecretKey);
    if (isSecretKey && !secret) {
      problems.push(
        `${PROJECT}:${key} is stored in clear text; it must be a secret.\n      fix: pulumi config rm ${key} && ${SECRET_KEYS[key as SecretKey].howToSet}`,
      );
    }
    if (STRING_KEYS.has(key)) {
      parsed[key] = value;
      continue;
    }
    try {
      parsed[key] = JSON.parse(value) as Json;
    } catch {
      problems.push(`${PROJECT}:${key} is not valid JSON/YAML structured data.`);
    }
  }

  const environment = parsed.environment;
  if (!ENVIRONMENTS.includes(environment as Environment)) {
    const got =
      environment === undefined
        ? "is missing"
        : `must be one of ${ENVIRONMENTS.join(", ")} (got ${JSON.stringify(environment)})`;
    problems.push(
      `${PROJECT}:environment ${got}\n      fix: pulumi config set environment ${stack === "prod" ? "prod" : "dev"}`,
    );
    return { ok: false, problems };
  }
  const env = environment as Environment;
  const defaults: Record<string, unknown> = {
    ...ENVIRONMENT_DEFAULTS[env],
    environment: env,
    namePrefix: `lp-${env}`,
  };

  const plainInput: Record<string, unknown> = {};
  for (const key of Object.keys(plainSchema.shape)) {
    const isObjectKey = (OBJECT_KEYS as readonly string[]).includes(key);
    plainInput[key] =
      key in parsed ? (isObjectKey ? mergeOver(defaults[key], parsed[key]) : parsed[key]) : defaults[key];
  }
  const plain = plainSchema.safeParse(plainInput);
  if (!plain.success) {
    for (const issue of plain.error.issues) {
      const [root, ...rest] = issue.path;
      problems.push(
        describeIssue(
          { ...issue, path: rest },
          String(root),
          defaults[String(root)],
          plainInput[String(root)],
        ),
      );
    }
  }

  const secretInput: Record<string, unknown> = {};
  for (const key of SECRET_KEY_NAMES) if (key in parsed) secretInput[key] = parsed[key];
  const secrets = secretSchema.safeParse(secretInput);
  if (!secrets.success) {
    for (const issue of secrets.error.issues) {
      const [root, ...rest] = issue.path;
      // Never echo a secret value back into an error message.
      problems.push(describeIssue({ ...issue, path: rest }, String(root), undefined, undefined));
    }
  }
  if (env === "prod") {
    for (const key of REQUIRED_IN_PROD) {
      if (!(key in secretInput)) {
        problems.push(`${PROJECT}:${key} is required in prod.\n      fix: ${SECRET_KEYS[key].howToSet}`);
      }
    }
  }
  if ("receiverTlsCertificate" in secretInput !== "receiverTlsPrivateKey" in secretInput) {
    problems.push(
      `${PROJECT}:receiverTlsCertificate and receiverTlsPrivateKey must be set together.\n      fix: ${SECRET_KEYS.receiverTlsCertificate.howToSet} && ${SECRET_KEYS.receiverTlsPrivateKey.howToSet}`,
    );
  }
  if (plain.success) {
    problems.push(...endpointNameProblems(env, plain.data, secrets.data));
    problems.push(...tracingRegionProblems(plain.data, region));
  }

  if (problems.length > 0 || !plain.success || !secrets.success) return { ok: false, problems };
  return { ok: true, plain: plain.data, secrets: secrets.data };
}

/**
 * Whether the stack stores `fullKey` encrypted (`pulumi config set --secret`).
 *
 * The SDK has no public API for this: `Config.getSecret` marks any value
 * secret, whatever the stack file holds, and the list of encrypted keys the
 * engine hands the program is read only by `runtime.isConfigSecret`, which
 * @pulumi/pulumi exports but marks `@internal` (left out of its .d.ts; the
 * same gap is pulumi/pulumi#13063 for Python). It is the least internal
 * option — the alternative is parsing the `PULUMI_CONFIG_SECRET_KEYS`
 * variable it reads, a wire detail that the mocks (`setAllConfig`) do not
 * even set — so it is the one SDK internal the program uses, in this one
 * function, and a missing function fails loudly instead of passing clear
 * text as secret.
 */
function isStoredEncrypted(fullKey: string): boolean {
  const internals = pulumi.runtime as unknown as { isConfigSecret?: (fullKey: string) => boolean };
  if (typeof internals.isConfigSecret !== "function")
    throw new Error("@pulumi/pulumi no longer exports runtime.isConfigSecret; see isStoredEncrypted");
  return internals.isConfigSecret(fullKey);
}

/**
 * Reads this project's keys from the running stack's config through the
 * public API: the names from `runtime.allConfig()` (so that unknown,
 * misspelled keys are reported too), the values from `pulumi.Config`.
 * Values stay raw strings, secrets included: `parseSettings` must validate
 * every key before any resource exists, to list all problems at once, which
 * the Output of `getSecret` would not allow; `wrapSecrets` then marks the
 * validated secrets with `pulumi.secret`.
 */
export function readStackConfig(config = new pulumi.Config(PROJECT)): RawConfig {
  const prefix = `${config.name}:`;
  const raw = new Map<string, RawValue>();
  for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    const value = config.get(key);
    if (value !== undefined) raw.set(key, { value, secret: isStoredEncrypted(fullKey) });
  }
  return raw;
}

/** Wraps validated secret values so that Pulumi stores them encrypted and redacts them in output. */
export function wrapSecrets(secrets: SecretSettings): Secrets {
  const tls =
    secrets.receiverTlsCertificate !== undefined && secrets.receiverTlsPrivateKey !== undefined
      ? {
          receiverTls: {
            certificatePem: pulumi.secret(secrets.receiverTlsCertificate),
            privateKeyPem: pulumi.secret(secrets.receiverTlsPrivateKey),
          },
        }
      : {};
  return {
    alertEmails: (secrets.alertEmails ?? []).map((address) => pulumi.secret(address)),
    ...tls,
    ...(secrets.ingestTokens !== undefined ? { ingestTokens: pulumi.secret(secrets.ingestTokens) } : {}),
    ...(secrets.openSearchMasterPassword !== undefined
      ? { openSearchMasterPassword: pulumi.secret(secrets.openSearchMasterPassword) }
      : {}),
  };
}

/**
 * The single reader of `pulumi.Config`: loads and validates every setting of
 * the running stack, or throws a {@link SettingsError} listing all problems.
 */
export function loadSettings(): Settings {
  const stack = pulumi.getStack();
  // The AWS provider's region: its `aws:region` config, else the variables it falls back to.
  const region =
    new pulumi.Config("aws").get("region") ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const result = parseSettings(readStackConfig(), stack, region);
  if (!result.ok) throw new SettingsError(stack, result.problems);
  return { ...result.plain, stack, secrets: wrapSecrets(result.secrets) };
}
