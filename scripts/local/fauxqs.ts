/**
 * fauxqs (local SQS + SNS) in a child process. It is ESM-only and its CLI
 * binds 0.0.0.0 on a fixed port with request logging, so the child runs a
 * three-line ESM bootstrap instead: its `buildApp`, silent, on 127.0.0.1 with
 * a random port, printed on stdout once listening. The child also exits when
 * its stdin closes, so a parent that dies without `stop()` leaves no orphan.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** A running fauxqs. */
export interface Fauxqs {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Stops the child and waits for it to exit. */
  stop(): Promise<void>;
}

const APP = join(__dirname, "..", "..", "node_modules", "fauxqs", "dist", "app.js");
const STARTUP_MS = 15_000;

/** Starts fauxqs and resolves once it listens. */
export async function startFauxqs(): Promise<Fauxqs> {
  const script = [
    `import { buildApp } from ${JSON.stringify(pathToFileURL(APP).href)};`,
    "const app = buildApp({ logger: false });",
    'const address = await app.listen({ port: 0, host: "127.0.0.1" });',
    "process.stdout.write(JSON.stringify({ address }) + '\\n');",
    "const exit = () => app.close().then(() => process.exit(0));",
    'process.on("SIGTERM", exit);',
    'process.stdin.on("close", exit).resume();',
  ].join("\n");
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = once(child, "exit");
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
  };
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let stdout = "";
      const timer = setTimeout(
        () => reject(new Error(`fauxqs did not start in ${STARTUP_MS} ms: ${stderr}`)),
        STARTUP_MS,
      );
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        const line = stdout.split("\n")[0];
        if (stdout.includes("\n") && line !== undefined) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { address: string }).address);
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`fauxqs exited with ${code}: ${stderr}`));
      });
    });
    return { endpoint: address, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
