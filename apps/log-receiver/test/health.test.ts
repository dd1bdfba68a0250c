import assert from "node:assert/strict";
import { FakeKinesis, TOKENS, auth, receiverStarter, request, serviceError } from "./helpers";

describe("health, readiness and the backpressure metrics", () => {
  const start = receiverStarter({ retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 } });

  it("is ready while Kinesis takes writes, not after a failed call, ready again once one succeeds", async () => {
    let failing = false;
    const kinesis = new FakeKinesis(undefined, () =>
      failing ? serviceError("InternalFailure", 500) : undefined,
    );
    const receiver = await start(kinesis);
    const ready = async (): Promise<[number, unknown]> => {
      const reply = await request(receiver.url, { method: "GET", path: "/readyz" });
      return [reply.status, reply.json().status];
    };
    assert.deepEqual(await ready(), [200, "ready"]);
    failing = true;
    assert.equal((await request(receiver.url, { headers: auth(), body: "a\n" })).status, 503);
    assert.deepEqual(await ready(), [503, "kinesis_unavailable"]);
    // Liveness does not depend on Kinesis: restarting the task would not heal the stream.
    assert.equal((await request(receiver.url, { method: "GET", path: "/healthz" })).status, 200);
    failing = false;
    assert.equal((await request(receiver.url, { headers: auth(), body: "b\n" })).status, 200);
    assert.deepEqual(await ready(), [200, "ready"]);
    const closing = receiver.close();
    assert.deepEqual(await ready().catch(() => [503, "draining"]), [503, "draining"]);
    await closing;
  });

  it("reports request durations by route, queue depth and budget use by stage, and lines by source", async () => {
    const receiver = await start(new FakeKinesis());
    await request(receiver.url, { headers: auth(), body: "a\nb\n" });
    await request(receiver.url, { headers: auth({}, TOKENS[1]?.token), body: "c\n" });
    await request(receiver.url, { method: "GET", path: "/healthz" });
    const text = (await request(receiver.url, { method: "GET", path: "/metrics" })).text;
    assert.match(text, /^log_receiver_lines_total\{source="office-pcs"\} 2$/m);
    assert.match(text, /^log_receiver_lines_total\{source="servers"\} 1$/m);
    assert.match(text, /^log_receiver_request_duration_seconds_count\{route="\/v1\/logs",status="200"\} 2$/m);
    assert.match(text, /^log_receiver_request_duration_seconds_count\{route="\/healthz",status="200"\} 1$/m);
    for (const stage of ["raw", "work", "put"]) {
      assert.match(text, new RegExp(`^log_receiver_queue_depth\\{stage="${stage}"\\} 0$`, "m"));
      assert.match(text, new RegExp(`^log_receiver_memory_budget_used_bytes\\{stage="${stage}"\\} 0$`, "m"));
    }
  });
});
