/**
 * A local stand-in for Lambda's SQS event source mapping (with
 * `ReportBatchItemFailures`): long-polls a queue (fauxqs on loopback), invokes
 * the handler with the real `SQSEvent` shape, deletes the messages that
 * succeeded and leaves the reported failures alone, so the queue redelivers
 * them after the visibility timeout and moves them to its DLQ after
 * maxReceiveCount — the same outcome as on AWS. A handler that throws fails
 * the whole batch, as Lambda does.
 *
 * Like Lambda's pollers it can run several receives at once (`pollers`) and
 * throttle above a maximum concurrency (`maxConcurrency`, the function's
 * reserved concurrency): a throttled batch is not invoked and its messages
 * stay in flight until their visibility timeout, then return with their
 * receive count risen — the way healthy files reach a DLQ when the pollers
 * outnumber the executions.
 */
import type { Message, QueueAttributeName, SQSClient } from "@aws-sdk/client-sqs";
import {
  CreateQueueCommand,
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
  /**
   * Asked before each invocation: a release function to call when it ends, or
   * undefined to throttle it (the batch is left in flight). Default: always admitted.
   */
  readonly admit?: () => (() => void) | undefined;
}

/** What one poll did. */
export interface PollResult {
  readonly received: number;
  readonly failed: number;
  /** Messages of a throttled batch (not invoked, left to return after their visibility timeout). */
  readonly throttled: number;
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
  if (messages.length === 0) return { received: 0, failed: 0, throttled: 0 };
  const release = options.admit === undefined ? () => undefined : options.admit();
  if (release === undefined) return { received: messages.length, failed: 0, throttled: messages.length };
  const region = options.region ?? "us-east-1";
  const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(m, queue.arn, region)) };
  let failed: Set<string>;
  try {
    const response = await handler(event);
    failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  } catch {
    // Lambda treats a thrown error as the failure of every message of the batch.
    failed = new Set(messages.map((m) => m.MessageId ?? ""));
  } finally {
    release();
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
  return { received: messages.length, failed: failed.size, throttled: 0 };
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
  /** Receives run at once, like Lambda's pollers (it starts 5). Default: 1. */
  readonly pollers?: number;
  /** Invocations at once at most (reserved concurrency); beyond, batches are throttled. Default: unlimited. */
  readonly maxConcurrency?: number;
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
  readonly stats: {
    invocations: number;
    messages: number;
    failed: number;
    errors: number;
    /** Batches not invoked for lack of concurrency, and their messages. */
    throttles: number;
    throttledMessages: number;
  };
}

const ERROR_BACKOFF_MS = 500;
const stopped = () => new Error("the SQS event source is stopped");

async function queueAttributes(sqs: SQSClient, queueUrl: string, names: QueueAttributeName[]) {
  return (
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names })))
      .Attributes ?? {}
  );
}

/** Messages visible, in flight and delayed: 0 once everything has been deleted or moved to the DLQ. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
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
}

/** A local queue and its dead-letter queue, as the pipeline components create them. */
export interface QueuePair {
  readonly url: string;
  readonly arn: string;
  readonly dlq: { readonly url: string; readonly arn: string };
}

/** Creates `<name>` with a redrive policy to `<name>-dlq`. */
export async function createQueueWithDeadLetters(
  sqs: SQSClient,
  name: string,
  settings: { readonly visibilityTimeoutSeconds: number; readonly maxReceiveCount: number },
): Promise<QueuePair> {
  const arnOf = async (url: string): Promise<string> => {
    const arn = (await queueAttributes(sqs, url, ["QueueArn"])).QueueArn;
    if (arn === undefined) throw new Error(`queue ${url} has no QueueArn`);
    return arn;
  };
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl ?? "";
  const dlq = { url: dlqUrl, arn: await arnOf(dlqUrl) };
  const url =
    (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: dlq.arn,
              maxReceiveCount: settings.maxReceiveCount,
            }),
          },
        }),
      )
    ).QueueUrl ?? "";
  return { url, arn: await arnOf(url), dlq };
}

/** Starts polling `queueUrl` in the background. */
export async function startSqsEventSource(options: SqsEventSourceOptions): Promise<SqsEventSource> {
  const { sqs, queueUrl } = options;
  const queueArn = (await queueAttributes(sqs, queueUrl, ["QueueArn"])).QueueArn;
  if (queueArn === undefined) throw new Error(`queue ${queueUrl} has no QueueArn`);
  const stats = { invocations: 0, messages: 0, failed: 0, errors: 0, throttles: 0, throttledMessages: 0 };
  let running = 0;
  const admit = (): (() => void) | undefined => {
    if (options.maxConcurrency !== undefined && running >= options.maxConcurrency) return undefined;
    running++;
    return () => void running--;
  };
  const abort = new AbortController();
  const waiters: { resolve(): void; reject(error: Error): void }[] = [];

  const depth = () => queueDepth(sqs, queueUrl);

  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const { received, failed, throttled } = await pollOnce({
          sqs,
          queue: { url: queueUrl, arn: queueArn },
          handler: options.handler,
          abortSignal: abort.signal,
          batchSize: options.batchSize,
          waitSeconds: options.waitSeconds,
          region: options.region,
          admit,
        });
        if (throttled > 0) {
          stats.throttles++;
          stats.throttledMessages += throttled;
          continue;
        }
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
  const loops = Promise.all(Array.from({ length: Math.max(1, options.pollers ?? 1) }, loop));

  return {
    stats,
    idle: () =>
      abort.signal.aborted
        ? Promise.reject(stopped())
        : new Promise<void>((resolve, reject) => waiters.push({ resolve, reject })),
    stop: async () => {
      abort.abort();
      await loops;
      for (const waiter of waiters.splice(0)) waiter.reject(stopped());
    },
  };
}
