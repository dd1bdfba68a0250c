import os from "node:os";

/**
 * What one request may cost in memory, and how much of the task's memory
 * requests may hold. The receiver charges a request these figures before it
 * holds the bytes (see ByteBudget), so the sum over all requests stays under
 * the budget whatever clients send; the figures are upper bounds, not
 * averages, because an adversarial body (a gzip bomb of control characters)
 * reaches them.
 */

/**
 * RSS of an idle receiver process (Node, the AWS SDK, pino, prom-client, the
 * native addon) plus the garbage collector's slack: released buffers are
 * freed only at the next collection, and V8 starts one once external memory
 * grew by about 64 MiB. Measured about 90 MiB idle; the rest is margin.
 */
export const BASELINE_BYTES = 160 * 1024 * 1024;

/** Share of the memory above the baseline that requests may hold; the rest absorbs what the model does not count (V8 heap of parsing, socket buffers). */
export const BUDGET_SHARE = 0.6;

/** Shares of the budget: request bodies being received or held raw; PutRecords calls in flight; the rest decodes and encodes. */
export const RAW_SHARE = 0.25;
export const PUT_SHARE = 0.2;

/** Smallest budget, so that a tiny or unknown limit still lets small requests through. */
export const MIN_BUDGET_BYTES = 32 * 1024 * 1024;

/**
 * Envelope bytes a decoded body byte may become, at most: 6 when a message
 * byte is JSON-escaped (`\u00XX`); a body repaired from invalid UTF-8 holds
 * at once the repair (3 bytes per byte: U+FFFD), the decoded string it came
 * from (2 per byte) and the envelopes (3): 8.
 */
export const BYTE_GROWTH = 8;

/** PutRecords calls of one request in flight at once: one large request cannot take the whole put budget. */
export const PUT_CALLS_IN_FLIGHT = 2;

/**
 * Bytes the AWS SDK holds per byte of record data while a PutRecords call is
 * in flight: the JSON protocol carries Data as base64 (4/3) inside the
 * request's JSON string, which is hashed for SigV4 and written to the socket
 * as a Buffer (each another 4/3), besides the data itself.
 */
export const PUT_COPY_FACTOR = 6;

/**
 * The three budgets a receiver admits work by. A request takes them in this
 * order and never waits for an earlier one while holding a later one, so
 * waiting cannot deadlock.
 */
export interface MemoryBudgets {
  /** Bodies being received, as declared by Content-Length (or the body limit when chunked). */
  readonly rawBytes: number;
  /** Decoded bodies and their envelopes. */
  readonly workBytes: number;
  /** The SDK's copies of PutRecords calls in flight. */
  readonly putBytes: number;
}

/**
 * Splits the memory a task has into the budgets: {@link BUDGET_SHARE} of
 * what is above {@link BASELINE_BYTES} (at least {@link MIN_BUDGET_BYTES}),
 * or `budgetBytes` when given. For a 512 MiB task: 211 MiB (52 raw, 116
 * work, 42 put); for 2 GiB: 1,133 MiB.
 */
export function budgetsFor(memoryLimitBytes: number, budgetBytes?: number): MemoryBudgets {
  const total = Math.floor(
    budgetBytes ?? Math.max(MIN_BUDGET_BYTES, (memoryLimitBytes - BASELINE_BYTES) * BUDGET_SHARE),
  );
  const rawBytes = Math.max(1, Math.floor(total * RAW_SHARE));
  const putBytes = Math.max(1, Math.floor(total * PUT_SHARE));
  return { rawBytes, putBytes, workBytes: Math.max(1, total - rawBytes - putBytes) };
}

/**
 * The memory this process may use: the cgroup limit when there is one (a
 * container; Node reads it), else the machine's memory.
 */
export function detectMemoryLimit(
  constrained: number | undefined = process.constrainedMemory?.(),
  total: number = os.totalmem(),
): number {
  // Without a limit Node reports 0 or about 2^64.
  return constrained !== undefined && constrained > 0 && constrained < total ? constrained : total;
}

/**
 * Most envelope bytes a decoded body of `decodedBytes` can become, with
 * `perLine` constant bytes per envelope (id, shared fields, separators) and
 * at most `maxLines` lines.
 */
export function encodedBound(decodedBytes: number, perLine: number, maxLines: number): number {
  // A line takes at least one byte and a separator, so a short body has few lines.
  const lines = Math.min(maxLines, Math.floor(decodedBytes / 2) + 1);
  return decodedBytes * BYTE_GROWTH + lines * perLine;
}

/**
 * The work a request is charged once its body is in, before decoding: the
 * decoded body (nothing extra for an identity body, which is the raw buffer,
 * charged to the raw budget) and its envelopes at their largest.
 */
export function workBound(
  decodedBytes: number,
  decodedIsRaw: boolean,
  perLine: number,
  maxLines: number,
): number {
  return (decodedIsRaw ? 0 : decodedBytes) + encodedBound(decodedBytes, perLine, maxLines);
}

/** The charge once the envelopes exist and their size is known (at most {@link workBound}). */
export function workAfterEncoding(decodedBytes: number, decodedIsRaw: boolean, encodedBytes: number): number {
  return (decodedIsRaw ? 0 : decodedBytes) + encodedBytes;
}

/** What one PutRecords call of `dataBytes` is charged to the put budget while in flight. */
export function putCallCost(dataBytes: number): number {
  return PUT_COPY_FACTOR * dataBytes;
}

/**
 * Constant envelope bytes per line assumed when deriving limits, before any
 * request is seen: `{"id":"<32 hex>-<10 digits>"`, receivedAt, and receiver,
 * client and source values of up to 64, 45 and 64 characters, with room to spare.
 */
export const ENVELOPE_OVERHEAD_BYTES = 320;

/**
 * The largest decoded body whose work ({@link workBound}, with `maxLines`
 * lines of {@link ENVELOPE_OVERHEAD_BYTES}) fits in `workBytes`: a request
 * must be able to run within the budget, so a small task gets a smaller
 * decompressed-body limit than a large one. At least 64 KiB.
 */
export function largestBodyWithin(workBytes: number, maxLines: number): number {
  const forLines = maxLines * ENVELOPE_OVERHEAD_BYTES;
  return Math.max(64 * 1024, Math.floor((workBytes - forLines) / (1 + BYTE_GROWTH)));
}

/**
 * The limits a receiver runs with given its memory: the configured ones,
 * with the decompressed-body limit lowered to what the work budget can hold
 * ({@link largestBodyWithin}). For a 384 MiB receiver (the 512 MiB dev task
 * less its sidecar) that is 7.5 MiB instead of 16.
 */
export function limitsWithin<T extends { readonly maxDecompressedBytes: number; readonly maxLines: number }>(
  budgets: MemoryBudgets,
  limits: T,
): T {
  const largest = largestBodyWithin(budgets.workBytes, limits.maxLines);
  return { ...limits, maxDecompressedBytes: Math.min(limits.maxDecompressedBytes, largest) };
}

/**
 * How many bytes a gzip body says it inflates to: its trailer's ISIZE (the
 * last member's size mod 2^32), at least the compressed size, at most
 * `maxDecompressed`. Only a hint — a client may lie or send several members —
 * so the receiver inflates with this as the output cap and, when the cap is
 * hit below `maxDecompressed`, charges the full limit and inflates again.
 */
export function gzipSizeHint(raw: Buffer, maxDecompressed: number): number {
  const declared = raw.length >= 4 ? raw.readUInt32LE(raw.length - 4) : 0;
  return Math.min(maxDecompressed, Math.max(declared, raw.length, 1));
}
