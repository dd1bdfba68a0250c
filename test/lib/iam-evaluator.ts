/**
 * A small IAM policy evaluator for tests: decides one request against the
 * policy documents the program generates, the way AWS documents evaluation.
 *
 * Written here rather than taken from npm: the maintained simulator
 * (`@cloud-copilot/iam-simulate`) is AGPL-3.0-or-later, which does not suit
 * this Apache-2.0 project.
 *
 * What it follows (AWS IAM User Guide):
 * - Policy evaluation logic, same account: an explicit deny in any policy
 *   wins; otherwise an allow from an identity policy or a resource policy
 *   allows; otherwise the request is implicitly denied.
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 * - KMS is the exception: the key policy must allow, either by naming the
 *   principal or by naming the account (its root), which delegates to the
 *   account's IAM policies.
 *   https://docs.aws.amazon.com/kms/latest/developerguide/determining-access-key-policy.html
 * - Condition operators, `...IfExists`, `Null`, and the rule that a key absent
 *   from the request makes an operator false, except a negated one
 *   (`StringNotEquals`, `ArnNotLike`, ...), which is then true.
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 * - Multiple operators and keys AND, multiple values OR (NOR for a negated
 *   operator), and the `ForAnyValue:` / `ForAllValues:` set operators.
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 *
 * - Cross-account requests (an IAM caller of one account, a resource of
 *   another): both the caller's identity policy and the resource's policy
 *   must allow.
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 *
 * A policy AWS would refuse as malformed is refused here too (an `Effect`
 * other than Allow/Deny, no `Action`/`NotAction`, `Principal` with
 * `NotPrincipal`, a principal in an identity policy or none in a resource
 * policy), so a broken document cannot pass a test by accident.
 *
 * Not modelled (the platform's policies use none of it): policy variables,
 * permissions boundaries, SCPs, session policies.
 */

export interface IamRequest {
  readonly principal: { readonly service: string } | { readonly aws: string /* role/user/account ARN */ };
  /** Account the caller belongs to (for service principals: the account on whose behalf it acts). */
  readonly principalAccount: string;
  /** e.g. "kms:GenerateDataKey" */
  readonly action: string;
  /** Exact ARN. */
  readonly resource: string;
  /** Condition keys, e.g. "aws:SourceArn", "kms:EncryptionContext:aws:cloudtrail:arn". */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export type Decision = "Allow" | "ExplicitDeny" | "ImplicitDeny";

type ConditionValue = string | boolean | number | readonly (string | boolean | number)[];
type PrincipalElement = "*" | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: PrincipalElement;
  readonly NotPrincipal?: PrincipalElement;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, ConditionValue>>>>;
}

/** A policy document; the readonly shapes of components/lib/iam.ts fit it as they are. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: Statement | readonly Statement[];
}

/** How a statement's principal element matched: by name (or "*"), or only through the caller's account. */
type PrincipalMatch = "direct" | "account" | "none";

interface PolicyResult {
  readonly deny: boolean;
  /** Some Allow statement names the caller itself (or "*", or the service). */
  readonly allowDirect: boolean;
  /** Some Allow statement applies only because it names the caller's account. */
  readonly allowViaAccount: boolean;
}

function toList<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** IAM wildcard match: `*` any run of characters, `?` exactly one. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const escaped = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\/-]/g, "\\$&")))
    .join("");
  return new RegExp(`^${escaped}$`, ignoreCase ? "si" : "s").test(value);
}

/** Where a policy is attached: identity policies name no principal, resource policies must. */
type PolicyKind = "identity" | "resource" | "either";

/** The statement's problems that make AWS refuse the whole policy as malformed. */
function statementProblems(statement: Statement, kind: PolicyKind): string[] {
  const problems: string[] = [];
  const effect: unknown = statement.Effect;
  if (effect !== "Allow" && effect !== "Deny")
    problems.push(`Effect must be "Allow" or "Deny" (got ${String(effect)})`);
  if ((statement.Action === undefined) === (statement.NotAction === undefined)) {
    problems.push("exactly one of Action and NotAction is required");
  }
  if (statement.Resource !== undefined && statement.NotResource !== undefined) {
    problems.push("Resource and NotResource cannot both be given");
  }
  const hasPrincipal = statement.Principal !== undefined || statement.NotPrincipal !== undefined;
  if (statement.Principal !== undefined && statement.NotPrincipal !== undefined) {
    problems.push("Principal and NotPrincipal cannot both be given");
  }
  if (kind === "identity" && hasPrincipal) problems.push("an identity policy names no Principal");
  if (kind === "resource" && !hasPrincipal)
    problems.push("a resource policy needs a Principal or NotPrincipal");
  return problems;
}

function parseDocument(policy: PolicyDocument | string, kind: PolicyKind): Statement[] {
  const doc = (typeof policy === "string" ? JSON.parse(policy) : policy) as PolicyDocument;
  if (doc === null || typeof doc !== "object" || doc.Statement === undefined) {
    throw new Error("not a policy document: no Statement");
  }
  const statements = [...toList(doc.Statement)];
  const problems = statements.flatMap((statement, i) =>
    statementProblems(statement, kind).map((p) => `statement ${statement.Sid ?? `#${i}`}: ${p}`),
  );
  if (problems.length > 0) throw new Error(`malformed ${kind} policy: ${problems.join("; ")}`);
  return statements;
}

function accountOfArn(arn: string): string | undefined {
  const parts = arn.split(":");
  return parts.length >= 6 && parts[0] === "arn" ? parts[4] : undefined;
}

function matchPrincipalElement(element: PrincipalElement, request: IamRequest): PrincipalMatch {
  if (element === "*") return "direct";
  const caller = request.principal;
  let best: PrincipalMatch = "none";
  for (const [kind, values] of Object.entries(element)) {
    for (const value of toList(values)) {
      if (kind === "Service" && "service" in caller) {
        if (value.toLowerCase() === caller.service.toLowerCase()) return "direct";
      } else if (kind === "AWS") {
        if (value === "*") return "direct";
        if (!("aws" in caller)) continue;
        if (value === caller.aws) return "direct";
        // An account id or the account's root ARN names the account, not the caller.
        const isAccount = /^\d{12}$/.test(value) || /^arn:[^:]+:iam::\d{12}:root$/.test(value);
        const account = /^\d{12}$/.test(value) ? value : accountOfArn(value);
        if (isAccount && account === request.principalAccount) best = "account";
      }
    }
  }
  return best;
}

function statementPrincipal(statement: Statement, request: IamRequest): PrincipalMatch {
  if (statement.Principal !== undefined) return matchPrincipalElement(statement.Principal, request);
  if (statement.NotPrincipal !== undefined) {
    return matchPrincipalElement(statement.NotPrincipal, request) === "none" ? "direct" : "none";
  }
  // Identity policies have no principal: they apply to whoever they are attached to.
  return "direct";
}

function matchesAction(statement: Statement, action: string): boolean {
  if (statement.Action !== undefined)
    return toList(statement.Action).some((p) => wildcardMatch(p, action, true));
  if (statement.NotAction !== undefined) {
    return !toList(statement.NotAction).some((p) => wildcardMatch(p, action, true));
  }
  return false;
}

function matchesResource(statement: Statement, resource: string): boolean {
  if (statement.Resource !== undefined)
    return toList(statement.Resource).some((p) => wildcardMatch(p, resource));
  if (statement.NotResource !== undefined)
    return !toList(statement.NotResource).some((p) => wildcardMatch(p, resource));
  // Trust policies carry no Resource: the role itself is the resource.
  return true;
}

/** The request context with the principal keys AWS adds to every request, unless the test set them. */
function fullContext(request: IamRequest): Map<string, readonly string[]> {
  const context = new Map<string, readonly string[]>();
  const caller = request.principal;
  if ("aws" in caller) {
    context.set("aws:principalarn", [caller.aws]);
    context.set("aws:principalaccount", [request.principalAccount]);
    context.set("aws:principalisawsservice", ["false"]);
  } else {
    context.set("aws:principalservicename", [caller.service]);
    context.set("aws:principalisawsservice", ["true"]);
  }
  // Condition key names are case-insensitive; values are not.
  for (const [key, value] of Object.entries(request.context ?? {}))
    context.set(key.toLowerCase(), toList(value));
  return context;
}

/** Compares one request value with one policy value; the base (non-negated) form of each operator family. */
type Comparator = (contextValue: string, policyValue: string) => boolean;

function arnMatch(pattern: string, value: string): boolean {
  const p = pattern.split(":");
  const v = value.split(":");
  if (p.length < 6 || v.length < 6) return pattern === "*" ? true : false;
  // The resource part may itself contain colons: compare the first five fields, then the rest.
  const head = (parts: string[]) => parts.slice(0, 5);
  const tail = (parts: string[]) => parts.slice(5).join(":");
  return head(p).every((field, i) => wildcardMatch(field, v[i]!)) && wildcardMatch(tail(p), tail(v));
}

function ipToBigInt(ip: string): { value: bigint; bits: number } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
    const octets = ip.split(".").map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    return { value: octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n), bits: 32 };
  }
  if (ip.includes(":")) {
    const [left, right] = ip.split("::") as [string, string | undefined];
    const l = left === "" ? [] : left.split(":");
    const r = right === undefined || right === "" ? [] : right.split(":");
    const groups =
      right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill("0"), ...r];
    if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
    return { value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n), bits: 128 };
  }
  return undefined;
}

function ipInCidr(ip: string, cidr: string): boolean {
  const [base, lengthText] = cidr.split("/") as [string, string | undefined];
  const address = ipToBigInt(ip);
  const network = ipToBigInt(base);
  if (address === undefined || network === undefined || address.bits !== network.bits) return false;
  const length = lengthText === undefined ? address.bits : Number(lengthText);
  const shift = BigInt(address.bits - length);
  return address.value >> shift === network.value >> shift;
}

function numeric(compare: (a: number, b: number) => boolean): Comparator {
  return (c, p) => {
    const a = Number(c);
    const b = Number(p);
    return !Number.isNaN(a) && !Number.isNaN(b) && compare(a, b);
  };
}

function date(compare: (a: number, b: number) => boolean): Comparator {
  const parse = (s: string) => (/^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s));
  return (c, p) => {
    const a = parse(c);
    const b = parse(p);
    return !Number.isNaN(a) && !Number.isNaN(b) && compare(a, b);
  };
}

/** Operator name → base comparator and whether the operator is the negated form. */
const OPERATORS: Record<string, { readonly compare: Comparator; readonly negated: boolean }> = {
  StringEquals: { compare: (c, p) => c === p, negated: false },
  StringNotEquals: { compare: (c, p) => c === p, negated: true },
  StringEqualsIgnoreCase: { compare: (c, p) => c.toLowerCase() === p.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (c, p) => c.toLowerCase() === p.toLowerCase(), negated: true },
  StringLike: { compare: (c, p) => wildcardMatch(p, c), negated: false },
  StringNotLike: { compare: (c, p) => wildcardMatch(p, c), negated: true },
  NumericEquals: { compare: numeric((a, b) => a === b), negated: false },
  NumericNotEquals: { compare: numeric((a, b) => a === b), negated: true },
  NumericLessThan: { compare: numeric((a, b) => a < b), negated: false },
  NumericLessThanEquals: { compare: numeric((a, b) => a <= b), negated: false },
  NumericGreaterThan: { compare: numeric((a, b) => a > b), negated: false },
  NumericGreaterThanEquals: { compare: numeric((a, b) => a >= b), negated: false },
  DateEquals: { compare: date((a, b) => a === b), negated: false },
  DateNotEquals: { compare: date((a, b) => a === b), negated: true },
  DateLessThan: { compare: date((a, b) => a < b), negated: false },
  DateLessThanEquals: { compare: date((a, b) => a <= b), negated: false },
  DateGreaterThan: { compare: date((a, b) => a > b), negated: false },
  DateGreaterThanEquals: { compare: date((a, b) => a >= b), negated: false },
  Bool: { compare: (c, p) => c.toLowerCase() === p.toLowerCase(), negated: false },
  BinaryEquals: { compare: (c, p) => c === p, negated: false },
  IpAddress: { compare: (c, p) => ipInCidr(c, p), negated: false },
  NotIpAddress: { compare: (c, p) => ipInCidr(c, p), negated: true },
  ArnEquals: { compare: (c, p) => arnMatch(p, c), negated: false },
  ArnLike: { compare: (c, p) => arnMatch(p, c), negated: false },
  ArnNotEquals: { compare: (c, p) => arnMatch(p, c), negated: true },
  ArnNotLike: { compare: (c, p) => arnMatch(p, c), negated: true },
};

/** One operator + key + policy values against the request context. */
function evaluateCondition(
  operatorName: string,
  key: string,
  policyValues: readonly string[],
  context: Map<string, readonly string[]>,
): boolean {
  let name = operatorName;
  let qualifier: "ForAnyValue" | "ForAllValues" | undefined;
  const qualified = /^(ForAnyValue|ForAllValues):(.+)$/.exec(name);
  if (qualified) {
    qualifier = qualified[1] as "ForAnyValue" | "ForAllValues";
    name = qualified[2]!;
  }
  const contextValues = context.get(key.toLowerCase());
  const present = contextValues !== undefined && contextValues.length > 0;

  if (name === "Null") {
    // Null: "true" means the key must be absent, "false" that it must be present.
    return policyValues.some((v) => v.toLowerCase() === (present ? "false" : "true"));
  }
  const ifExists = name.endsWith("IfExists");
  if (ifExists) name = name.slice(0, -"IfExists".length);
  const operator = OPERATORS[name];
  if (operator === undefined)
    throw new Error(`condition operator ${operatorName} is not supported by the evaluator`);
  if (!present) {
    if (ifExists) return true;
    // ForAllValues over an empty set is vacuously true; ForAnyValue has nothing to match.
    if (qualifier === "ForAllValues") return true;
    if (qualifier === "ForAnyValue") return false;
    return operator.negated;
  }
  // For one value: a plain operator holds if it matches any policy value, a negated one if it matches none.
  const holds = (value: string) => {
    const matchesAny = policyValues.some((p) => operator.compare(value, p));
    return operator.negated ? !matchesAny : matchesAny;
  };
  if (qualifier === "ForAllValues") return contextValues.every(holds);
  if (qualifier === "ForAnyValue") return contextValues.some(holds);
  // A multivalued key without a set operator: plain operators need any value to match; negated ones need none to.
  return operator.negated ? contextValues.every(holds) : contextValues.some(holds);
}

function matchesConditions(statement: Statement, context: Map<string, readonly string[]>): boolean {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, value] of Object.entries(keys)) {
      const policyValues = toList(value).map(String);
      if (!evaluateCondition(operator, key, policyValues, context)) return false;
    }
  }
  return true;
}

function evaluateStatements(
  policy: PolicyDocument | string,
  request: IamRequest,
  kind: PolicyKind,
): PolicyResult {
  const context = fullContext(request);
  let deny = false;
  let allowDirect = false;
  let allowViaAccount = false;
  for (const statement of parseDocument(policy, kind)) {
    const principal = statementPrincipal(statement, request);
    if (principal === "none") continue;
    if (!matchesAction(statement, request.action)) continue;
    if (!matchesResource(statement, request.resource)) continue;
    if (!matchesConditions(statement, context)) continue;
    if (statement.Effect === "Deny") deny = true;
    else if (principal === "direct") allowDirect = true;
    else allowViaAccount = true;
  }
  return { deny, allowDirect, allowViaAccount };
}

/**
 * One policy evaluated alone (resource policy or identity policy): explicit
 * deny wins, else any allow, else implicit deny. A statement naming the
 * caller's account (account id or `:root`) counts as an allow here; use
 * `evaluate` for what such a delegation really grants.
 */
export function evaluatePolicy(policy: PolicyDocument | string, request: IamRequest): Decision {
  const result = evaluateStatements(policy, request, "either");
  if (result.deny) return "ExplicitDeny";
  return result.allowDirect || result.allowViaAccount ? "Allow" : "ImplicitDeny";
}

/**
 * Evaluation as AWS documents it: deny in any policy wins. Same account: an
 * allow from identity OR resource policy (for KMS: the key policy must allow,
 * directly or by delegating to the account's IAM policies via the root
 * principal); a resource policy that names only the caller's account
 * delegates to IAM and grants nothing by itself. An IAM caller and a
 * resource of different accounts: identity AND resource policy must allow.
 *
 * The resource's account comes from its ARN, or from `resourceAccount` for
 * ARNs without one (S3); without either the request counts as same-account.
 * Service principals act on behalf of `principalAccount`, so their requests
 * are decided by the resource policy and its conditions alone.
 */
export function evaluate(
  request: IamRequest,
  policies: {
    identity?: readonly (PolicyDocument | string)[];
    resource?: PolicyDocument | string;
    resourceKind?: "kms" | "other";
    resourceAccount?: string;
  },
): Decision {
  const identity = (policies.identity ?? []).map((p) => evaluateStatements(p, request, "identity"));
  const resource =
    policies.resource === undefined ? undefined : evaluateStatements(policies.resource, request, "resource");
  if (identity.some((r) => r.deny) || resource?.deny === true) return "ExplicitDeny";
  const identityAllows = identity.some((r) => r.allowDirect || r.allowViaAccount);
  const resourceAccount = policies.resourceAccount ?? (accountOfArn(request.resource) || undefined);
  if (
    "aws" in request.principal &&
    resourceAccount !== undefined &&
    resourceAccount !== request.principalAccount
  ) {
    // Naming the caller's account delegates to that account's IAM policies, which must allow too.
    const resourceAllows = resource !== undefined && (resource.allowDirect || resource.allowViaAccount);
    return identityAllows && resourceAllows ? "Allow" : "ImplicitDeny";
  }
  if (policies.resourceKind === "kms") {
    if (resource === undefined) throw new Error("a KMS request needs the key policy (resource)");
    if (resource.allowDirect) return "Allow";
    return resource.allowViaAccount && identityAllows ? "Allow" : "ImplicitDeny";
  }
  return identityAllows || resource?.allowDirect === true ? "Allow" : "ImplicitDeny";
}
