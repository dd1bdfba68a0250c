/** An in-memory {@link ObjectWriter}: every PutObject kept by key (a rewrite replaces), with an injectable failure. */
import type { PutObjectCommand } from "@aws-sdk/client-s3";
import { gunzipSync } from "node:zlib";
import type { ObjectWriter } from "../../src/common/s3";

/** A fake S3 writer for the handler tests. */
export class FakeWriter implements ObjectWriter {
  readonly objects = new Map<string, Buffer>();
  /** Number of PutObject calls (rewrites included). */
  puts = 0;
  /** When set, every call fails with it. */
  failWith: Error | undefined;

  send(command: PutObjectCommand): Promise<unknown> {
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    this.puts++;
    const { Key, Body } = command.input;
    if (!Buffer.isBuffer(Body) && typeof Body !== "string")
      throw new Error("FakeWriter takes Buffer or string bodies");
    this.objects.set(String(Key), Buffer.isBuffer(Body) ? Body : Buffer.from(Body, "utf8"));
    return Promise.resolve({});
  }

  /** The JSON lines of the object at `key` (gunzipped when its name ends in `.gz`). */
  lines(key: string): unknown[] {
    const body = this.objects.get(key);
    if (body === undefined) throw new Error(`no object ${key}; have ${[...this.objects.keys()].join(", ")}`);
    const text = (key.endsWith(".gz") ? gunzipSync(body) : body).toString("utf8");
    return text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as unknown);
  }
}
