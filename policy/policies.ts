import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import { resourceRules, stackRules } from "./rules";

/**
 * The rules of `rules.ts` as @pulumi/policy policies, all mandatory. Kept
 * apart from the pack itself so tests can call `validateResource` without
 * constructing a PolicyPack (which starts a server and never exits).
 */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  ...resourceRules.map((rule): ResourceValidationPolicy => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (!rule.types.includes(args.type)) return;
      for (const violation of rule.check({
        type: args.type,
        name: args.name,
        props: args.props as Record<string, unknown>,
      })) {
        reportViolation(violation);
      }
    },
  })),
  ...stackRules.map((rule): StackValidationPolicy => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const resources = args.resources.map((r) => ({
        type: r.type,
        name: r.name,
        props: r.props as Record<string, unknown>,
      }));
      for (const violation of rule.check(resources)) reportViolation(violation);
    },
  })),
];
