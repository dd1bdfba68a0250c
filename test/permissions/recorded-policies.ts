/**
 * Reads, from a program recorded under mocks, what IAM needs to decide a
 * request: a role's identity policies, the resource policy of the resource a
 * request names, and the ARNs and URLs the program saw for each resource
 * (the mocks' computed outputs). Pure functions over the recorded resources.
 */
import type { Decision, IamRequest, PolicyDocument } from "../lib/iam-evaluator";
import { evaluate } from "../lib/iam-evaluator";
import type { RecordedResource } from "../lib/mocks";
import { computedState, MOCK_ACCOUNT, unwrapSecrets } from "../lib/mocks";

/** A recorded resource with its inputs unwrapped and the outputs the mocks gave it. */
export interface Known {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly state: Record<string, unknown>;
}

/** The recorded program, indexed for the lookups below. */
export class RecordedProgram {
  readonly all: readonly Known[];

  constructor(resources: readonly RecordedResource[]) {
    this.all = resources.map((r) => {
      const props = unwrapSecrets<Record<string, unknown>>(r.inputs);
      return { type: r.type, name: r.name, props, state: computedState(r.type, r.name, props) };
    });
  }

  ofType(type: string): Known[] {
    return this.all.filter((r) => r.type === type);
  }

  /** The one resource of `type` for which `test` holds; fails naming what was there. */
  one(type: string, what: string, test: (r: Known) => boolean): Known {
    const found = this.ofType(type).filter(test);
    if (found.length !== 1) {
      const names = this.ofType(type).map((r) => r.name);
      throw new Error(`expected one ${type} ${what}, found ${found.length} (have: ${names.join(", ")})`);
    }
    return found[0]!;
  }

  named(type: string, name: string): Known {
    return this.one(type, `named ${name}`, (r) => r.name === name);
  }

  /** The resource of `type` whose ARN (as the program saw it) is `arn`. */
  byArn(type: string, arn: string): Known {
    return this.one(type, `with ARN ${arn}`, (r) => r.state.arn === arn);
  }

  /** The resource of `type` whose ARN is `arn`, if the program made one. */
  findByArn(type: string, arn: string): Known | undefined {
    return this.ofType(type).find((r) => r.state.arn === arn);
  }

  /**
   * Every identity policy of a role, as IAM would attach them: inline policies
   * on the role, RolePolicy resources, and customer managed policies attached
   * to it. AWS managed policies cannot be read offline, so they fail the test.
   */
  identityPolicies(roleArn: string): string[] {
    const role = this.byArn("aws:iam/role:Role", roleArn);
    const refs = new Set<unknown>([role.name, `${role.name}-id`, roleArn]);
    if (typeof role.props.name === "string") refs.add(role.props.name);
    const policies: string[] = [];
    for (const inline of (role.props.inlinePolicies ?? []) as { policy?: string }[]) {
      if (inline.policy !== undefined) policies.push(inline.policy);
    }
    for (const r of this.ofType("aws:iam/rolePolicy:RolePolicy")) {
      if (refs.has(r.props.role)) policies.push(r.props.policy as string);
    }
    const attached = [
      ...((role.props.managedPolicyArns ?? []) as string[]),
      ...this.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .filter((r) => refs.has(r.props.role))
        .map((r) => r.props.policyArn as string),
      ...this.ofType("aws:iam/policyAttachment:PolicyAttachment")
        .filter((r) => ((r.props.roles ?? []) as unknown[]).some((x) => refs.has(x)))
        .map((r) => r.props.policyArn as string),
    ];
    for (const arn of attached) {
      const managed = this.findByArn("aws:iam/policy:Policy", arn);
      if (managed === undefined)
        throw new Error(`${roleArn} has ${arn} attached, which cannot be read offline`);
      policies.push(managed.props.policy as string);
    }
    if (policies.length === 0) throw new Error(`${roleArn} has no identity policy in the program`);
    return policies;
  }

  /**
   * The resource policy AWS would consult for `resourceArn`, when the
   * program sets one: bucket policy, key policy, queue policy, domain access
   * policy. Undefined for resources the program made without one, and for
   * resources it did not make (another stack's, another account's).
   */
  resourcePolicy(resourceArn: string): { policy: string; kind: "kms" | "other" } | undefined {
    const [, , service = "", , , ...rest] = resourceArn.split(":");
    const resource = rest.join(":");
    switch (service) {
      case "s3": {
        const bucketName = resource.split("/")[0];
        const bucket = this.ofType("aws:s3/bucket:Bucket").find((b) => b.state.bucket === bucketName);
        if (bucket === undefined) return undefined;
        const policy = this.ofType("aws:s3/bucketPolicy:BucketPolicy").find((p) =>
          [bucket.name, `${bucket.name}-id`, bucketName].includes(p.props.bucket as string),
        );
        return policy === undefined ? undefined : { policy: policy.props.policy as string, kind: "other" };
      }
      case "kms": {
        const key = this.findByArn("aws:kms/key:Key", resourceArn);
        return key === undefined ? undefined : { policy: key.props.policy as string, kind: "kms" };
      }
      case "sqs": {
        // Queue policies name their queue by URL, which the mocks do not compute: match on the ARN they grant on.
        const policy = this.ofType("aws:sqs/queuePolicy:QueuePolicy").find((p) =>
          statementsOf(p.props.policy as string).some((s) => toList(s.Resource).includes(resourceArn)),
        );
        return policy === undefined ? undefined : { policy: policy.props.policy as string, kind: "other" };
      }
      case "es": {
        const domainName = /^domain\/([^/]+)/.exec(resource)?.[1];
        const domain = this.ofType("aws:opensearch/domain:Domain").find(
          (d) => d.props.domainName === domainName,
        );
        return domain?.props.accessPolicies === undefined
          ? undefined
          : { policy: domain.props.accessPolicies as string, kind: "other" };
      }
      default:
        return undefined;
    }
  }
}

function toList<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

function statementsOf(policy: string): readonly { Resource?: string | string[] }[] {
  const doc = JSON.parse(policy) as { Statement: unknown };
  return toList(doc.Statement as { Resource?: string | string[] } | { Resource?: string | string[] }[]);
}

/**
 * AWS's default key policy (the account root may use the key, which
 * delegates to IAM policies): the most a key of this account that the
 * program did not make can grant, so a request on it is decided by the
 * role's identity policies.
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 */
export function defaultKeyPolicy(keyArn: string): PolicyDocument {
  const account = keyArn.split(":")[4];
  return {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
    ],
  };
}

/** One API call as IAM authorizes it: an action on a resource, with the request's condition keys. */
export interface Call {
  /** What makes the call (for failure messages). */
  readonly why: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

/**
 * Decides a call made with a role's credentials, as AWS would in the
 * platform's account: the role's identity policies together with the
 * resource's policy (for KMS, the key policy must allow, directly or by
 * delegating to IAM). Every SDK in the apps calls over HTTPS, so
 * `aws:SecureTransport` is true unless the call says otherwise.
 */
export function decide(program: RecordedProgram, roleArn: string, call: Call): Decision {
  const request: IamRequest = {
    principal: { aws: roleArn },
    principalAccount: MOCK_ACCOUNT,
    action: call.action,
    resource: call.resource,
    context: { "aws:SecureTransport": "true", ...call.context },
  };
  const found = program.resourcePolicy(call.resource);
  const isKey = call.resource.startsWith("arn:aws:kms:");
  return evaluate(request, {
    identity: program.identityPolicies(roleArn),
    ...(found !== undefined
      ? { resource: found.policy, resourceKind: found.kind }
      : isKey
        ? { resource: defaultKeyPolicy(call.resource), resourceKind: "kms" as const }
        : {}),
  });
}
