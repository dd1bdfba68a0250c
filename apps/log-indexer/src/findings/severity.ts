/**
 * Severity labels of findings and the two products' scales.
 *
 * GuardDuty scores a finding 1.0–10.0 and names the bands (Amazon GuardDuty
 * User Guide, "Severity levels of GuardDuty findings"): Low 1.0–3.9, Medium
 * 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0. Security Hub's ASFF `Severity`
 * carries `Normalized` 0–100 and `Label`, derived from each other when only
 * one is given (AWS Security Hub API Reference, "Severity"): 0 INFORMATIONAL,
 * 1–39 LOW, 40–69 MEDIUM, 70–89 HIGH, 90–100 CRITICAL; and the other way
 * INFORMATIONAL 0, LOW 1, MEDIUM 40, HIGH 70, CRITICAL 90.
 */

/** The labels, lowest first. */
export const SEVERITY_LABELS = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;

/** One severity label. */
export type SeverityLabel = (typeof SEVERITY_LABELS)[number];

/** Whether a value is one of {@link SEVERITY_LABELS} (exact, upper case). */
export function isSeverityLabel(value: unknown): value is SeverityLabel {
  return typeof value === "string" && (SEVERITY_LABELS as readonly string[]).includes(value);
}

/** Rank of a label: 0 INFORMATIONAL … 4 CRITICAL, for comparisons. */
export function severityRank(label: SeverityLabel): number {
  return SEVERITY_LABELS.indexOf(label);
}

/** Whether `label` is at or above `threshold`. */
export function atLeast(label: SeverityLabel, threshold: SeverityLabel): boolean {
  return severityRank(label) >= severityRank(threshold);
}

/**
 * The label of a GuardDuty severity (1.0–10.0). Values below 1.0 (0 is
 * "reserved" in GuardDuty's documentation) count as LOW, values above 10 as
 * CRITICAL: every finding gets a label, none is lost for an odd score.
 */
export function guardDutyLabel(severity: number): Exclude<SeverityLabel, "INFORMATIONAL"> {
  if (severity >= 9) return "CRITICAL";
  if (severity >= 7) return "HIGH";
  if (severity >= 4) return "MEDIUM";
  return "LOW";
}

/**
 * The 0–100 score of a GuardDuty severity: ×10, rounded to two decimals so
 * that binary floating point (e.g. 0.7 × 10) does not leak into the index,
 * clamped to 0–100 like Security Hub's `Normalized`.
 */
export function guardDutyScore(severity: number): number {
  return clampScore(Math.round(severity * 1000) / 100);
}

/** Security Hub's label for a `Normalized` score (0–100, fractions rounded down to the band below). */
export function normalizedLabel(normalized: number): SeverityLabel {
  if (normalized >= 90) return "CRITICAL";
  if (normalized >= 70) return "HIGH";
  if (normalized >= 40) return "MEDIUM";
  if (normalized >= 1) return "LOW";
  return "INFORMATIONAL";
}

/** Security Hub's `Normalized` for a label given alone. */
export const LABEL_SCORES: Readonly<Record<SeverityLabel, number>> = {
  INFORMATIONAL: 0,
  LOW: 1,
  MEDIUM: 40,
  HIGH: 70,
  CRITICAL: 90,
};

/** A score clamped to 0–100. */
export function clampScore(score: number): number {
  return Math.min(100, Math.max(0, score));
}

/**
 * Reads a threshold setting (`ALERT_SEVERITY`): LOW, MEDIUM, HIGH or CRITICAL,
 * any case, surrounding blanks ignored; absent or empty → `fallback`.
 *
 * @returns the label, or an error message naming the accepted values.
 */
export function parseAlertSeverity(
  text: string | undefined,
  fallback: SeverityLabel = "HIGH",
): SeverityLabel | { readonly error: string } {
  const value = (text ?? "").trim().toUpperCase();
  if (value === "") return fallback;
  if (value !== "INFORMATIONAL" && isSeverityLabel(value)) return value;
  return { error: `must be one of LOW, MEDIUM, HIGH, CRITICAL (got ${JSON.stringify(text)})` };
}
