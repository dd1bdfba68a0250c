/**
 * A minimal OpenSearch client: SigV4-signed HTTP(S) requests over node:http(s)
 * with keep-alive. The apps need a handful of endpoints (bulk, templates, ISM,
 * the security API), which does not justify the full client library.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Checksum,
  SourceData,
} from "@smithy/types";
import type { Hash, Hmac } from "node:crypto";
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";

/** An HTTP answer from OpenSearch. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly body: string;
}

/** Signed requests to the OpenSearch endpoint (paths start with `/`). */
export interface OpenSearchTransport {
  /** `body`: text is sent as UTF-8; a Buffer (a `_bulk` body built in place) is sent as it is. */
  request(method: "GET" | "PUT" | "POST", path: string, body?: string | Buffer): Promise<HttpResponse>;
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 / HMAC-SHA-256 over node:crypto, in the shape the SigV4 signer expects. */
export class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(this.secret));
  }

  update(chunk: SourceData): void {
    this.hash.update(toBuffer(chunk));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  reset(): void {
    this.hash = this.create();
  }
}

/** Connection settings of {@link createOpenSearchTransport}. */
export interface OpenSearchOptions {
  /** Base URL, e.g. `https://search-logs-abc.us-east-1.es.amazonaws.com` (`http:` for local endpoints). */
  readonly endpoint: string;
  /** Signing region. */
  readonly region: string;
  /** Signing service: `es` for OpenSearch Service domains (default), `aoss` for Serverless. */
  readonly service?: string;
  /** Credentials for SigV4, e.g. the S3 client's provider chain. */
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Per-request timeout in ms (default 60 000). */
  readonly timeoutMs?: number;
}

/** A transport that can also release its keep-alive sockets. */
export interface ClosableTransport extends OpenSearchTransport {
  /** Closes idle keep-alive connections (tests; Lambda just freezes). */
  close(): void;
}

/**
 * Creates a SigV4-signing transport to an OpenSearch endpoint.
 *
 * @throws Error when the endpoint is not an http(s) URL.
 */
export function createOpenSearchTransport(options: OpenSearchOptions): ClosableTransport {
  const base = new URL(options.endpoint);
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw new Error(`OpenSearch endpoint must be an http(s) URL: ${options.endpoint}`);
  }
  const secure = base.protocol === "https:";
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const port = base.port === "" ? undefined : Number(base.port);
  const basePath = base.pathname.replace(/\/$/, "");
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: options.service ?? "es",
    sha256: NodeSha256,
  });
  const timeoutMs = options.timeoutMs ?? 60_000;

  async function request(
    method: string,
    pathAndQuery: string,
    body?: string | Buffer,
  ): Promise<HttpResponse> {
    const [path = "", search = ""] = pathAndQuery.split("?", 2);
    const query: Record<string, string> = Object.fromEntries(new URLSearchParams(search));
    const payload = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const headers: Record<string, string> = { host: base.host };
    if (payload !== undefined) {
      headers["content-type"] = path.endsWith("/_bulk") ? "application/x-ndjson" : "application/json";
      headers["content-length"] = String(payload.length);
    }
    const signed = await signer.sign({
      method,
      protocol: base.protocol,
      hostname: base.hostname,
      ...(port === undefined ? {} : { port }),
      path: basePath + path,
      query,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
    });
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = (secure ? https : http).request(
        {
          method,
          hostname: base.hostname,
          port,
          path: basePath + pathAndQuery,
          headers: signed.headers,
          agent,
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () =>
            resolve({ statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  return { request, close: () => agent.destroy() };
}
