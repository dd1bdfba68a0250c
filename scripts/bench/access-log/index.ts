/**
 * Access-log transformer benchmark: parse + serialize throughput of our
 * implementation against the source pipeline's approach (baseline.py, Python
 * 3: IPv4-only regex via re.match and json.dumps per line), on the same
 * generated log in the same run.
 *
 * Our side runs the Lambda's own per-line path (records.ts → parse.ts
 * scanner → serialize.ts writer) over the file cut into 1 MiB records, like
 * Kinesis batches; gzip and S3 are left out, as they are on the Python side.
 * Figures are CPU time of the process (robust on a shared, loaded machine),
 * the best of RUNS runs for Node and of PYTHON_RUNS processes for Python;
 * wall time is printed alongside. Both run on one core (Node's GC helper
 * threads count in its CPU time).
 *
 * Then the source pipeline's own shape: nginx → fluentd / fluent-bit → one
 * Kinesis record per line (`{"log":…}` or `{"log":…,"stream":…,"time":…}`),
 * base64 as Lambda delivers it, in events of 500 records. Our side is the
 * Lambda's pure path, `transformShardBatch` per event (base64, record
 * decoding, parsing, grouping into hour objects; gzip and S3 left out);
 * the Python side is baseline.py --events (base64 decode, json.loads, the
 * source regex, json.dumps, joined lines per event).
 *
 * Run alone: npx ts-node --transpile-only scripts/bench/access-log/index.ts [lines]
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { KinesisStreamRecord } from "aws-lambda";
import {
  AccessLogFields,
  parseAccessLogLine,
  scanAccessLogLine,
} from "../../../apps/access-log-transformer/src/parse";
import { decodeRecordData } from "../../../apps/access-log-transformer/src/records";
import { JsonLinesBuffer } from "../../../apps/access-log-transformer/src/serialize";
import { transformShardBatch } from "../../../apps/access-log-transformer/src/transform";
import { type ForwarderForm, forwarderEvents, RECORDS_PER_EVENT } from "./fluentd";
import { generateAccessLog } from "./generate";

const DEFAULT_LINES = 500_000;
/** Lambda receives at most 6 MB per invocation; records of about 1 MiB are what the receiver packs. */
const RECORD_BYTES = 1024 * 1024;
const RUNS = 5;

interface Measurement {
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly outputLines: number;
  readonly outputBytes: number;
}

/** Cuts the log into records of about RECORD_BYTES, at line ends. */
function toRecords(log: Buffer): Buffer[] {
  const records: Buffer[] = [];
  for (let start = 0; start < log.length;) {
    const newline = log.indexOf(0x0a, Math.min(start + RECORD_BYTES, log.length - 1));
    const end = newline < 0 ? log.length : newline + 1;
    records.push(log.subarray(start, end));
    start = end;
  }
  return records;
}

/** The transformer's per-line work: decode lines, scan, write JSON lines. */
function transformRecords(records: Buffer[]): Omit<Measurement, "cpuSeconds" | "wallSeconds"> {
  const fields = new AccessLogFields();
  let outputLines = 0;
  let outputBytes = 0;
  records.forEach((record, recordIndex) => {
    const output = new JsonLinesBuffer(2 * record.length);
    for (const line of decodeRecordData(record, recordIndex)) {
      if (
        line.error === undefined &&
        scanAccessLogLine(line.bytes, line.start, line.end, fields) === undefined
      ) {
        output.appendAccessLog(line.bytes, line.start, line.end, fields);
      }
    }
    outputLines += output.lines;
    outputBytes += output.contents().length;
  });
  return { outputLines, outputBytes };
}

/** The string API: parseAccessLogLine + JSON.stringify per line, joined. */
function transformStrings(lines: string[]): Omit<Measurement, "cpuSeconds" | "wallSeconds"> {
  const out: string[] = [];
  for (const line of lines) {
    const record = parseAccessLogLine(line);
    if (record !== undefined) out.push(JSON.stringify(record));
  }
  return { outputLines: out.length, outputBytes: Buffer.byteLength(`${out.join("\n")}\n`) };
}

/** Best of `runs` (the least disturbed by other load). */
function measure(runs: number, work: () => Omit<Measurement, "cpuSeconds" | "wallSeconds">): Measurement {
  let best: Measurement | undefined;
  for (let i = 0; i < runs; i++) {
    const cpu = process.cpuUsage();
    const wall = process.hrtime.bigint();
    const result = work();
    const used = process.cpuUsage(cpu);
    const measurement = {
      ...result,
      cpuSeconds: (used.user + used.system) / 1e6,
      wallSeconds: Number(process.hrtime.bigint() - wall) / 1e9,
    };
    if (best === undefined || measurement.cpuSeconds < best.cpuSeconds) best = measurement;
  }
  return best as Measurement;
}

/** `transformShardBatch` over every event, as the Lambda handler calls it per shard. */
function transformEvents(
  events: readonly KinesisStreamRecord[][],
): Omit<Measurement, "cpuSeconds" | "wallSeconds"> {
  let outputLines = 0;
  let outputBytes = 0;
  for (const records of events) {
    const output = transformShardBatch("shardId-000000000000", records, {
      accessPrefix: "access/",
      errorPrefix: "access-errors/",
    });
    outputLines += output.parsedLines;
    for (const object of output.objects) outputBytes += object.body.length;
  }
  return { outputLines, outputBytes };
}

/** Python processes per baseline figure: best of them, as our side is the best of RUNS runs (one run varied 4.1–6.5 s). */
const PYTHON_RUNS = 3;

async function runPython(...args: string[]): Promise<Measurement | string> {
  let best: Measurement | undefined;
  for (let i = 0; i < PYTHON_RUNS; i++) {
    try {
      const { stdout } = await promisify(execFile)("python3", [join(__dirname, "baseline.py"), ...args], {
        encoding: "utf8",
        maxBuffer: 1024 * 1024,
      });
      const measurement = JSON.parse(stdout) as Measurement;
      if (best === undefined || measurement.cpuSeconds < best.cpuSeconds) best = measurement;
    } catch (error) {
      return `python3 baseline failed: ${(error as Error).message}`;
    }
  }
  return best as Measurement;
}

function describe(name: string, m: Measurement, lines: number, bytes: number): string {
  const rate = (value: number) => (value / m.cpuSeconds).toFixed(0).replace(/\B(?=(\d{3})+$)/g, ",");
  return (
    `${name.padEnd(44)} ${m.cpuSeconds.toFixed(3)} s CPU (${m.wallSeconds.toFixed(3)} s wall)  ` +
    `${rate(lines)} lines/s  ${(bytes / 1e6 / m.cpuSeconds).toFixed(1)} MB/s  → ${m.outputLines} JSON lines`
  );
}

/** `figure (ratio×)` where the ratio is python CPU / node CPU. */
function withRatio(seconds: number, python: Measurement | string): string {
  return typeof python === "string"
    ? `${seconds.toFixed(3)} s CPU`
    : `${seconds.toFixed(3)} s CPU (${(python.cpuSeconds / seconds).toFixed(2)}x)`;
}

/** Both sides on the same forwarder-shaped events; one row each, the ratio beside every figure. */
async function forwarderRows(
  directory: string,
  lines: readonly string[],
  form: ForwarderForm,
): Promise<string> {
  const events = forwarderEvents(lines, form);
  const file = join(directory, `${form}-events.json`);
  writeFileSync(file, JSON.stringify(events.map((records) => records.map((r) => r.kinesis.data))));
  const ours = measure(RUNS, () => transformEvents(events));
  const python = await runPython("--events", file);
  const label = `${form} events (${events.length} × ${RECORDS_PER_EVENT} records)`;
  const rate = (m: Measurement) => (lines.length / m.cpuSeconds).toFixed(0).replace(/\B(?=(\d{3})+$)/g, ",");
  const node =
    `  node transformShardBatch ${withRatio(ours.cpuSeconds, python)}, ${ours.wallSeconds.toFixed(3)} s wall` +
    (typeof python === "string" ? "" : ` (${(python.wallSeconds / ours.wallSeconds).toFixed(2)}x)`) +
    `, ${rate(ours)} records/s → ${ours.outputLines} JSON lines`;
  if (typeof python === "string") return `${label}\n${node}\n  ${python}`;
  return (
    `${label}\n${node}\n` +
    `  python3 baseline.py --events ${python.cpuSeconds.toFixed(3)} s CPU (1.00x), ${python.wallSeconds.toFixed(3)} s wall, ` +
    `${rate(python)} records/s → ${python.outputLines} JSON lines (IPv4 only)`
  );
}

/** Generates the log, runs both implementations, prints figures and the ratio. */
export async function run(lineCount = DEFAULT_LINES): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), "bench-access-log-"));
  try {
    const file = join(directory, "access.log");
    writeFileSync(
      file,
      generateAccessLog(lineCount)
        .map((g) => g.line)
        .join("\n"),
    );
    const log = readFileSync(file);
    const lines = log.toString("utf8").split("\n");
    console.log(
      `access-log: ${lines.length} lines, ${(log.length / 1e6).toFixed(1)} MB (IPv4/IPv6 mix, ~1% malformed)`,
    );

    const records = toRecords(log);
    const ours = measure(RUNS, () => transformRecords(records));
    const strings = measure(1, () => transformStrings(lines));
    const python = await runPython(file);

    console.log(describe("node: transformer path (bytes → JSON lines)", ours, lines.length, log.length));
    console.log(describe("node: parseAccessLogLine + JSON.stringify", strings, lines.length, log.length));
    if (typeof python === "string") {
      console.log(python);
      return;
    }
    console.log(describe("python3: source approach (baseline.py)", python, lines.length, log.length));
    console.log(
      `ratio (python CPU / node CPU): transformer path ${(python.cpuSeconds / ours.cpuSeconds).toFixed(2)}x, ` +
        `string API ${(python.cpuSeconds / strings.cpuSeconds).toFixed(2)}x ` +
        `(python keeps only IPv4 lines: ${python.outputLines} vs ${ours.outputLines})`,
    );
    for (const form of ["fluentd", "fluent-bit"] as const) {
      console.log(await forwarderRows(directory, lines, form));
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const lines = process.argv[2] === undefined ? DEFAULT_LINES : Number(process.argv[2]);
  run(lines).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
