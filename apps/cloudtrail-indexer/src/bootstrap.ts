/**
 * The index template and ISM retention policy of the CloudTrail indices, and
 * their idempotent installation (PUT only when absent or older than ours).
 *
 * Without the template the first event would create its index with dynamic
 * mappings: `requestParameters` & co. differ per API and would explode into
 * thousands of conflicting fields. They are stored (in `_source`) but not
 * indexed (`"enabled": false`).
 */
import type { HttpResponse, OpenSearchTransport } from "../../lib/signed-http";

/** Fields the dashboards aggregate on: exact-value `keyword` fields. */
export const KEYWORD_FIELDS = [
  "eventName",
  "eventSource",
  "userAgent",
  "sourceIPAddress",
  "userIdentity.arn",
  "userIdentity.type",
  "errorCode",
  "awsRegion",
  "recipientAccountId",
  "eventType",
] as const;

/** Date fields. */
export const DATE_FIELDS = ["@timestamp", "eventTime"] as const;

/** Per-API payloads: kept in `_source`, never mapped. */
export const UNMAPPED_OBJECT_FIELDS = [
  "requestParameters",
  "responseElements",
  "additionalEventData",
  "serviceEventDetails",
] as const;

/** Bump when the template changes, so running indexers replace the installed one. */
export const TEMPLATE_VERSION = 2;

/** Longest keyword indexed; longer strings (user agents, error messages) are stored but not aggregatable. */
const IGNORE_ABOVE = 1024;

type Mapping = Record<string, unknown>;

/** Nests a dotted field path into `properties` objects (`a.b` → `{a:{properties:{b:…}}}`). */
function setField(properties: Mapping, path: string, mapping: Mapping): void {
  const [head, ...rest] = path.split(".") as [string, ...string[]];
  if (rest.length === 0) {
    properties[head] = mapping;
    return;
  }
  const parent = (properties[head] ?? { properties: {} }) as { properties: Mapping };
  properties[head] = parent;
  setField(parent.properties, rest.join("."), mapping);
}

/** The mappings of a CloudTrail index. */
export function cloudTrailMappings(): Mapping {
  const properties: Mapping = {};
  for (const field of DATE_FIELDS) setField(properties, field, { type: "date" });
  for (const field of KEYWORD_FIELDS)
    setField(properties, field, { type: "keyword", ignore_above: IGNORE_ABOVE });
  for (const field of UNMAPPED_OBJECT_FIELDS) setField(properties, field, { type: "object", enabled: false });
  return {
    // Other strings (sessionContext, resources, tlsDetails…) become keywords
    // rather than text + keyword pairs: exact filters, half the fields.
    dynamic_templates: [
      {
        strings_as_keywords: {
          match_mapping_type: "string",
          mapping: { type: "keyword", ignore_above: IGNORE_ABOVE },
        },
      },
    ],
    properties,
  };
}

/** Replicas per index unless the domain's size says otherwise: OpenSearch's own default. */
export const DEFAULT_INDEX_REPLICAS = 1;

/** The indices of a prefix: `<prefix>-*` (daily indices are `<prefix>-YYYY.MM.DD`). */
export function indexPatternFor(prefix: string): string {
  return `${prefix}-*`;
}

/**
 * The composable index template for `<prefix>-*`. `replicas` comes from the
 * domain's size (0 on one data node, where a replica could never be placed
 * and would keep the cluster yellow; 1 otherwise).
 */
export function indexTemplate(prefix: string, replicas: number = DEFAULT_INDEX_REPLICAS): Mapping {
  return {
    index_patterns: [indexPatternFor(prefix)],
    priority: 100,
    version: TEMPLATE_VERSION,
    _meta: { managed_by: "log-platform cloudtrail-indexer" },
    template: {
      settings: {
        index: { number_of_shards: 1, number_of_replicas: replicas, "mapping.total_fields.limit": 2000 },
      },
      mappings: cloudTrailMappings(),
    },
  };
}

/** Name of the ISM policy for `<prefix>-*`. */
export function retentionPolicyId(prefix: string): string {
  return `${prefix}-retention`;
}

/** The ISM policy: delete indices `retentionDays` after creation; attaches itself to new `<prefix>-*` indices. */
export function retentionPolicy(prefix: string, retentionDays: number): Mapping {
  return {
    policy: {
      // The description doubles as the version marker compared on bootstrap.
      description: `log-platform: delete ${prefix}-* indices ${retentionDays} days after creation (v${TEMPLATE_VERSION})`,
      default_state: "hot",
      states: [
        {
          name: "hot",
          actions: [],
          transitions: [{ state_name: "delete", conditions: { min_index_age: `${retentionDays}d` } }],
        },
        { name: "delete", actions: [{ delete: {} }], transitions: [] },
      ],
      ism_template: [{ index_patterns: [indexPatternFor(prefix)], priority: 100 }],
    },
  };
}

/** What {@link ensureBootstrap} did, for logs. */
export interface BootstrapReport {
  readonly template: "created" | "updated" | "present";
  readonly policy: "created" | "updated" | "present";
}

function expectOk(response: HttpResponse, what: string): void {
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw new Error(`${what} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
  }
}

function parse(body: string): Record<string, unknown> {
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Replicas an installed template gives its indices (OpenSearch's default, 1, when it says none). */
function installedReplicas(template: { template?: { settings?: Mapping } } | undefined): number {
  const settings = template?.template?.settings ?? {};
  // OpenSearch answers settings flattened or nested, as strings or numbers.
  const index = (settings.index ?? {}) as Mapping;
  const value = settings["index.number_of_replicas"] ?? index.number_of_replicas ?? DEFAULT_INDEX_REPLICAS;
  return Number(value);
}

async function ensureTemplate(
  transport: OpenSearchTransport,
  prefix: string,
  replicas: number,
): Promise<BootstrapReport["template"]> {
  const path = `/_index_template/${prefix}`;
  const existing = await transport.request("GET", path);
  let state: BootstrapReport["template"] = "created";
  if (existing.statusCode === 200) {
    const templates = parse(existing.body).index_templates as
      { index_template?: { version?: number; template?: { settings?: Mapping } } }[] | undefined;
    const installed = templates?.[0]?.index_template;
    // A domain that grew or shrank needs other replicas even when the template's version is current.
    if ((installed?.version ?? 0) >= TEMPLATE_VERSION && installedReplicas(installed) === replicas) {
      return "present";
    }
    state = "updated";
  } else if (existing.statusCode !== 404) {
    expectOk(existing, `GET ${path}`);
  }
  expectOk(
    await transport.request("PUT", path, JSON.stringify(indexTemplate(prefix, replicas))),
    `PUT ${path}`,
  );
  if (state === "updated") {
    // Existing indices keep the replicas they were created with: set them too, or a one-node
    // domain stays yellow until its old indices age out (a wildcard matching none is fine).
    const settingsPath = `/${indexPatternFor(prefix)}/_settings`;
    const updated = await transport.request(
      "PUT",
      settingsPath,
      JSON.stringify({ index: { number_of_replicas: replicas } }),
    );
    if (updated.statusCode !== 404) expectOk(updated, `PUT ${settingsPath}`);
  }
  return state;
}

async function ensurePolicy(
  transport: OpenSearchTransport,
  prefix: string,
  retentionDays: number,
): Promise<BootstrapReport["policy"]> {
  const path = `/_plugins/_ism/policies/${retentionPolicyId(prefix)}`;
  const wanted = retentionPolicy(prefix, retentionDays);
  const existing = await transport.request("GET", path);
  if (existing.statusCode === 404) {
    const created = await transport.request("PUT", path, JSON.stringify(wanted));
    // 409: another container created it between our GET and PUT.
    if (created.statusCode !== 409) expectOk(created, `PUT ${path}`);
    return "created";
  }
  expectOk(existing, `GET ${path}`);
  const current = parse(existing.body);
  const description = (current.policy as { description?: string } | undefined)?.description;
  if (description === (wanted.policy as { description: string }).description) return "present";
  // ISM updates need the sequence number and primary term of the version replaced.
  const query = `?if_seq_no=${String(current._seq_no)}&if_primary_term=${String(current._primary_term)}`;
  expectOk(await transport.request("PUT", path + query, JSON.stringify(wanted)), `PUT ${path}`);
  return "updated";
}

/**
 * Installs the index template (with `replicas` replicas per index, default 1) and the
 * retention policy unless the same ones are already there. Safe to run from
 * many containers at once.
 *
 * @throws Error when OpenSearch refuses a request.
 */
export async function ensureBootstrap(
  transport: OpenSearchTransport,
  prefix: string,
  retentionDays: number,
  replicas: number = DEFAULT_INDEX_REPLICAS,
): Promise<BootstrapReport> {
  const template = await ensureTemplate(transport, prefix, replicas);
  const policy = await ensurePolicy(transport, prefix, retentionDays);
  return { template, policy };
}

/**
 * Wraps a bootstrap so it runs once per container: concurrent and later
 * callers share the promise; a failure is forgotten so the next call retries.
 */
export function once<T>(run: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= run().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

export type { HttpResponse, OpenSearchTransport };
