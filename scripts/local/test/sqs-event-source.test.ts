import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { SQSEvent } from "aws-lambda";
import assert from "node:assert/strict";
import type { Fauxqs } from "../fauxqs";
import { startFauxqs } from "../fauxqs";
import { createQueueWithDeadLetters, queueDepth, startSqsEventSource } from "../sqs-event-source";

// Lambda's SQS pollers start several batches at once; an invocation refused for lack of (reserved)
// concurrency returns its messages to the queue once their visibility timeout passes, and every
// receive counts towards maxReceiveCount:
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
describe("local SQS event source (fauxqs)", function () {
  this.timeout(30_000);
  let fauxqs: Fauxqs;
  let sqs: SQSClient;

  before(async () => {
    fauxqs = await startFauxqs();
    sqs = new SQSClient({
      region: "us-east-1",
      endpoint: fauxqs.endpoint,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      requestHandler: new NodeHttpHandler(),
    });
  });

  after(async () => {
    sqs?.destroy();
    await fauxqs?.stop();
  });

  it("throttles batches above its maximum concurrency: their receive count rises, a healthy message reaches the DLQ", async () => {
    const queue = await createQueueWithDeadLetters(sqs, "throttled", {
      visibilityTimeoutSeconds: 1,
      maxReceiveCount: 1,
    });
    for (const body of ["a", "b"]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
    }
    const handled: string[] = [];
    let throttled = (): boolean => false;
    const handler = async (event: SQSEvent): Promise<void> => {
      handled.push(...event.Records.map((r) => r.body));
      // Hold the only execution until the other poller's batch has been throttled.
      while (!throttled()) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const source = await startSqsEventSource({
      sqs,
      queueUrl: queue.url,
      handler,
      batchSize: 1,
      waitSeconds: 1,
      pollers: 2,
      maxConcurrency: 1,
    });
    throttled = () => source.stats.throttles > 0;
    try {
      await source.idle();
    } finally {
      await source.stop();
    }
    assert.equal(source.stats.throttles, 1);
    assert.equal(handled.length, 1, "the throttled message was never handled");
    assert.equal(
      await queueDepth(sqs, queue.dlq.url),
      1,
      "with maxReceiveCount 1, the throttle sent it to the DLQ",
    );
  });

  it("with enough concurrency, throttles nothing", async () => {
    const queue = await createQueueWithDeadLetters(sqs, "unthrottled", {
      visibilityTimeoutSeconds: 1,
      maxReceiveCount: 1,
    });
    for (let i = 0; i < 6; i++) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: String(i) }));
    }
    const handled: string[] = [];
    const source = await startSqsEventSource({
      sqs,
      queueUrl: queue.url,
      handler: (event) => {
        handled.push(...event.Records.map((r) => r.body));
        return Promise.resolve();
      },
      batchSize: 1,
      pollers: 2,
      maxConcurrency: 2,
    });
    try {
      await source.idle();
    } finally {
      await source.stop();
    }
    assert.equal(source.stats.throttles, 0);
    assert.deepEqual(handled.sort(), ["0", "1", "2", "3", "4", "5"]);
    assert.equal(await queueDepth(sqs, queue.dlq.url), 0);
  });
});
