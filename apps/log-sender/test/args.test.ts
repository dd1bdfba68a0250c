import assert from "node:assert/strict";
import { UsageError, parseArgs } from "../src/args";
import { classifyResponse, parseRetryAfter } from "../src/http-client";
import { retryDelay } from "../src/pipeline";

const ENV = { LOG_SENDER_URL: "https://logs.example.com", LOG_SENDER_TOKEN: "secret-token-value" };

describe("parseArgs", () => {
  it("parses send, tail and load with options in any position", () => {
    assert.deepEqual(parseArgs(["send", "a.log", "--batch-lines=50", "b.log", "--quiet"], ENV), {
      command: "send",
      inputs: ["a.log", "b.log"],
      common: {
        url: ENV.LOG_SENDER_URL,
        token: ENV.LOG_SENDER_TOKEN,
        insecure: false,
        fromStart: false,
        quiet: true,
        batchLines: 50,
      },
    });
    const tail = parseArgs(
      ["tail", "x.log", "--url", "http://h:1", "--token", "t2", "--ca", "ca.pem", "--spool", "/s"],
      {},
    );
    assert.deepEqual(tail, {
      command: "tail",
      file: "x.log",
      common: {
        url: "http://h:1",
        token: "t2",
        insecure: false,
        fromStart: false,
        quiet: false,
        caFile: "ca.pem",
        spoolDir: "/s",
      },
    });
    const load = parseArgs(["load", "--rate", "500", "--duration", "2.5", "--insecure"], ENV);
    assert.equal(load.command, "load");
    assert.ok(
      load.command === "load" && load.rate === 500 && load.durationSeconds === 2.5 && load.common.insecure,
    );
  });

  it("takes --auth-grace-seconds, 0 included (give up at the first 401)", () => {
    for (const [value, seconds] of [
      ["0", 0],
      ["2.5", 2.5],
      ["300", 300],
    ] as const) {
      const parsed = parseArgs(["send", "a.log", "--auth-grace-seconds", value], ENV);
      assert.ok(parsed.command === "send");
      assert.equal(parsed.common.authGraceSeconds, seconds);
    }
    const without = parseArgs(["send", "a.log"], ENV);
    assert.ok(without.command === "send" && !("authGraceSeconds" in without.common));
  });

  it("shows help for -h, --help or no command", () => {
    for (const argv of [[], ["-h"], ["send", "--help"]])
      assert.deepEqual(parseArgs(argv, ENV), { command: "help" });
  });

  it("explains bad command lines without echoing the token", () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [["send"], ENV, /at least one FILE/],
      [["send", "-", "x"], ENV, /standard input only/],
      [["tail", "a", "b"], ENV, /exactly one FILE/],
      [["load", "--rate", "5"], ENV, /--rate N and --duration S/],
      [["send", "a", "--batch-lines", "1.5"], ENV, /positive integer/],
      [["send", "a", "--bogus"], ENV, /unknown option --bogus/],
      [["send", "a", "--auth-grace-seconds", "-1"], ENV, /0 or more, got -1/],
      [["send", "a", "--auth-grace-seconds="], ENV, /0 or more, got $/],
      [["send", "a", "--token"], ENV, /--token needs a value/],
      [["send", "a"], { LOG_SENDER_URL: "http://h" }, /LOG_SENDER_TOKEN/],
      [["send", "a"], { LOG_SENDER_TOKEN: "secret-token-value" }, /LOG_SENDER_URL/],
      [["push", "a"], ENV, /unknown command push/],
    ];
    for (const [argv, env, expected] of cases) {
      assert.throws(
        () => parseArgs(argv, env),
        (e: unknown) =>
          e instanceof UsageError && expected.test(e.message) && !e.message.includes("secret-token"),
        argv.join(" "),
      );
    }
  });
});

describe("response handling", () => {
  it("classifies statuses: 200 done, 5xx/408/429 retry, other 4xx refused", () => {
    assert.deepEqual(classifyResponse(200, undefined, '{"accepted":3}'), { kind: "accepted", accepted: 3 });
    assert.deepEqual(classifyResponse(503, "2", '{"message":"throttled"}'), {
      kind: "retry",
      reason: "HTTP 503: throttled",
      retryAfterMs: 2000,
    });
    assert.equal(classifyResponse(429, undefined, "").kind, "retry");
    assert.equal(classifyResponse(408, undefined, "").kind, "retry");
    assert.deepEqual(classifyResponse(413, undefined, '{"message":"too big"}'), {
      kind: "rejected",
      status: 413,
      reason: "HTTP 413: too big",
    });
    assert.equal(classifyResponse(401, undefined, "").kind, "rejected");
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2024-05-01T00:00:00Z");
    assert.equal(parseRetryAfter("3", now), 3000);
    assert.equal(parseRetryAfter("Wed, 01 May 2024 00:00:10 GMT", now), 10_000);
    assert.equal(parseRetryAfter("Tue, 30 Apr 2024 00:00:00 GMT", now), 0);
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  it("waits at least Retry-After plus full-jitter backoff, so clients told the same time spread out", () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    assert.equal(
      retryDelay(1, policy, 2500, () => 0),
      2500,
      "Retry-After is the minimum",
    );
    assert.equal(
      retryDelay(3, policy, 2500, () => 0.5),
      2700,
      "jitter on top of Retry-After",
    );
    // Two clients answered "Retry-After: 1" by a restarting receiver do not come back together.
    assert.notEqual(
      retryDelay(1, policy, 1000, () => 0.1),
      retryDelay(1, policy, 1000, () => 0.9),
    );
    assert.equal(
      retryDelay(3, policy, undefined, () => 0.5),
      200,
    );
    assert.equal(
      retryDelay(20, policy, undefined, () => 0.999),
      999,
    );
  });
});
