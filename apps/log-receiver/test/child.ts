import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

/** The container entry, run the way the README runs it locally (RECEIVER_MAIN may point at another copy). */
const MAIN = process.env.RECEIVER_MAIN ?? path.resolve(__dirname, "../src/main.ts");

/** The malloc settings the image runs with (its Dockerfile's ENV), so the child's RSS is the container's. */
export const IMAGE_MALLOC_ENV: Readonly<Record<string, string>> = Object.fromEntries(
  [
    ...fs.readFileSync(path.resolve(__dirname, "../Dockerfile"), "utf8").matchAll(/\b(MALLOC_\w+)=(\S+)/g),
  ].map((m) => [m[1] as string, m[2] as string]),
);

/** A receiver in a process of its own, configured by environment as in the container. */
export interface ChildReceiver {
  readonly url: string;
  readonly pid: number;
  /** Lines the process wrote (pino JSON), for a failing test's message. */
  readonly output: string[];
  /** Peak resident memory so far (VmHWM of /proc/<pid>/status), in bytes. */
  peakRss(): number;
  /** SIGKILL: no drain, no answer to requests in flight. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit (graceful drain). */
  stop(): Promise<void>;
}

/** A TCP port free on loopback now (so a restarted receiver can take the same one). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts `node -r ts-node/register/transpile-only src/main.ts` on
 * 127.0.0.1:`port` with `env` (on top of a minimal environment: no AWS
 * variables of the caller leak in) and resolves once it listens.
 */
export async function startChildReceiver(
  port: number,
  env: Readonly<Record<string, string>>,
): Promise<ChildReceiver> {
  const child: ChildProcess = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", MAIN], {
    cwd: path.resolve(__dirname, "../../.."),
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      LOG_LEVEL: "info",
      TS_NODE_TRANSPILE_ONLY: "true",
      ...IMAGE_MALLOC_ENV,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
  let exitCode: number | null | undefined;
  child.once("exit", (code) => (exitCode = code));
  // Listening once a TCP connection is accepted (whatever the log level).
  for (;;) {
    if (exitCode !== undefined)
      throw new Error(`receiver exited (${exitCode}) before listening:\n${output.join("")}`);
    if (await accepts(port)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid as number;
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    output,
    peakRss() {
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      const kib = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return Number(kib) * 1024;
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
