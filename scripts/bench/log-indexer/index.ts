/**
 * Log-indexer benchmark: Kinesis records (base64 data, as Lambda delivers
 * them) → `_bulk` bodies, for JSON lines and for text lines, against a
 * straightforward baseline in the same run.
 *
 * The records are what the stream carries: the lines are sent through the
 * receiver's own path (splitBody → encodeEnvelopes → cutRecords, in requests
 * of 1,000 lines as log-sender batches them), so envelopes are packed into
 * records of up to 1 MiB exactly as in production. Preparing them is not
 * measured.
 *
 * Ours: the handler's pure path — base64 decode, `recordItems` (envelope scan,
 * time, fields, documents; access-log parsing tried on every line, as with the
 * Lambda's default `ACCESS_LOG_SOURCES` = every source) → BulkBatcher (5 MiB)
 * → bulkBody. Baseline: base64 decode, split, then per line `JSON.parse` of
 * the envelope, a document object (the JSON line's fields spread in, or the
 * text as `message`), `JSON.stringify` of action and document, joined into
 * bodies of at most 5 MiB. Both read the same records. "MB" is MB of record
 * data (decoded), per CPU-second.
 *
 * Each contender runs in a fresh process of its own (this file bundled by
 * esbuild, as Lambda runs the indexer), ROUNDS processes each, taking turns;
 * a process measures RUNS runs one after the other, as a warm Lambda
 * container handles batch after batch, and the figure is the best run by CPU
 * time of the process (GC threads included).
 * In one shared process the same code measured anywhere from 0.92x to 1.53x
 * run after run: each contender paid for the heap the other (and the other
 * workload) left behind, which no Lambda does.
 *
 * Run alone: npx ts-node --transpile-only scripts/bench/log-indexer/index.ts [lines]
 */
import { buildSync } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { bulkBody, BulkBatcher, DEFAULT_BULK_MAX_BYTES } from "../../../apps/lib/opensearch/bulk";
import { MAX_RECORD_BYTES } from "../../../apps/lib/ingest-record";
import { splitBody } from "../../../apps/log-receiver/src/body";
import {
  encodeEnvelopes,
  envelopeTemplate,
  idBaseFromBody,
  lineId,
} from "../../../apps/log-receiver/src/envelope";
import { cutRecords } from "../../../apps/log-receiver/src/pack";
import type { LineOptions } from "../../../apps/log-indexer/src/logs/items";
import {
  DEFAULT_MAX_FIELDS,
  DEFAULT_MAX_MESSAGE_BYTES,
  recordItems,
} from "../../../apps/log-indexer/src/logs/items";

const DEFAULT_LINES = 50_000;
const LINES_PER_REQUEST = 1000;
/** Runs measured per process. */
const RUNS = 5;
/** Processes per contender and workload. */
const ROUNDS = 3;
const ARRIVED_AT_SECONDS = Date.parse("2026-12-04T01:00:00.000Z") / 1000;

/** A Kinesis record as the handler sees it. */
export interface StreamRecord {
  readonly data: string;
  readonly sequenceNumber: string;
  readonly bytes: number;
}

interface Output {
  readonly documents: number;
  readonly bodies: number;
  readonly bodyBytes: number;
}

interface Measurement extends Output {
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
}

/** A deterministic pseudo-random source (so runs compare). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const USERS = ["alice", "bob", "carol", "dave", "erin"];
const PATHS = ["/api/v1/items", "/api/v1/orders", "/login", "/static/app.js", "/api/v1/search"];

/** Application JSON logs (pino/bunyan-like): own time, level, message, nested request/response. */
function jsonLine(n: number, random: () => number): string {
  const time = new Date(Date.parse("2026-12-04T00:00:00.000Z") + n * 37).toISOString();
  const user = USERS[n % USERS.length] as string;
  return JSON.stringify({
    time,
    level: n % 20 === 0 ? "error" : n % 5 === 0 ? "warn" : "info",
    logger: "app.http",
    msg: n % 20 === 0 ? `upstream timeout after ${Math.floor(random() * 5000)} ms` : "request completed",
    host: `pc-${n % 300}`,
    pid: 1000 + (n % 17),
    req: {
      id: Math.floor(random() * 2 ** 48).toString(16),
      method: n % 3 === 0 ? "POST" : "GET",
      path: `${PATHS[n % PATHS.length] as string}/${n % 1000}`,
      remoteAddress: `198.51.100.${n % 250}`,
      headers: {
        "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0",
        accept: "application/json",
      },
    },
    res: { statusCode: n % 20 === 0 ? 504 : 200, bytes: Math.floor(random() * 20_000) },
    responseTime: Math.round(random() * 5000) / 10,
    user: { name: user, roles: ["staff", n % 7 === 0 ? "admin" : "user"] },
  });
}

/** Text logs from PCs and servers: syslog with PRI, ISO-prefixed application lines, bare lines. */
function textLine(n: number, random: () => number): string {
  const user = USERS[n % USERS.length] as string;
  const address = `198.51.100.${n % 250}`;
  switch (n % 3) {
    case 0:
      return `<38>Dec  4 00:${String(n % 60).padStart(2, "0")}:${String((n >> 3) % 60).padStart(2, "0")} pc-${n % 300} sshd[${4000 + (n % 900)}]: Accepted publickey for ${user} from ${address} port ${40000 + Math.floor(random() * 20000)} ssh2: ED25519 SHA256:${Math.floor(random() * 2 ** 48).toString(36)}`;
    case 1:
      return `${new Date(Date.parse("2026-12-04T00:00:00.000Z") + n * 37).toISOString()} WARN [worker-${n % 8}] com.example.billing.InvoiceService - retrying invoice ${n} for customer ${user}: connection reset by peer (attempt ${1 + (n % 3)})`;
    default:
      return `backup job ${n % 40} finished on pc-${n % 300}: ${Math.floor(random() * 10_000)} files, ${Math.floor(random() * 900)} MB copied, 0 errors`;
  }
}

/** Sends `lines` through the receiver's encoding and packing; returns the records as Lambda delivers them. */
function toRecords(lines: readonly string[]): StreamRecord[] {
  const records: StreamRecord[] = [];
  for (let start = 0; start < lines.length; start += LINES_PER_REQUEST) {
    const body = Buffer.from(lines.slice(start, start + LINES_PER_REQUEST).join("\n"), "utf8");
    const idBase = idBaseFromBody("office-pcs", "192.0.2.10", body);
    const template = envelopeTemplate({
      idBase,
      receivedAt: new Date(ARRIVED_AT_SECONDS * 1000).toISOString(),
      receiver: "ip-10-0-1-23.eu-west-1.compute.internal",
      client: "192.0.2.10",
      source: "office-pcs",
    });
    const table = splitBody(body, "ndjson", { maxLineBytes: 1024 * 1024, maxLines: 100_000 });
    const batch = encodeEnvelopes(template, table);
    for (const record of cutRecords(batch.data, batch.ends, (i) => lineId(idBase, i), MAX_RECORD_BYTES)) {
      records.push({
        data: record.data.toString("base64"),
        sequenceNumber: `4968${String(records.length).padStart(52, "0")}`,
        bytes: record.data.length,
      });
    }
  }
  return records;
}

const OPTIONS: LineOptions = {
  accessLogSources: "all",
  maxFields: DEFAULT_MAX_FIELDS,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
};

/** The handler's path: records → recordItems → bounded bulk bodies. */
export function ours(records: readonly StreamRecord[]): Output {
  const batcher = new BulkBatcher<unknown>(DEFAULT_BULK_MAX_BYTES);
  let documents = 0;
  let bodies = 0;
  let bodyBytes = 0;
  const emit = (items: Parameters<typeof bulkBody>[0]) => {
    bodies++;
    bodyBytes += bulkBody(items).length;
  };
  for (const record of records) {
    const { items } = recordItems(
      Buffer.from(record.data, "base64"),
      record.sequenceNumber,
      ARRIVED_AT_SECONDS,
      OPTIONS,
    );
    documents += items.length;
    for (const item of items) {
      const full = batcher.add(item);
      if (full !== undefined) emit(full);
    }
  }
  const rest = batcher.take();
  if (rest.length > 0) emit(rest);
  return { documents, bodies, bodyBytes };
}

interface Envelope {
  id: string;
  receivedAt: string;
  receiver: string;
  client: string;
  source?: string;
  message?: string;
  event?: unknown;
}

/** The baseline: per line JSON.parse of the envelope, a document object, JSON.stringify; bodies of at most 5 MiB. */
export function baseline(records: readonly StreamRecord[]): Output {
  let documents = 0;
  let bodies = 0;
  let bodyBytes = 0;
  let parts: string[] = [];
  let size = 0;
  const flush = () => {
    if (parts.length === 0) return;
    bodies++;
    bodyBytes += Buffer.byteLength(parts.join(""));
    parts = [];
    size = 0;
  };
  for (const record of records) {
    for (const line of Buffer.from(record.data, "base64").toString("utf8").split("\n")) {
      const envelope = JSON.parse(line) as Envelope;
      const event = envelope.event;
      const document =
        typeof event === "object" && event !== null
          ? { ...event, "@timestamp": envelope.receivedAt }
          : { message: envelope.message, "@timestamp": envelope.receivedAt };
      const source = (envelope.source ?? "unknown").toLowerCase();
      const pair =
        `${JSON.stringify({ create: { _index: `logs-${source}-${envelope.receivedAt.slice(0, 10).replace(/-/g, ".")}`, _id: envelope.id } })}\n` +
        `${JSON.stringify({ ...document, receivedAt: envelope.receivedAt, receiver: envelope.receiver, client: envelope.client, source })}\n`;
      const bytes = Buffer.byteLength(pair);
      if (size + bytes > DEFAULT_BULK_MAX_BYTES) flush();
      parts.push(pair);
      size += bytes;
      documents++;
    }
  }
  flush();
  return { documents, bodies, bodyBytes };
}

/** The records of `lineCount` generated lines of one kind (deterministic), and their decoded size. */
export function workload(
  kind: "JSON lines" | "text lines",
  lineCount: number,
): { records: StreamRecord[]; dataBytes: number } {
  const make = kind === "JSON lines" ? jsonLine : textLine;
  const random = prng(kind.length);
  const records = toRecords(Array.from({ length: lineCount }, (_, n) => make(n, random)));
  return { records, dataBytes: records.reduce((sum, r) => sum + r.bytes, 0) };
}

/** One run of `work`, timed by the process's CPU time (GC threads included) and wall time. */
function timed(work: () => Output): Measurement {
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  const output = work();
  const used = process.cpuUsage(cpu);
  return {
    ...output,
    cpuSeconds: (used.user + used.system) / 1e6,
    wallSeconds: Number(process.hrtime.bigint() - wall) / 1e9,
  };
}

type Kind = "JSON lines" | "text lines";
type Contender = "ours" | "baseline";
const CONTENDERS: Readonly<Record<Contender, (records: readonly StreamRecord[]) => Output>> = {
  ours,
  baseline,
};

/** In a child process: generates `kind`'s records (not measured), then the best of RUNS runs of `contender`. */
function child(kind: Kind, contender: Contender, lineCount: number): void {
  const { records } = workload(kind, lineCount);
  const work = CONTENDERS[contender];
  let best: Measurement | undefined;
  for (let i = 0; i < RUNS; i++) {
    const measurement = timed(() => work(records));
    if (best === undefined || measurement.cpuSeconds < best.cpuSeconds) best = measurement;
  }
  process.stdout.write(JSON.stringify(best));
}

/** Best of ROUNDS fresh processes per contender, the contenders taking turns. */
function measureIsolated(bundle: string, kind: Kind, lineCount: number): Record<Contender, Measurement> {
  const best: Partial<Record<Contender, Measurement>> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of ["ours", "baseline"] as const) {
      const out = execFileSync(process.execPath, [bundle, "--child", kind, contender, String(lineCount)], {
        encoding: "utf8",
        maxBuffer: 1024 * 1024,
      });
      const measurement = JSON.parse(out) as Measurement;
      const known = best[contender];
      if (known === undefined || measurement.cpuSeconds < known.cpuSeconds) best[contender] = measurement;
    }
  }
  return best as Record<Contender, Measurement>;
}

const thousands = (value: number): string => value.toFixed(0).replace(/\B(?=(\d{3})+$)/g, ",");

function describe(name: string, m: Measurement, lines: number, dataBytes: number): string {
  return (
    `${name.padEnd(38)} ${m.cpuSeconds.toFixed(3)} s CPU (${m.wallSeconds.toFixed(3)} s wall)  ` +
    `${thousands(lines / m.cpuSeconds)} lines/s  ${(dataBytes / 1e6 / m.cpuSeconds).toFixed(1)} MB/CPU-s  ` +
    `→ ${m.documents} documents, ${m.bodies} bodies, ${(m.bodyBytes / 1e6).toFixed(1)} MB`
  );
}

/** Generates both workloads, runs ours and the baseline on each (each in processes of its own), prints figures and ratios. */
export async function run(lineCount = DEFAULT_LINES): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "log-indexer-bench-"));
  try {
    const bundle = join(dir, "bench.js");
    buildSync({
      entryPoints: [__filename],
      bundle: true,
      platform: "node",
      target: "node20",
      outfile: bundle,
      logLevel: "error",
    });
    console.log(
      `log-indexer, node ${process.version}: each contender in fresh processes ` +
        `(best of ${ROUNDS} processes × ${RUNS} runs, by CPU time)`,
    );
    for (const kind of ["JSON lines", "text lines"] as const) {
      const { records, dataBytes } = workload(kind, lineCount);
      console.log(
        `log-indexer, ${kind}: ${thousands(lineCount)} lines in ${records.length} Kinesis records ` +
          `(${(dataBytes / 1e6).toFixed(1)} MB of envelopes, packed by the receiver's code)`,
      );
      const { ours: mine, baseline: base } = measureIsolated(bundle, kind, lineCount);
      console.log(describe("  ours: recordItems → bulk bodies", mine, lineCount, dataBytes));
      console.log(describe("  baseline: JSON.parse + JSON.stringify", base, lineCount, dataBytes));
      console.log(`  ratio (baseline CPU / ours CPU): ${(base.cpuSeconds / mine.cpuSeconds).toFixed(2)}x`);
      await Promise.resolve();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const [flag, kind, contender, lines] = process.argv.slice(2);
  if (flag === "--child") {
    child(kind as Kind, contender as Contender, Number(lines));
  } else {
    run(flag === undefined ? DEFAULT_LINES : Number(flag)).catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
  }
}
