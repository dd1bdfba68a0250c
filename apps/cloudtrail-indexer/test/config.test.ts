import assert from "node:assert/strict";
import { parseIndexerEnv } from "../src/config";
import { handler, handlerFromEnv } from "../src/handler";

const MINIMAL = { AWS_REGION: "eu-west-1", ARCHIVE_BUCKET: "log-archive-dev" };

describe("apps/cloudtrail-indexer config", () => {
  it("applies the defaults", () => {
    assert.deepEqual(parseIndexerEnv(MINIMAL), {
      region: "eu-west-1",
      archiveBucket: "log-archive-dev",
      eventsPrefix: "cloudtrail-events/",
      failedPrefix: "cloudtrail-failed/",
      indexPrefix: "cloudtrail",
      retentionDays: 90,
      indexReplicas: 1,
      bulkMaxBytes: 5 * 1024 * 1024,
      maxAttempts: 6,
      messageConcurrency: 2,
      logLevel: "info",
      retryBaseSeconds: 60,
      serviceName: "cloudtrail-indexer",
    });
  });

  it("reads every setting, adding https:// to a bare domain endpoint", () => {
    const config = parseIndexerEnv({
      ...MINIMAL,
      OPENSEARCH_ENDPOINT: "search-logs-abc123.eu-west-1.es.amazonaws.com",
      OPENSEARCH_SERVICE: "aoss",
      INDEX_PREFIX: "audit",
      EVENTS_PREFIX: "ct/",
      FAILED_PREFIX: "ct-failed/",
      RETENTION_DAYS: "30",
      BULK_MAX_BYTES: "1048576",
      MAX_ATTEMPTS: "3",
      MESSAGE_CONCURRENCY: "4",
      LOG_LEVEL: "debug",
      INDEX_REPLICAS: "0",
    });
    assert.equal(config.indexReplicas, 0, "a single-node domain's indices get no replica");
    assert.deepEqual(config.openSearch, {
      endpoint: "https://search-logs-abc123.eu-west-1.es.amazonaws.com",
      service: "aoss",
    });
    assert.deepEqual(
      [config.indexPrefix, config.eventsPrefix, config.failedPrefix, config.retentionDays],
      ["audit", "ct/", "ct-failed/", 30],
    );
    assert.deepEqual([config.bulkMaxBytes, config.maxAttempts, config.messageConcurrency], [1048576, 3, 4]);
  });

  it("lists every problem in one error", () => {
    assert.throws(
      () => parseIndexerEnv({ INDEX_PREFIX: "CloudTrail", RETENTION_DAYS: "ten", LOG_LEVEL: "loud" }),
      (error: unknown) => {
        const message = (error as Error).message;
        for (const expected of [
          "AWS_REGION is required",
          "ARCHIVE_BUCKET is required",
          "INDEX_PREFIX must be lowercase",
          'RETENTION_DAYS must be an integer from 1 to 36500, got "ten"',
          "LOG_LEVEL must be one of",
        ]) {
          assert.ok(message.includes(expected), `missing "${expected}" in:\n${message}`);
        }
        return true;
      },
    );
  });

  it("builds a handler from a complete environment without touching the network", () => {
    assert.equal(
      typeof handlerFromEnv({ ...MINIMAL, OPENSEARCH_ENDPOINT: "https://127.0.0.1:9" }),
      "function",
    );
  });

  it("makes the Lambda entry point reject with the configuration problem", async () => {
    const saved = process.env.ARCHIVE_BUCKET;
    delete process.env.ARCHIVE_BUCKET;
    try {
      await assert.rejects(handler({ Records: [] }), /ARCHIVE_BUCKET is required/);
    } finally {
      if (saved !== undefined) process.env.ARCHIVE_BUCKET = saved;
    }
  });
});
