/**
 * A small stand-in for Lambda's SQS event source mapping: receive a batch,
 * invoke the handler with the real SQS event shape, delete the messages that
 * succeeded and leave the reported failures for redelivery (visibility
 * timeout, then the DLQ after maxReceiveCount).
 */
import type { Message, SQSClient } from "@aws-sdk/client-sqs";
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

/** What one poll did. */
export interface PollResult {
  readonly received: number;
  readonly failed: number;
}

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

/** Receives up to 10 messages (long poll of `waitSeconds`), runs the handler, deletes the successes. */
export async function pollOnce(
  sqs: SQSClient,
  queue: { readonly url: string; readonly arn: string },
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
  waitSeconds = 1,
): Promise<PollResult> {
  const { Messages: messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ["All"],
    }),
  );
  if (messages.length === 0) return { received: 0, failed: 0 };
  const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(m, queue.arn, "us-east-1")) };
  const { batchItemFailures } = await handler(event);
  const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
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
