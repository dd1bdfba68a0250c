/**
 * The OpenSearch bootstrap Lambda: signed as the domain's master IAM role, it
 * sets up fine-grained access control so that each indexer (on its own
 * index patterns only) and Grafana are let in, and a human can still sign in as the admin user named
 * in the master secret. Invoked by the program (aws.lambda.Invocation)
 * after the domain exists and again whenever the domain is replaced; every
 * run PUTs the full desired state, so re-running changes nothing. A new
 * domain refuses its master for a while, so every call is retried (see
 * `retry.ts`) until the run's deadline.
 */
import { z } from "zod";
import type { OpenSearchTransport } from "../../lib/signed-http";
import { createOpenSearchTransport } from "../../lib/signed-http";
import type { UserCredentials } from "./secret";
import { readSecretCredentials } from "./secret";
import type { Clock } from "./retry";
import { requestWithRetry, SYSTEM_CLOCK } from "./retry";
import type { WriterAccess } from "./security";
import { SECURITY_API, internalUserBody, securityRequests } from "./security";

/** The invocation payload (the program builds it from the stack's role ARNs). */
export interface BootstrapEvent {
  /** Each indexer's OpenSearch role, its IAM roles and the index patterns it writes. */
  readonly writers: readonly WriterAccess[];
  /** IAM roles that only search it. */
  readonly readerRoleArns: readonly string[];
}

/** What a run did, returned to the invoker (and so visible in `pulumi up` state). No secrets. */
export interface BootstrapSummary {
  readonly user: string;
  /** `PUT <path>` of every call, in order. */
  readonly applied: readonly string[];
  /** Backend roles and users per OpenSearch role, as mapped. */
  readonly mappings: Readonly<Record<string, { backend_roles: string[]; users: string[] }>>;
}

/** What the handler needs from its environment. */
export interface BootstrapDeps {
  readonly transport: OpenSearchTransport;
  /** Returns the admin user's name and password (the password never logged, never returned). */
  readonly readCredentials: () => Promise<UserCredentials>;
  readonly masterRoleArn: string;
  /** How long one run keeps retrying, ms (also bounded by the invocation's remaining time). Default: {@link DEFAULT_RETRY_FOR_MS}. */
  readonly retryForMs?: number;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Where retried attempts are reported. Default: `console.warn` (the function's log group). */
  readonly log?: (message: string) => void;
}

/** The part of the Lambda context the handler reads. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/** Ten minutes of retries: a new FGAC domain refuses its master for minutes, not seconds. */
export const DEFAULT_RETRY_FOR_MS = 10 * 60 * 1000;

/** Kept back from the Lambda timeout, so that a run that gives up returns its error rather than timing out. */
export const TIMEOUT_MARGIN_MS = 30 * 1000;

/**
 * When a run stops retrying: `retryForMs` from now, but never later than
 * {@link TIMEOUT_MARGIN_MS} before the invocation times out.
 */
export function retryDeadline(now: number, retryForMs: number, context?: InvocationContext): number {
  const remaining = context?.getRemainingTimeInMillis();
  const budget = remaining === undefined ? retryForMs : Math.min(retryForMs, remaining - TIMEOUT_MARGIN_MS);
  return now + Math.max(0, budget);
}

const eventSchema = z.object({
  writers: z.array(
    z.object({
      role: z.string(),
      roleArns: z.array(z.string()),
      indexPatterns: z.array(z.string()),
    }),
  ),
  readerRoleArns: z.array(z.string()),
});

/** Parses the payload, listing every problem. */
export function parseBootstrapEvent(event: unknown): BootstrapEvent {
  const result = eventSchema.safeParse(event);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(payload)"}: ${issue.message}`,
    );
    throw new Error(`Invalid bootstrap payload: ${problems.join("; ")}`);
  }
  return result.data;
}

/**
 * Builds the handler: PUT the admin user, then each writer role and the role
 * mappings, each retried while the domain is still coming up. Throws on the
 * first call refused for good, or still refused at the deadline (with its
 * status and the start of the answer), so the invocation, and with it
 * `pulumi up`, fails visibly.
 */
export function createBootstrapHandler(
  deps: BootstrapDeps,
): (event: unknown, context?: InvocationContext) => Promise<BootstrapSummary> {
  const clock = deps.clock ?? SYSTEM_CLOCK;
  const log = deps.log ?? ((message: string) => console.warn(message));
  return async (event, context) => {
    const input = parseBootstrapEvent(event);
    const deadline = retryDeadline(clock.now(), deps.retryForMs ?? DEFAULT_RETRY_FOR_MS, context);
    const { username, password } = await deps.readCredentials();
    const requests = securityRequests({ ...input, adminUser: username, masterRoleArn: deps.masterRoleArn });
    const userPath = `${SECURITY_API}/internalusers/${encodeURIComponent(username)}`;
    const calls = [
      { path: userPath, body: internalUserBody(password) },
      ...requests.map(({ path, body }) => ({ path, body })),
    ];
    for (const call of calls) {
      await requestWithRetry(deps.transport, "PUT", call.path, JSON.stringify(call.body), {
        deadline,
        clock,
        onRetry: (what, attempt, reason, delayMs) =>
          log(`${what} attempt ${attempt} ${reason}; retrying in ${delayMs} ms`),
      });
    }
    const mappings: Record<string, { backend_roles: string[]; users: string[] }> = {};
    for (const { path, body } of requests) {
      const role = /\/rolesmapping\/(.+)$/.exec(path)?.[1];
      if (role !== undefined) mappings[role] = body as { backend_roles: string[]; users: string[] };
    }
    return { user: username, applied: calls.map(({ path }) => `PUT ${path}`), mappings };
  };
}

/** The Lambda's environment, validated. */
export interface BootstrapEnv {
  /** `OPENSEARCH_ENDPOINT`: domain endpoint, with or without `https://`. */
  readonly endpoint: string;
  /** `MASTER_SECRET_ARN`: secret with `{username, password}` of the internal admin user. */
  readonly secretArn: string;
  /** `MASTER_ROLE_ARN`: this function's role, the domain's master. */
  readonly masterRoleArn: string;
  /** `AWS_REGION` (set by Lambda). */
  readonly region: string;
  /** `RETRY_FOR_SECONDS`: how long a run retries (default 600; the invocation's timeout bounds it too). */
  readonly retryForMs: number;
}

/**
 * Reads the environment.
 *
 * @throws Error listing every missing variable.
 */
export function parseBootstrapEnv(env: NodeJS.ProcessEnv): BootstrapEnv {
  const names = ["OPENSEARCH_ENDPOINT", "MASTER_SECRET_ARN", "MASTER_ROLE_ARN", "AWS_REGION"] as const;
  const missing = names.filter((key) => (env[key] ?? "") === "");
  if (missing.length > 0) throw new Error(`Missing environment variables: ${missing.join(", ")}`);
  const endpoint = env.OPENSEARCH_ENDPOINT as string;
  const retryFor = env.RETRY_FOR_SECONDS ?? "";
  const retrySeconds = retryFor === "" ? DEFAULT_RETRY_FOR_MS / 1000 : Number(retryFor);
  if (!Number.isInteger(retrySeconds) || retrySeconds < 0 || retrySeconds > 900) {
    throw new Error(`RETRY_FOR_SECONDS must be a whole number of seconds from 0 to 900 (got "${retryFor}")`);
  }
  return {
    endpoint: /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`,
    secretArn: env.MASTER_SECRET_ARN as string,
    masterRoleArn: env.MASTER_ROLE_ARN as string,
    region: env.AWS_REGION as string,
    retryForMs: retrySeconds * 1000,
  };
}

/**
 * The handler over the Lambda environment: the execution role's credentials
 * (Lambda sets them as environment variables) sign both Secrets Manager and
 * OpenSearch requests.
 */
export function handlerFromEnv(
  env: NodeJS.ProcessEnv,
  overrides: Pick<BootstrapDeps, "clock" | "log"> = {},
): (event: unknown, context?: InvocationContext) => Promise<BootstrapSummary> {
  const config = parseBootstrapEnv(env);
  const credentials = () => {
    const accessKeyId = env.AWS_ACCESS_KEY_ID ?? "";
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY ?? "";
    if (accessKeyId === "" || secretAccessKey === "") {
      return Promise.reject(new Error("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set"));
    }
    const sessionToken = env.AWS_SESSION_TOKEN;
    return Promise.resolve({
      accessKeyId,
      secretAccessKey,
      ...(sessionToken === undefined ? {} : { sessionToken }),
    });
  };
  const transport = createOpenSearchTransport({
    endpoint: config.endpoint,
    region: config.region,
    credentials,
  });
  return createBootstrapHandler({
    ...overrides,
    transport,
    masterRoleArn: config.masterRoleArn,
    retryForMs: config.retryForMs,
    readCredentials: () =>
      readSecretCredentials({
        secretArn: config.secretArn,
        region: config.region,
        credentials,
        ...(env.SECRETS_MANAGER_ENDPOINT === undefined ? {} : { endpoint: env.SECRETS_MANAGER_ENDPOINT }),
      }),
  });
}

let fromEnv: ((event: unknown, context?: InvocationContext) => Promise<BootstrapSummary>) | undefined;

/** The Lambda entry point; reads the environment on first invocation (importing has no side effects). */
export const handler = async (event: unknown, context?: InvocationContext): Promise<BootstrapSummary> => {
  fromEnv ??= handlerFromEnv(process.env);
  return await fromEnv(event, context);
};
