/**
 * An in-memory stand-in for the OpenSearch endpoints the indexers use
 * (`_bulk` with `create` and `index` actions, `_index_template`, ISM
 * policies), with injectable faults. Usable directly as a BulkSink or behind a
 * loopback HTTP server (there is no local OpenSearch here).
 *
 * As in OpenSearch, an `_id` is unique within its index: `create` of an
 * existing (index, id) answers 409, `index` overwrites it (200, or 201 when it
 * is new). Every successful write is counted per (index, id) in `writes`, so
 * end-to-end tests can assert exactly-once per document.
 */
import type { AddressInfo } from "node:net";
import http from "node:http";
import type { HttpResponse } from "../src/bootstrap";
import type { BulkResponse, BulkSink } from "../src/bulk";

/**
 * A fault of a whole bulk request: an HTTP status for the request (401
 * unauthenticated, 403 denied by the access policy, 404 no such path, 503
 * unavailable), or every item answered with an index-level error: a write
 * block (403 `cluster_block_exception`), the flood-stage disk watermark's
 * read-only-allow-delete block (429 `cluster_block_exception`), or a missing
 * index with auto-creation off (404 `index_not_found_exception`).
 */
export type RequestFault = 401 | 403 | 404 | 503 | "write-block" | "flood-stage" | "index-missing";

const ITEM_FAULTS = {
  "write-block": {
    status: 403,
    error: {
      type: "cluster_block_exception",
      reason: "index [cloudtrail] blocked by: [FORBIDDEN/8/index write (api)];",
    },
  },
  "flood-stage": {
    status: 429,
    error: {
      type: "cluster_block_exception",
      reason:
        "index [cloudtrail] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];",
    },
  },
  "index-missing": {
    status: 404,
    error: {
      type: "index_not_found_exception",
      reason: "no such index [cloudtrail] and [action.auto_create_index] is [false]",
    },
  },
} as const;

const REQUEST_FAULTS = {
  401: { message: "Authentication required" },
  403: { Message: "User: anonymous is not authorized to perform: es:ESHttpPost" },
  404: { error: { type: "resource_not_found_exception", reason: "no such path" }, status: 404 },
  503: { error: "unavailable" },
} as const;

/** Faults, each keyed by eventID unless said otherwise. */
export interface Faults {
  /** Answer 429 for an event's first N attempts (not stored). */
  readonly throttle?: Map<string, number>;
  /** Store the event but answer 429 once: a lost acknowledgement, so the retry meets 409. */
  readonly lostAck?: Set<string>;
  /** Answer 400 mapper_parsing_exception. */
  readonly reject?: Set<string>;
  /** Answer 413 to the next `times` bulk requests whose body exceeds `overBytes`. */
  tooLarge?: { readonly overBytes: number; times: number };
  /** Answer the next N bulk requests with 503 for the whole request. */
  unavailable?: number;
  /** Answer the next bulk requests with these faults, one each, in order (consumed). */
  requests?: RequestFault[];
  /** Answer every bulk request with this fault until cleared: an outage, a block that stays. */
  outage?: RequestFault;
}

/** A stored document. */
export interface StoredDoc {
  readonly index: string;
  readonly source: Record<string, unknown>;
}

/** The bulk actions the fake accepts. */
type BulkAction = "create" | "index";

/** Key of a document in {@link FakeOpenSearch.documents} and {@link FakeOpenSearch.writes}. */
export function docKey(index: string, id: string): string {
  // Index names cannot contain "/", so the key is unambiguous.
  return `${index}/${id}`;
}

/** One parsed action line. */
interface ActionTarget {
  readonly op: BulkAction;
  readonly index?: string;
  readonly id?: string;
  /** `version` with `version_type: external_gte` (an `index` whose caller orders the writes). */
  readonly externalVersion?: number;
}

/** The action name and target of one action line, or undefined when it is neither `create` nor `index`. */
function readAction(line: string): ActionTarget | undefined {
  const action = JSON.parse(line) as Partial<
    Record<BulkAction, { _index?: string; _id?: string; version?: number; version_type?: string }>
  >;
  for (const op of ["create", "index"] as const) {
    const target = action[op];
    if (target === undefined) continue;
    const external =
      target.version_type === "external_gte" && typeof target.version === "number"
        ? target.version
        : undefined;
    return {
      op,
      index: target._index,
      id: target._id,
      ...(external === undefined ? {} : { externalVersion: external }),
    };
  }
  return undefined;
}

const json = (statusCode: number, value: unknown): HttpResponse => ({
  statusCode,
  body: JSON.stringify(value),
});

/** The fake; all state is public for assertions. */
export class FakeOpenSearch {
  /** Documents by `_id` (the last written, whatever its index: for indexers whose ids are unique across indices). */
  readonly docs = new Map<string, StoredDoc>();
  /** Documents by {@link docKey}(index, id). */
  readonly documents = new Map<string, StoredDoc>();
  /** Successful creations per `_id` (1 = indexed exactly once). */
  readonly created = new Map<string, number>();
  /** Successful writes (creations and overwrites) per {@link docKey}(index, id). */
  readonly writes = new Map<string, number>();
  /** Count of bulk items per action. */
  readonly actions = new Map<BulkAction, number>();
  /** Count of item answers per status. */
  readonly itemStatuses = new Map<number, number>();
  /** Status of every bulk request, in order. */
  readonly requestStatuses: number[] = [];
  /** Bodies (bytes) of every bulk request, in order. */
  readonly requestSizes: number[] = [];
  readonly templates = new Map<string, unknown>();
  readonly policies = new Map<string, { policy: unknown; seqNo: number }>();
  /** Bodies of `PUT /<indices>/_settings`, by index expression. */
  readonly settingsUpdates: { readonly indices: string; readonly body: unknown }[] = [];
  /** Every request seen by {@link handle}: `METHOD path`. */
  readonly log: string[] = [];
  private readonly attempts = new Map<string, number>();
  /** External versions of documents written with `version_type: external_gte`, by {@link docKey}. */
  private readonly externalVersions = new Map<string, number>();

  constructor(public faults: Faults = {}) {}

  private count(status: number): void {
    this.itemStatuses.set(status, (this.itemStatuses.get(status) ?? 0) + 1);
  }

  /** Answers one `_bulk` body (as text, or as the Buffer the indexers build). */
  bulk(sent: string | Buffer): BulkResponse {
    const body = typeof sent === "string" ? sent : sent.toString("utf8");
    this.requestSizes.push(Buffer.byteLength(body));
    const tooLarge = this.faults.tooLarge;
    if (tooLarge !== undefined && tooLarge.times > 0 && Buffer.byteLength(body) > tooLarge.overBytes) {
      tooLarge.times--;
      this.requestStatuses.push(413);
      return { statusCode: 413, body: "<html><body>413 Request Entity Too Large</body></html>" };
    }
    const fault = this.faults.requests?.shift() ?? this.faults.outage;
    if (fault !== undefined) return this.fail(fault, body);
    if ((this.faults.unavailable ?? 0) > 0) {
      this.faults.unavailable = (this.faults.unavailable ?? 0) - 1;
      this.requestStatuses.push(503);
      return json(503, { error: "unavailable" });
    }
    const lines = body.split("\n");
    if (lines.at(-1) !== "") return this.badRequest("bulk body must end with a newline");
    lines.pop();
    if (lines.length % 2 !== 0) return this.badRequest("odd number of bulk lines");
    const items: unknown[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i += 2) {
      const action = readAction(lines[i] as string);
      const { index, id } = action ?? {};
      if (action === undefined || index === undefined || id === undefined)
        return this.badRequest(`line ${i + 1}: not a create or index action with _index and _id`);
      this.actions.set(action.op, (this.actions.get(action.op) ?? 0) + 1);
      const status = this.writeOne(action.op, index, id, lines[i + 1] as string, action.externalVersion);
      this.count(status.status);
      if (status.status >= 300) errors = true;
      items.push({ [action.op]: { _index: index, _id: id, ...status } });
    }
    this.requestStatuses.push(200);
    return json(200, { took: 1, errors, items });
  }

  /** Answers a {@link RequestFault}; nothing is stored. */
  private fail(fault: RequestFault, body: string): BulkResponse {
    if (typeof fault === "number") {
      this.requestStatuses.push(fault);
      return json(fault, REQUEST_FAULTS[fault]);
    }
    const answer = ITEM_FAULTS[fault];
    const items = body
      .split("\n")
      .filter((_, i) => i % 2 === 0)
      .filter((line) => line !== "")
      .map((line) => {
        const { op = "create", index: _index, id: _id } = readAction(line) ?? {};
        this.count(answer.status);
        return { [op]: { _index, _id, ...answer } };
      });
    this.requestStatuses.push(200);
    return json(200, { took: 1, errors: true, items });
  }

  private badRequest(reason: string): BulkResponse {
    this.requestStatuses.push(400);
    return json(400, { error: { type: "illegal_argument_exception", reason }, status: 400 });
  }

  private writeOne(
    op: BulkAction,
    index: string,
    id: string,
    line: string,
    externalVersion?: number,
  ): { status: number; result?: string; _version?: number; error?: unknown } {
    const key = docKey(index, id);
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    if (attempt <= (this.faults.throttle?.get(id) ?? 0)) {
      return {
        status: 429,
        error: { type: "es_rejected_execution_exception", reason: "rejected execution" },
      };
    }
    if (this.faults.reject?.has(id) === true) {
      return {
        status: 400,
        error: {
          type: "mapper_parsing_exception",
          reason: "failed to parse field [eventTime] of type [date]",
        },
      };
    }
    const existing = this.documents.get(key);
    if (op === "create" && existing !== undefined) {
      return {
        status: 409,
        error: { type: "version_conflict_engine_exception", reason: "document already exists" },
      };
    }
    const storedVersion = this.externalVersions.get(key);
    if (externalVersion !== undefined && storedVersion !== undefined && externalVersion < storedVersion) {
      // external_gte: a lower version than the stored one is an older write arriving late.
      return {
        status: 409,
        error: {
          type: "version_conflict_engine_exception",
          reason: `current version [${storedVersion}] is higher than the one provided [${externalVersion}]`,
        },
      };
    }
    let source: Record<string, unknown>;
    try {
      source = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      return { status: 400, error: { type: "mapper_parsing_exception", reason: (error as Error).message } };
    }
    if (externalVersion !== undefined) this.externalVersions.set(key, externalVersion);
    const doc: StoredDoc = { index, source };
    this.documents.set(key, doc);
    this.docs.set(id, doc);
    // Every write of a document bumps its version, as in OpenSearch.
    const version = (this.writes.get(key) ?? 0) + 1;
    this.writes.set(key, version);
    if (existing === undefined) this.created.set(id, (this.created.get(id) ?? 0) + 1);
    if (this.faults.lostAck?.delete(id) === true) {
      return {
        status: 429,
        error: { type: "es_rejected_execution_exception", reason: "lost acknowledgement" },
      };
    }
    return existing === undefined
      ? { status: 201, result: "created", _version: version }
      : { status: 200, result: "updated", _version: version };
  }

  /** Routes one HTTP request like the OpenSearch REST API would (the subset the indexer uses). */
  handle(method: string, pathAndQuery: string, sent: string | Buffer): HttpResponse {
    const body = typeof sent === "string" ? sent : sent.toString("utf8");
    const [path = "", query = ""] = pathAndQuery.split("?", 2);
    this.log.push(`${method} ${path}`);
    if (method === "POST" && path === "/_bulk") return this.bulk(body);
    // A domain that is down or denies the caller answers every path alike (the bootstrap's too).
    const outage = this.faults.outage;
    if (typeof outage === "number") return json(outage, REQUEST_FAULTS[outage]);
    const template = /^\/_index_template\/([^/]+)$/.exec(path);
    if (template !== null) {
      const name = template[1] as string;
      if (method === "GET") {
        const found = this.templates.get(name);
        return found === undefined
          ? json(404, { error: `index template matching [${name}] not found`, status: 404 })
          : json(200, { index_templates: [{ name, index_template: found }] });
      }
      if (method === "PUT") {
        this.templates.set(name, JSON.parse(body));
        return json(200, { acknowledged: true });
      }
    }
    const settings = /^\/([^_/][^/]*)\/_settings$/.exec(path);
    if (settings !== null && method === "PUT") {
      this.settingsUpdates.push({ indices: settings[1] as string, body: JSON.parse(body) });
      return json(200, { acknowledged: true });
    }
    const policy = /^\/_plugins\/_ism\/policies\/([^/]+)$/.exec(path);
    if (policy !== null) {
      const id = policy[1] as string;
      const found = this.policies.get(id);
      if (method === "GET") {
        return found === undefined
          ? json(404, { error: { type: "status_exception", reason: "Policy not found" }, status: 404 })
          : json(200, { _id: id, _seq_no: found.seqNo, _primary_term: 1, ...(found.policy as object) });
      }
      if (method === "PUT") {
        const params = new URLSearchParams(query);
        if (found !== undefined && params.get("if_seq_no") !== String(found.seqNo)) {
          return json(409, { error: { type: "version_conflict_engine_exception" }, status: 409 });
        }
        this.policies.set(id, { policy: JSON.parse(body), seqNo: (found?.seqNo ?? -1) + 1 });
        return json(found === undefined ? 201 : 200, { _id: id });
      }
    }
    return json(404, { error: `no handler for ${method} ${path}` });
  }

  /** This fake as a BulkSink (no HTTP). */
  sink(): BulkSink {
    return { bulk: (body) => Promise.resolve(this.bulk(body)) };
  }
}

/** A loopback HTTP server in front of a {@link FakeOpenSearch}; records request headers. */
export interface FakeServer {
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 with a random port. */
export async function startFakeServer(fake: FakeOpenSearch): Promise<FakeServer> {
  const headers: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      headers.push(req.headers);
      const answer = fake.handle(req.method ?? "GET", req.url ?? "/", Buffer.concat(chunks).toString("utf8"));
      res.writeHead(answer.statusCode, { "content-type": "application/json" }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    headers,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
