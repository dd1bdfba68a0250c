/**
 * Where documents go when no OpenSearch domain is configured (local runs,
 * stacks with OpenSearch off): each `_bulk` body's documents are written to
 * the archive bucket under `<prefix><index>/<name>.ndjson`, one
 * `{"_id":…,"_op":…,"_source":…}` line per document, and the sink answers as
 * OpenSearch would (every item stored). The name is a hash of what was written
 * for that index, so the same body sent again (a retried batch) rewrites the
 * same object: the preview is exactly-once like the real index.
 */
import { createHash } from "node:crypto";
import type { BulkResponse, BulkSink } from "../../../lib/opensearch/bulk";
import { normalizePrefix } from "../../../lib/s3-keys";
import type { ObjectWriter } from "./s3";
import { putObject } from "./s3";

interface ActionLine {
  readonly [op: string]: { readonly _index: string; readonly _id: string };
}

/**
 * A {@link BulkSink} that writes documents to S3 instead of indexing them.
 *
 * @param onWrite called with each key written (the local runner prints where documents land).
 */
export function previewBulkSink(
  writer: ObjectWriter,
  bucket: string,
  prefix: string,
  onWrite?: (key: string, documents: number) => void,
): BulkSink {
  const root = normalizePrefix(prefix);
  return {
    async bulk(body: Buffer): Promise<BulkResponse> {
      const lines = body.toString("utf8").split("\n");
      const byIndex = new Map<string, string[]>();
      const items: object[] = [];
      for (let i = 0; i + 1 < lines.length; i += 2) {
        const action = JSON.parse(lines[i] as string) as ActionLine;
        const op = Object.keys(action)[0] as string;
        const { _index, _id } = action[op] as { _index: string; _id: string };
        const out = byIndex.get(_index) ?? [];
        byIndex.set(_index, out);
        out.push(`{"_id":${JSON.stringify(_id)},"_op":"${op}","_source":${lines[i + 1] as string}}`);
        items.push({ [op]: { _index, _id, status: 201, result: "created" } });
      }
      for (const [index, documents] of byIndex) {
        const text = `${documents.join("\n")}\n`;
        const name = createHash("sha256").update(text).digest("hex").slice(0, 24);
        const key = `${root}${index}/${name}.ndjson`;
        await putObject(writer, bucket, key, text, "application/x-ndjson");
        onWrite?.(key, documents.length);
      }
      return { statusCode: 200, body: JSON.stringify({ took: 0, errors: false, items }) };
    },
  };
}
