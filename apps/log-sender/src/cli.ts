import type { Readable, Writable } from "node:stream";
import type { CommonArgs } from "./args";
import { USAGE, UsageError, parseArgs } from "./args";
import { runLoad } from "./load";
import type { Reporter } from "./pipeline";
import { FatalSendError } from "./pipeline";
import type { SendSummary, SenderOptions } from "./sources";
import { sendFiles, sendStream, tailFile } from "./sources";

/** The process streams the CLI uses (injectable for tests). */
export interface Io {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

function reporterFor(stderr: Writable, quiet: boolean): Reporter {
  return {
    info: (message) => {
      if (!quiet) stderr.write(`[log-sender] ${message}\n`);
    },
    warn: (message) => stderr.write(`[log-sender] ${message}\n`),
  };
}

function senderOptions(common: CommonArgs, reporter: Reporter, signal: AbortSignal): SenderOptions {
  const { quiet: _quiet, ...rest } = common;
  return { ...rest, reporter, signal };
}

function summarize(summary: SendSummary, reporter: Reporter): void {
  reporter.info(
    `done: ${summary.lines} lines in ${summary.batches} batch(es), ${(summary.bytes / 1e6).toFixed(1)} MB, ` +
      `${Math.round(summary.lines / Math.max(summary.seconds, 0.001))} lines/s; ` +
      `spool ${summary.spoolDepth} batch(es); ${summary.rejectedBatches} refused`,
  );
}

/**
 * Runs one command line; resolves with the exit code (see USAGE). `signal`
 * stops `tail` (normal end) or interrupts `send` (the spool keeps the rest).
 */
export async function runCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: Io,
  signal: AbortSignal,
): Promise<number> {
  let command;
  try {
    command = parseArgs(argv, env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`log-sender: ${error.message}\nRun log-sender --help for usage.\n`);
    return 1;
  }
  if (command.command === "help") {
    io.stdout.write(USAGE);
    return 0;
  }
  const reporter = reporterFor(io.stderr, command.common.quiet);
  try {
    if (command.command === "load") {
      const result = await runLoad({
        url: command.common.url,
        token: command.common.token,
        rate: command.rate,
        durationSeconds: command.durationSeconds,
        batchLines: command.common.batchLines ?? 1000,
        concurrency: command.common.concurrency ?? 8,
        insecure: command.common.insecure,
        ...(command.common.caFile === undefined ? {} : { caFile: command.common.caFile }),
        reporter,
        signal,
      });
      io.stdout.write(
        `offered ${result.linesOffered} lines, accepted ${result.linesAccepted} in ${result.seconds.toFixed(1)} s ` +
          `(${Math.round(result.linesPerSecond)} lines/s); failed batches ${result.batchesFailed}; ` +
          `latency p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms\n`,
      );
      return result.batchesFailed > 0 ? 3 : 0;
    }
    const options = senderOptions(command.common, reporter, signal);
    const summary =
      command.command === "tail"
        ? await tailFile(command.file, options)
        : command.inputs[0] === "-"
          ? await sendStream(io.stdin, options)
          : await sendFiles(command.inputs, options);
    summarize(summary, reporter);
    if (summary.rejectedBatches > 0) {
      reporter.warn(
        `${summary.rejectedBatches} batch(es) refused, kept in: ${summary.rejectedFiles.join(", ")}`,
      );
      return 3;
    }
    if (command.command === "send" && signal.aborted) {
      reporter.warn(`interrupted: ${summary.spoolDepth} batch(es) kept in the spool; run again to resume`);
      return 130;
    }
    return 0;
  } catch (error) {
    if (error instanceof FatalSendError) {
      reporter.warn(error.message);
      return 2;
    }
    reporter.warn(`error: ${(error as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  runCli(process.argv.slice(2), process.env, process, controller.signal).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`log-sender: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
