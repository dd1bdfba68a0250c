import assert from "node:assert/strict";
import { bulkBody, bulkItem } from "../../../lib/opensearch/bulk";
import type { BulkResponse, BulkSink } from "../../../lib/opensearch/bulk";
import { IndexingRefusedError } from "../../../lib/opensearch/indexer";
import {
  EnvReader,
  FailedObject,
  failedObjectKey,
  indexBatch,
  previewBulkSink,
  readCommonConfig,
  retryPolicy,
} from "../../src/common";
import { FakeWriter } from "./fake-writer";

const DEFAULTS = { failedPrefix: "logs-failed/", serviceName: "log-indexer" };
const fastRetry = retryPolicy({ sleep: async () => {}, random: () => 0, maxAttempts: 3 });

describe("log-indexer common", () => {
  describe("readCommonConfig", () => {
    it("reads the defaults with only the required variables", () => {
      const read = new EnvReader({ AWS_REGION: "eu-west-1", ARCHIVE_BUCKET: "archive-1" }, "app");
      const config = read.finish(readCommonConfig(read, DEFAULTS));
      assert.deepEqual(config, {
        region: "eu-west-1",
        archiveBucket: "archive-1",
        failedPrefix: "logs-failed/",
        previewPrefix: "opensearch-preview/",
        indexReplicas: 1,
        bulkMaxBytes: 5 * 1024 * 1024,
        maxAttempts: 6,
        logLevel: "info",
        serviceName: "log-indexer",
      });
    });

    it("adds a scheme to the endpoint and keeps the signing service", () => {
      const read = new EnvReader(
        {
          AWS_REGION: "eu-west-1",
          ARCHIVE_BUCKET: "archive-1",
          OPENSEARCH_ENDPOINT: "search-x.es.amazonaws.com",
        },
        "app",
      );
      const config = read.finish(readCommonConfig(read, DEFAULTS));
      assert.deepEqual(config.openSearch, { endpoint: "https://search-x.es.amazonaws.com", service: "es" });
    });

    it("lists every problem in one error", () => {
      const read = new EnvReader(
        { ARCHIVE_BUCKET: "Not_A_Bucket", INDEX_REPLICAS: "3", LOG_LEVEL: "loud", BULK_MAX_BYTES: "x" },
        "log-indexer",
      );
      readCommonConfig(read, DEFAULTS);
      read.integer("MAX_FIELDS", 200, 1, 1000);
      assert.throws(
        () => read.finish({}),
        (error: Error) => {
          assert.match(error.message, /^log-indexer configuration is invalid:/);
          for (const name of [
            "AWS_REGION",
            "ARCHIVE_BUCKET",
            "INDEX_REPLICAS",
            "LOG_LEVEL",
            "BULK_MAX_BYTES",
          ]) {
            assert.match(error.message, new RegExp(`- ${name} `));
          }
          return true;
        },
      );
    });
  });

  describe("failed records", () => {
    it("names objects by partition day and batch", () => {
      assert.equal(
        failedObjectKey("logs-failed", new Date("2026-12-04T23:59:59.999Z"), "shard-0001-4955"),
        "logs-failed/year=2026/month=12/day=04/shard-0001-4955.json.gz",
      );
    });

    it("writes nothing without entries and every entry otherwise", async () => {
      const writer = new FakeWriter();
      const empty = new FailedObject(writer, "archive-1", "k0.json.gz");
      assert.equal(await empty.put(), undefined);
      assert.equal(writer.puts, 0);
      const failed = new FailedObject(writer, "archive-1", "k1.json.gz");
      await failed.keep({ reason: "mapper_parsing_exception", status: 400, id: "a", line: "x\u00e9" });
      await failed.keep({ reason: "not UTF-8", line: "/w==", encoding: "base64" });
      assert.equal(failed.count, 2);
      assert.equal(await failed.put(), "k1.json.gz");
      assert.deepEqual(writer.lines("k1.json.gz"), [
        { reason: "mapper_parsing_exception", status: 400, id: "a", line: "x\u00e9" },
        { reason: "not UTF-8", line: "/w==", encoding: "base64" },
      ]);
    });
  });

  describe("previewBulkSink", () => {
    const items = [
      bulkItem("create", "logs-app-2026.12.04", "id-1", '{"message":"one"}', null),
      bulkItem("index", "findings-2026.12.04", "f-1", '{"title":"x"}', null),
      bulkItem("create", "logs-app-2026.12.04", "id-2", '{"message":"two"}', null),
    ];

    it("writes documents per index and answers every item as stored", async () => {
      const writer = new FakeWriter();
      const sink = previewBulkSink(writer, "archive-1", "opensearch-preview");
      const response = await sink.bulk(bulkBody(items));
      assert.equal(response.statusCode, 200);
      const answer = JSON.parse(response.body) as {
        errors: boolean;
        items: Record<string, { status: number }>[];
      };
      assert.equal(answer.errors, false);
      assert.deepEqual(
        answer.items.map((item) => Object.entries(item).map(([op, r]) => `${op}:${r.status}`)[0]),
        ["create:201", "index:201", "create:201"],
      );
      const keys = [...writer.objects.keys()].sort();
      assert.equal(keys.length, 2);
      assert.match(keys[0] as string, /^opensearch-preview\/findings-2026\.12\.04\/[0-9a-f]{24}\.ndjson$/);
      assert.deepEqual(writer.lines(keys[1] as string), [
        { _id: "id-1", _op: "create", _source: { message: "one" } },
        { _id: "id-2", _op: "create", _source: { message: "two" } },
      ]);
    });

    it("rewrites the same objects when a body is sent again", async () => {
      const writer = new FakeWriter();
      const sink = previewBulkSink(writer, "archive-1", "opensearch-preview/");
      await sink.bulk(bulkBody(items));
      await sink.bulk(bulkBody(items));
      assert.equal(writer.puts, 4);
      assert.equal(writer.objects.size, 2);
    });
  });

  describe("indexBatch", () => {
    /** Answers each item from `status(id)` and records the bodies. */
    function scriptedSink(status: (id: string) => number): BulkSink & { bodies: string[] } {
      const bodies: string[] = [];
      return {
        bodies,
        bulk(sent: Buffer): Promise<BulkResponse> {
          const body = sent.toString("utf8");
          bodies.push(body);
          const lines = body.trimEnd().split("\n");
          const answers = [];
          for (let i = 0; i < lines.length; i += 2) {
            const { create } = JSON.parse(lines[i] as string) as { create: { _index: string; _id: string } };
            const code = status(create._id);
            answers.push({
              create: {
                ...create,
                status: code,
                ...(code === 400 ? { error: { type: "mapper_parsing_exception", reason: "bad field" } } : {}),
              },
            });
          }
          return Promise.resolve({ statusCode: 200, body: JSON.stringify({ errors: true, items: answers }) });
        },
      };
    }
    const many = Array.from({ length: 10 }, (_, i) =>
      bulkItem("create", "logs-app-2026.12.04", `id-${i}`, `{"n":${i}}`, { n: i }),
    );

    it("bounds each body and hands rejections to the callback with their payload", async () => {
      const sink = scriptedSink((id) => (id === "id-3" ? 400 : id === "id-4" ? 409 : 201));
      const rejected: unknown[] = [];
      const maxBytes = (many[0]?.bytes ?? 0) * 3;
      const result = await indexBatch(sink, many, { maxBytes, retry: fastRetry }, (r) => {
        rejected.push({ payload: r.item.payload, status: r.status });
        return Promise.resolve();
      });
      assert.equal(sink.bodies.length, 4);
      for (const body of sink.bodies) assert.ok(Buffer.byteLength(body) <= maxBytes);
      assert.equal(result.indexed, 8);
      assert.equal(result.duplicates, 1);
      assert.deepEqual(rejected, [{ payload: { n: 3 }, status: 400 }]);
    });

    it("throws when the domain refuses writes", async () => {
      const sink: BulkSink = { bulk: () => Promise.resolve({ statusCode: 403, body: "{}" }) };
      await assert.rejects(
        indexBatch(sink, many, { maxBytes: 1 << 20, retry: fastRetry }, () => Promise.resolve()),
        IndexingRefusedError,
      );
    });
  });
});
