import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

import type { Tags } from "./tags";

/** How a bucket's objects are encrypted at rest. */
export type BucketEncryption =
  | { readonly kind: "kms"; readonly keyArn: pulumi.Input<string> }
  /** SSE-S3: only for targets of S3 server access logging, which cannot write SSE-KMS. */
  | { readonly kind: "s3-managed" };

export interface SecureBucketArgs {
  readonly encryption: BucketEncryption;
  /** Delete all objects on `pulumi destroy` (dev). */
  readonly forceDestroy: boolean;
  /** Create the bucket with S3 Object Lock enabled (can only be chosen at creation). Default: false. */
  readonly objectLock?: boolean;
  readonly tags: Tags;
}

export interface SecureBucket {
  readonly bucket: aws.s3.Bucket;
  /** Settings resources the bucket policy and lifecycle must wait for (public access block first). */
  readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
}

/**
 * A bucket with the baseline every bucket of the platform has: default
 * encryption (bucket key on for KMS, which cuts KMS request costs), all
 * public access blocked, ACLs disabled (BucketOwnerEnforced) and versioning.
 * Children are created under `opts.parent` with names derived from `name`.
 */
export function createSecureBucket(
  name: string,
  args: SecureBucketArgs,
  opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource },
): SecureBucket {
  const bucket = new aws.s3.Bucket(
    name,
    {
      forceDestroy: args.forceDestroy,
      ...(args.objectLock === true ? { objectLockEnabled: true } : {}),
      tags: { ...args.tags },
    },
    opts,
  );
  const childOpts = { parent: opts.parent };
  const applyServerSideEncryptionByDefault =
    args.encryption.kind === "kms"
      ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.encryption.keyArn }
      : { sseAlgorithm: "AES256" };
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault, bucketKeyEnabled: args.encryption.kind === "kms" }],
    },
    childOpts,
  );
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    childOpts,
  );
  new aws.s3.BucketOwnershipControls(
    `${name}-ownership`,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    childOpts,
  );
  new aws.s3.BucketVersioning(
    `${name}-versioning`,
    { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    childOpts,
  );
  return { bucket, publicAccessBlock };
}
