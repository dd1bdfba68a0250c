import { z } from "zod";
import type { IngestToken, ReceiverLimits } from "./options";

/** The container's settings, parsed from its environment. */
export interface ReceiverConfig {
  readonly port: number;
  readonly host: string;
  readonly streamName: string;
  readonly region: string;
  /** Kinesis endpoint override (local runs against kinesalite); absent in AWS. */
  readonly kinesisEndpoint?: string;
  readonly tokens: readonly IngestToken[];
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly logLevel: string;
  readonly hostname?: string;
  readonly limits: Partial<ReceiverLimits>;
  /** Read a PROXY protocol v2 header on every non-loopback connection (behind the NLB). */
  readonly proxyProtocol: boolean;
  /** `MEMORY_LIMIT_MIB` in bytes: the memory the request budgets derive from. Absent: the cgroup limit. */
  readonly memoryLimitBytes?: number;
  /** `MEMORY_BUDGET_MIB` in bytes: overrides the derived budget. */
  readonly memoryBudgetBytes?: number;
  readonly maxQueuedRequests?: number;
  readonly deadlineMs?: number;
}

const MIB = 1024 * 1024;

const positiveInt = z.coerce.number().int().positive();

const tokenList = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // The message must not quote the value: it is a secret.
      ctx.addIssue({ code: "custom", message: "is not valid JSON (expected [{name, token}, …])" });
      return z.NEVER;
    }
  })
  .pipe(
    z.array(z.object({ name: z.string(), token: z.string() }), {
      error: "must be a JSON array of {name, token}",
    }),
  );

const schema = z
  .object({
    PORT: positiveInt.max(65535).default(8080),
    HOST: z.string().min(1).default("0.0.0.0"),
    STREAM_NAME: z.string().min(1),
    AWS_REGION: z.string().min(1),
    KINESIS_ENDPOINT: z.url().optional(),
    TOKENS: tokenList,
    TLS_CERT: z.string().min(1).optional(),
    TLS_KEY: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    RECEIVER_NAME: z.string().min(1).optional(),
    MAX_BODY_BYTES: positiveInt.optional(),
    MAX_DECOMPRESSED_BYTES: positiveInt.optional(),
    MAX_LINE_BYTES: positiveInt.optional(),
    MAX_LINES: positiveInt.optional(),
    MEMORY_LIMIT_MIB: positiveInt.optional(),
    MEMORY_BUDGET_MIB: positiveInt.optional(),
    MAX_QUEUED_REQUESTS: z.coerce.number().int().min(0).optional(),
    REQUEST_DEADLINE_MS: positiveInt.optional(),
    PROXY_PROTOCOL: z
      .enum(["on", "off"])
      .default("off")
      .transform((value) => value === "on"),
  })
  .refine((env) => (env.TLS_CERT === undefined) === (env.TLS_KEY === undefined), {
    message: "TLS_CERT and TLS_KEY must be set together (or neither)",
    path: ["TLS_CERT"],
  });

/**
 * Parses the container environment. Fails with one message naming every
 * missing or invalid variable; values are never echoed (TOKENS and TLS_KEY
 * are secrets injected by ECS from Secrets Manager).
 * @throws Error listing every problem.
 */
export function parseReceiverEnv(env: NodeJS.ProcessEnv): ReceiverConfig {
  const parsed = schema.safeParse(env, { reportInput: false });
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`,
    );
    throw new Error(`Invalid receiver environment:\n  ${problems.join("\n  ")}`);
  }
  const e = parsed.data;
  const limits: Partial<ReceiverLimits> = {
    ...(e.MAX_BODY_BYTES === undefined ? {} : { maxBodyBytes: e.MAX_BODY_BYTES }),
    ...(e.MAX_DECOMPRESSED_BYTES === undefined ? {} : { maxDecompressedBytes: e.MAX_DECOMPRESSED_BYTES }),
    ...(e.MAX_LINE_BYTES === undefined ? {} : { maxLineBytes: e.MAX_LINE_BYTES }),
    ...(e.MAX_LINES === undefined ? {} : { maxLines: e.MAX_LINES }),
  };
  return {
    port: e.PORT,
    host: e.HOST,
    streamName: e.STREAM_NAME,
    region: e.AWS_REGION,
    tokens: e.TOKENS,
    logLevel: e.LOG_LEVEL,
    limits,
    proxyProtocol: e.PROXY_PROTOCOL,
    ...(e.KINESIS_ENDPOINT === undefined ? {} : { kinesisEndpoint: e.KINESIS_ENDPOINT }),
    ...(e.TLS_CERT !== undefined && e.TLS_KEY !== undefined
      ? { tls: { cert: e.TLS_CERT, key: e.TLS_KEY } }
      : {}),
    ...(e.RECEIVER_NAME === undefined ? {} : { hostname: e.RECEIVER_NAME }),
    ...(e.MEMORY_LIMIT_MIB === undefined ? {} : { memoryLimitBytes: e.MEMORY_LIMIT_MIB * MIB }),
    ...(e.MEMORY_BUDGET_MIB === undefined ? {} : { memoryBudgetBytes: e.MEMORY_BUDGET_MIB * MIB }),
    ...(e.MAX_QUEUED_REQUESTS === undefined ? {} : { maxQueuedRequests: e.MAX_QUEUED_REQUESTS }),
    ...(e.REQUEST_DEADLINE_MS === undefined ? {} : { deadlineMs: e.REQUEST_DEADLINE_MS }),
  };
}
