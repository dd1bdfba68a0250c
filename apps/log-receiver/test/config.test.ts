import assert from "node:assert/strict";
import { parseReceiverEnv } from "../src/config";

const SECRET = "super-secret-token-value-123";
const BASE = {
  STREAM_NAME: "ingest",
  AWS_REGION: "eu-west-1",
  TOKENS: JSON.stringify([{ name: "pcs", token: SECRET }]),
};

describe("parseReceiverEnv", () => {
  it("applies defaults", () => {
    const config = parseReceiverEnv(BASE);
    assert.equal(config.port, 8080);
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.logLevel, "info");
    assert.deepEqual(config.tokens, [{ name: "pcs", token: SECRET }]);
    assert.deepEqual(config.limits, {});
    assert.equal(config.tls, undefined);
    assert.equal(config.proxyProtocol, false);
  });

  it("reads optional settings", () => {
    const config = parseReceiverEnv({
      ...BASE,
      PORT: "9000",
      TLS_CERT: "CERT",
      TLS_KEY: "KEY",
      KINESIS_ENDPOINT: "http://127.0.0.1:4567",
      MAX_LINE_BYTES: "2048",
      RECEIVER_NAME: "task-1",
      PROXY_PROTOCOL: "on",
    });
    assert.equal(config.port, 9000);
    assert.deepEqual(config.tls, { cert: "CERT", key: "KEY" });
    assert.equal(config.kinesisEndpoint, "http://127.0.0.1:4567");
    assert.deepEqual(config.limits, { maxLineBytes: 2048 });
    assert.equal(config.hostname, "task-1");
    assert.equal(config.proxyProtocol, true);
  });

  it("reads the memory, queue and deadline settings", () => {
    const config = parseReceiverEnv({
      ...BASE,
      MEMORY_LIMIT_MIB: "384",
      MEMORY_BUDGET_MIB: "100",
      MAX_QUEUED_REQUESTS: "0",
      REQUEST_DEADLINE_MS: "15000",
    });
    assert.equal(config.memoryLimitBytes, 384 * 1024 * 1024);
    assert.equal(config.memoryBudgetBytes, 100 * 1024 * 1024);
    assert.equal(config.maxQueuedRequests, 0);
    assert.equal(config.deadlineMs, 15000);
    const defaults = parseReceiverEnv(BASE);
    assert.equal(defaults.memoryLimitBytes, undefined);
    assert.equal(defaults.deadlineMs, undefined);
    assert.throws(() => parseReceiverEnv({ ...BASE, MEMORY_LIMIT_MIB: "lots" }), /MEMORY_LIMIT_MIB/);
  });

  it("takes PROXY_PROTOCOL as on or off only", () => {
    assert.equal(parseReceiverEnv({ ...BASE, PROXY_PROTOCOL: "off" }).proxyProtocol, false);
    for (const value of ["true", "1", "ON", ""]) {
      assert.throws(() => parseReceiverEnv({ ...BASE, PROXY_PROTOCOL: value }), /PROXY_PROTOCOL/);
    }
  });

  it("lists every missing variable in one error", () => {
    assert.throws(
      () => parseReceiverEnv({}),
      (e: unknown) => {
        const message = (e as Error).message;
        for (const name of ["STREAM_NAME", "AWS_REGION", "TOKENS"])
          assert.ok(message.includes(name), message);
        return true;
      },
    );
  });

  it("never echoes a secret in its errors", () => {
    for (const env of [
      { ...BASE, TOKENS: `[{"name":"pcs","token":"${SECRET}"` },
      { ...BASE, TOKENS: JSON.stringify({ token: SECRET }) },
      { ...BASE, TLS_KEY: SECRET },
    ]) {
      assert.throws(
        () => parseReceiverEnv(env),
        (e: unknown) =>
          /TOKENS|TLS_CERT/.test((e as Error).message) && !(e as Error).message.includes(SECRET),
      );
    }
  });
});
