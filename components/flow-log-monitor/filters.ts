/**
 * The flow-log metric filter catalogue: what the FlowLogMonitor counts in the
 * VPC flow log group and when it raises an alarm. Pure data and a pure merge;
 * the component turns each entry into an `aws.cloudwatch.LogMetricFilter`
 * (plus an `aws.cloudwatch.MetricAlarm` when `createAlarm` is true).
 */
import { PING_DENY_PATTERN, parseFilterPattern, type CompiledFilterPattern } from "./pattern";

/**
 * The default (version 2) flow log record format, written out so that the
 * flow log and the patterns below provably agree on field order. A plain string
 * on purpose: `${...}` is flow-log syntax, not TypeScript interpolation.
 */
export const DEFAULT_V2_FORMAT =
  "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

/** The source design's SNS topic for the ping-deny alarm, kept as the default topic name. */
export const DEFAULT_ALARM_TOPIC_NAME = "CloudWatch-Alarms-Ping-Deny";

/** Alarm comparison operators that work with a static threshold. */
export const COMPARISON_OPERATORS = [
  "GreaterThanOrEqualToThreshold",
  "GreaterThanThreshold",
  "LessThanThreshold",
  "LessThanOrEqualToThreshold",
] as const;
/** An AWS `ComparisonOperator` usable with a static threshold. */
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

/** CloudWatch alarm statistics. */
export const STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"] as const;
/** A CloudWatch alarm statistic. */
export type Statistic = (typeof STATISTICS)[number];

/** How an alarm treats periods without data points. */
export const TREAT_MISSING_DATA = ["missing", "ignore", "breaching", "notBreaching"] as const;
/** An AWS `TreatMissingData` value. */
export type TreatMissingData = (typeof TREAT_MISSING_DATA)[number];

/** One metric filter on the flow log group and the alarm on its metric. */
export interface FlowLogMetricFilter {
  /** Unique, kebab-case; becomes part of the resource names. */
  readonly name: string;
  /** CloudWatch Logs filter pattern (validated with `parseFilterPattern`). */
  readonly pattern: string;
  /** Metric namespace (not `AWS/...`, which is reserved). */
  readonly namespace: string;
  readonly metricName: string;
  /** Value published per matching record: a number, or `$field` naming a field of the pattern. */
  readonly metricValue: string;
  /** Whether the component creates an alarm on this metric; when false the metric only feeds dashboards. */
  readonly createAlarm: boolean;
  readonly threshold: number;
  /** Alarm period in seconds: 10, 30 or a multiple of 60. */
  readonly period: number;
  readonly evaluationPeriods: number;
  readonly statistic: Statistic;
  readonly comparison: ComparisonOperator;
  readonly treatMissingData: TreatMissingData;
  readonly description: string;
}

/**
 * A change to the catalogue, keyed by `name`: for a default filter, the fields
 * given replace the default's (`enabled: false` removes the filter); for any
 * other name, a new filter that needs at least `pattern` and `metricName`
 * (other fields default to {@link NEW_FILTER_DEFAULTS}).
 */
export type FlowLogFilterOverride = { readonly name: string; readonly enabled?: boolean } & Partial<
  Omit<FlowLogMetricFilter, "name">
>;

/** Defaults for filters added through overrides: one count per record, alarm on the first match. */
export const NEW_FILTER_DEFAULTS: Omit<
  FlowLogMetricFilter,
  "name" | "pattern" | "metricName" | "description"
> = {
  namespace: "FlowLogs",
  metricValue: "1",
  createAlarm: true,
  threshold: 1,
  period: 60,
  evaluationPeriods: 1,
  statistic: "Sum",
  comparison: "GreaterThanOrEqualToThreshold",
  treatMissingData: "notBreaching",
};

/** Space-delimited pattern over the 14 default-format fields with conditions on some of them. */
function v2Pattern(conditions: Readonly<Record<string, string>>): string {
  const fields = [
    "version",
    "account",
    "eni",
    "source",
    "destination",
    "srcport",
    "destport",
    "protocol",
    "packets",
    "bytes",
    "starttime",
    "endtime",
    "action",
    "flowlogstatus",
  ];
  return `[${fields.map((f) => (conditions[f] === undefined ? f : `${f}=${conditions[f]}`)).join(", ")}]`;
}

/**
 * NODATA and SKIPDATA records carry only version, account, interface and the
 * window; the AWS examples show `-` in every other field
 * (`2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA`),
 * so the patterns insist on that exact shape.
 */
function statusOnlyPattern(status: "NODATA" | "SKIPDATA"): string {
  const dash = '"-"';
  return v2Pattern({
    source: dash,
    destination: dash,
    srcport: dash,
    destport: dash,
    protocol: dash,
    packets: dash,
    bytes: dash,
    action: dash,
    flowlogstatus: `"${status}"`,
  });
}

/**
 * The default catalogue.
 *
 * - `ping-deny` is the source design unchanged (its namespace, metric, and
 *   alarm: Sum over 60 s >= 1), so existing consumers of `Ping-Deny-Metrics` keep working.
 * - The others publish to one `FlowLogs` namespace so dashboards find them together.
 *   Any internet-facing VPC sees a steady trickle of rejected scans, so the reject
 *   and probe alarms fire on a burst over 5 minutes rather than on every record:
 *   500 rejected flows, or 20 rejected SSH / RDP flows (each new source port of a
 *   scanner is its own record, so a password-guessing run crosses 20 quickly while
 *   one-off scans do not). These are starting points; tune them per stack with overrides.
 * - `skipped-records` alarms on the first SKIPDATA record: flows went unrecorded, so
 *   the monitor itself has a blind spot.
 * - `no-data-records` only counts NODATA: an idle interface writes one per
 *   aggregation interval, which is normal, so it feeds the dashboard without an alarm.
 */
export const DEFAULT_FLOW_LOG_FILTERS: readonly FlowLogMetricFilter[] = [
  {
    name: "ping-deny",
    pattern: PING_DENY_PATTERN,
    namespace: "Ping-Deny-Metrics",
    metricName: "Ping-Deny",
    metricValue: "1",
    createAlarm: true,
    threshold: 1,
    period: 60,
    evaluationPeriods: 1,
    statistic: "Sum",
    comparison: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
    description: "ICMP (protocol 1) traffic rejected, e.g. pings denied by the network ACL",
  },
  {
    name: "rejected-flows",
    pattern: v2Pattern({ action: '"REJECT"' }),
    namespace: "FlowLogs",
    metricName: "RejectedFlows",
    metricValue: "1",
    createAlarm: true,
    threshold: 500,
    period: 300,
    evaluationPeriods: 1,
    statistic: "Sum",
    comparison: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
    description: "All flows rejected by a security group or network ACL; alarms on a burst",
  },
  {
    name: "ssh-probes",
    pattern: v2Pattern({ destport: "22", protocol: "6", action: '"REJECT"' }),
    namespace: "FlowLogs",
    metricName: "RejectedSshProbes",
    metricValue: "1",
    createAlarm: true,
    threshold: 20,
    period: 300,
    evaluationPeriods: 1,
    statistic: "Sum",
    comparison: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
    description: "Rejected TCP connections to port 22 (SSH probes)",
  },
  {
    name: "rdp-probes",
    pattern: v2Pattern({ destport: "3389", protocol: "6", action: '"REJECT"' }),
    namespace: "FlowLogs",
    metricName: "RejectedRdpProbes",
    metricValue: "1",
    createAlarm: true,
    threshold: 20,
    period: 300,
    evaluationPeriods: 1,
    statistic: "Sum",
    comparison: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
    description: "Rejected TCP connections to port 3389 (RDP probes)",
  },
  {
    name: "skipped-records",
    pattern: statusOnlyPattern("SKIPDATA"),
    namespace: "FlowLogs",
    metricName: "SkippedRecords",
    metricValue: "1",
    createAlarm: true,
    threshold: 1,
    period: 300,
    evaluationPeriods: 1,
    statistic: "Sum",
    comparison: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
    description: "SKIPDATA records: flow log capacity exceeded, flows went unrecorded",
  },
  {
    name: "no-data-records",
    pattern: statusOnlyPattern("NODATA"),
    namespace: "FlowLogs",
    metricName: "NoDataRecords",
    metricValue: "1",
    createAlarm: false,
    threshold: 1,
    period: 300,
    evaluationPeriods: 1,
    statistic: "Sum",
    comparison: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
    description: "NODATA records: interfaces without traffic in an aggregation interval (dashboard only)",
  },
];

/** Thrown by {@link mergeFilters}; `problems` lists every problem found, not just the first. */
export class FlowLogFilterError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid flow log metric filters (${problems.length}):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "FlowLogFilterError";
  }
}

const FILTER_KEYS: ReadonlySet<string> = new Set<keyof FlowLogFilterOverride>([
  "name",
  "enabled",
  "pattern",
  "namespace",
  "metricName",
  "metricValue",
  "createAlarm",
  "threshold",
  "period",
  "evaluationPeriods",
  "statistic",
  "comparison",
  "treatMissingData",
  "description",
]);
const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const NUMERIC_VALUE_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Applies per-stack overrides to a filter catalogue and validates the result.
 * Overrides usually come from stack config, so every field is checked at run
 * time as well as by the type.
 *
 * @param defaults the catalogue to start from, normally {@link DEFAULT_FLOW_LOG_FILTERS}
 * @param overrides changes keyed by filter name (see {@link FlowLogFilterOverride})
 * @returns the enabled filters: defaults in their order, then added filters in override order
 * @throws FlowLogFilterError listing every problem at once (unknown fields, unknown
 *   names without a pattern, duplicate names, invalid patterns, bad metric values,
 *   thresholds, periods, evaluation periods, statistics, comparisons)
 */
export function mergeFilters(
  defaults: readonly FlowLogMetricFilter[],
  overrides: readonly FlowLogFilterOverride[],
): FlowLogMetricFilter[] {
  const problems: string[] = [];
  const byName = new Map<string, FlowLogMetricFilter>();
  for (const filter of defaults) {
    if (byName.has(filter.name)) problems.push(`default filter "${filter.name}" is defined twice`);
    byName.set(filter.name, filter);
  }

  const seen = new Set<string>();
  const disabled = new Set<string>();
  const added: FlowLogMetricFilter[] = [];
  for (const [index, override] of overrides.entries()) {
    const label = `override #${index + 1} ("${String(override.name)}")`;
    for (const key of Object.keys(override)) {
      if (!FILTER_KEYS.has(key)) problems.push(`${label}: unknown field "${key}"`);
    }
    if (seen.has(override.name)) {
      problems.push(`${label}: filter "${override.name}" is overridden more than once`);
      continue;
    }
    seen.add(override.name);
    const { enabled, ...fields } = override;
    const base = byName.get(override.name);
    if (enabled === false) {
      if (base === undefined) problems.push(`${label}: cannot disable "${override.name}", no such filter`);
      disabled.add(override.name);
      continue;
    }
    if (base !== undefined) {
      byName.set(override.name, { ...base, ...definedFields(fields) });
      continue;
    }
    if (fields.pattern === undefined || fields.metricName === undefined) {
      problems.push(
        `${label}: "${override.name}" is not a default filter, so it needs at least "pattern" and "metricName"`,
      );
      continue;
    }
    added.push({
      ...NEW_FILTER_DEFAULTS,
      description: "",
      ...definedFields(fields),
      name: override.name,
      pattern: fields.pattern,
      metricName: fields.metricName,
    });
  }

  const result = [...[...byName.values()].filter((f) => !disabled.has(f.name)), ...added];
  for (const filter of result) problems.push(...filterProblems(filter));
  if (problems.length > 0) throw new FlowLogFilterError(problems);
  return result;
}

/** Drops keys whose value is `undefined`, so an override never blanks a default field. */
function definedFields<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function filterProblems(filter: FlowLogMetricFilter): string[] {
  const problems: string[] = [];
  const at = `filter "${String(filter.name)}"`;
  const add = (problem: string): void => {
    problems.push(`${at}: ${problem}`);
  };
  if (typeof filter.name !== "string" || !NAME_RE.test(filter.name)) {
    add("name must be 1-64 lowercase letters, digits or '-', starting and ending with a letter or digit");
  }
  let compiled: CompiledFilterPattern | undefined;
  try {
    compiled = parseFilterPattern(String(filter.pattern));
  } catch (error) {
    add(`pattern: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof filter.namespace !== "string" || filter.namespace.trim() === "") {
    add("namespace must be a non-empty string");
  } else if (filter.namespace.startsWith("AWS/")) {
    add(`namespace "${filter.namespace}" is reserved for AWS services`);
  }
  if (typeof filter.metricName !== "string" || filter.metricName.trim() === "") {
    add("metricName must be a non-empty string");
  }
  const value = String(filter.metricValue);
  if (value.startsWith("$")) {
    if (compiled !== undefined && !compiled.fieldNames.includes(value.slice(1))) {
      add(`metricValue "${value}" names no field of the pattern`);
    }
  } else if (!NUMERIC_VALUE_RE.test(value)) {
    add(`metricValue "${value}" must be a number or "$field"`);
  }
  if (typeof filter.createAlarm !== "boolean") add("createAlarm must be true or false");
  if (typeof filter.threshold !== "number" || !Number.isFinite(filter.threshold) || filter.threshold < 0) {
    add(`threshold ${String(filter.threshold)} must be a finite number >= 0 (the metrics are counts)`);
  }
  const period = filter.period;
  if (
    typeof period !== "number" ||
    !Number.isInteger(period) ||
    !(period === 10 || period === 30 || (period > 0 && period % 60 === 0))
  ) {
    add(`period ${String(period)} must be 10, 30 or a multiple of 60 seconds`);
  }
  if (!Number.isInteger(filter.evaluationPeriods) || filter.evaluationPeriods < 1) {
    add(`evaluationPeriods ${String(filter.evaluationPeriods)} must be a whole number >= 1`);
  }
  if (!(STATISTICS as readonly string[]).includes(filter.statistic)) {
    add(`statistic "${String(filter.statistic)}" must be one of ${STATISTICS.join(", ")}`);
  }
  if (!(COMPARISON_OPERATORS as readonly string[]).includes(filter.comparison)) {
    add(`comparison "${String(filter.comparison)}" must be one of ${COMPARISON_OPERATORS.join(", ")}`);
  }
  if (!(TREAT_MISSING_DATA as readonly string[]).includes(filter.treatMissingData)) {
    add(
      `treatMissingData "${String(filter.treatMissingData)}" must be one of ${TREAT_MISSING_DATA.join(", ")}`,
    );
  }
  if (typeof filter.description !== "string") add("description must be a string");
  return problems;
}
