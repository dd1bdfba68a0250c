import type * as pulumi from "@pulumi/pulumi";

/**
 * A transformation that keeps the state of resources which moved one level
 * down the tree: a component split a part of itself out into a child
 * component (`moved`), so the resources that used to be its own children are
 * now that component's. Each direct child of a `moved` component gets the
 * alias `{ parent: formerParent }` — the URN it had before — so `pulumi up`
 * on an existing stack renames it in place instead of replacing it (as
 * pulumi-awsx aliases the resources it re-parents). Their own children follow
 * through Pulumi's inherited aliases. Names and types are unchanged.
 *
 * Give it to the new child component: `{ parent: this, transformations: [childrenMovedFrom(this, Child)] }`.
 */
export function childrenMovedFrom(
  formerParent: pulumi.Resource,
  moved: abstract new (...args: never[]) => pulumi.ComponentResource,
): pulumi.ResourceTransformation {
  return (args) =>
    args.opts.parent instanceof moved
      ? {
          props: args.props,
          opts: { ...args.opts, aliases: [...(args.opts.aliases ?? []), { parent: formerParent }] },
        }
      : undefined;
}
