/** Library API of log-sender (used by tests, the benchmark and other tools). */
export { parseArgs, USAGE, UsageError } from "./args";
export type { Command, CommonArgs } from "./args";
export { runCli } from "./cli";
export { classifyResponse, createTarget, parseRetryAfter, postBatch } from "./http-client";
export type { Outcome, Target, TargetOptions } from "./http-client";
export { percentile, runLoad, syntheticLine } from "./load";
export type { LoadOptions, LoadSummary } from "./load";
export { FatalSendError, retryDelay } from "./pipeline";
export type { Reporter, RetryPolicy, SendStats } from "./pipeline";
export { DEFAULTS, defaultSpoolDir, sendFiles, sendStream, tailFile } from "./sources";
export type { SendSummary, SenderOptions } from "./sources";
