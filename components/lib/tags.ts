/** Tags as AWS accepts them: string keys and values. */
export type Tags = Readonly<Record<string, string>>;

/** The `Project` value of every resource of the platform (what its budgets and cost dashboard select). */
export const PROJECT = "log-platform";

/**
 * The tag naming the component a resource belongs to (`archive`, `ingest`,
 * …): the cost dashboard's cost per component. Set by the stack when the
 * cost export is on (stacks/platform.ts).
 */
export const COMPONENT_TAG = "Component";

/**
 * The tags every resource of the platform carries, so that cost reports and
 * access reviews can tell which environment owns what.
 */
export function platformTags(environment: string, extra: Tags = {}): Tags {
  return { ...extra, Project: PROJECT, Environment: environment, ManagedBy: "pulumi" };
}

/** `tags` plus the {@link COMPONENT_TAG} of one component (replacing any given in `tags`). */
export function componentTags(tags: Tags, component: string): Tags {
  return { ...tags, [COMPONENT_TAG]: component };
}
