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
