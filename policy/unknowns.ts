/**
 * Values the engine does not know yet. During `pulumi preview`, an input
 * computed from another resource's output (a new key's ARN, a policy built
 * with `pulumi.interpolate`) has no value. @pulumi/policy hands a policy its
 * props wrapped in a proxy that throws `UnknownValueError` when such a value
 * is read, and turns that throw into a single advisory "can't run policy
 * during preview" for the whole policy (server.ts, `validateResource`) — so a
 * rule reading one unknown tag would also drop what it could decide, such as
 * another tag that is missing.
 *
 * `resolveUnknowns` copies the props first, replacing each unknown with
 * {@link UNKNOWN}, so each rule decides what it can (mandatory) and reports
 * what it cannot as advisory. `pulumi up` runs the pack again with the values
 * known, where the same rule decides.
 */
import * as policySdk from "@pulumi/policy";

/**
 * @pulumi/policy exports these from its entry point, but its proxy.d.ts drops
 * their types (they are marked internal), so they are typed here as used; the
 * tests fail if either export goes away.
 */
export const { UnknownValueError, unknownCheckingProxy } = policySdk as unknown as {
  readonly UnknownValueError: abstract new (...args: never[]) => Error;
  /** Wraps props the way the pack receives them during a preview (for tests). */
  readonly unknownCheckingProxy: <T extends object>(props: T) => T;
};

/** The marker type of a value not known during a preview. */
export class UnknownValue {
  // A private member makes the type nominal, so `isUnknown` narrows only this class.
  private readonly label = "<unknown during preview>";

  toString(): string {
    return this.label;
  }
}

/** Stands for a value the engine does not know yet. */
export const UNKNOWN = new UnknownValue();
Object.freeze(UNKNOWN);

export const isUnknown = (value: unknown): value is UnknownValue => value === UNKNOWN;

/** True when `value` is or contains (in arrays and plain objects) {@link UNKNOWN}. */
export function containsUnknown(value: unknown): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (isPlainObject(value)) return Object.values(value).some(containsUnknown);
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Reads `container[key]`; {@link UNKNOWN} where @pulumi/policy's proxy reports an unknown. */
function read(container: Record<string | number, unknown>, key: string | number): unknown {
  try {
    return container[key];
  } catch (error) {
    if (error instanceof UnknownValueError) return UNKNOWN;
    throw error;
  }
}

/**
 * A plain copy of resource props (arrays and plain objects, recursively) with
 * every unknown value replaced by {@link UNKNOWN}. Other objects (assets,
 * archives) are kept as they are; plain props without unknowns come back equal.
 */
export function resolveUnknowns(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value as unknown[] as Record<number, unknown> & { length: number };
    return Array.from({ length: items.length }, (_, i) => resolveUnknowns(read(items, i)));
  }
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.keys(value).map((k) => [k, resolveUnknowns(read(value, k))]));
  }
  return value;
}
