import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import type { AwsContext } from "./iam";

/**
 * Account, region and partition of the provider a component deploys with,
 * resolved once per component so that every policy can be scoped to exact ARNs.
 */
export function awsContext(parent: pulumi.Resource): pulumi.Output<AwsContext> {
  const invokeOptions = { parent };
  return pulumi
    .all([
      aws.getCallerIdentityOutput({}, invokeOptions),
      aws.getRegionOutput({}, invokeOptions),
      aws.getPartitionOutput({}, invokeOptions),
    ])
    .apply(([identity, region, partition]) => ({
      accountId: identity.accountId,
      region: region.region,
      partition: partition.partition,
    }));
}
