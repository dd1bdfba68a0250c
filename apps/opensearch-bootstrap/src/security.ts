/**
 * The fine-grained access control setup of the log platform's OpenSearch
 * domain as plain data: which security API resources to PUT, with which
 * bodies. Every body is a full replacement (PUT), so applying the same plan
 * twice leaves the domain as it was: the bootstrap is idempotent.
 */

/** The OpenSearch role the CloudTrail indexer's IAM role is mapped to (the name deployed domains already have). */
export const WRITER_ROLE = "cloudtrail_writer";

/** Built-in role for read-only access to every index (Grafana). */
export const READER_ROLE = "readall";

/** Built-in roles that make a user an administrator of data and of security. */
export const ADMIN_ROLES = ["all_access", "security_manager"] as const;

/** Base path of the security REST API. */
export const SECURITY_API = "/_plugins/_security/api";

/**
 * Cluster-level actions the indexer performs: install its index template and
 * ISM retention policy (read, then write when absent or older) and `_bulk`.
 */
export const WRITER_CLUSTER_PERMISSIONS = [
  "indices:admin/index_template/get",
  "indices:admin/index_template/put",
  "cluster:admin/opendistro/ism/policy/get",
  "cluster:admin/opendistro/ism/policy/write",
  "indices:data/write/bulk",
] as const;

/** What the indexer may do on its own indices: write documents, create daily indices, manage them. */
export const WRITER_INDEX_ACTIONS = ["crud", "create_index", "manage"] as const;

/**
 * One indexer's access: an OpenSearch role of its own, on exactly the index
 * patterns of the families it writes, mapped to its IAM role(s) only. One
 * role per indexer (not one role with every pattern) so that, e.g., the
 * flow-log indexer cannot write `findings-*`.
 */
export interface WriterAccess {
  /** OpenSearch role name, e.g. {@link WRITER_ROLE} or `logs_writer`. */
  readonly role: string;
  /** IAM roles mapped to it; empty clears the mapping (that indexer is off). */
  readonly roleArns: readonly string[];
  /** Indices it owns, e.g. `["logs-*", "access-*"]` (the security plugin takes a list per permission). */
  readonly indexPatterns: readonly string[];
}

/** What one bootstrap run must establish. */
export interface SecuritySetup {
  /** The internal user a human signs in with (OpenSearch Dashboards, basic auth), named by the secret. */
  readonly adminUser: string;
  /** The bootstrap's own IAM role, the domain's master: kept in the admin roles so later runs still work. */
  readonly masterRoleArn: string;
  /** Every indexer's role (each PUT in full, so a pattern or ARN dropped here is dropped in the domain). */
  readonly writers: readonly WriterAccess[];
  /** IAM roles that only read (mapped to {@link READER_ROLE}). */
  readonly readerRoleArns: readonly string[];
}

/** One security API call. */
export interface SecurityRequest {
  readonly method: "PUT";
  /** Path under the endpoint, starting with {@link SECURITY_API}. */
  readonly path: string;
  /** JSON body (without secrets; see {@link internalUserBody}). */
  readonly body: Record<string, unknown>;
}

/** Body of `PUT internalusers/<name>`: the password, no backend roles (mapping is done by roles mapping). */
export function internalUserBody(password: string): Record<string, unknown> {
  return { password, backend_roles: [], attributes: {} };
}

/**
 * Body of `PUT roles/<writer>`: the indexer's cluster actions, and the
 * writer index actions on its own patterns only (`index_permissions[].index_patterns`
 * is a list in the security plugin's role API). Patterns are sorted and
 * de-duplicated, so the body does not depend on their order.
 */
export function writerRoleBody(indexPatterns: readonly string[]): Record<string, unknown> {
  const patterns = [...new Set(indexPatterns)].sort();
  return {
    description: `Indexer: index templates, ISM policies and bulk writes to ${patterns.join(", ")} only`,
    cluster_permissions: [...WRITER_CLUSTER_PERMISSIONS],
    index_permissions: [
      {
        index_patterns: patterns,
        allowed_actions: [...WRITER_INDEX_ACTIONS],
      },
    ],
  };
}

/**
 * Body of `PUT rolesmapping/<role>`. Sorted and de-duplicated so that the
 * same set of principals always gives the same body, whatever the order
 * they were passed in.
 */
export function roleMappingBody(
  backendRoles: readonly string[],
  users: readonly string[] = [],
): Record<string, unknown> {
  const unique = (values: readonly string[]) => [...new Set(values)].sort();
  return { backend_roles: unique(backendRoles), users: unique(users), hosts: [] };
}

/**
 * The requests that set up access control, in order, except the internal
 * user's (its body holds the password, so it is built where the password is):
 * each writer's role and its mapping, the reader mapping, the admin roles.
 * The admin user is mapped to both admin roles.
 *
 * Both admin roles keep the master role: a mapping PUT replaces the whole
 * mapping, and dropping the master's ARN would lock the bootstrap out.
 *
 * @throws Error when an ARN is not an IAM role ARN, a writer's name or a pattern is invalid.
 */
export function securityRequests(setup: SecuritySetup): SecurityRequest[] {
  const problems = setupProblems(setup);
  if (problems.length > 0) throw new Error(`Invalid bootstrap input: ${problems.join("; ")}`);
  return [
    ...setup.writers.flatMap((writer): SecurityRequest[] => [
      {
        method: "PUT",
        path: `${SECURITY_API}/roles/${writer.role}`,
        body: writerRoleBody(writer.indexPatterns),
      },
      {
        method: "PUT",
        path: `${SECURITY_API}/rolesmapping/${writer.role}`,
        body: roleMappingBody(writer.roleArns),
      },
    ]),
    {
      method: "PUT",
      path: `${SECURITY_API}/rolesmapping/${READER_ROLE}`,
      body: roleMappingBody(setup.readerRoleArns),
    },
    ...ADMIN_ROLES.map((role): SecurityRequest => ({
      method: "PUT",
      path: `${SECURITY_API}/rolesmapping/${role}`,
      body: roleMappingBody([setup.masterRoleArn], [setup.adminUser]),
    })),
  ];
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const INDEX_PATTERN = /^[a-z0-9][a-z0-9._-]*\*?$/;
const USER_NAME = /^[\w.@-]{1,64}$/;
const WRITER_NAME = /^[a-z][a-z0-9_]{0,63}$/;
/** Roles this bootstrap maps for other purposes (or built in): a writer must not replace them. */
const NOT_WRITER_NAMES: readonly string[] = [READER_ROLE, ...ADMIN_ROLES];

/** Every problem with a setup, for one error message. */
export function setupProblems(setup: SecuritySetup): string[] {
  const problems: string[] = [];
  if (!USER_NAME.test(setup.adminUser)) problems.push(`"${setup.adminUser}" is not a user name`);
  const arns = [setup.masterRoleArn, ...setup.writers.flatMap((w) => w.roleArns), ...setup.readerRoleArns];
  for (const arn of arns) {
    if (!ROLE_ARN.test(arn)) problems.push(`"${arn}" is not an IAM role ARN`);
  }
  const seen = new Set<string>();
  for (const writer of setup.writers) {
    if (!WRITER_NAME.test(writer.role) || NOT_WRITER_NAMES.includes(writer.role)) {
      problems.push(`"${writer.role}" is not a writer role name (lowercase, digits, _; not a built-in role)`);
    }
    if (seen.has(writer.role)) problems.push(`writer role "${writer.role}" is given twice`);
    seen.add(writer.role);
    if (writer.indexPatterns.length === 0) problems.push(`writer role "${writer.role}" has no index pattern`);
    for (const pattern of writer.indexPatterns) {
      if (!INDEX_PATTERN.test(pattern)) {
        problems.push(
          `${writer.role}: index patterns must be lowercase index names or prefixes ending in * (got "${pattern}")`,
        );
      }
    }
  }
  return problems;
}
