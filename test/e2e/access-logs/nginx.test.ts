/**
 * End to end on loopback, with a real nginx: requests of every kind (IPv4
 * and IPv6, errors, odd characters, garbage and TLS bytes on the plain port)
 * → nginx's access.log → log-sender → receiver (HTTPS) → kinesalite →
 * access-log transformer (local event source) → s3rver. Every line nginx
 * logged must come out in access/ with the right fields, every corrupted
 * line in access-errors/ with its reason — counts exactly equal. fluentd-
 * shaped records put straight into the stream take the same path.
 */
import * as assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";

import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";

import { parseAccessLogLine } from "../../../apps/access-log-transformer/src/parse";
import { sendFiles } from "../../../apps/log-sender/src";
import type { LocalPlatform } from "../../../scripts/local/platform";
import { startLocalPlatform } from "../../../scripts/local/platform";
import { requireTool } from "../../lib/tools";

interface StoredRecord {
  remoteaddr: string;
  remoteuser: string | null;
  method: string | null;
  url: string | null;
  protocol: string | null;
  statuscode: number;
  bytessent: number;
  referrer: string | null;
  useragent: string | null;
  time: string;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function nginxConfig(dir: string, port: number): string {
  const tmp = (name: string) => path.join(dir, "tmp", name);
  return `
worker_processes 1;
daemon off;
pid ${path.join(dir, "nginx.pid")};
error_log ${path.join(dir, "error.log")} warn;
events { worker_connections 64; }
http {
  access_log ${path.join(dir, "access.log")} combined;
  client_body_temp_path ${tmp("body")};
  proxy_temp_path ${tmp("proxy")};
  fastcgi_temp_path ${tmp("fastcgi")};
  uwsgi_temp_path ${tmp("uwsgi")};
  scgi_temp_path ${tmp("scgi")};
  server {
    listen 127.0.0.1:${port};
    listen [::1]:${port};
    location / { return 200 "ok\\n"; }
    location /missing { return 404; }
    location /moved { return 301 /; }
    location /boom { return 500; }
  }
}
`;
}

async function waitForPort(host: string, port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not listen on ${host}:${port}`);
}

function request(host: string, port: number, options: http.RequestOptions, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, agent: false, ...options }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Raw bytes on the plain port, as scanners and misconfigured TLS clients send. */
function rawRequest(host: string, port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => socket.end(bytes));
    socket.on("data", () => undefined);
    socket.on("close", () => resolve());
    socket.on("error", () => resolve());
  });
}

async function readPrefix(platform: LocalPlatform, prefix: string): Promise<string[]> {
  const listed = await platform.s3.send(
    new ListObjectsV2Command({ Bucket: platform.bucket, Prefix: prefix }),
  );
  assert.equal(listed.IsTruncated ?? false, false, "more objects than one listing page");
  const lines: string[] = [];
  for (const object of listed.Contents ?? []) {
    const got = await platform.s3.send(new GetObjectCommand({ Bucket: platform.bucket, Key: object.Key! }));
    const text = gunzipSync(Buffer.from(await got.Body!.transformToByteArray())).toString("utf8");
    lines.push(...text.split("\n").filter((line) => line !== ""));
  }
  return lines;
}

describe("access logs end to end: real nginx → sender → receiver → kinesalite → transformer → S3", function () {
  this.timeout(90_000);
  let dir: string;
  let nginx: ChildProcess | undefined;
  let platform: LocalPlatform | undefined;
  let port: number;

  before(async function () {
    const nginxBinary = requireTool(this, "nginx");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nginx-e2e-"));
    fs.mkdirSync(path.join(dir, "tmp"));
    port = await freePort();
    fs.writeFileSync(path.join(dir, "nginx.conf"), nginxConfig(dir, port));
    // -e: nginx opens its default error log before reading the config; keep it in our prefix too.
    await promisify(execFile)(nginxBinary, [
      "-t",
      "-p",
      dir,
      "-e",
      path.join(dir, "error.log"),
      "-c",
      path.join(dir, "nginx.conf"),
    ]);
    nginx = spawn(
      nginxBinary,
      ["-p", dir, "-e", path.join(dir, "error.log"), "-c", path.join(dir, "nginx.conf")],
      {
        stdio: "ignore",
      },
    );
    await waitForPort("127.0.0.1", port);
    await waitForPort("::1", port);
    platform = await startLocalPlatform({ shards: 2 });
  });

  after(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx!.once("exit", resolve));
      nginx.kill("SIGQUIT");
      await exited;
    }
    await platform?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("stores every logged request with its fields and every corrupted line with its reason", async () => {
    const v4 = "127.0.0.1";
    const v6 = "::1";
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(await request(v4, port, { path: `/page/${i}?n=${i}` }));
    statuses.push(
      await request(v4, port, { path: "/missing", headers: { "User-Agent": 'agent "with quotes"' } }),
    );
    statuses.push(
      await request(v4, port, { path: "/moved", headers: { Referer: "https://example.com/from" } }),
    );
    statuses.push(await request(v4, port, { path: "/boom", method: "DELETE" }));
    statuses.push(
      await request(
        v4,
        port,
        { path: "/form", method: "POST", headers: { "Content-Type": "text/plain" } },
        "a=1",
      ),
    );
    statuses.push(
      await request(v4, port, { path: "/", method: "HEAD", headers: { "User-Agent": "ünïcødé/1.0" } }),
    );
    statuses.push(await request(v4, port, { path: "/search?q=%22quoted%22&x=<script>" }));
    for (let i = 0; i < 20; i++) statuses.push(await request(v6, port, { path: `/v6/${i}` }));
    statuses.push(await request(v6, port, { path: "/missing" }));
    await rawRequest(v4, port, Buffer.from("garbage request line\r\n\r\n"));
    await rawRequest(
      v4,
      port,
      Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]),
    );
    await rawRequest(v6, port, Buffer.from("GET /http09\r\n"));

    // nginx writes a line when each request completes; wait until all are there.
    const logFile = path.join(dir, "access.log");
    const expectedRequests = statuses.length + 3;
    for (let attempt = 0; attempt < 100; attempt++) {
      if (fs.readFileSync(logFile, "utf8").split("\n").filter(Boolean).length >= expectedRequests) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const logged = fs.readFileSync(logFile, "utf8").split("\n").filter(Boolean);
    assert.equal(logged.length, expectedRequests, "nginx logged every request");
    assert.ok(statuses.includes(404) && statuses.includes(500) && statuses.includes(301));

    // Corrupted lines, as a truncated write or a foreign format would leave them.
    const corrupted = [
      logged[0]!.slice(0, 40),
      "this is not an access log line",
      logged[1]!.replace(/ \d{3} /, " abc "),
    ];
    fs.appendFileSync(logFile, `${corrupted.join("\n")}\n`);

    const summary = await sendFiles([logFile], {
      url: platform!.receiverUrl,
      token: platform!.token,
      caFile: platform!.caFile,
      spoolDir: path.join(dir, "spool"),
      batchLines: 25,
      progressIntervalMs: 0,
    });
    assert.equal(summary.spoolDepth, 0);

    // fluentd (fluent-plugin-kinesis) writes one JSON record per line straight into the stream.
    const fluentdLines = logged.slice(0, 5);
    await platform!.kinesis.send(
      new PutRecordsCommand({
        StreamName: platform!.streamName,
        Records: fluentdLines.map((line, i) => ({
          Data: Buffer.from(`${JSON.stringify({ log: line, tag: "nginx.access" })}\n`),
          PartitionKey: `fluentd-${i}`,
        })),
      }),
    );

    await platform!.eventSource.caughtUp();
    assert.deepEqual(platform!.deadLetters, []);

    const stored = (await readPrefix(platform!, "access/")).map((line) => JSON.parse(line) as StoredRecord);
    const errors = (await readPrefix(platform!, "access-errors/")).map(
      (line) => JSON.parse(line) as { reason: string; line: string },
    );

    // Counts: every logged line once from the sender, the fluentd copies once more; every corrupted line as an error.
    assert.equal(stored.length, logged.length + fluentdLines.length);
    assert.deepEqual(errors.map((e) => e.line).sort(), [...corrupted].sort());
    for (const error of errors) assert.ok(error.reason.length > 0, "each rejected line carries its reason");

    // Fields: each stored record is exactly what the parser makes of the logged line.
    const expected = [...logged, ...fluentdLines].map((line) => parseAccessLogLine(line)!);
    const key = (r: StoredRecord) =>
      JSON.stringify([r.remoteaddr, r.time, r.method, r.url, r.statuscode, r.useragent]);
    assert.deepEqual(stored.map(key).sort(), expected.map((r) => key(r as StoredRecord)).sort());

    assert.equal(
      stored.filter((r) => r.remoteaddr === "::1").length,
      22,
      "IPv6 clients kept (21 requests + the HTTP/0.9 one)",
    );
    const quoted = stored.find((r) => r.url === "/missing" && r.remoteaddr === "127.0.0.1")!;
    assert.equal(quoted.useragent, "agent \\x22with quotes\\x22", "nginx's \\x escapes are kept as logged");
    assert.equal(quoted.statuscode, 404);
    assert.equal(stored.find((r) => r.url === "/moved")!.referrer, "https://example.com/from");
    const garbage = stored.filter((r) => r.statuscode === 400);
    assert.equal(garbage.length, 2, "garbage and TLS bytes on the plain port are logged as 400 and kept");
    for (const g of garbage) assert.equal(g.method, null);
    const http09 = stored.find((r) => r.url === "/http09")!;
    assert.deepEqual([http09.method, http09.protocol], ["GET", null]);
  });
});
