import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import fc from "fast-check";
import selfsigned from "selfsigned";
import { clientAddress } from "../src/envelope";
import type { ProxyRejection } from "../src/proxy-protocol";
import {
  MAX_PROXY_HEADER_BYTES,
  acceptProxyProtocol,
  connectionVerdict,
  isLoopback,
  parseProxyHeader,
  proxiedClientAddress,
} from "../src/proxy-protocol";
import type { Receiver } from "../src/server";
import { FakeKinesis, auth, receiverStarter, request } from "./helpers";

const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const PROXY = 0x1;
const LOCAL = 0x0;
const INET = 0x1;
const INET6 = 0x2;
const STREAM = 0x1;

function ipv4Bytes(text: string): number[] {
  return text.split(".").map(Number);
}

/** Test-only IPv6 text → 16 bytes (`::` and a trailing dotted quad included). */
function ipv6Bytes(text: string): number[] {
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  const hex = quad
    ? text.slice(0, quad.index) +
      [Number(quad[1]) * 256 + Number(quad[2]), Number(quad[3]) * 256 + Number(quad[4])]
        .map((g) => g.toString(16))
        .join(":")
    : text;
  const [head = "", tail] = hex.split("::");
  const groupsOf = (part: string): string[] => (part === "" ? [] : part.split(":"));
  const groups =
    tail === undefined
      ? groupsOf(head)
      : [
          ...groupsOf(head),
          ...Array<string>(8 - groupsOf(head).length - groupsOf(tail).length).fill("0"),
          ...groupsOf(tail),
        ];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

function u16(value: number): number[] {
  return [value >> 8, value & 0xff];
}

/** Test encoder for PROXY v2 headers; every field can be overridden to build broken ones. */
function header(
  spec: {
    source?: { address: string; port: number };
    command?: number;
    version?: number;
    family?: number;
    protocol?: number;
    /** Raw address block instead of one built from `source`. */
    addresses?: number[];
    tlvs?: Uint8Array;
    /** Length field instead of the real length. */
    length?: number;
  } = {},
): Buffer {
  const v6 = spec.source?.address.includes(":") ?? false;
  const family = spec.family ?? (spec.source === undefined ? 0 : v6 ? INET6 : INET);
  const addresses =
    spec.addresses ??
    (spec.source === undefined
      ? []
      : v6
        ? [
            ...ipv6Bytes(spec.source.address),
            ...ipv6Bytes("2001:db8::443"),
            ...u16(spec.source.port),
            ...u16(443),
          ]
        : [...ipv4Bytes(spec.source.address), 10, 0, 1, 5, ...u16(spec.source.port), ...u16(8080)]);
  const rest = [...addresses, ...(spec.tlvs ?? [])];
  return Buffer.from([
    ...SIGNATURE,
    ((spec.version ?? 2) << 4) | (spec.command ?? PROXY),
    (family << 4) | (spec.protocol ?? STREAM),
    ...u16(spec.length ?? rest.length),
    ...rest,
  ]);
}

/** A TLV as the NLB sends one (type 0xEA, AWS: VPC endpoint id), plus a NOOP one. */
const AWS_TLVS = Uint8Array.from([
  0xea,
  ...u16(23),
  0x01,
  ...Buffer.from("vpce-08d2bf15fac5001c9"),
  0x04,
  ...u16(3),
  0,
  0,
  0,
]);

describe("PROXY protocol v2", () => {
  describe("parseProxyHeader", () => {
    it("reads an IPv4 source and skips the rest of the header", () => {
      const bytes = Buffer.concat([
        header({ source: { address: "203.0.113.7", port: 51000 } }),
        Buffer.from("GET"),
      ]);
      assert.deepEqual(parseProxyHeader(bytes), {
        kind: "parsed",
        headerLength: 28,
        source: { address: "203.0.113.7", port: 51000 },
      });
    });

    it("formats IPv6 sources as Node shows remote addresses, IPv4-mapped ones as IPv4", () => {
      for (const [address, shown] of [
        ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
        ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
        ["fe80::", "fe80::"],
        ["::1", "::1"],
        ["::ffff:203.0.113.7", "203.0.113.7"],
      ] as const) {
        const result = parseProxyHeader(header({ source: { address, port: 1 } }));
        assert.deepEqual(result, { kind: "parsed", headerLength: 52, source: { address: shown, port: 1 } });
      }
    });

    it("skips TLVs", () => {
      const bytes = header({ source: { address: "198.51.100.9", port: 443 }, tlvs: AWS_TLVS });
      assert.deepEqual(parseProxyHeader(bytes), {
        kind: "parsed",
        headerLength: 28 + AWS_TLVS.length,
        source: { address: "198.51.100.9", port: 443 },
      });
    });

    it("LOCAL (health checks) and UNSPEC name no client", () => {
      assert.deepEqual(parseProxyHeader(header({ command: LOCAL })), { kind: "parsed", headerLength: 16 });
      // LOCAL ignores the address block, whatever its family says.
      assert.deepEqual(
        parseProxyHeader(header({ command: LOCAL, family: 0x7, protocol: 0x9, addresses: [1, 2, 3] })),
        { kind: "parsed", headerLength: 19 },
      );
      assert.deepEqual(parseProxyHeader(header({ family: 0, protocol: 0, tlvs: AWS_TLVS })), {
        kind: "parsed",
        headerLength: 16 + AWS_TLVS.length,
      });
    });

    it("needs more bytes while the header is incomplete", () => {
      const bytes = header({ source: { address: "203.0.113.7", port: 1 }, tlvs: AWS_TLVS });
      for (const cut of [0, 1, 11, 12, 15, 16, 27, bytes.length - 1]) {
        assert.deepEqual(parseProxyHeader(bytes.subarray(0, cut)), { kind: "incomplete" }, `cut at ${cut}`);
      }
    });

    it("reports no signature for plain HTTP, TLS and PROXY v1", () => {
      for (const text of [
        "GET /healthz HTTP/1.1\r\n",
        "\x16\x03\x01",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "\r\n\r\nQ",
      ]) {
        assert.deepEqual(parseProxyHeader(Buffer.from(text, "latin1")), { kind: "no-signature" }, text);
      }
    });

    it("rejects bad versions, commands, families, protocols and short address blocks", () => {
      const source = { address: "203.0.113.7", port: 1 };
      const cases: [Buffer, RegExp][] = [
        [header({ source, version: 1 }), /version 1/],
        [header({ source, version: 3 }), /version 3/],
        [header({ source, command: 0x2 }), /unknown command 2/],
        [header({ source, family: 0x3 }), /AF_UNIX/],
        [header({ source, family: 0x5 }), /unknown address family 5/],
        [header({ source, protocol: 0x2 }), /transport protocol 2/],
        [header({ source, protocol: 0x0 }), /transport protocol 0/],
        [header({ family: INET, addresses: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }), /11 bytes .* 12/],
        [header({ family: INET6, addresses: Array<number>(35).fill(0) }), /35 bytes .* 36/],
      ];
      for (const [bytes, reason] of cases) {
        const result = parseProxyHeader(bytes);
        assert.equal(result.kind, "invalid");
        assert.match((result as { reason: string }).reason, reason);
      }
    });

    it("rejects a header over the size cap as soon as its length is known", () => {
      const fixed = header({
        source: { address: "203.0.113.7", port: 1 },
        length: MAX_PROXY_HEADER_BYTES - 15,
      });
      const result = parseProxyHeader(fixed.subarray(0, 16));
      assert.equal(result.kind, "invalid");
      assert.match((result as { reason: string }).reason, /over the 4112-byte limit/);
      // At the cap itself it only waits for the rest.
      const atCap = header({
        source: { address: "203.0.113.7", port: 1 },
        length: MAX_PROXY_HEADER_BYTES - 16,
      });
      assert.deepEqual(parseProxyHeader(atCap.subarray(0, 16)), { kind: "incomplete" });
      assert.equal(parseProxyHeader(fixed.subarray(0, 16), 1 << 20).kind, "incomplete");
    });

    it("round-trips any IPv4 or IPv6 source with any TLVs, incomplete at every cut before the end", () => {
      const source = fc.oneof(
        fc.ipV4().map((address) => ({ address, expected: address })),
        fc.ipV6().map((address) => ({
          address,
          expected: clientAddress(new net.SocketAddress({ address, family: "ipv6" }).address),
        })),
      );
      fc.assert(
        fc.property(
          source,
          fc.integer({ min: 0, max: 65535 }),
          fc.uint8Array({ maxLength: 300 }),
          fc.uint8Array({ maxLength: 20 }),
          ({ address, expected }, port, tlvs, after) => {
            const bytes = header({ source: { address, port }, tlvs });
            for (let cut = 0; cut < bytes.length; cut++) {
              assert.deepEqual(parseProxyHeader(bytes.subarray(0, cut)), { kind: "incomplete" });
            }
            assert.deepEqual(parseProxyHeader(Buffer.concat([bytes, after])), {
              kind: "parsed",
              headerLength: bytes.length,
              source: { address: expected, port },
            });
          },
        ),
      );
    });

    it("never throws on arbitrary bytes after the signature", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), (tail) => {
          const result = parseProxyHeader(Buffer.concat([Buffer.from(SIGNATURE), tail]));
          assert.ok(["incomplete", "invalid", "parsed"].includes(result.kind));
        }),
      );
    });
  });

  describe("connectionVerdict", () => {
    it("accepts a header, names its client, and refuses what is not a valid header", () => {
      const parsed = {
        kind: "parsed",
        headerLength: 28,
        source: { address: "203.0.113.7", port: 1 },
      } as const;
      assert.deepEqual(connectionVerdict(parsed, false), {
        accept: true,
        headerLength: 28,
        client: "203.0.113.7",
      });
      assert.deepEqual(connectionVerdict({ kind: "parsed", headerLength: 16 }, false), {
        accept: true,
        headerLength: 16,
      });
      assert.deepEqual(connectionVerdict({ kind: "invalid", reason: "bad" }, true), {
        accept: false,
        reason: "invalid",
        detail: "bad",
      });
    });

    it("without a header, accepts only peers trusted to connect directly", () => {
      assert.deepEqual(connectionVerdict({ kind: "no-signature" }, true), { accept: true, headerLength: 0 });
      assert.deepEqual(connectionVerdict({ kind: "no-signature" }, false), {
        accept: false,
        reason: "missing",
        detail: "no PROXY protocol v2 header",
      });
    });

    it("trusts loopback peers only", () => {
      for (const address of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
        assert.ok(isLoopback(address));
      for (const address of [undefined, "10.0.1.5", "::ffff:10.0.1.5", "2001:db8::1", "::2", "1127.0.0.1"]) {
        assert.ok(!isLoopback(address), address);
      }
    });
  });

  describe("acceptProxyProtocol on a server", () => {
    const servers: http.Server[] = [];
    afterEach(async () => {
      await Promise.all(
        servers.splice(0).map((s) => {
          s.closeAllConnections();
          return new Promise((resolve) => s.close(resolve));
        }),
      );
    });

    /** A server answering with the proxied client address (or "none"); no peer is trusted without a header. */
    async function serve(headerTimeoutMs = 10_000): Promise<{ port: number; rejections: ProxyRejection[] }> {
      const rejections: ProxyRejection[] = [];
      const server = http.createServer((req, res) => res.end(proxiedClientAddress(req.socket) ?? "none"));
      acceptProxyProtocol(server, {
        headerTimeoutMs,
        trustedWithoutHeader: () => false,
        onReject: (rejection) => rejections.push(rejection),
      });
      servers.push(server);
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      return { port: (server.address() as net.AddressInfo).port, rejections };
    }

    it("closes a connection without a header from a peer that is not trusted, and reports it", async () => {
      const { port, rejections } = await serve();
      await assert.rejects(
        request(`http://127.0.0.1:${port}`, { method: "GET", path: "/" }),
        /socket hang up|ECONNRESET/,
      );
      assert.deepEqual(rejections, [
        { reason: "missing", detail: "no PROXY protocol v2 header", remoteAddress: "127.0.0.1" },
      ]);
      const answer = await exchange(
        port,
        [header({ source: { address: "203.0.113.7", port: 1 } })],
        get("/"),
      );
      assert.equal(answer.body, "203.0.113.7");
      const local = await exchange(port, [header({ command: LOCAL })], get("/"));
      assert.equal(local.body, "none");
    });

    it("closes a connection whose header does not arrive in time", async () => {
      const { port, rejections } = await serve(50);
      const socket = net.connect(port, "127.0.0.1");
      socket.on("error", () => undefined);
      socket.write(header({ source: { address: "203.0.113.7", port: 1 } }).subarray(0, 20));
      await once(socket, "close");
      assert.deepEqual(
        rejections.map((r) => r.reason),
        ["timeout"],
      );
    });

    it("refuses a server with nothing to hand connections to", () => {
      assert.throws(
        () => acceptProxyProtocol(new net.Server(), { headerTimeoutMs: 1 }),
        /no connection handler/,
      );
    });
  });

  describe("the receiver with proxyProtocol: true", () => {
    const start = receiverStarter({ proxyProtocol: true });
    const portOf = (receiver: Receiver): number => Number(new URL(receiver.url).port);

    it("records the IPv4 client from the header (request in the same segment as the header)", async () => {
      const kinesis = new FakeKinesis();
      const receiver = await start(kinesis);
      const answer = await exchange(
        portOf(receiver),
        [header({ source: { address: "203.0.113.7", port: 50123 }, tlvs: AWS_TLVS })],
        post("hello"),
      );
      assert.equal(answer.status, 200, answer.body);
      assert.deepEqual(
        kinesis.envelopes().map((e) => [e.client, e.message]),
        [["203.0.113.7", "hello"]],
      );
    });

    it("records an IPv6 client", async () => {
      const kinesis = new FakeKinesis();
      const receiver = await start(kinesis);
      const bytes = header({ source: { address: "2001:db8:0:0:0:0:0:7", port: 443 } });
      const answer = await exchange(portOf(receiver), [bytes], post("v6"));
      assert.equal(answer.status, 200, answer.body);
      assert.deepEqual(
        kinesis.envelopes().map((e) => e.client),
        ["2001:db8::7"],
      );
    });

    it("reads a header split across several TCP writes", async () => {
      const kinesis = new FakeKinesis();
      const receiver = await start(kinesis);
      const bytes = header({ source: { address: "198.51.100.23", port: 1 }, tlvs: AWS_TLVS });
      const pieces = [0, 1, 12, 13, 16, 20, 30].map((from, i, cuts) => bytes.subarray(from, cuts[i + 1]));
      const answer = await exchange(portOf(receiver), pieces, post("split"));
      assert.equal(answer.status, 200, answer.body);
      assert.deepEqual(
        kinesis.envelopes().map((e) => e.client),
        ["198.51.100.23"],
      );
    });

    it("reads the header before the TLS handshake of an HTTPS receiver", async () => {
      const pems = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
        keyType: "ec",
        curve: "P-256",
        algorithm: "sha256",
        extensions: [{ name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }] }],
      });
      const kinesis = new FakeKinesis();
      const receiver = await start(kinesis, { tls: { cert: pems.cert, key: pems.private } });
      const bytes = header({ source: { address: "2001:db8::beef", port: 1 } });
      const answer = await exchange(portOf(receiver), [bytes], post("over tls"), pems.cert);
      assert.equal(answer.status, 200, answer.body);
      assert.deepEqual(
        kinesis.envelopes().map((e) => [e.client, e.message]),
        [["2001:db8::beef", "over tls"]],
      );
    });

    it("serves loopback peers without a header (container health check, metrics sidecar)", async () => {
      const kinesis = new FakeKinesis();
      const receiver = await start(kinesis);
      const health = await request(receiver.url, { method: "GET", path: "/healthz" });
      assert.equal(health.status, 200);
      const metrics = await request(receiver.url, { method: "GET", path: "/metrics" });
      assert.equal(metrics.status, 200);
      const stored = await request(receiver.url, { headers: auth(), body: "direct" });
      assert.equal(stored.status, 200);
      assert.deepEqual(
        kinesis.envelopes().map((e) => e.client),
        ["127.0.0.1"],
      );
    });

    it("uses the socket's own address for a LOCAL header (the NLB's health checks)", async () => {
      const kinesis = new FakeKinesis();
      const receiver = await start(kinesis);
      const health = await exchange(portOf(receiver), [header({ command: LOCAL })], get("/healthz"));
      assert.equal(health.status, 200);
      const stored = await exchange(portOf(receiver), [header({ command: LOCAL })], post("local"));
      assert.equal(stored.status, 200);
      assert.deepEqual(
        kinesis.envelopes().map((e) => e.client),
        ["127.0.0.1"],
      );
    });

    it("closes a connection with a garbage header without answering, and counts it", async () => {
      const kinesis = new FakeKinesis();
      const receiver = await start(kinesis);
      const answer = await exchange(
        portOf(receiver),
        [header({ source: { address: "203.0.113.7", port: 1 }, version: 0xf })],
        post("never"),
      );
      assert.deepEqual(answer, { status: undefined, body: "" });
      assert.equal(kinesis.envelopes().length, 0);
      const metrics = await request(receiver.url, { method: "GET", path: "/metrics" });
      assert.match(metrics.text, /log_receiver_rejects_total\{reason="proxy_header_invalid"\} 1/);
    });

    it("keeps the client for every request of a keep-alive connection, and close() still drains it", async () => {
      const kinesis = new FakeKinesis();
      // Long limits: only close() can end these connections promptly.
      const receiver = await start(kinesis, {
        timeouts: { headersMs: 600_000, keepAliveMs: 600_000, drainMs: 600_000 },
      });
      const connect = async (): Promise<net.Socket> => {
        const socket = net.connect(portOf(receiver), "127.0.0.1");
        socket.on("error", () => undefined);
        await once(socket, "connect");
        return socket;
      };
      const socket = await connect();
      // Sends half a header and waits: not yet the HTTP server's connection.
      const silent = await connect();
      silent.write(header({ source: { address: "203.0.113.8", port: 1 } }).subarray(0, 14));
      let received = "";
      socket.setEncoding("latin1");
      socket.on("data", (text: string) => (received += text));
      const answered = async (count: number): Promise<void> => {
        while ((received.match(/"accepted":1/g) ?? []).length < count) await once(socket, "data");
      };
      socket.write(
        Buffer.concat([
          header({ source: { address: "203.0.113.7", port: 1 } }),
          Buffer.from(post("one", true)),
        ]),
      );
      await answered(1);
      socket.write(post("two", true));
      await answered(2);
      await Promise.all([receiver.close(), once(socket, "close"), once(silent, "close")]);
      assert.deepEqual(
        kinesis.envelopes().map((e) => [e.client, e.message]),
        [
          ["203.0.113.7", "one"],
          ["203.0.113.7", "two"],
        ],
      );
    });

    it("is off by default: a header is then just a bad request", async () => {
      const kinesis = new FakeKinesis();
      const receiver = await start(kinesis, { proxyProtocol: false });
      const answer = await exchange(
        portOf(receiver),
        [header({ source: { address: "203.0.113.7", port: 1 } })],
        post("x"),
      );
      assert.equal(answer.status, 400);
      assert.equal(kinesis.envelopes().length, 0);
    });
  });
});

function get(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: receiver\r\nConnection: close\r\n\r\n`;
}

function post(body: string, keepAlive = false): string {
  const headers = Object.entries(auth())
    .map(([name, value]) => `${name}: ${String(value)}\r\n`)
    .join("");
  return (
    `POST /v1/logs HTTP/1.1\r\nHost: receiver\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `${keepAlive ? "" : "Connection: close\r\n"}\r\n${body}`
  );
}

/**
 * Opens a TCP connection to 127.0.0.1:`port`, writes `header` piece by piece
 * (pausing between pieces so they arrive as separate reads), then the HTTP
 * request: in the same write as the last piece, or after a TLS handshake over
 * the same connection when `ca` is given. Resolves once the server closes.
 */
async function exchange(
  port: number,
  header: readonly Uint8Array[],
  httpRequest: string,
  ca?: string,
): Promise<{ status: number | undefined; body: string }> {
  const raw = net.connect(port, "127.0.0.1");
  raw.setNoDelay(true);
  raw.on("error", () => undefined);
  await once(raw, "connect");
  const pieces = header.map((piece) => Buffer.from(piece));
  if (ca === undefined)
    pieces.push(Buffer.concat([pieces.pop() ?? Buffer.alloc(0), Buffer.from(httpRequest)]));
  for (const [i, piece] of pieces.entries()) {
    await new Promise<void>((resolve) => raw.write(piece, () => resolve()));
    if (i < pieces.length - 1) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  let socket: net.Socket = raw;
  if (ca !== undefined) {
    socket = tls.connect({ socket: raw, ca, servername: "localhost" });
    await once(socket, "secureConnect");
    socket.write(httpRequest);
  }
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", () => undefined);
  if (!socket.closed) await once(socket, "close");
  const text = Buffer.concat(chunks).toString("utf8");
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
  return { status: status === undefined ? undefined : Number(status), body: text.split("\r\n\r\n")[1] ?? "" };
}
