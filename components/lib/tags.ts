/** Tags as AWS accepts them: string keys and values. */
export type Tags = Readonly<Record<string, string>>;

/**
 * The tags every resource of the platform carries, so that cost reports and
 * access reviews can tell which environment owns what.
 */
export function platformTags(environment: string, extra: Tags = {}): Tags {
  return { ...extra, Project: "log-platform", Environment: environment, ManagedBy: "pulumi" };
}
