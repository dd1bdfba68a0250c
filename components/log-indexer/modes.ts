/**
 * Choices of the findings part, pure so that the settings schema can use
 * them without loading Pulumi.
 */

/** Severities at which the findings indexer publishes an alert. */
export const ALERT_SEVERITIES = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** `create`: the component enables the service; `existing`: it is already on (rules only); `off`: nothing. */
export const FINDINGS_SERVICE_MODES = ["create", "existing", "off"] as const;
export type FindingsServiceMode = (typeof FINDINGS_SERVICE_MODES)[number];
