import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { ensureBootstrap } from "../src/bootstrap";
import type { ClosableTransport } from "../src/opensearch";
import { createOpenSearchTransport, NodeSha256, openSearchBulkSink } from "../src/opensearch";
import type { FakeServer } from "./fake-opensearch";
import { FakeOpenSearch, startFakeServer } from "./fake-opensearch";

const CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

describe("apps/cloudtrail-indexer opensearch transport", () => {
  let fake: FakeOpenSearch;
  let server: FakeServer;
  let transport: ClosableTransport;

  beforeEach(async () => {
    fake = new FakeOpenSearch();
    server = await startFakeServer(fake);
    transport = createOpenSearchTransport({
      endpoint: server.url,
      region: "eu-west-1",
      credentials: { ...CREDENTIALS, sessionToken: "session-token" },
    });
  });

  afterEach(async () => {
    transport.close();
    await server.close();
  });

  it("posts NDJSON to _bulk, SigV4-signed for the es service", async () => {
    const body = '{"create":{"_index":"cloudtrail-2024.03.01","_id":"e1"}}\n{"eventID":"e1"}\n';
    const response = await openSearchBulkSink(transport).bulk(Buffer.from(body));
    assert.equal(response.statusCode, 200);
    assert.deepEqual([...fake.docs.keys()], ["e1"]);
    const headers = server.headers[0] ?? {};
    assert.equal(headers["content-type"], "application/x-ndjson");
    assert.equal(headers["x-amz-security-token"], "session-token");
    const date = String(headers["x-amz-date"]);
    assert.match(date, /^\d{8}T\d{6}Z$/);
    assert.match(
      String(headers.authorization),
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${date.slice(0, 8)}/eu-west-1/es/aws4_request, ` +
          "SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$",
      ),
    );
  });

  it("signs the body: another body gets another signature", async () => {
    const sink = openSearchBulkSink(transport);
    await sink.bulk(Buffer.from('{"create":{"_index":"i","_id":"a"}}\n{}\n'));
    await sink.bulk(Buffer.from('{"create":{"_index":"i","_id":"b"}}\n{}\n'));
    const signatures = server.headers.map((h) => /Signature=(\w+)/.exec(String(h.authorization))?.[1]);
    assert.equal(signatures.length, 2);
    assert.notEqual(signatures[0], signatures[1]);
  });

  it("carries query strings (ISM updates) and runs the bootstrap over HTTP", async () => {
    assert.deepEqual(await ensureBootstrap(transport, "cloudtrail", 90, 1), {
      template: "created",
      policy: "created",
    });
    assert.deepEqual(await ensureBootstrap(transport, "cloudtrail", 7, 1), {
      template: "present",
      policy: "updated",
    });
    assert.equal(fake.policies.get("cloudtrail-retention")?.seqNo, 1);
  });

  it("rejects when nothing answers", async () => {
    const closed = createOpenSearchTransport({
      endpoint: "http://127.0.0.1:9",
      region: "us-east-1",
      credentials: CREDENTIALS,
    });
    await assert.rejects(closed.request("GET", "/"), /ECONNREFUSED/);
    closed.close();
  });

  it("refuses endpoints that are not http(s)", () => {
    assert.throws(
      () => createOpenSearchTransport({ endpoint: "ftp://x", region: "us-east-1", credentials: CREDENTIALS }),
      /must be an http\(s\) URL/,
    );
  });

  it("hashes like node:crypto, with and without a key", async () => {
    const plain = new NodeSha256();
    plain.update("abc");
    plain.update(new Uint8Array([1, 2, 3]));
    assert.deepEqual(
      Buffer.from(await plain.digest()),
      createHash("sha256")
        .update("abc")
        .update(Buffer.from([1, 2, 3]))
        .digest(),
    );
    const keyed = new NodeSha256("key");
    keyed.update("data");
    assert.deepEqual(Buffer.from(await keyed.digest()), createHmac("sha256", "key").update("data").digest());
    keyed.reset();
    keyed.update("other");
    assert.deepEqual(Buffer.from(await keyed.digest()), createHmac("sha256", "key").update("other").digest());
  });
});
