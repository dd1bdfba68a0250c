/** Settings every command shares. */
export interface CommonArgs {
  readonly url: string;
  readonly token: string;
  readonly batchLines?: number;
  readonly batchBytes?: number;
  readonly spoolDir?: string;
  readonly concurrency?: number;
  readonly insecure: boolean;
  readonly caFile?: string;
  /** Seconds to keep retrying 401 before giving up (token rotation). */
  readonly authGraceSeconds?: number;
  /** send/tail: read the files from their first byte even if they were sent before. */
  readonly fromStart: boolean;
  readonly quiet: boolean;
}

/** A parsed command line. */
export type Command =
  | { readonly command: "help" }
  | { readonly command: "send"; readonly inputs: readonly string[]; readonly common: CommonArgs }
  | { readonly command: "tail"; readonly file: string; readonly common: CommonArgs }
  | {
      readonly command: "load";
      readonly rate: number;
      readonly durationSeconds: number;
      readonly common: CommonArgs;
    };

/** A command line that cannot run; the message says why (and never contains the token). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const USAGE = `log-sender — ship log lines to the log-receiver (HTTPS, gzip, retries, disk spool)

Usage:
  log-sender send FILE... [options]     send files (resumes where the last run stopped)
  log-sender send - [options]           send standard input
  log-sender tail FILE [options]        follow a file, across rotation and truncation
  log-sender load --rate N --duration S [options]   generate synthetic load

Options:
  --url URL           receiver, e.g. https://logs.example.com (env LOG_SENDER_URL)
  --token TOKEN       ingest token (env LOG_SENDER_TOKEN; prefer the env var,
                      command lines are visible to other users)
  --batch-lines N     lines per batch (default 1000)
  --batch-bytes N     uncompressed bytes per batch (default 1048576)
  --spool DIR         spool directory (default ~/.log-sender/spool/HOST_PORT-HASH,
                      one per receiver URL; one process at a time per spool)
  --from-start        send/tail: read the files from their first byte, even the
                      parts already sent to this receiver
  --concurrency N     batches in flight (default 2)
  --ca FILE           trust this PEM CA or self-signed certificate
  --insecure          accept any certificate (testing only)
  --auth-grace-seconds S
                      keep retrying a refused token (401) for S seconds before
                      giving up, while new tokens reach every receiver task
                      (default 120; 0: give up at once)
  --quiet             no progress output (errors are still printed)
  --rate N            load: lines per second
  --duration S        load: seconds
  -h, --help          this text

Examples:
  LOG_SENDER_TOKEN=… log-sender send --url https://logs.example.com C:\\logs\\app.log
  journalctl -f | log-sender send - --url https://logs.example.com
  log-sender tail /var/log/syslog --url https://logs.example.com --ca corp-ca.pem
  log-sender load --rate 20000 --duration 30 --url https://127.0.0.1:8443 --insecure

Exit codes: 0 done; 1 usage or runtime error (also: the spool is in use by
another process); 2 receiver refused the token (past --auth-grace-seconds) or
the TLS certificate, or the URL is not a receiver (HTTP 404/405/415) — batches
stay spooled; 3 some batches were refused and kept in SPOOL/rejected with the
reason.
`;

const FLAGS = new Set(["insecure", "quiet", "help", "from-start"]);
const VALUED = new Set([
  "url",
  "token",
  "batch-lines",
  "batch-bytes",
  "spool",
  "concurrency",
  "ca",
  "auth-grace-seconds",
  "rate",
  "duration",
]);

/**
 * Parses `argv` (without node and the script). Options may come anywhere,
 * as `--name value` or `--name=value`.
 * @throws UsageError naming the problem.
 */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  const positional: string[] = [];
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "-h") {
      flags.add("help");
      continue;
    }
    if (!arg.startsWith("--") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const [name = "", inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (FLAGS.has(name)) {
      flags.add(name);
    } else if (VALUED.has(name)) {
      const value = inline ?? argv[++i];
      // Name the option, never echo the value (it may be the token).
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  if (flags.has("help") || positional.length === 0) return { command: "help" };
  const [command, ...rest] = positional;
  const common = (): CommonArgs => commonArgs(values, flags, env);
  switch (command) {
    case "send":
      if (rest.length === 0) throw new UsageError("send needs at least one FILE (or - for standard input)");
      if (rest.includes("-") && rest.length > 1) throw new UsageError("send - reads standard input only");
      return { command: "send", inputs: rest, common: common() };
    case "tail":
      if (rest.length !== 1) throw new UsageError("tail needs exactly one FILE");
      return { command: "tail", file: rest[0] as string, common: common() };
    case "load": {
      if (rest.length > 0) throw new UsageError("load takes no FILE");
      const rate = positiveNumber(values, "rate");
      const durationSeconds = positiveNumber(values, "duration");
      if (rate === undefined || durationSeconds === undefined) {
        throw new UsageError("load needs --rate N and --duration S");
      }
      return { command: "load", rate, durationSeconds, common: common() };
    }
    default:
      throw new UsageError(`unknown command ${command}; use send, tail or load`);
  }
}

function commonArgs(values: Map<string, string>, flags: Set<string>, env: NodeJS.ProcessEnv): CommonArgs {
  const url = values.get("url") ?? env.LOG_SENDER_URL;
  const token = values.get("token") ?? env.LOG_SENDER_TOKEN;
  if (url === undefined || url === "") throw new UsageError("--url (or LOG_SENDER_URL) is required");
  if (token === undefined || token === "") throw new UsageError("--token (or LOG_SENDER_TOKEN) is required");
  const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
    value === undefined ? {} : ({ [key]: value } as Record<K, V>);
  return {
    url,
    token,
    insecure: flags.has("insecure"),
    fromStart: flags.has("from-start"),
    quiet: flags.has("quiet"),
    ...optional("batchLines", positiveNumber(values, "batch-lines", true)),
    ...optional("batchBytes", positiveNumber(values, "batch-bytes", true)),
    ...optional("concurrency", positiveNumber(values, "concurrency", true)),
    ...optional("spoolDir", values.get("spool")),
    ...optional("caFile", values.get("ca")),
    ...optional("authGraceSeconds", nonNegativeNumber(values, "auth-grace-seconds")),
  };
}

function nonNegativeNumber(values: Map<string, string>, name: string): number | undefined {
  const raw = values.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`--${name} must be a number of seconds, 0 or more, got ${raw}`);
  }
  return value;
}

function positiveNumber(values: Map<string, string>, name: string, integer = false): number | undefined {
  const raw = values.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be a positive ${integer ? "integer" : "number"}, got ${raw}`);
  }
  return value;
}
