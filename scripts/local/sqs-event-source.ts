/**
 * A local stand-in for Lambda's SQS event source mapping (with
 * `ReportBatchItemFailures`): long-polls a queue (fauxqs on loopback), invokes
 * the handler with the real `SQSEvent` shape, deletes the messages that
 * succeeded and leaves the reported failures alone, so the queue redelivers
 * them after the visibility timeout and moves them to its DLQ after
 * maxReceiveCount — the same outcome as on AWS. A handler that throws fails
 * the whole batch, as Lambda does.
 */
import type { Message, QueueAttributeName, SQSClient } from "@aws-sdk/client-sqs";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

/** Converts an SQS API message into the record Lambda passes to handlers. */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? "0",
      SenderId: attributes.SenderId ?? "",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? "0",
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** One receive → invoke → delete round. */
export interface PollOptions {
  readonly sqs: SQSClient;
  readonly queue: { readonly url: string; readonly arn: string };
  readonly handler: SqsHandler;
  /** Messages per invocation, 1–10. Default: 10. */
  readonly batchSize?: number;
  /** Long-poll wait. Default: 1 s. */
  readonly waitSeconds?: number;
  /** `awsRegion` of the records. Default: us-east-1. */
  readonly region?: string;
  /** Cancels the receive (not a handler already running). */
  readonly abortSignal?: AbortSignal;
}

/** What one poll did. */
export interface PollResult {
  readonly received: number;
  readonly failed: number;
}

/** Receives one batch (long poll), runs the handler on it, deletes the successes. */
export async function pollOnce(options: PollOptions): Promise<PollResult> {
  const { sqs, queue, handler } = options;
  const { Messages: messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: options.batchSize ?? 10,
      WaitTimeSeconds: options.waitSeconds ?? 1,
      MessageSystemAttributeNames: ["All"],
    }),
    options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal },
  );
  if (messages.length === 0) return { received: 0, failed: 0 };
  const region = options.region ?? "us-east-1";
  const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(m, queue.arn, region)) };
  let failed: Set<string>;
  try {
    const response = await handler(event);
    failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  } catch {
    // Lambda treats a thrown error as the failure of every message of the batch.
    failed = new Set(messages.map((m) => m.MessageId ?? ""));
  }
  const done = messages.filter((m) => !failed.has(m.MessageId ?? ""));
  if (done.length > 0) {
    const result = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
    if ((result.Failed ?? []).length > 0) throw new Error(`delete failed: ${JSON.stringify(result.Failed)}`);
  }
  return { received: messages.length, failed: failed.size };
}

export interface SqsEventSourceOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsHandler;
  /** Messages per invocation, 1–10. Default: 10. */
  readonly batchSize?: number;
  /** Long-poll wait of each receive. Default: 1 s. */
  readonly waitSeconds?: number;
  /** `awsRegion` of the records. Default: us-east-1. */
  readonly region?: string;
  /** Called when a receive or delete fails; the loop backs off and goes on. */
  readonly onError?: (error: unknown) => void;
}

export interface SqsEventSource {
  /**
   * Resolves once the queue is empty after this call: nothing visible and
   * nothing in flight or waiting out its visibility timeout (so failed
   * messages have either succeeded on a retry or moved to the DLQ).
   */
  idle(): Promise<void>;
  /** Stops polling; waits for the batch in flight to finish. */
  stop(): Promise<void>;
  readonly stats: { invocations: number; messages: number; failed: number; errors: number };
}

const ERROR_BACKOFF_MS = 500;
const stopped = () => new Error("the SQS event source is stopped");

async function queueAttributes(sqs: SQSClient, queueUrl: string, names: QueueAttributeName[]) {
  return (
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names })))
      .Attributes ?? {}
  );
}

/** Starts polling `queueUrl` in the background. */
export async function startSqsEventSource(options: SqsEventSourceOptions): Promise<SqsEventSource> {
  const { sqs, queueUrl } = options;
  const queueArn = (await queueAttributes(sqs, queueUrl, ["QueueArn"])).QueueArn;
  if (queueArn === undefined) throw new Error(`queue ${queueUrl} has no QueueArn`);
  const stats = { invocations: 0, messages: 0, failed: 0, errors: 0 };
  const abort = new AbortController();
  const waiters: { resolve(): void; reject(error: Error): void }[] = [];

  const depth = async (): Promise<number> => {
    const attributes = await queueAttributes(sqs, queueUrl, [
      "ApproximateNumberOfMessages",
      "ApproximateNumberOfMessagesNotVisible",
      "ApproximateNumberOfMessagesDelayed",
    ]);
    return (
      Number(attributes.ApproximateNumberOfMessages ?? 0) +
      Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  };

  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const { received, failed } = await pollOnce({
          sqs,
          queue: { url: queueUrl, arn: queueArn },
          handler: options.handler,
          abortSignal: abort.signal,
          batchSize: options.batchSize,
          waitSeconds: options.waitSeconds,
          region: options.region,
        });
        if (received > 0) {
          stats.invocations++;
          stats.messages += received;
          stats.failed += failed;
          continue;
        }
        // An empty receive is the moment to check whether the waiters may go.
        if (waiters.length > 0) {
          // Only those waiting before the check started: a later one needs a later check.
          const pending = waiters.length;
          if ((await depth()) === 0) for (const waiter of waiters.splice(0, pending)) waiter.resolve();
        }
      } catch (error) {
        if (abort.signal.aborted) return; // the receive cut short by stop()
        stats.errors++;
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, ERROR_BACKOFF_MS));
      }
    }
  };
  const running = loop();

  return {
    stats,
    idle: () =>
      abort.signal.aborted
        ? Promise.reject(stopped())
        : new Promise<void>((resolve, reject) => waiters.push({ resolve, reject })),
    stop: async () => {
      abort.abort();
      await running;
      for (const waiter of waiters.splice(0)) waiter.reject(stopped());
    },
  };
}
