import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  createBootstrapHandler,
  handlerFromEnv,
  parseBootstrapEnv,
  parseBootstrapEvent,
} from "../src/handler";
import type { Clock } from "../src/retry";
import { credentialsFromSecretString } from "../src/secret";

const MASTER = "arn:aws:iam::123456789012:role/obs-bootstrap-role";
const INDEXER = "arn:aws:iam::123456789012:role/ct-indexer-role";
const GRAFANA = "arn:aws:iam::123456789012:role/obs-grafana-role";
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:obs-master-user-AbCdEf";
const PASSWORD = "Pa55word!#%()-_=+[]{}<>:?";

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly signed: boolean;
}

/**
 * A loopback stand-in for the security REST API (it stores what is PUT and
 * answers 200/201 like OpenSearch) and for Secrets Manager's GetSecretValue.
 */
class FakeDomain {
  readonly seen: Seen[] = [];
  readonly store = new Map<string, string>();
  /** Answer this status to PUTs on paths containing the key. */
  refuse: { readonly pathPart: string; readonly status: number } | undefined;
  /**
   * Answers of a domain still coming up: each security API request takes the
   * next entry (a status, or "reset" to drop the connection) until none is left.
   */
  readonly initialising: (number | "reset")[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const signed = /^AWS4-HMAC-SHA256 Credential=local\//.test(req.headers.authorization ?? "");
      this.seen.push({ method: req.method ?? "", path: req.url ?? "", body, signed });
      res.setHeader("content-type", "application/json");
      if (req.headers["x-amz-target"] === "secretsmanager.GetSecretValue") {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        if (SecretId !== SECRET_ARN) {
          res.writeHead(400).end(JSON.stringify({ __type: "ResourceNotFoundException" }));
          return;
        }
        res.end(JSON.stringify({ SecretString: JSON.stringify({ username: "admin", password: PASSWORD }) }));
        return;
      }
      const path = req.url ?? "";
      if (req.method !== "PUT" || !path.startsWith("/_plugins/_security/api/")) {
        res.writeHead(404).end(JSON.stringify({ status: "NOT_FOUND" }));
        return;
      }
      const answer = this.initialising.shift();
      if (answer === "reset") {
        req.socket.destroy();
        return;
      }
      if (answer !== undefined) {
        res
          .writeHead(answer)
          .end(
            answer === 503
              ? "OpenSearch Security not initialized."
              : JSON.stringify({ Message: "security_exception: no permissions" }),
          );
        return;
      }
      if (this.refuse !== undefined && path.includes(this.refuse.pathPart)) {
        res
          .writeHead(this.refuse.status)
          .end(JSON.stringify({ status: "FORBIDDEN", message: "no permissions" }));
        return;
      }
      const existed = this.store.has(path);
      this.store.set(path, body);
      res.writeHead(existed ? 200 : 201).end(JSON.stringify({ status: existed ? "OK" : "CREATED" }));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((e) => (e ? reject(e) : resolve())));
  }
}

const WRITER = { role: "cloudtrail_writer", roleArns: [INDEXER], indexPatterns: ["cloudtrail-*"] };
const EVENT = { writers: [WRITER], readerRoleArns: [GRAFANA] };

/** A clock whose sleeps return at once and move time on, so minutes of backoff take milliseconds. */
class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
    return Promise.resolve();
  }
}

describe("opensearch-bootstrap handler against a loopback security API", () => {
  let fake: FakeDomain;
  let url: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    fake = new FakeDomain();
    url = await fake.start();
    env = {
      OPENSEARCH_ENDPOINT: url,
      SECRETS_MANAGER_ENDPOINT: url,
      MASTER_SECRET_ARN: SECRET_ARN,
      MASTER_ROLE_ARN: MASTER,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };
  });
  afterEach(async () => {
    await fake.close();
  });

  it("reads the password, creates admin, the writer role and every mapping with signed requests", async () => {
    const summary = await handlerFromEnv(env)(EVENT);
    assert.deepEqual(summary.applied, [
      "PUT /_plugins/_security/api/internalusers/admin",
      "PUT /_plugins/_security/api/roles/cloudtrail_writer",
      "PUT /_plugins/_security/api/rolesmapping/cloudtrail_writer",
      "PUT /_plugins/_security/api/rolesmapping/readall",
      "PUT /_plugins/_security/api/rolesmapping/all_access",
      "PUT /_plugins/_security/api/rolesmapping/security_manager",
    ]);
    assert.ok(
      fake.seen.every((s) => s.signed),
      "every request is SigV4-signed",
    );
    assert.deepEqual(JSON.parse(fake.store.get("/_plugins/_security/api/internalusers/admin") ?? "null"), {
      password: PASSWORD,
      backend_roles: [],
      attributes: {},
    });
    assert.deepEqual(
      JSON.parse(fake.store.get("/_plugins/_security/api/rolesmapping/cloudtrail_writer") ?? "null"),
      {
        backend_roles: [INDEXER],
        users: [],
        hosts: [],
      },
    );
    assert.deepEqual(summary.mappings.readall, { backend_roles: [GRAFANA], users: [], hosts: [] });
    assert.deepEqual(summary.mappings.all_access, { backend_roles: [MASTER], users: ["admin"], hosts: [] });
    assert.ok(!JSON.stringify(summary).includes(PASSWORD), "the summary never carries the password");
  });

  it("is idempotent: a second run PUTs exactly the same bodies and leaves the state as it was", async () => {
    const run = handlerFromEnv(env);
    await run(EVENT);
    const first = fake.seen.filter((s) => s.method === "PUT").map(({ path, body }) => ({ path, body }));
    const stateAfterFirst = new Map(fake.store);
    fake.seen.length = 0;
    await run({ ...EVENT, writers: [{ ...WRITER, roleArns: [INDEXER, INDEXER] }] });
    const second = fake.seen.filter((s) => s.method === "PUT").map(({ path, body }) => ({ path, body }));
    assert.equal(first.length, 6);
    assert.deepEqual(second, first);
    assert.deepEqual(fake.store, stateAfterFirst);
  });

  it("fails the invocation at once with a call refused for good, without the password in the message", async () => {
    fake.refuse = { pathPart: "rolesmapping/readall", status: 400 };
    const clock = new FakeClock();
    await assert.rejects(handlerFromEnv(env, { clock, log: () => {} })(EVENT), (error: Error) => {
      assert.match(error.message, /^PUT \/_plugins\/_security\/api\/rolesmapping\/readall answered 400: /);
      assert.ok(!error.message.includes(PASSWORD));
      return true;
    });
    assert.deepEqual(clock.sleeps, [], "a 400 is not retried");
  });

  // A new FGAC domain is "Active" before it accepts its master: it answers 401/403 until the
  // master role and access policy take effect, and 503 "OpenSearch Security not initialized"
  // while the security index is created (AWS documents no status list; seen in
  // https://github.com/opensearch-project/security/issues/4422 and
  // https://github.com/awslabs/generative-ai-cdk-constructs/issues/322).
  it("retries a domain that answers 503, 401, 403, 429 and drops connections, then succeeds", async () => {
    fake.initialising.push(503, 503, 401, 403, "reset", 429, 502);
    const clock = new FakeClock();
    const logged: string[] = [];
    const summary = await handlerFromEnv(env, { clock, log: (m) => logged.push(m) })(EVENT);
    assert.equal(summary.applied.length, 6);
    assert.equal(fake.initialising.length, 0);
    // 1, 2, 4, 8, 16, 30 (capped), 30 s: one pause per refused attempt.
    assert.deepEqual(clock.sleeps, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    assert.equal(logged.length, 7);
    assert.match(
      logged[0]!,
      /^PUT \/_plugins\/_security\/api\/internalusers\/admin attempt 1 answered 503: OpenSearch Security not initialized/,
    );
    assert.match(logged[4]!, /attempt 5 failed: /, "a dropped connection is retried too");
    assert.ok(!logged.join("\n").includes(PASSWORD), "the password is never logged");
    const user = JSON.parse(fake.store.get("/_plugins/_security/api/internalusers/admin") ?? "{}") as {
      password?: string;
    };
    assert.equal(user.password, PASSWORD);
  });

  it("gives up at the deadline naming the call and its last status", async () => {
    fake.initialising.push(...Array<number>(1000).fill(403));
    const clock = new FakeClock();
    const start = clock.now();
    await assert.rejects(
      handlerFromEnv({ ...env, RETRY_FOR_SECONDS: "600" }, { clock, log: () => {} })(EVENT),
      /^Error: PUT \/_plugins\/_security\/api\/internalusers\/admin answered 403: .*\(gave up after \d+ attempts over \d+ s\)$/,
    );
    const waited = clock.now() - start;
    assert.ok(waited <= 600_000, `stopped within the budget (waited ${waited} ms)`);
    assert.ok(waited > 600_000 - 30_000, `used the budget (waited ${waited} ms)`);
    assert.equal(fake.store.size, 0);
  });

  it("stops retrying in time to return its error before the Lambda timeout", async () => {
    fake.initialising.push(...Array<number>(1000).fill(503));
    const clock = new FakeClock();
    const start = clock.now();
    // 90 s left in the invocation: retries stop 30 s before it ends, not after the default 10 minutes.
    const context = { getRemainingTimeInMillis: () => 90_000 - (clock.now() - start) };
    await assert.rejects(handlerFromEnv(env, { clock, log: () => {} })(EVENT, context), /answered 503/);
    const waited = clock.now() - start;
    assert.ok(waited <= 60_000 && waited > 30_000, `retried for most of the 60 s left (waited ${waited} ms)`);
  });

  it("names the secret, not its value, when Secrets Manager refuses", async () => {
    const bad = handlerFromEnv({ ...env, MASTER_SECRET_ARN: `${SECRET_ARN}-other` });
    await assert.rejects(bad(EVENT), /GetSecretValue .*-other answered 400: ResourceNotFoundException/);
    assert.equal(fake.store.size, 0, "nothing is changed before the password is known");
  });

  it("validates the payload and the ARNs before touching the domain", async () => {
    const run = createBootstrapHandler({
      transport: { request: () => Promise.reject(new Error("must not be called")) },
      readCredentials: () => Promise.resolve({ username: "admin", password: "x" }),
      masterRoleArn: MASTER,
    });
    await assert.rejects(
      run({ writers: [{ ...WRITER, roleArns: ["nope"] }], readerRoleArns: [] }),
      /"nope" is not an IAM role ARN/,
    );
    await assert.rejects(run({ readerRoleArns: [] }), /Invalid bootstrap payload: writers: /);
  });
});

describe("opensearch-bootstrap configuration", () => {
  it("lists every missing variable and adds https:// to a bare endpoint", () => {
    assert.throws(
      () => parseBootstrapEnv({ AWS_REGION: "us-east-1" }),
      /Missing environment variables: OPENSEARCH_ENDPOINT, MASTER_SECRET_ARN, MASTER_ROLE_ARN$/,
    );
    const complete = {
      OPENSEARCH_ENDPOINT: "search-x.us-east-1.es.amazonaws.com",
      MASTER_SECRET_ARN: SECRET_ARN,
      MASTER_ROLE_ARN: MASTER,
      AWS_REGION: "us-east-1",
    };
    assert.equal(parseBootstrapEnv(complete).retryForMs, 600_000, "ten minutes of retries by default");
    assert.equal(parseBootstrapEnv({ ...complete, RETRY_FOR_SECONDS: "120" }).retryForMs, 120_000);
    assert.throws(
      () => parseBootstrapEnv({ ...complete, RETRY_FOR_SECONDS: "soon" }),
      /RETRY_FOR_SECONDS must be a whole number of seconds from 0 to 900 \(got "soon"\)/,
    );
    assert.equal(
      parseBootstrapEnv({
        OPENSEARCH_ENDPOINT: "search-x.us-east-1.es.amazonaws.com",
        MASTER_SECRET_ARN: SECRET_ARN,
        MASTER_ROLE_ARN: MASTER,
        AWS_REGION: "us-east-1",
      }).endpoint,
      "https://search-x.us-east-1.es.amazonaws.com",
    );
  });

  it("accepts a well-formed payload as is", () => {
    assert.deepEqual(parseBootstrapEvent(EVENT), EVENT);
  });

  it("takes the user name and password of the secret and refuses anything else without echoing it", () => {
    assert.deepEqual(
      credentialsFromSecretString(SECRET_ARN, JSON.stringify({ username: "ops", password: "x" })),
      {
        username: "ops",
        password: "x",
      },
    );
    assert.throws(
      () => credentialsFromSecretString(SECRET_ARN, JSON.stringify({ password: "x" })),
      /has no "username" string/,
    );
    assert.throws(
      () => credentialsFromSecretString(SECRET_ARN, "hunter2"),
      (e: Error) => !e.message.includes("hunter2"),
    );
    assert.throws(
      () => credentialsFromSecretString(SECRET_ARN, JSON.stringify({ username: "admin", password: "" })),
      /has no "password" string/,
    );
  });
});
