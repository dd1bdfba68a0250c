/**
 * Closed-loop HTTP load generator for the receiver benchmark. Runs in its own
 * process (so it does not steal the receiver's core): `concurrency`
 * keep-alive connections each POST a pre-built gzip batch, wait for the
 * answer, and POST the next, for `seconds` after a warm-up. Prints one JSON
 * {@link LoadResult} on stdout.
 */
import http from "node:http";
import zlib from "node:zlib";
import { percentile, syntheticLine } from "../../../apps/log-sender/src";

/** What the parent passes as argv[2] (JSON). */
export interface LoadConfig {
  readonly url: string;
  readonly token: string;
  readonly concurrency: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly linesPerBatch: number;
  readonly distinctBodies: number;
}

/** Measured over the timed window only. */
export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly lines: number;
  readonly uncompressedBytes: number;
  readonly compressedBytes: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface Body {
  readonly gz: Buffer;
  readonly lines: number;
  readonly bytes: number;
}

function makeBodies(config: LoadConfig): Body[] {
  // Fixed seed: every phase and every run sends the same data.
  let seed = 42;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: config.distinctBodies }, (_, b) => {
    const text =
      Array.from({ length: config.linesPerBatch }, (_, i) =>
        syntheticLine(b * config.linesPerBatch + i, random),
      ).join("\n") + "\n";
    const raw = Buffer.from(text);
    return { gz: zlib.gzipSync(raw), lines: config.linesPerBatch, bytes: raw.length };
  });
}

function post(agent: http.Agent, url: URL, token: string, body: Body, key: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/x-ndjson",
          "content-encoding": "gzip",
          "content-length": body.gz.length,
          "idempotency-key": key,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", () => resolve(0));
    req.end(body.gz);
  });
}

/** Runs the load described by `config` and returns what it measured. */
export async function generateLoad(config: LoadConfig): Promise<LoadResult> {
  const bodies = makeBodies(config);
  const url = new URL("/v1/logs", config.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: config.concurrency });
  const start = performance.now() + config.warmupSeconds * 1000;
  const end = start + config.seconds * 1000;
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  let lines = 0;
  let uncompressedBytes = 0;
  let compressedBytes = 0;
  let sequence = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const body = bodies[sequence % bodies.length] as Body;
      const key = `bench-${process.pid}-${sequence++}`;
      const sent = performance.now();
      const status = await post(agent, url, config.token, body, key);
      const done = performance.now();
      // Throughput counts answers that arrive inside the timed window, whenever
      // the request left (at 500 connections one request can outlast the warm-up).
      if (done < start || done > end) continue;
      latencies.push(done - sent);
      requests++;
      if (status === 200) {
        lines += body.lines;
        uncompressedBytes += body.bytes;
        compressedBytes += body.gz.length;
      } else {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests,
    errors,
    lines,
    uncompressedBytes,
    compressedBytes,
    seconds: config.seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

if (require.main === module) {
  generateLoad(JSON.parse(process.argv[2] ?? "{}") as LoadConfig).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`loadgen failed: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
