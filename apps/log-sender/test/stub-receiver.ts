import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";

/** How the stub answers one request (default: 200 and the lines are kept). */
export interface StubAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** A minimal receiver: gunzips batches and keeps their lines per Idempotency-Key (like line ids would). */
export interface StubReceiver {
  readonly url: string;
  /** Lines of every accepted batch, by batch id. */
  readonly batches: Map<string, string[]>;
  /** Every request seen: its batch id and how many lines it carried. */
  readonly requests: { id: string; lines: number; authorization: string }[];
  /** All accepted lines, batches in acceptance order. */
  lines(): string[];
  close(): Promise<void>;
}

/** Starts the stub on 127.0.0.1 port 0; `answer` may override the reply per request (n counts from 0). */
export async function startStubReceiver(
  answer: (n: number, lines: string[]) => StubAnswer | undefined = () => undefined,
  port = 0,
): Promise<StubReceiver> {
  const batches = new Map<string, string[]>();
  const requests: StubReceiver["requests"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = zlib.gunzipSync(Buffer.concat(chunks)).toString("utf8");
      const lines = text.split("\n").filter((l) => l !== "");
      const id = String(req.headers["idempotency-key"]);
      const n = requests.length;
      requests.push({ id, lines: lines.length, authorization: String(req.headers.authorization) });
      const reply = answer(n, lines) ?? { status: 200 };
      if (reply.status === 200) batches.set(id, lines);
      res.writeHead(reply.status, { "Content-Type": "application/json", ...reply.headers });
      res.end(
        reply.body ??
          JSON.stringify(
            reply.status === 200
              ? { accepted: lines.length }
              : { error: "x", message: `stub ${reply.status}` },
          ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches,
    requests,
    lines: () => [...batches.values()].flat(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
