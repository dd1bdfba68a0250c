import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

import type { ResourceRule, ResourceUnderTest } from "./rules";
import { resourceRules, stackRules } from "./rules";
import { resolveUnknowns } from "./unknowns";

const asProps = (props: unknown) => resolveUnknowns(props) as Record<string, unknown>;

/**
 * A resource rule as two policies: `<name>` (mandatory) reports its
 * violations, `<name>-advisory` its warnings and the checks a preview could
 * not decide. @pulumi/policy sets the enforcement level per policy, not per
 * report, hence the pair.
 */
function resourcePolicies(rule: ResourceRule): ResourceValidationPolicy[] {
  return (["mandatory", "advisory"] as const).map((level): ResourceValidationPolicy => ({
    name: level === "mandatory" ? rule.name : `${rule.name}-advisory`,
    description:
      level === "mandatory"
        ? rule.description
        : `${rule.description} Advisory part: early warnings, and what a preview cannot decide yet.`,
    enforcementLevel: level,
    validateResource: (args, reportViolation) => {
      if (!rule.types.includes(args.type)) return;
      const resource: ResourceUnderTest = { type: args.type, name: args.name, props: asProps(args.props) };
      for (const finding of rule.check(resource)) {
        if (finding.level === level) reportViolation(finding.message);
      }
    },
  }));
}

/**
 * The rules of `rules.ts` as @pulumi/policy policies. Kept apart from the
 * pack itself so tests can call `validateResource` without constructing a
 * PolicyPack (which starts a server and never exits). Props are copied with
 * unknowns resolved first, so a rule that meets an unknown value still
 * reports what it can decide (see unknowns.ts).
 */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  ...resourceRules.flatMap(resourcePolicies),
  ...stackRules.map((rule): StackValidationPolicy => ({
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const resources = args.resources.map((r) => ({ type: r.type, name: r.name, props: asProps(r.props) }));
      for (const violation of rule.check(resources)) reportViolation(violation);
    },
  })),
];
