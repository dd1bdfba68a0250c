export { FlowLogMonitor, TRAFFIC_TYPES, flowLogMonitorArgProblems } from "./flow-log-monitor";
export type { FlowLogMonitorArgs, FlowLogTrafficType, IcmpDenyArgs } from "./flow-log-monitor";
export {
  COMPARISON_OPERATORS,
  DEFAULT_ALARM_TOPIC_NAME,
  DEFAULT_FLOW_LOG_FILTERS,
  DEFAULT_V2_FORMAT,
  FlowLogFilterError,
  NEW_FILTER_DEFAULTS,
  STATISTICS,
  TREAT_MISSING_DATA,
  mergeFilters,
} from "./filters";
export type {
  ComparisonOperator,
  FlowLogFilterOverride,
  FlowLogMetricFilter,
  Statistic,
  TreatMissingData,
} from "./filters";
export {
  FilterPatternError,
  PING_DENY_PATTERN,
  matchesFilterPattern,
  parseFilterPattern,
  splitLogEvent,
} from "./pattern";
export type { CompiledFilterPattern } from "./pattern";
export { FLOW_LOGS_SERVICE, flowLogDeliveryPolicy, flowLogTrustPolicy } from "./role-policy";
export type { TrustPolicyDocument, TrustStatement } from "./role-policy";
