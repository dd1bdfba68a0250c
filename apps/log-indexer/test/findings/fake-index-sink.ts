/**
 * An in-memory `_bulk` endpoint with `index` (overwrite) semantics, as the
 * findings handler writes, with per-index and per-id faults. (The CloudTrail
 * fake, apps/cloudtrail-indexer/test/fake-opensearch.ts, answers `create` only.)
 */
import type { BulkResponse, BulkSink } from "../../../lib/opensearch/bulk";

/** Faults; each applies to every attempt. */
export interface IndexFaults {
  /** Indices whose writes are blocked: items answered 403 `cluster_block_exception` (refused). */
  readonly blockedIndices?: Set<string>;
  /** Document ids answered 400 `mapper_parsing_exception` (rejected: a document error). */
  readonly rejectIds?: Set<string>;
  /** Answer every item 429 (throttling that outlasts the retries). */
  throttleAll?: boolean;
}

interface Target {
  readonly _index: string;
  readonly _id: string;
  readonly version?: number;
  readonly version_type?: string;
}

/** The fake; its state is public for assertions. */
export class FakeIndexSink implements BulkSink {
  /** Stored documents by `<index>/<id>`. */
  readonly docs = new Map<string, Record<string, unknown>>();
  /** Writes per `<index>/<id>` (an overwrite counts again). */
  readonly writes = new Map<string, number>();
  /** Every action line, parsed, in order. */
  readonly actions: Record<string, Target>[] = [];
  /** External versions by `<index>/<id>`. */
  readonly versions = new Map<string, number>();
  requests = 0;

  constructor(public faults: IndexFaults = {}) {}

  bulk(sent: Buffer): Promise<BulkResponse> {
    const body = sent.toString("utf8");
    this.requests++;
    const lines = body.split("\n");
    if (lines.pop() !== "") throw new Error("bulk body must end with a newline");
    const items: unknown[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i += 2) {
      const action = JSON.parse(lines[i] ?? "") as Record<string, Target>;
      this.actions.push(action);
      const [op, target] = Object.entries(action)[0] ?? [];
      if (op === undefined || target === undefined) throw new Error(`line ${i + 1}: no action`);
      const { _index, _id } = target;
      const answer = this.one(op, target, lines[i + 1] ?? "");
      if (answer.status >= 300) errors = true;
      items.push({ [op]: { _index, _id, ...answer } });
    }
    return Promise.resolve({ statusCode: 200, body: JSON.stringify({ took: 1, errors, items }) });
  }

  private one(
    op: string,
    target: Target,
    line: string,
  ): { status: number; result?: string; error?: unknown } {
    const { _index: index, _id: id } = target;
    if (this.faults.throttleAll === true) {
      return {
        status: 429,
        error: { type: "es_rejected_execution_exception", reason: "rejected execution" },
      };
    }
    if (this.faults.blockedIndices?.has(index) === true) {
      return {
        status: 403,
        error: {
          type: "cluster_block_exception",
          reason: `index [${index}] blocked by: [FORBIDDEN/8/index write (api)];`,
        },
      };
    }
    if (this.faults.rejectIds?.has(id) === true) {
      return {
        status: 400,
        error: {
          type: "mapper_parsing_exception",
          reason: "failed to parse field [created_at] of type [date]",
        },
      };
    }
    const key = `${index}/${id}`;
    if (op === "create" && this.docs.has(key)) {
      return {
        status: 409,
        error: { type: "version_conflict_engine_exception", reason: "document already exists" },
      };
    }
    if (target.version_type === "external_gte" && target.version !== undefined) {
      const stored = this.versions.get(key);
      if (stored !== undefined && target.version < stored) {
        return {
          status: 409,
          error: {
            type: "version_conflict_engine_exception",
            reason: `current version [${stored}] is higher than the one provided [${target.version}]`,
          },
        };
      }
      this.versions.set(key, target.version);
    }
    const existed = this.docs.has(key);
    this.docs.set(key, JSON.parse(line) as Record<string, unknown>);
    this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
    return existed ? { status: 200, result: "updated" } : { status: 201, result: "created" };
  }
}
