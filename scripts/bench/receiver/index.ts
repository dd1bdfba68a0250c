/**
 * Receiver benchmark. Phases, each driven by a load generator in a separate
 * process (1,000-line gzip batches of realistic lines, closed loop):
 *   1. bare node:http server that gunzips (exactly as the receiver does, with
 *      its `decodeBody`) and discards: the ceiling the ratios are taken against,
 *   1b. the same with plain `zlib.gunzip` defaults, the ceiling of earlier
 *      runs: 16 KiB output chunks cost it about twice the CPU of the
 *      receiver's own inflate, so a ratio against it would flatter the receiver,
 *   2. receiver → null Kinesis client (accepts instantly: the receiver's own cost),
 *      with the native encoder, and 2b. with the TypeScript path,
 *   3. receiver → kinesalite in a child process (a real PutRecords round trip),
 *   4. receiver → null client with 500 concurrent connections (peak RSS).
 * Prints lines/s, MB/s (uncompressed), p50/p99 latency and the ratios to
 * both bare servers (the fair one first). Run alone: `npx ts-node --transpile-only scripts/bench/receiver/index.ts`.
 */
import type { PutRecordsCommand, PutRecordsCommandOutput } from "@aws-sdk/client-kinesis";
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { PutRecordsClient } from "../../../apps/log-receiver/src/server";
import { decodeBody } from "../../../apps/log-receiver/src/decode";
import { loadNativeEncoder } from "../../../apps/log-receiver/src/native";
import { DEFAULT_LIMITS } from "../../../apps/log-receiver/src/options";
import { startReceiver } from "../../../apps/log-receiver/src/server";
import { createActiveStream, localKinesisClient } from "../../../apps/log-receiver/test/kinesalite";
import type { LoadConfig, LoadResult } from "./loadgen";

const ROOT = path.resolve(__dirname, "../../..");
const TOKENS = [{ name: "bench", token: "bench-token-0123456789" }];
const gunzip = promisify(zlib.gunzip);

/** Seconds per timed phase (after a 1 s warm-up); BENCH_SECONDS overrides. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

/** Accepts every record at once: isolates the receiver's own cost from Kinesis'. */
const nullKinesis: PutRecordsClient = {
  send: (command: PutRecordsCommand): Promise<PutRecordsCommandOutput> =>
    Promise.resolve({
      FailedRecordCount: 0,
      Records: (command.input.Records ?? []).map((_, i) => ({
        SequenceNumber: String(i),
        ShardId: "shardId-0",
      })),
      $metadata: {},
    }),
};

/** Runs the load generator in a child process against `url`. */
function load(url: string, concurrency: number): Promise<LoadResult> {
  const config: LoadConfig = {
    url,
    token: TOKENS[0]?.token ?? "",
    concurrency,
    seconds: SECONDS,
    warmupSeconds: 1,
    linesPerBatch: 1000,
    distinctBodies: 16,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join(__dirname, "loadgen.ts"), JSON.stringify(config)],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`loadgen exited with ${code}`)),
    );
  });
}

/** Samples this process's RSS while `task` runs; returns the peak and the level before, in MB. */
async function peakRss<T>(task: () => Promise<T>): Promise<{ result: T; peakMb: number; beforeMb: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    return { result: await task(), peakMb: peak / 1e6, beforeMb: before / 1e6 };
  } finally {
    clearInterval(timer);
  }
}

/** How the bare server inflates a body: like the receiver, or with zlib's defaults. */
type Inflate = (raw: Buffer) => Promise<Buffer>;
const receiverInflate: Inflate = (raw) => decodeBody(raw, "gzip", DEFAULT_LIMITS.maxDecompressedBytes);
const defaultInflate: Inflate = (raw) => gunzip(raw);

async function bareServer(inflate: Inflate): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      inflate(Buffer.concat(chunks)).then(
        () => res.end('{"accepted":0}'),
        () => {
          res.statusCode = 400;
          res.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** kinesalite in its own process (it would otherwise compete with the receiver for this process's core). */
async function kinesaliteProcess(): Promise<{ endpoint: string; stop: () => void }> {
  const script =
    "require('kinesalite')({createStreamMs:0,deleteStreamMs:0,updateStreamMs:0,shardLimit:100})" +
    ".listen(0,'127.0.0.1',function(){process.stdout.write(this.address().port+'\\n')})";
  const child = spawn(process.execPath, ["-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once("data", (c: Buffer) => resolve(Number(c.toString().trim())));
    child.once("exit", (code) => reject(new Error(`kinesalite exited with ${code}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}

interface Row {
  readonly label: string;
  readonly result: LoadResult;
  readonly peakMb?: number;
  readonly beforeMb?: number;
}

function format(row: Row, bare: readonly LoadResult[]): string {
  const r = row.result;
  const linesPerSecond = r.lines / r.seconds;
  const percents = bare.map((b) => `${((100 * linesPerSecond) / (b.lines / b.seconds)).toFixed(0)}%`);
  const ratio =
    percents.length === 0
      ? ""
      : ` | ${percents[0]} of bare${percents.length > 1 ? ` (${percents[1]} of bare with default gunzip)` : ""}`;
  return (
    `${row.label.padEnd(54)} ${Math.round(linesPerSecond).toLocaleString("en-US").padStart(10)} lines/s ` +
    `${(r.uncompressedBytes / r.seconds / 1e6).toFixed(1).padStart(6)} MB/s  ` +
    `p50 ${r.p50Ms.toFixed(1).padStart(6)} ms  p99 ${r.p99Ms.toFixed(1).padStart(7)} ms  ` +
    `errors ${r.errors}${row.peakMb === undefined ? "" : `  peak RSS ${row.peakMb.toFixed(0)} MB (${(row.beforeMb ?? 0).toFixed(0)} MB before)`}${ratio}`
  );
}

/** Runs every phase and prints the figures. */
export async function run(): Promise<void> {
  const bare: LoadResult[] = [];
  const print = (row: Row): void => console.log(format(row, bare));
  const measureBare = async (label: string, inflate: Inflate): Promise<void> => {
    const server = await bareServer(inflate);
    try {
      const result = await load(server.url, 64);
      console.log(format({ label, result }, []));
      bare.push(result);
    } finally {
      await server.close();
    }
  };
  console.log(
    `receiver benchmark: 1,000-line gzip batches, ${SECONDS} s per phase, load generator in a separate process`,
  );

  await measureBare("1. bare node:http gunzip+discard, 64 conns", receiverInflate);
  await measureBare("1b. same, zlib.gunzip defaults, 64 conns", defaultInflate);

  const native = loadNativeEncoder();
  if (native.encoder === undefined) console.log(`(native encoder unavailable: ${native.problem ?? ""})`);
  for (const [label, nativeEncoder] of [
    [
      `2. receiver → null Kinesis, ${native.encoder === undefined ? "TypeScript" : "native"} path, 64 conns`,
      true,
    ],
    ["2b. same, TypeScript path (no addon), 64 conns", false],
  ] as const) {
    const nulled = await startReceiver({
      tokens: TOKENS,
      kinesis: nullKinesis,
      streamName: "bench",
      nativeEncoder,
    });
    try {
      print({ label, result: await load(nulled.url, 64) });
    } finally {
      await nulled.close();
    }
  }

  const local = await kinesaliteProcess();
  const client = localKinesisClient(local.endpoint);
  try {
    await createActiveStream(client, "bench", 4);
    const real = await startReceiver({ tokens: TOKENS, kinesis: client, streamName: "bench" });
    try {
      print({ label: "3. receiver → kinesalite (4 shards), 64 conns", result: await load(real.url, 64) });
    } finally {
      await real.close();
    }
  } finally {
    client.destroy();
    local.stop();
  }

  const many = await startReceiver({ tokens: TOKENS, kinesis: nullKinesis, streamName: "bench" });
  try {
    const { result, peakMb, beforeMb } = await peakRss(() => load(many.url, 500));
    print({ label: "4. receiver → null Kinesis, 500 conns", result, peakMb, beforeMb });
  } finally {
    await many.close();
  }
}

if (require.main === module) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
