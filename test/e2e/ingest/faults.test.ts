import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { IngestEnvelope } from "../../../apps/lib/ingest-record";
import type { ChildReceiver } from "../../../apps/log-receiver/test/child";
import { freePort, startChildReceiver } from "../../../apps/log-receiver/test/child";
import type { LocalKinesis } from "../../../apps/log-receiver/test/kinesalite";
import { startKinesalite } from "../../../apps/log-receiver/test/kinesalite";
import { sendFiles, syntheticLine } from "../../../apps/log-sender/src";

const TOKENS = [{ name: "office-pcs", token: "e2e-token-0123456789abcdef" }];

/**
 * Sits between the receiver and kinesalite and calls `onPut(n)` when the
 * n-th PutRecords has been stored by kinesalite but before its answer goes
 * back: a receiver killed there has written records it never acknowledged,
 * the worst moment for duplicates.
 */
async function startKinesisTap(
  upstream: string,
  onPut: (n: number) => Promise<boolean>,
): Promise<{ endpoint: string; puts: () => number; close(): Promise<void> }> {
  let puts = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const isPut = req.headers["x-amz-target"] === "Kinesis_20131202.PutRecords";
      const forward = http.request(
        new URL(req.url ?? "/", upstream),
        { method: req.method, headers: req.headers, agent: false },
        (answer) => {
          const body: Buffer[] = [];
          answer.on("data", (c: Buffer) => body.push(c));
          answer.on("end", () => {
            const relay = (): void => {
              if (res.destroyed) return;
              res.writeHead(answer.statusCode ?? 500, answer.headers);
              res.end(Buffer.concat(body));
            };
            if (!isPut) return relay();
            void onPut(++puts).then((cut) => (cut ? res.destroy() : relay()));
          });
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    puts: () => puts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("ingest fault: SIGKILL of the receiver process during PutRecords", function () {
  this.timeout(120_000);
  let tmp = "";
  let kinesis: LocalKinesis | undefined;
  const children: ChildReceiver[] = [];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ingest-faults-"));
    kinesis = await startKinesalite();
  });
  after(async () => {
    for (const child of children) await child.kill().catch(() => undefined);
    await kinesis?.close();
    if (tmp !== "") fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("stores every line under one id across a kill and restart, duplicates only by id", async () => {
    assert.ok(kinesis !== undefined);
    await kinesis.createStream("ingest", 2);
    const port = await freePort();
    const env = {
      STREAM_NAME: "ingest",
      TOKENS: JSON.stringify(TOKENS),
      LOG_LEVEL: "warn",
    };
    let current: ChildReceiver | undefined;
    let killed = 0;
    // Kill during the 5th and the 15th PutRecords, after kinesalite stored them.
    const tap = await startKinesisTap(kinesis.endpoint, async (n) => {
      if (n !== 5 && n !== 15) return false;
      killed++;
      await current?.kill();
      // Restart on the same port a little later; the sender meets a closed port meanwhile.
      setTimeout(() => {
        void startChildReceiver(port, { ...env, KINESIS_ENDPOINT: tap.endpoint }).then((child) => {
          children.push(child);
          current = child;
        });
      }, 200);
      return true;
    });
    current = await startChildReceiver(port, { ...env, KINESIS_ENDPOINT: tap.endpoint });
    children.push(current);

    const lines = Array.from({ length: 10_000 }, (_, i) => syntheticLine(i));
    const file = path.join(tmp, "input.log");
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const summary = await sendFiles([file], {
      url: `http://127.0.0.1:${port}`,
      token: TOKENS[0]?.token ?? "",
      spoolDir: path.join(tmp, "spool"),
      batchLines: 250,
      retry: { baseMs: 50, maxMs: 500 },
      progressIntervalMs: 0,
    });
    await tap.close();

    const envelopes = (await kinesis.readAll("ingest")).flatMap((data) =>
      data
        .toString("utf8")
        .split("\n")
        .map((line) => JSON.parse(line) as IngestEnvelope),
    );
    const idsByLine = new Map<string, Set<string>>();
    const records = new Map<string, number>();
    for (const envelope of envelopes) {
      const text = envelope.message !== undefined ? envelope.message : JSON.stringify(envelope.event);
      let ids = idsByLine.get(text);
      if (ids === undefined) idsByLine.set(text, (ids = new Set()));
      ids.add(envelope.id);
      records.set(envelope.id, (records.get(envelope.id) ?? 0) + 1);
    }
    const found = lines.filter((line) => idsByLine.has(line)).length;
    const underTwoIds = [...idsByLine.values()].filter((ids) => ids.size > 1).length;
    const duplicates = envelopes.length - records.size;
    console.log(
      `      kills ${killed}, PutRecords ${tap.puts()}; lines sent ${lines.length}, found ${found}, ` +
        `records ${envelopes.length}, duplicate records by id ${duplicates}, lines under two ids ${underTwoIds}; ` +
        `sender retries ${summary.retries}`,
    );
    assert.equal(killed, 2, "the receiver was killed twice during PutRecords");
    assert.equal(summary.lines, lines.length);
    assert.equal(summary.spoolDepth, 0);
    assert.equal(found, lines.length, "every line is in the stream");
    assert.equal(underTwoIds, 0, "no line is stored under two different ids");
    assert.equal(idsByLine.size, lines.length, "nothing but the sent lines");
  });
});
