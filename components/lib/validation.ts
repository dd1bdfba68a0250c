/**
 * Argument validation shared by the components: each component lists every
 * problem with its args, then throws once with all of them.
 */

/** A problem when `value` is not a whole number from `min` to `max`. */
export function rangeProblems(key: string, value: number, min: number, max: number): string[] {
  return Number.isInteger(value) && value >= min && value <= max
    ? []
    : [`${key} must be ${min}–${max} (got ${value})`];
}

/** Throws one error naming the component and listing every problem, when there is any. */
export function throwIfInvalid(componentType: string, name: string, problems: readonly string[]): void {
  if (problems.length > 0) {
    throw new Error(`${componentType} "${name}" has invalid arguments:\n  - ${problems.join("\n  - ")}`);
  }
}

/** Retention values CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** A problem when `days` is not a retention CloudWatch Logs accepts. */
export function logRetentionProblems(key: string, days: number): string[] {
  return LOG_RETENTION_DAYS.includes(days)
    ? []
    : [`${key} must be one of ${LOG_RETENTION_DAYS.join(", ")} (got ${days})`];
}

/** `problems` with each one's key under `prefix` (`"openSearch."`), as a composing component reports them. */
export function prefixProblems(prefix: string, problems: readonly string[]): string[] {
  return problems.map((problem) => `${prefix}${problem}`);
}
