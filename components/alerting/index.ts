export { Alerting } from "./alerting";
export type { AlertingArgs } from "./alerting";
export { alertTopicPolicy } from "./topic-policy";
