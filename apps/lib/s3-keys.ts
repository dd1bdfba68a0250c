/** S3 key helpers shared by the apps that write into the archive. */

/** A key prefix ending in exactly one "/" (or empty: the bucket's root). */
export function normalizePrefix(prefix: string): string {
  return prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
}
