/**
 * A family of daily indices `<prefix>-YYYY.MM.DD`: its composable index
 * template, its ISM retention policy, and their idempotent installation (PUT
 * only when absent or older than ours), shared by every indexer.
 *
 * Without a template the first document would create its index with dynamic
 * mappings, so each family states its mappings up front.
 */
import type { HttpResponse, OpenSearchTransport } from "../signed-http";

/** An OpenSearch mapping / settings object. */
export type Mapping = Record<string, unknown>;

/** A family of daily indices and how they are mapped and kept. */
export interface IndexFamily {
  /** Short name, e.g. `cloudtrail`, `logs-nginx`, `vpcflow` (recorded in the template's `_meta`). */
  readonly name: string;
  /** Index prefix: the indices are `<prefix>-YYYY.MM.DD`, the template and policy are named after it. */
  readonly prefix: string;
  /** The `mappings` of the template. */
  readonly mappings: Mapping;
  /** Bump when mappings or settings change, so running indexers replace the installed template and policy. */
  readonly version: number;
  /** `index.mapping.total_fields.limit` (default {@link DEFAULT_FIELD_LIMIT}). */
  readonly fieldLimit?: number;
  /** Days after creation when ISM deletes an index. */
  readonly retentionDays: number;
}

/** Default `index.mapping.total_fields.limit` of a family (OpenSearch's own default is 1000). */
export const DEFAULT_FIELD_LIMIT = 2000;

/** Replicas per index unless the domain's size says otherwise: OpenSearch's own default. */
export const DEFAULT_INDEX_REPLICAS = 1;

/** Nests a dotted field path into `properties` objects (`a.b` → `{a:{properties:{b:…}}}`), in place. */
export function setField(properties: Mapping, path: string, mapping: Mapping): void {
  const [head, ...rest] = path.split(".") as [string, ...string[]];
  if (rest.length === 0) {
    properties[head] = mapping;
    return;
  }
  const parent = (properties[head] ?? { properties: {} }) as { properties: Mapping };
  properties[head] = parent;
  setField(parent.properties, rest.join("."), mapping);
}

/** The indices of a prefix: `<prefix>-*` (daily indices are `<prefix>-YYYY.MM.DD`). */
export function indexPatternFor(prefix: string): string {
  return `${prefix}-*`;
}

/** Name of the composable index template of a family: its prefix. */
export function templateName(family: Pick<IndexFamily, "prefix">): string {
  return family.prefix;
}

/**
 * The composable index template for `<prefix>-*`: one shard, `replicas`
 * replicas (from the domain's size: 0 on one data node, where a replica could
 * never be placed and would keep the cluster yellow; default 1), the family's mappings.
 */
export function indexTemplate(
  family: Pick<IndexFamily, "name" | "prefix" | "mappings" | "version" | "fieldLimit">,
  replicas: number = DEFAULT_INDEX_REPLICAS,
): Mapping {
  return {
    index_patterns: [indexPatternFor(family.prefix)],
    priority: 100,
    version: family.version,
    _meta: { managed_by: `log-platform ${family.name}` },
    template: {
      settings: {
        index: {
          number_of_shards: 1,
          number_of_replicas: replicas,
          "mapping.total_fields.limit": family.fieldLimit ?? DEFAULT_FIELD_LIMIT,
        },
      },
      mappings: family.mappings,
    },
  };
}

/** Name of the ISM policy of a family: `<prefix>-retention`. */
export function retentionPolicyId(family: Pick<IndexFamily, "prefix">): string {
  return `${family.prefix}-retention`;
}

/** The ISM policy: delete indices `retentionDays` after creation; attaches itself to new `<prefix>-*` indices. */
export function retentionPolicy(family: Pick<IndexFamily, "prefix" | "retentionDays" | "version">): Mapping {
  const { prefix, retentionDays, version } = family;
  return {
    policy: {
      // The description doubles as the version marker compared on installation.
      description: `log-platform: delete ${prefix}-* indices ${retentionDays} days after creation (v${version})`,
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

/** What {@link ensureIndexFamily} did, for logs. */
export interface IndexFamilyReport {
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
  family: IndexFamily,
  replicas: number,
): Promise<IndexFamilyReport["template"]> {
  const path = `/_index_template/${templateName(family)}`;
  const existing = await transport.request("GET", path);
  let state: IndexFamilyReport["template"] = "created";
  if (existing.statusCode === 200) {
    const templates = parse(existing.body).index_templates as
      { index_template?: { version?: number; template?: { settings?: Mapping } } }[] | undefined;
    const installed = templates?.[0]?.index_template;
    // A domain that grew or shrank needs other replicas even when the template's version is current.
    if ((installed?.version ?? 0) >= family.version && installedReplicas(installed) === replicas) {
      return "present";
    }
    state = "updated";
  } else if (existing.statusCode !== 404) {
    expectOk(existing, `GET ${path}`);
  }
  expectOk(
    await transport.request("PUT", path, JSON.stringify(indexTemplate(family, replicas))),
    `PUT ${path}`,
  );
  if (state === "updated") {
    // Existing indices keep the replicas they were created with: set them too, or a one-node
    // domain stays yellow until its old indices age out (a wildcard matching none is fine).
    const settingsPath = `/${indexPatternFor(family.prefix)}/_settings`;
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
  family: IndexFamily,
): Promise<IndexFamilyReport["policy"]> {
  const path = `/_plugins/_ism/policies/${retentionPolicyId(family)}`;
  const wanted = retentionPolicy(family);
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
 * Installs the family's index template (with `replicas` replicas per index,
 * default 1; existing indices get the new replica count when it changes) and
 * its retention policy unless the same ones are already there. Safe to run
 * from many containers at once.
 *
 * @throws Error when OpenSearch refuses a request.
 */
export async function ensureIndexFamily(
  transport: OpenSearchTransport,
  family: IndexFamily,
  replicas: number = DEFAULT_INDEX_REPLICAS,
): Promise<IndexFamilyReport> {
  const template = await ensureTemplate(transport, family, replicas);
  const policy = await ensurePolicy(transport, family);
  return { template, policy };
}

/**
 * Wraps an installation so it runs once per container: concurrent and later
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
