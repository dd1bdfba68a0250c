/**
 * PROXY protocol v2 (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt)
 * in front of the receiver's HTTP(S) server.
 *
 * Behind the AWS Network Load Balancer the TCP peer of a task is the NLB, not
 * the client: with an `ip` target group, client IP preservation keeps IPv4
 * clients' addresses but shows IPv6 clients as the NLB's own address. With
 * `proxy_protocol_v2.enabled` the NLB instead prefixes every connection it
 * opens to a target (its health checks included, which carry no addresses)
 * with a binary header naming the client, for IPv4 and IPv6 alike.
 *
 * Trust: anyone who can open a TCP connection to the task could write such a
 * header and claim any address. The address is believed only because the task
 * security group admits port 8080 from the NLB's security group alone
 * (components/log-receiver-cluster), and because a connection from anywhere
 * else than loopback without a header is closed. The NLB does not strip a
 * header a client sends itself; it puts its own first, and only the first one
 * is read here (a second one reaches the HTTP parser and fails as a bad request).
 */
import net from "node:net";
import { clientAddress } from "./envelope";

/** The 12 bytes every v2 header starts with: `\r\n\r\n\0\r\nQUIT\n`. */
const SIGNATURE = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
/** Signature, version/command, family/protocol, 16-bit length of what follows. */
const FIXED_BYTES = 16;

/**
 * Largest header accepted: the fixed 16 bytes plus 4 KiB of addresses and
 * TLVs. The format allows 64 KiB; the NLB's headers are far smaller (addresses
 * and, through PrivateLink, a VPC endpoint id TLV), so the cap only bounds
 * what one connection can make the receiver buffer.
 */
export const MAX_PROXY_HEADER_BYTES = FIXED_BYTES + 4096;

/** The original client as the proxy saw it. */
export interface ProxySource {
  /** As Node shows a socket's remoteAddress, IPv4-mapped IPv6 as plain IPv4: `203.0.113.7`, `2001:db8::1`. */
  readonly address: string;
  readonly port: number;
}

/** What the first bytes of a connection say. */
export type ProxyHeaderResult =
  /** Every byte so far is a valid start of a header: read more. */
  | { readonly kind: "incomplete" }
  /** The bytes do not start with the v2 signature: no header (or PROXY protocol v1, which is not accepted). */
  | { readonly kind: "no-signature" }
  /** A v2 signature followed by something this receiver must not accept. */
  | { readonly kind: "invalid"; readonly reason: string }
  /**
   * A complete header of `headerLength` bytes. `source` is absent when the
   * header names no client (command LOCAL, as in the NLB's health checks, or
   * family UNSPEC): the connection's own peer address applies.
   */
  | { readonly kind: "parsed"; readonly headerLength: number; readonly source?: ProxySource };

const INCOMPLETE: ProxyHeaderResult = { kind: "incomplete" };
const NO_SIGNATURE: ProxyHeaderResult = { kind: "no-signature" };

const COMMAND_LOCAL = 0x0;
const COMMAND_PROXY = 0x1;
const FAMILY_UNSPEC = 0x0;
const FAMILY_INET = 0x1;
const FAMILY_INET6 = 0x2;
const FAMILY_UNIX = 0x3;
const PROTOCOL_STREAM = 0x1;
/** Source address, destination address, source port, destination port. */
const INET_ADDRESS_BYTES = 4 + 4 + 2 + 2;
const INET6_ADDRESS_BYTES = 16 + 16 + 2 + 2;

/**
 * Parses a PROXY protocol v2 header at the start of `bytes` (which may hold
 * more: the application data that follows). Pure; never throws. Everything
 * but the addresses (destination, TLVs) is skipped. A header longer than
 * `maxHeaderBytes` is invalid as soon as its length field arrives.
 */
export function parseProxyHeader(
  bytes: Uint8Array,
  maxHeaderBytes: number = MAX_PROXY_HEADER_BYTES,
): ProxyHeaderResult {
  const signatureBytes = Math.min(bytes.length, SIGNATURE.length);
  for (let i = 0; i < signatureBytes; i++) {
    if (bytes[i] !== SIGNATURE[i]) return NO_SIGNATURE;
  }
  if (bytes.length < FIXED_BYTES) return INCOMPLETE;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(12) >> 4;
  const command = view.getUint8(12) & 0x0f;
  const family = view.getUint8(13) >> 4;
  const protocol = view.getUint8(13) & 0x0f;
  const length = view.getUint16(14);
  const headerLength = FIXED_BYTES + length;
  if (version !== 2) return invalid(`unsupported PROXY protocol version ${version} (only 2)`);
  if (command !== COMMAND_LOCAL && command !== COMMAND_PROXY) return invalid(`unknown command ${command}`);
  if (headerLength > maxHeaderBytes) {
    return invalid(`header of ${headerLength} bytes is over the ${maxHeaderBytes}-byte limit`);
  }
  // LOCAL: the proxy's own connection (health checks); the address block, whatever its family, is ignored.
  if (command === COMMAND_LOCAL || family === FAMILY_UNSPEC) {
    return bytes.length < headerLength ? INCOMPLETE : { kind: "parsed", headerLength };
  }
  if (family === FAMILY_UNIX) return invalid("AF_UNIX addresses are not supported");
  if (family !== FAMILY_INET && family !== FAMILY_INET6) return invalid(`unknown address family ${family}`);
  if (protocol !== PROTOCOL_STREAM)
    return invalid(`unsupported transport protocol ${protocol} (only STREAM)`);
  const addressBytes = family === FAMILY_INET ? INET_ADDRESS_BYTES : INET6_ADDRESS_BYTES;
  if (length < addressBytes) {
    return invalid(`address block of ${length} bytes is shorter than the ${addressBytes} its family needs`);
  }
  if (bytes.length < headerLength) return INCOMPLETE;
  const source =
    family === FAMILY_INET
      ? { address: formatIpv4(view, FIXED_BYTES), port: view.getUint16(FIXED_BYTES + 8) }
      : { address: formatIpv6(view, FIXED_BYTES), port: view.getUint16(FIXED_BYTES + 32) };
  return { kind: "parsed", headerLength, source };
}

function invalid(reason: string): ProxyHeaderResult {
  return { kind: "invalid", reason };
}

function formatIpv4(view: DataView, offset: number): string {
  return [0, 1, 2, 3].map((i) => view.getUint8(offset + i)).join(".");
}

/**
 * Formats through Node's own SocketAddress (libuv's inet_ntop, the same code
 * that produces `socket.remoteAddress`), so `2001:db8::1` and `::ffff:…`
 * come out exactly as for a direct connection; clientAddress then shows
 * IPv4-mapped addresses as plain IPv4, as it does for sockets.
 */
function formatIpv6(view: DataView, offset: number): string {
  const groups = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => view.getUint16(offset + 2 * i).toString(16));
  return clientAddress(new net.SocketAddress({ address: groups.join(":"), family: "ipv6" }).address);
}

/** Why a connection was closed before reaching the HTTP server. */
export type ProxyRejectReason =
  /** No header from a peer that must send one (it did not come through the NLB). */
  | "missing"
  /** A v2 signature followed by an unacceptable header. */
  | "invalid"
  /** The header did not arrive in time. */
  | "timeout";

/** What {@link connectionVerdict} decides once the first bytes settle the question. */
export type ConnectionVerdict =
  | {
      readonly accept: true;
      /** Bytes to drop before the application data (0 without a header). */
      readonly headerLength: number;
      /** The client named by the header, when it names one. */
      readonly client?: string;
    }
  | { readonly accept: false; readonly reason: ProxyRejectReason; readonly detail: string };

/**
 * The policy, as a pure function: a valid header is accepted (its source, if
 * any, is the client); an invalid one is refused; no header at all is
 * accepted only from a peer trusted to connect directly (loopback: the
 * container health check and the metrics sidecar).
 */
export function connectionVerdict(
  result: Exclude<ProxyHeaderResult, { kind: "incomplete" }>,
  trustedWithoutHeader: boolean,
): ConnectionVerdict {
  switch (result.kind) {
    case "parsed":
      return result.source === undefined
        ? { accept: true, headerLength: result.headerLength }
        : { accept: true, headerLength: result.headerLength, client: result.source.address };
    case "invalid":
      return { accept: false, reason: "invalid", detail: result.reason };
    case "no-signature":
      return trustedWithoutHeader
        ? { accept: true, headerLength: 0 }
        : { accept: false, reason: "missing", detail: "no PROXY protocol v2 header" };
  }
}

/** True for 127.0.0.0/8 and ::1, also when IPv4 arrives mapped into IPv6. */
export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address === "::1" || /^(::ffff:)?127\./.test(address));
}

/** A connection closed for want of a valid header; carries no payload bytes. */
export interface ProxyRejection {
  readonly reason: ProxyRejectReason;
  readonly detail: string;
  /** The TCP peer (the NLB, or whoever reached the task directly). */
  readonly remoteAddress: string | undefined;
}

/** How {@link acceptProxyProtocol} reads headers. */
export interface ProxyProtocolOptions {
  /** Time for the whole header to arrive, from accept; then the connection is closed. */
  readonly headerTimeoutMs: number;
  /** Default {@link MAX_PROXY_HEADER_BYTES}. */
  readonly maxHeaderBytes?: number;
  /** Peers that may connect without a header. Default {@link isLoopback}. */
  readonly trustedWithoutHeader?: (remoteAddress: string | undefined) => boolean;
  /** Called once per rejected connection (to count and log it), just before it is closed. */
  readonly onReject?: (rejection: ProxyRejection) => void;
}

/** What {@link acceptProxyProtocol} leaves to the server's owner. */
export interface ProxyProtocolFront {
  /**
   * Closes the connections still waiting for their header. They have no
   * request in flight, so a graceful shutdown ends them along with
   * closeIdleConnections() instead of letting server.close() wait for their
   * header timeout.
   */
  closePending(): void;
}

/** Client address per raw TCP socket that brought a header naming one. */
const proxiedClients = new WeakMap<net.Socket, string>();

/**
 * The client address a PROXY header gave for this connection, or undefined
 * (no header, or one naming no client): then the socket's own remoteAddress
 * applies. Accepts the request socket of an HTTPS server too: that is a
 * TLSSocket whose `_parent` is the raw socket the header came on.
 */
export function proxiedClientAddress(socket: net.Socket): string | undefined {
  const raw = proxiedClients.get(socket);
  if (raw !== undefined) return raw;
  const parent = (socket as { _parent?: unknown })._parent;
  return typeof parent === "object" && parent !== null ? proxiedClients.get(parent as net.Socket) : undefined;
}

/**
 * Makes `server` (an http.Server or https.Server, before it listens) read a
 * PROXY protocol v2 header from every connection it accepts before its own
 * connection handling sees it; for HTTPS the header precedes the TLS handshake.
 *
 * The server keeps listening itself, so Node's connection tracking stays
 * intact: headersTimeout/requestTimeout checks and closeIdleConnections /
 * closeAllConnections are only set up by a server's own 'listening' event,
 * which a server fed by `emit("connection")` from a separate front never gets.
 * The server's 'connection' listeners (the HTTP parser, or the TLS wrapper)
 * are moved behind the header reader; listeners added later bypass it.
 * A connection still reading its header is not one of the HTTP server's yet:
 * server.close() waits for it, closeIdleConnections() does not see it; see
 * {@link ProxyProtocolFront.closePending}.
 */
export function acceptProxyProtocol(server: net.Server, options: ProxyProtocolOptions): ProxyProtocolFront {
  const handlers = server.listeners("connection");
  if (handlers.length === 0) throw new Error("acceptProxyProtocol: the server has no connection handler");
  const pending = new Set<net.Socket>();
  server.removeAllListeners("connection");
  server.on("connection", (socket: net.Socket) => {
    readHeader(socket, options, pending, () => {
      for (const handler of handlers) Reflect.apply(handler, server, [socket]);
    });
  });
  return {
    closePending() {
      for (const socket of pending) socket.destroy();
    },
  };
}

/**
 * Reads from `socket` until its first bytes settle the verdict, then either
 * closes it or puts back what followed the header and calls `handOver`
 * (synchronously, so nothing else reads in between). Reading in paused mode
 * ('readable' + read()) leaves the socket for the next owner to start flowing.
 */
function readHeader(
  socket: net.Socket,
  options: ProxyProtocolOptions,
  pending: Set<net.Socket>,
  handOver: () => void,
): void {
  const maxHeaderBytes = options.maxHeaderBytes ?? MAX_PROXY_HEADER_BYTES;
  const trusted = (options.trustedWithoutHeader ?? isLoopback)(socket.remoteAddress);
  let received: Buffer = Buffer.alloc(0);

  const stopReading = (): void => {
    pending.delete(socket);
    clearTimeout(timer);
    socket.off("readable", onReadable);
    socket.off("end", abandon);
    socket.off("error", abandon);
    socket.off("close", abandon);
  };
  const reject = (reason: ProxyRejectReason, detail: string): void => {
    stopReading();
    options.onReject?.({ reason, detail, remoteAddress: socket.remoteAddress });
    socket.destroy();
  };
  // The peer left (or failed) before sending a whole header: nothing to serve, nothing to report.
  const abandon = (): void => {
    stopReading();
    socket.destroy();
  };
  const onReadable = (): void => {
    for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const result = parseProxyHeader(received, maxHeaderBytes);
      if (result.kind === "incomplete") continue;
      const verdict = connectionVerdict(result, trusted);
      if (!verdict.accept) {
        reject(verdict.reason, verdict.detail);
        return;
      }
      stopReading();
      if (verdict.client !== undefined) proxiedClients.set(socket, verdict.client);
      if (received.length > verdict.headerLength) socket.unshift(received.subarray(verdict.headerLength));
      handOver();
      return;
    }
  };
  const timer = setTimeout(
    () => reject("timeout", `no complete PROXY protocol header within ${options.headerTimeoutMs} ms`),
    options.headerTimeoutMs,
  );
  timer.unref();
  pending.add(socket);
  socket.on("readable", onReadable);
  socket.on("end", abandon);
  socket.on("error", abandon);
  socket.on("close", abandon);
}
