/**
 * The log-indexer path of `npm start` end to end, as the README shows it: a
 * JSON log line and a text log line sent with log-sender to the local
 * receiver → the ingest stream → the log indexer's event source → the
 * preview sink, which writes the documents it would index to the archive
 * bucket under `opensearch-preview/<index>/`. Both lines are found there,
 * once each, under the index of their source (the local token, `local`).
 */
import * as assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";

import { sendFiles } from "../../../apps/log-sender/src";
import type { LocalPlatform } from "../../../scripts/local/platform";
import { startLocalPlatform } from "../../../scripts/local/platform";

interface PreviewDoc {
  readonly _id: string;
  readonly _op: string;
  readonly _source: Record<string, unknown>;
}

describe("local platform: sender → receiver → ingest → log indexer → opensearch-preview/", function () {
  this.timeout(60_000);

  let platform: LocalPlatform | undefined;

  after(async () => {
    await platform?.close();
  });

  async function previewDocs(p: LocalPlatform): Promise<{ key: string; doc: PreviewDoc }[]> {
    const { Contents = [], IsTruncated } = await p.s3.send(
      new ListObjectsV2Command({ Bucket: p.bucket, Prefix: p.previewPrefix }),
    );
    assert.equal(IsTruncated, false);
    const docs: { key: string; doc: PreviewDoc }[] = [];
    for (const { Key = "" } of Contents) {
      const { Body } = await p.s3.send(new GetObjectCommand({ Bucket: p.bucket, Key }));
      for (const line of (await Body!.transformToString()).split("\n").filter((l) => l !== "")) {
        docs.push({ key: Key, doc: JSON.parse(line) as PreviewDoc });
      }
    }
    return docs;
  }

  it("writes a JSON line and a text line where the start banner says, each once", async () => {
    platform = await startLocalPlatform({ logLevel: "silent" });
    const p = platform;
    const file = path.join(p.dataDir, "try.log");
    const json = { level: "error", msg: "disk full", host: "pc-17" };
    const text = "Mar 10 06:00:00 pc-17 sshd[42]: Accepted publickey for alice";
    fs.writeFileSync(file, `${JSON.stringify(json)}\n${text}\n`);
    const sent = await sendFiles([file], {
      url: p.receiverUrl,
      token: p.token,
      caFile: p.caFile,
      spoolDir: path.join(p.dataDir, "spool"),
      progressIntervalMs: 0,
    });
    assert.equal(sent.lines, 2);
    await p.logIndexerEventSource.caughtUp();

    const docs = await previewDocs(p);
    assert.equal(docs.length, 2, JSON.stringify(docs));
    for (const { key, doc } of docs) {
      assert.match(key, /^opensearch-preview\/logs-local-\d{4}\.\d{2}\.\d{2}\/[0-9a-f]+\.ndjson$/);
      assert.equal(doc._op, "create");
      assert.equal(doc._source.source, "local");
    }
    const jsonDoc = docs.find(({ doc }) => doc._source.message === "disk full")?.doc;
    assert.equal(jsonDoc?._source.level, "error");
    assert.equal(jsonDoc?._source.host, "pc-17");
    const textDoc = docs.find(({ doc }) => doc._source.message === text)?.doc;
    assert.equal(textDoc?._source.host, "pc-17");
    assert.notEqual(jsonDoc?._id, textDoc?._id);

    // What the banner reports: the preview objects written, and where.
    assert.deepEqual(p.previewWrites.map((w) => w.key).sort(), [...new Set(docs.map((d) => d.key))].sort());
    assert.equal(
      p.previewWrites.reduce((sum, w) => sum + w.documents, 0),
      2,
    );
    assert.deepEqual(p.logIndexerDeadLetters, []);
    // On disk where the banner points (s3rver keeps each object in a file under its key).
    const onDisk = path.join(p.dataDir, "s3", p.bucket, p.previewPrefix);
    assert.ok(fs.existsSync(onDisk), `${onDisk} exists`);
  });
});
