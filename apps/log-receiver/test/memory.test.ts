import assert from "node:assert/strict";
import zlib from "node:zlib";
import { idBaseFromKey } from "../src/envelope";
import {
  BYTE_GROWTH,
  budgetsFor,
  detectMemoryLimit,
  encodedBound,
  gzipSizeHint,
  largestBodyWithin,
  limitsWithin,
  workAfterEncoding,
  workBound,
} from "../src/memory";
import { DEFAULT_LIMITS } from "../src/options";
import type { ChildReceiver } from "./child";
import { freePort, startChildReceiver } from "./child";
import type { FakeKinesisEndpoint } from "./fake-kinesis-http";
import { startFakeKinesisEndpoint } from "./fake-kinesis-http";
import { TOKENS, auth, request } from "./helpers";
import { prng } from "../../../test/lib/prng";

const MIB = 1024 * 1024;

describe("memory budget (pure)", () => {
  it("derives the budgets from the task's memory, with a floor", () => {
    const small = budgetsFor(512 * MIB);
    assert.equal(small.rawBytes + small.workBytes + small.putBytes, Math.floor((512 - 160) * MIB * 0.6));
    assert.ok(small.rawBytes >= DEFAULT_LIMITS.maxBodyBytes, "a maximum-size body fits the raw budget");
    const large = budgetsFor(2048 * MIB);
    assert.ok(large.workBytes > small.workBytes * 4);
    const tiny = budgetsFor(64 * MIB);
    assert.equal(tiny.rawBytes + tiny.workBytes + tiny.putBytes, 32 * MIB);
    assert.equal(budgetsFor(512 * MIB, 10 * MIB).rawBytes, Math.floor(2.5 * MIB));
  });

  it("reads the cgroup limit when there is one, else the machine's memory", () => {
    assert.equal(detectMemoryLimit(512 * MIB, 16_000 * MIB), 512 * MIB);
    assert.equal(detectMemoryLimit(0, 16_000 * MIB), 16_000 * MIB);
    assert.equal(detectMemoryLimit(2 ** 64, 16_000 * MIB), 16_000 * MIB);
    assert.equal(detectMemoryLimit(undefined, 16_000 * MIB), 16_000 * MIB);
  });

  it("charges the worst case before encoding and the real size after", () => {
    // 1,000 bytes: at most 501 lines, each with its envelope's constant part.
    assert.equal(encodedBound(1000, 200, 20_000), 1000 * BYTE_GROWTH + 501 * 200);
    assert.equal(encodedBound(16 * MIB, 200, 20_000), 16 * MIB * BYTE_GROWTH + 20_000 * 200);
    // An identity body is the raw buffer, already charged to the raw budget.
    assert.equal(workBound(1000, true, 200, 10), 1000 * BYTE_GROWTH + 10 * 200);
    assert.equal(workBound(1000, false, 200, 10), 1000 + 1000 * BYTE_GROWTH + 10 * 200);
    assert.equal(workAfterEncoding(1000, false, 3000), 4000);
    assert.ok(workAfterEncoding(1000, false, 6 * 1000 + 10 * 200) <= workBound(1000, false, 200, 10));
  });

  it("lowers the decompressed-body limit to what the work budget can hold", () => {
    const small = limitsWithin(budgetsFor(384 * MIB), DEFAULT_LIMITS);
    assert.ok(small.maxDecompressedBytes < DEFAULT_LIMITS.maxDecompressedBytes);
    assert.ok(
      workBound(small.maxDecompressedBytes, false, 320, small.maxLines) <= budgetsFor(384 * MIB).workBytes,
      "the largest request fits the work budget",
    );
    assert.equal(limitsWithin(budgetsFor(2048 * MIB), DEFAULT_LIMITS).maxDecompressedBytes, 16 * MIB);
    assert.equal(largestBodyWithin(1, 20_000), 64 * 1024);
  });

  it("takes a gzip body's size from its trailer, clamped between its own size and the limit", () => {
    const body = zlib.gzipSync(Buffer.alloc(100_000, "a"));
    assert.equal(gzipSizeHint(body, 16 * MIB), 100_000);
    assert.equal(gzipSizeHint(body, 50_000), 50_000);
    const liar = Buffer.from(body);
    liar.writeUInt32LE(1, liar.length - 4);
    assert.equal(gzipSizeHint(liar, 16 * MIB), liar.length);
  });
});

/**
 * The largest request the limits let through, made to cost the most memory:
 * `maxLines` lines of control characters filling `maxDecompressed` bytes
 * once inflated, each byte escaped to `\u00XX` (6×), from a gzip body under
 * the body limit.
 */
function worstBody(maxDecompressed: number): Buffer {
  const lines = DEFAULT_LIMITS.maxLines;
  const perLine = Math.floor(maxDecompressed / lines) - 1;
  const text = Buffer.alloc(lines * (perLine + 1));
  const random = prng(13);
  for (let i = 0; i < lines; i++) {
    for (let k = 0; k < perLine; k++) text[i * (perLine + 1) + k] = 1 + Math.floor(random() * 3);
    text[i * (perLine + 1) + perLine] = 0x0a;
  }
  const body = zlib.gzipSync(text);
  assert.ok(body.length <= DEFAULT_LIMITS.maxBodyBytes && text.length <= maxDecompressed);
  return body;
}

describe("memory bound of a receiver process under many maximum-size requests", function () {
  this.timeout(180_000);
  // The dev task has 512 MiB (log-receiver-cluster's default); the metrics sidecar is granted 128 of them.
  const TASK_MIB = 384;
  let kinesis: FakeKinesisEndpoint | undefined;
  let receiver: ChildReceiver | undefined;

  before(async () => {
    kinesis = await startFakeKinesisEndpoint();
    receiver = await startChildReceiver(await freePort(), {
      STREAM_NAME: "ingest",
      KINESIS_ENDPOINT: kinesis.endpoint,
      TOKENS: JSON.stringify(TOKENS),
      LOG_LEVEL: "warn",
      MEMORY_LIMIT_MIB: String(TASK_MIB),
      MAX_QUEUED_REQUESTS: "4",
      REQUEST_DEADLINE_MS: "10000",
    });
  });
  after(async () => {
    await receiver?.stop();
    await kinesis?.close();
  });

  it(`stays under the ${TASK_MIB} MiB task memory, answers the excess 503 and stores every acknowledged line`, async () => {
    assert.ok(receiver !== undefined && kinesis !== undefined);
    // The limits the receiver derives from its memory (7.5 MiB decompressed for 384 MiB).
    const limits = limitsWithin(budgetsFor(TASK_MIB * MIB), DEFAULT_LIMITS);
    const body = worstBody(limits.maxDecompressedBytes);
    const requests = 32;
    const idle = receiver.peakRss();
    const replies = await Promise.all(
      Array.from({ length: requests }, (_, i) =>
        request(receiver!.url, {
          headers: auth({
            "content-type": "text/plain",
            "content-encoding": "gzip",
            "idempotency-key": `worst-${i}`,
          }),
          body,
        }).then(
          (reply) => ({ i, status: reply.status, reply }),
          // The receiver may refuse a body it will not read; that is a refusal too.
          (error: Error) => ({ i, status: 0, error, reply: undefined }),
        ),
      ),
    );
    const peak = receiver.peakRss();
    const ok = replies.filter((r) => r.status === 200);
    const refused = replies.filter((r) => r.status === 503);
    console.log(
      `      ${requests} requests of ${(body.length / MIB).toFixed(1)} MiB gzip → ` +
        `${(limits.maxDecompressedBytes / MIB).toFixed(1)} MiB → 6× that in envelopes: ` +
        `${ok.length} × 200, ${refused.length} × 503 (${[...new Set(refused.map((r) => r.reply?.json().error))].join(", ")}); ` +
        `peak RSS ${(peak / MIB).toFixed(0)} MiB (idle ${(idle / MIB).toFixed(0)} MiB), bound ${TASK_MIB} MiB`,
    );
    assert.deepEqual(
      replies.filter((r) => r.status !== 200 && r.status !== 503).map((r) => r.status),
      [],
      "every request is stored or refused with 503",
    );
    assert.ok(ok.length > 0, "some requests are stored");
    assert.ok(refused.length > 0, "the excess is refused");
    for (const r of refused) assert.ok(Number(r.reply?.headers["retry-after"]) > 0);
    for (const r of ok) {
      const accepted = r.reply?.json().accepted as number;
      assert.equal(accepted, DEFAULT_LIMITS.maxLines);
      const stored = kinesis.stored.get(idBaseFromKey("office-pcs", `worst-${r.i}`));
      assert.equal(stored?.size, accepted, `request ${r.i}: every acknowledged line is in the stream`);
    }
    assert.ok(peak < TASK_MIB * MIB, `peak RSS ${(peak / MIB).toFixed(0)} MiB under ${TASK_MIB} MiB`);
    // A body past the derived limit is refused, not decoded.
    const tooLarge = await request(receiver.url, {
      headers: auth({ "content-type": "text/plain", "content-encoding": "gzip" }),
      body: worstBody(limits.maxDecompressedBytes + MIB),
    });
    assert.equal(tooLarge.status, 413, tooLarge.text);
    assert.equal(tooLarge.json().error, "decompressed_too_large");
  });
});
