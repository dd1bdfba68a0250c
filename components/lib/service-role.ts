import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import type { AwsContext, PolicyDocument, PolicyStatement } from "./iam";
import { policyDocument } from "./iam";
import type { Tags } from "./tags";

/**
 * Trust policy for an AWS service, limited to this account (confused-deputy
 * protection: another account's use of the service cannot assume the role).
 */
export function serviceTrustPolicy(service: string, ctx: AwsContext, sourceArnLike?: string): PolicyDocument {
  return policyDocument([
    {
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: { "aws:SourceAccount": ctx.accountId },
        ...(sourceArnLike !== undefined ? { ArnLike: { "aws:SourceArn": sourceArnLike } } : {}),
      },
    },
  ]);
}

export interface ServiceRoleArgs {
  /** Service principal allowed to assume the role, e.g. `firehose.amazonaws.com`. */
  readonly service: string;
  /** Optional `aws:SourceArn` pattern the service must act for (needs the context). */
  readonly sourceArnLike?: (ctx: AwsContext) => string;
  /**
   * Whether the trust policy carries the `aws:SourceAccount` (and
   * `aws:SourceArn`) conditions. Off for roles whose service documents no
   * such context when assuming them (Lambda execution roles, the ECS task
   * execution role used by the agent); a condition the service does not send
   * would make the role impossible to assume. Default: true.
   */
  readonly sourceAccountCondition?: boolean;
  /** The role's permissions, built from exact ARNs once they are known. */
  readonly statements: pulumi.Input<readonly PolicyStatement[]>;
  readonly tags: Tags;
}

/**
 * An IAM role for one AWS service with one inline policy. The policy is a
 * separate RolePolicy so that resources referenced by it can be created after
 * the role (no cycles), and so policy rules see it as a document.
 */
export function createServiceRole(
  name: string,
  args: ServiceRoleArgs,
  ctx: pulumi.Output<AwsContext>,
  parent: pulumi.Resource,
): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
  const trust = ctx.apply((c) =>
    args.sourceAccountCondition === false
      ? policyDocument([{ Effect: "Allow", Principal: { Service: args.service }, Action: "sts:AssumeRole" }])
      : serviceTrustPolicy(args.service, c, args.sourceArnLike?.(c)),
  );
  const role = new aws.iam.Role(
    name,
    { assumeRolePolicy: pulumi.jsonStringify(trust), tags: { ...args.tags } },
    { parent },
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-policy`,
    {
      role: role.id,
      policy: pulumi.jsonStringify(pulumi.output(args.statements).apply((s) => policyDocument(s))),
    },
    { parent },
  );
  return { role, policy };
}
