import type { PutRecordsCommand, PutRecordsCommandOutput } from "@aws-sdk/client-kinesis";
import assert from "node:assert/strict";
import http from "node:http";
import { kinesisClient } from "../src/main";
import type { PutRecordsClient } from "../src/put";
import { FakeKinesis, auth, receiverStarter, request } from "./helpers";

/**
 * A Kinesis whose first `hang` calls never answer: each stays pending until
 * its abortSignal fires, then rejects as the SDK does (AbortError); later
 * calls go to `then`. `aborted` resolves when the first call was cancelled.
 */
class HangingKinesis implements PutRecordsClient {
  calls = 0;
  private cancelled!: () => void;
  readonly aborted = new Promise<void>((resolve) => (this.cancelled = resolve));

  constructor(
    private readonly hang = Number.POSITIVE_INFINITY,
    private readonly then: PutRecordsClient = new FakeKinesis(),
  ) {}

  send(
    command: PutRecordsCommand,
    options?: { readonly abortSignal?: AbortSignal },
  ): Promise<PutRecordsCommandOutput> {
    if (this.calls++ >= this.hang) return this.then.send(command);
    return new Promise((_, reject) => {
      options?.abortSignal?.addEventListener("abort", () => {
        this.cancelled();
        reject(Object.assign(new Error("Request aborted"), { name: "AbortError" }));
      });
    });
  }
}

describe("one retry layer, a request deadline, and work abandoned with its client", () => {
  const start = receiverStarter({ retry: { baseDelayMs: 1, maxDelayMs: 2 } });

  it("the container's Kinesis client does not retry on its own", async () => {
    // The SDK's default is 3 attempts per call ("The default retry count is 3":
    // https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html,
    // https://www.npmjs.com/package/@smithy/util-retry); inside the receiver's 6 rounds
    // that made up to 18 calls per request.
    const client = kinesisClient({ region: "us-east-1", kinesisEndpoint: "http://127.0.0.1:9" });
    try {
      assert.equal(await client.config.maxAttempts(), 1);
    } finally {
      client.destroy();
    }
  });

  it("answers 503 + Retry-After at the deadline and cancels the Kinesis call in flight", async () => {
    const kinesis = new HangingKinesis();
    const { url } = await start(new FakeKinesis(), { kinesis, timeouts: { deadlineMs: 200 } });
    const reply = await request(url, { headers: auth(), body: "one line\n" });
    assert.equal(reply.status, 503, reply.text);
    assert.equal(reply.json().error, "deadline");
    assert.ok(Number(reply.headers["retry-after"]) > 0);
    await kinesis.aborted;
  });

  it("cancels the Kinesis call when the client disconnects, and gives its memory back", async () => {
    const stored = new FakeKinesis();
    const kinesis = new HangingKinesis(1, stored);
    // Of a 64 KiB budget, a 3,000-byte body is charged the whole work share
    // (8 bytes per byte plus each possible line's envelope, see memory.ts):
    // the second request is served only if the first, abandoned, gave it back.
    const { url } = await start(stored, { kinesis, memoryBudgetBytes: 64 * 1024 });
    const line = `${"x".repeat(3000)}\n`;
    const req = http.request(new URL("/v1/logs", url), { method: "POST", headers: auth(), agent: false });
    req.on("error", () => undefined);
    req.end(line);
    while (kinesis.calls === 0) await new Promise((r) => setTimeout(r, 5));
    req.destroy();
    await kinesis.aborted;
    const next = await request(url, { headers: auth(), body: line });
    assert.equal(next.status, 200, next.text);
    assert.equal(stored.envelopes().length, 1);
  });
});
