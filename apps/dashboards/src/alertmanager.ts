import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";

/** Folder of the alertmanager configuration template and its notification templates. */
export const ALERTMANAGER_DIR = join(__dirname, "..", "alertmanager");

/** The configuration template, with `${ALERT_TOPIC_ARN}` and `${AWS_REGION}` placeholders. */
export const ALERTMANAGER_CONFIG_PATH = join(ALERTMANAGER_DIR, "alertmanager.yml");

/**
 * Notification template files the configuration's `templates:` list names.
 * AMP takes them as `template_files` keyed by these names; plain Alertmanager
 * (and amtool) finds them next to the configuration file.
 */
export const TEMPLATE_FILE_NAMES: readonly string[] = ["log-platform.tmpl"];

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces every `${NAME}` in `text` with `values[NAME]`, in one pass (a value
 * is never scanned for placeholders itself).
 * @throws Error when `text` has a placeholder with no value (Alertmanager would
 *   keep it as a literal and fail only when it first sends), or when a value is
 *   given that `text` never uses (the template drifted from its caller).
 */
export function substitutePlaceholders(text: string, values: Readonly<Record<string, string>>): string {
  const used = new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string));
  const missing = [...used].filter((name) => !Object.hasOwn(values, name));
  if (missing.length > 0) {
    throw new Error(`no value for placeholder(s) ${missing.map((n) => `\${${n}}`).join(", ")}`);
  }
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0) {
    throw new Error(
      `placeholder(s) ${unused.map((n) => `\${${n}}`).join(", ")} do not occur in the template`,
    );
  }
  return text.replace(PLACEHOLDER, (_whole, name: string) => values[name] as string);
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;

/**
 * The alertmanager configuration with the SNS topic and region filled in.
 * Both values are checked first, so nothing but an ARN and a region name can
 * reach the YAML, and the topic must live in `region`: the SNS client signs
 * (sigv4) for that region and SNS refuses a topic of another one.
 * @param topicArn ARN of the alert topic (the Alerting component's)
 * @param region AWS region of the AMP workspace and the topic, e.g. `eu-west-1`
 * @param template the configuration template; defaults to {@link ALERTMANAGER_CONFIG_PATH}
 * @throws Error for a malformed ARN or region, a region mismatch, or a placeholder left unfilled
 */
export function renderAlertmanagerConfig(
  topicArn: string,
  region: string,
  template: string = readFileSync(ALERTMANAGER_CONFIG_PATH, "utf8"),
): string {
  if (!REGION.test(region)) throw new Error(`"${region}" is not an AWS region name (e.g. eu-west-1)`);
  const topicRegion = TOPIC_ARN.exec(topicArn)?.[1];
  if (topicRegion === undefined) {
    throw new Error(`"${topicArn}" is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`);
  }
  if (topicRegion !== region) {
    throw new Error(`topic ${topicArn} is in ${topicRegion}, but alertmanager signs for ${region}`);
  }
  return substitutePlaceholders(template, { ALERT_TOPIC_ARN: topicArn, AWS_REGION: region });
}

/** The notification templates by file name, as read from {@link ALERTMANAGER_DIR}. */
export function readTemplateFiles(): Record<string, string> {
  return Object.fromEntries(
    TEMPLATE_FILE_NAMES.map((name) => [name, readFileSync(join(ALERTMANAGER_DIR, name), "utf8")]),
  );
}

/**
 * The document `aws.amp.AlertManagerDefinition` takes as `definition`:
 * `template_files` (name → text) and `alertmanager_config` (the rendered
 * configuration), both as YAML block strings.
 * @param config a rendered configuration ({@link renderAlertmanagerConfig})
 * @param templateFiles notification templates by name; defaults to {@link readTemplateFiles}
 * @throws Error when the configuration's `templates:` list and the given files differ
 */
export function ampAlertManagerDefinition(
  config: string,
  templateFiles: Readonly<Record<string, string>> = readTemplateFiles(),
): string {
  const named = ((parse(config) as { templates?: unknown } | null)?.templates ?? []) as unknown[];
  const given = Object.keys(templateFiles);
  const sameSet =
    named.length === given.length && named.every((n) => typeof n === "string" && given.includes(n));
  if (!sameSet) {
    throw new Error(
      `the configuration names templates [${named.join(", ")}] but [${given.join(", ")}] were given`,
    );
  }
  return stringify({ template_files: templateFiles, alertmanager_config: config });
}
