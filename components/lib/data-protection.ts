import type * as pulumi from "@pulumi/pulumi";

/**
 * Resource options for a data store (key, bucket, stream, domain).
 *
 * Retained stores (prod) are protected against `pulumi destroy` and left in
 * the account if removed from the program; disposable ones (dev) are not, so
 * that a dev environment can be torn down cleanly.
 */
export function dataStoreOptions(
  parent: pulumi.Resource,
  retain: boolean,
): pulumi.CustomResourceOptions & { parent: pulumi.Resource } {
  return retain ? { parent, protect: true, retainOnDelete: true } : { parent };
}
