/**
 * Lambda's Node.js runtimes and their deprecation schedule: the one table the
 * program (which runtime its functions use, components/lib/lambda.ts) and the
 * policy pack (which runtimes it accepts, rule `lambda-supported-runtime`)
 * share. It lives in the pack so `pulumi policy publish`, which ships only
 * this folder, keeps it.
 *
 * Source: "Building Lambda functions with Node.js", supported runtimes
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html) and the
 * "Lambda runtimes" page (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
 * Rows are the ones that page lists. AWS has moved block dates more than once
 * (nodejs20.x: Jun 1 / Jul 1, 2026 in older copies, Aug 31 / Sep 30, 2026 on
 * the page above), so the rule fails from the deprecation date already: from
 * then on Lambda no longer patches the runtime, and a block date pushed back
 * never lets an unpatched runtime through. A runtime missing from the table
 * fails too, with a message saying to add its row.
 */

/** Where AWS publishes the dates; the place to look when adding a row. */
export const LAMBDA_RUNTIMES_PAGE = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html";

/** One runtime's schedule; each date is the UTC day from which it applies. */
export interface RuntimeSchedule {
  /** Lambda stops patching the runtime; the function is no longer eligible for support. */
  readonly deprecate: string;
  /** Lambda refuses to create functions on the runtime. */
  readonly blockCreate: string;
  /** Lambda refuses to update functions on the runtime (code or configuration). */
  readonly blockUpdate: string;
}

export const LAMBDA_NODE_RUNTIMES = {
  "nodejs24.x": { deprecate: "2028-04-30", blockCreate: "2028-06-01", blockUpdate: "2028-07-01" },
  "nodejs22.x": { deprecate: "2027-04-30", blockCreate: "2027-06-01", blockUpdate: "2027-07-01" },
  "nodejs20.x": { deprecate: "2026-04-30", blockCreate: "2026-08-31", blockUpdate: "2026-09-30" },
} as const satisfies Record<string, RuntimeSchedule>;

/** A runtime identifier the table knows. */
export type LambdaNodeRuntime = keyof typeof LAMBDA_NODE_RUNTIMES;

/** How many days before the deprecation date the policy starts warning (advisory). */
export const DEPRECATION_WARNING_DAYS = 60;

export type RuntimeStatus =
  | { readonly state: "unknown" }
  | { readonly state: "update-blocked" | "create-blocked" | "deprecated"; readonly since: string }
  | { readonly state: "deprecating"; readonly on: string; readonly daysLeft: number }
  | { readonly state: "supported"; readonly until: string };

const DAY_MS = 86_400_000;
const dayStart = (isoDay: string): number => Date.parse(`${isoDay}T00:00:00Z`);

/** True when `runtime` is an identifier of the table. */
export function isKnownRuntime(runtime: string): runtime is LambdaNodeRuntime {
  return Object.prototype.hasOwnProperty.call(LAMBDA_NODE_RUNTIMES, runtime);
}

/**
 * Where `runtime` stands on `now`, the latest stage reached first.
 *
 * @param warningDays days before the deprecation date that count as
 *   "deprecating" (default {@link DEPRECATION_WARNING_DAYS}).
 */
export function runtimeStatus(
  runtime: string,
  now: Date,
  warningDays: number = DEPRECATION_WARNING_DAYS,
): RuntimeStatus {
  if (!isKnownRuntime(runtime)) return { state: "unknown" };
  const schedule: RuntimeSchedule = LAMBDA_NODE_RUNTIMES[runtime];
  const t = now.getTime();
  if (t >= dayStart(schedule.blockUpdate)) return { state: "update-blocked", since: schedule.blockUpdate };
  if (t >= dayStart(schedule.blockCreate)) return { state: "create-blocked", since: schedule.blockCreate };
  if (t >= dayStart(schedule.deprecate)) return { state: "deprecated", since: schedule.deprecate };
  const daysLeft = Math.ceil((dayStart(schedule.deprecate) - t) / DAY_MS);
  if (daysLeft <= warningDays) return { state: "deprecating", on: schedule.deprecate, daysLeft };
  return { state: "supported", until: schedule.deprecate };
}
