import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import type { IndexFamilyName } from "../../../components/observability-stack/index-families";
import {
  familyIndexPatterns,
  INDEX_FAMILIES,
  openSearchDataSourceUid,
} from "../../../components/observability-stack/index-families";
import type { FamilyFields } from "./families";
import { FAMILY_FIELDS, fieldType, isAggregatable, isNumeric, isSearchable } from "./families";

/*
 * Offline checks for the Prometheus rules and Grafana dashboards in
 * apps/dashboards. promtool and amtool validate syntax and behaviour; these
 * checks catch what they cannot: a metric name that the receiver does not
 * export (a renamed counter makes a rule or panel silently empty), an alert
 * without the labels and annotations routing and on-call rely on, a panel
 * with no query or an unresolvable data source. Apart from readRuleFiles,
 * every function is pure; checks return a list of problems (empty when all is
 * well) so a test can show them all at once.
 */

// ---------------------------------------------------------------- PromQL names

/** Words that look like identifiers in PromQL but never name a metric. */
const PROMQL_KEYWORDS: ReadonlySet<string> = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "offset",
  "inf",
  "nan",
]);

/**
 * Metric names selected by a PromQL expression, in order of first use, without
 * duplicates. A lexical scan, not a parser: it removes strings, label matchers,
 * range/subquery brackets, grouping clauses, numbers and Grafana variables,
 * then keeps every identifier that is not a function or aggregation (those are
 * followed by `(`) and not a keyword.
 * @throws Error for a selector by `__name__` (`{__name__="x"}`): the name would be
 *   invisible to this check, so such selectors are not allowed in this repo.
 */
export function promqlMetricNames(expr: string): string[] {
  if (/__name__/.test(expr)) {
    throw new Error(`selecting by __name__ is not supported (write the metric name): ${expr}`);
  }
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/#[^\n]*/g, " ")
    .replace(/\$\{[^}]*\}|\$\w+/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/@\s*[-+\w.()]+/g, " ")
    .replace(/\b\d+(?:\.\d*)?(?:[eE][-+]?\d+)?(?:[a-z]+)?\b|\.\d+\b/g, " ");
  const names: string[] = [];
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const after = stripped.slice(match.index + word.length).trimStart();
    if (after.startsWith("(") || PROMQL_KEYWORDS.has(word.toLowerCase())) continue;
    if (!names.includes(word)) names.push(word);
  }
  return names;
}

/** Series every Prometheus-compatible scraper adds per target (ADOT included). */
export const SCRAPE_SERIES: readonly string[] = [
  "up",
  "scrape_duration_seconds",
  "scrape_samples_scraped",
  "scrape_samples_post_metric_relabeling",
  "scrape_series_added",
];

/** A metric family as a registry describes it (prom-client's `getMetricsAsJSON()` fits). */
export interface MetricFamily {
  readonly name: string;
  readonly type: string;
}

/**
 * The series names a set of metric families is exposed as: histograms as
 * `_bucket`, `_sum` and `_count`, summaries as the name plus `_sum` and
 * `_count`, counters and gauges under their own name.
 */
export function exposedSeriesNames(families: readonly MetricFamily[]): Set<string> {
  const names = new Set<string>();
  for (const { name, type } of families) {
    if (type === "histogram") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
    } else if (type === "summary") {
      for (const suffix of ["", "_sum", "_count"]) names.add(name + suffix);
    } else {
      names.add(name);
    }
  }
  return names;
}

/** The names in `expr` that are not in `known`, each once. */
export function unknownMetricNames(expr: string, known: ReadonlySet<string>): string[] {
  return promqlMetricNames(expr).filter((name) => !known.has(name));
}

// ---------------------------------------------------------------- rule files

const ruleSchema = z
  .object({
    record: z.string().min(1).optional(),
    alert: z.string().min(1).optional(),
    expr: z.union([z.string().min(1), z.number()]).transform(String),
    for: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .refine((r) => (r.record === undefined) !== (r.alert === undefined), {
    message: "a rule has exactly one of `record` or `alert`",
  });

const ruleFileSchema = z
  .object({
    groups: z.array(
      z
        .object({
          name: z.string().min(1),
          interval: z.string().optional(),
          rules: z.array(ruleSchema).min(1),
        })
        .strict(),
    ),
  })
  .strict();

/** A Prometheus rule file (the `data` of an AMP rule group namespace). */
export type RuleFile = z.infer<typeof ruleFileSchema>;
/** One recording or alerting rule. */
export type Rule = RuleFile["groups"][number]["rules"][number];

/**
 * Parses a rule file's YAML text into its typed shape.
 * @throws Error naming `file` and every shape problem found.
 */
export function parseRuleFile(text: string, file: string): RuleFile {
  const result = ruleFileSchema.safeParse(parse(text));
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`${file} is not a valid rule file:\n  ${issues.join("\n  ")}`);
  }
  return result.data;
}

/** Severities the alertmanager routes on (apps/dashboards/alertmanager/alertmanager.yml). */
export const SEVERITIES: readonly string[] = ["critical", "warning"];

/** The document every `runbook` annotation must point into. */
export const RUNBOOK_DOCUMENT = "apps/dashboards/README.md";

/**
 * Anchors GitHub generates for the headings of a Markdown document: lower
 * case, punctuation removed, spaces to dashes, `-1`, `-2`… for repeats.
 * Headings inside fenced code blocks are ignored.
 */
export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const base = (heading[1] ?? "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/**
 * What an alerting rule lacks for routing and on-call: a known `severity`
 * label, non-empty `summary` and `description`, and a `runbook` of the form
 * `apps/dashboards/README.md#<anchor>` whose anchor exists in `anchors`.
 * Recording rules have no problems here.
 */
export function alertRuleProblems(rule: Rule, anchors: ReadonlySet<string>): string[] {
  if (rule.alert === undefined) return [];
  const problems: string[] = [];
  const say = (what: string): void => void problems.push(`alert ${rule.alert}: ${what}`);
  const severity = rule.labels?.severity;
  if (severity === undefined) say("no severity label");
  else if (!SEVERITIES.includes(severity))
    say(`severity "${severity}" is not one of ${SEVERITIES.join(", ")}`);
  for (const key of ["summary", "description", "runbook"]) {
    if ((rule.annotations?.[key] ?? "").trim() === "") say(`no ${key} annotation`);
  }
  const runbook = rule.annotations?.runbook;
  if (runbook !== undefined && runbook.trim() !== "") {
    const [document, anchor] = runbook.split("#", 2);
    if (document !== RUNBOOK_DOCUMENT || anchor === undefined) {
      say(`runbook "${runbook}" is not ${RUNBOOK_DOCUMENT}#<section>`);
    } else if (!anchors.has(anchor)) {
      say(`runbook section #${anchor} does not exist in ${RUNBOOK_DOCUMENT}`);
    }
  }
  return problems;
}

/** Names defined by the recording rules of the given files. */
export function recordedNames(files: readonly RuleFile[]): Set<string> {
  return new Set(files.flatMap((f) => f.groups.flatMap((g) => g.rules.flatMap((r) => r.record ?? []))));
}

/** Folder of the rule files (one AMP rule group namespace each); unit tests live in its `tests/`. */
export const RULES_DIR = join(__dirname, "..", "rules");

/** Every `*.yml` rule file in `dir`, parsed, with its path. */
export function readRuleFiles(
  dir: string = RULES_DIR,
): { readonly file: string; readonly rules: RuleFile }[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".yml"))
    .sort()
    .map((name) => {
      const file = join(dir, name);
      return { file, rules: parseRuleFile(readFileSync(file, "utf8"), file) };
    });
}

/**
 * Every series name a rule or panel may select: what the exporter's metric
 * families expose, the scrape series, and the recording rules' names.
 */
export function knownSeries(families: readonly MetricFamily[], ruleFiles: readonly RuleFile[]): Set<string> {
  return new Set([...exposedSeriesNames(families), ...SCRAPE_SERIES, ...recordedNames(ruleFiles)]);
}

/** Every rule expression's metric names that are not in `known`, as readable problems. */
export function ruleMetricProblems(file: RuleFile, known: ReadonlySet<string>): string[] {
  return file.groups.flatMap((group) =>
    group.rules.flatMap((rule) =>
      unknownMetricNames(rule.expr, known).map(
        (name) => `${group.name}/${rule.record ?? rule.alert ?? "?"}: unknown metric ${name}`,
      ),
    ),
  );
}

// ---------------------------------------------------------------- dashboards

/** A data source reference as Grafana stores it on panels and targets. */
interface DatasourceRef {
  readonly type?: string;
  readonly uid?: string;
}

/** One query of a panel; fields other than refId and datasource depend on the data source type. */
export interface DashboardTarget {
  readonly refId?: string;
  readonly datasource?: DatasourceRef;
  readonly [field: string]: unknown;
}

/** A panel, or a row holding panels. */
export interface DashboardPanel {
  readonly id?: unknown;
  readonly type?: string;
  readonly title?: string;
  readonly datasource?: DatasourceRef | null;
  readonly targets?: readonly DashboardTarget[];
  readonly panels?: readonly DashboardPanel[];
}

interface Variable {
  readonly name?: string;
  readonly type?: string;
  readonly query?: unknown;
  readonly datasource?: DatasourceRef | null;
  readonly current?: { readonly value?: unknown };
}

/** The parts of a Grafana dashboard model these checks read. */
export interface Dashboard {
  readonly uid?: unknown;
  readonly title?: unknown;
  readonly schemaVersion?: unknown;
  readonly templating?: { readonly list?: readonly Variable[] };
  readonly panels?: readonly DashboardPanel[];
}

/** The schema version every dashboard here is written for (Grafana 10.x/11.x, AMG). */
export const SCHEMA_VERSION = 39;

/** Plugin type of Grafana's OpenSearch data sources. */
export const OPENSEARCH_TYPE = "grafana-opensearch-datasource";
/** Plugin type of Grafana's X-Ray data source. */
export const XRAY_TYPE = "grafana-x-ray-datasource";

/**
 * The X-Ray data source's query types these dashboards use (the plugin's
 * `XrayQueryType`, grafana/x-ray-datasource src/types.ts), and whether each
 * needs a filter expression: a trace list or trace statistics of everything
 * would hide which service a panel is about; the service map is of the group.
 */
export const XRAY_QUERY_TYPES: Readonly<Record<string, { readonly needsFilter: boolean }>> = {
  getTraceSummaries: { needsFilter: true },
  getTimeSeriesServiceStatistics: { needsFilter: true },
  getServiceMap: { needsFilter: false },
};

/** The service names an X-Ray filter expression selects with `service("…")`, in order. */
export function xrayServiceNames(filter: string): string[] {
  return [...filter.matchAll(/\bservice\(\s*"([^"]*)"\s*\)/g)].map((m) => m[1] as string);
}

/**
 * Data sources the ObservabilityStack provisions, by fixed uid: one OpenSearch
 * data source per index family (`opensearch-<family>`). A dashboard names one
 * either by this uid or through a `datasource` variable whose plugin type
 * matches.
 */
export const FIXED_DATASOURCES: Readonly<Record<string, string>> = {
  prometheus: "prometheus",
  cloudwatch: "cloudwatch",
  athena: "grafana-athena-datasource",
  xray: XRAY_TYPE,
  ...Object.fromEntries(INDEX_FAMILIES.map((family) => [openSearchDataSourceUid(family), OPENSEARCH_TYPE])),
};

/** Panel types that show no data source query (layout and static content). */
const QUERYLESS_PANELS: ReadonlySet<string> = new Set(["row", "text", "news", "dashlist"]);

const nonEmpty = (value: unknown): boolean => typeof value === "string" && value.trim() !== "";

/**
 * Whether a target carries a query for its data source type, or undefined
 * when the type is not one this repo provisions.
 */
function hasQuery(type: string, target: DashboardTarget): boolean | undefined {
  switch (type) {
    case "prometheus":
      return nonEmpty(target.expr);
    case "cloudwatch":
      // Metric queries name namespace, metric and statistic; math, search and Logs Insights use `expression`.
      return (
        (nonEmpty(target.namespace) && nonEmpty(target.metricName) && nonEmpty(target.statistic)) ||
        nonEmpty(target.expression)
      );
    case "grafana-athena-datasource":
      return nonEmpty(target.rawSQL);
    case OPENSEARCH_TYPE:
      // The Lucene `query` may be empty (match all); the aggregation is what is asked.
      return Array.isArray(target.metrics) && target.metrics.length > 0;
    case XRAY_TYPE: {
      const kind = XRAY_QUERY_TYPES[String(target.queryType)];
      return kind !== undefined && (!kind.needsFilter || nonEmpty(target.query));
    }
    default:
      return undefined;
  }
}

/** All panels, those inside (collapsed) rows included. */
function flattenPanels(panels: readonly DashboardPanel[]): DashboardPanel[] {
  return panels.flatMap((p) => [p, ...flattenPanels(p.panels ?? [])]);
}

/**
 * Resolves a data source reference to its plugin type, or returns a problem:
 * `${var}`/`$var` must name a `datasource` variable of the same type, any
 * other uid must be one of {@link FIXED_DATASOURCES} with the same type.
 */
function resolveDatasource(ref: DatasourceRef, variables: readonly Variable[]): string | { problem: string } {
  const { type, uid } = ref;
  if (!nonEmpty(type) || !nonEmpty(uid)) return { problem: "data source needs a type and a uid" };
  const variable = /^\$\{?(\w+)\}?$/.exec(uid ?? "")?.[1];
  if (variable !== undefined) {
    const declared = variables.find((v) => v.name === variable);
    if (declared?.type !== "datasource")
      return { problem: `data source variable $${variable} is not declared` };
    if (declared.query !== type) {
      return { problem: `variable $${variable} selects ${String(declared.query)} data sources, not ${type}` };
    }
    return type as string;
  }
  const fixed = FIXED_DATASOURCES[uid as string];
  if (fixed === undefined) return { problem: `data source uid "${uid}" is not provisioned` };
  if (fixed !== type) return { problem: `data source uid "${uid}" is a ${fixed}, not ${type}` };
  return fixed;
}

/**
 * Problems of one dashboard: uid, title and schema version; unique panel ids;
 * for every panel that shows data, at least one target, each with a resolvable
 * data source (its own or the panel's), a unique refId and a non-empty query;
 * every Prometheus `expr` using only `knownMetrics`.
 */
export function dashboardProblems(dashboard: Dashboard, knownMetrics: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  if (!nonEmpty(dashboard.uid)) problems.push("no uid");
  if (!nonEmpty(dashboard.title)) problems.push("no title");
  if (dashboard.schemaVersion !== SCHEMA_VERSION) {
    problems.push(`schemaVersion is ${String(dashboard.schemaVersion)}, expected ${SCHEMA_VERSION}`);
  }
  const variables = dashboard.templating?.list ?? [];
  const panels = flattenPanels(dashboard.panels ?? []);
  if (panels.length === 0) problems.push("no panels");
  const ids = new Set<unknown>();
  for (const panel of panels) {
    const where = `panel ${String(panel.id)} "${panel.title ?? ""}"`;
    if (typeof panel.id !== "number") problems.push(`${where}: id is not a number`);
    else if (ids.has(panel.id)) problems.push(`${where}: duplicate id`);
    ids.add(panel.id);
    if (QUERYLESS_PANELS.has(panel.type ?? "")) continue;
    const targets = panel.targets ?? [];
    if (targets.length === 0) problems.push(`${where}: no query`);
    const refIds = new Set<string | undefined>();
    for (const target of targets) {
      const at = `${where} query ${target.refId ?? "?"}`;
      if (!nonEmpty(target.refId) || refIds.has(target.refId))
        problems.push(`${at}: missing or duplicate refId`);
      refIds.add(target.refId);
      const ref = target.datasource ?? panel.datasource;
      if (ref === undefined || ref === null) {
        problems.push(`${at}: no data source`);
        continue;
      }
      const type = resolveDatasource(ref, variables);
      if (typeof type !== "string") {
        problems.push(`${at}: ${type.problem}`);
        continue;
      }
      const ok = hasQuery(type, target);
      if (ok === undefined) problems.push(`${at}: unsupported data source type ${type}`);
      else if (!ok) problems.push(`${at}: empty query`);
      else if (type === "prometheus") {
        for (const name of unknownMetricNames(String(target.expr), knownMetrics)) {
          problems.push(`${at}: unknown metric ${name}`);
        }
      }
    }
  }
  return problems;
}

/** Uids and titles used by more than one of the given dashboards (Grafana rejects or shadows them). */
export function duplicateIdentityProblems(
  dashboards: readonly { readonly file: string; readonly dashboard: Dashboard }[],
): string[] {
  const problems: string[] = [];
  for (const key of ["uid", "title"] as const) {
    const owners = new Map<string, string[]>();
    for (const { file, dashboard } of dashboards) {
      const value = String(dashboard[key]);
      owners.set(value, [...(owners.get(value) ?? []), file]);
    }
    for (const [value, files] of owners) {
      if (files.length > 1) problems.push(`${key} "${value}" is used by ${files.join(", ")}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------- OpenSearch fields

/**
 * Field names a Lucene query string filters on (`field:value`,
 * `field:[a TO b]`, `_exists_:field`), in order, with repeats. Template
 * variables (`$source`) are values, never fields.
 */
export function luceneFields(query: string): string[] {
  const fields: string[] = [];
  for (const match of query.matchAll(/(?:^|[\s(!+-])([A-Za-z@_][\w.@]*):/g)) {
    if (match[1] !== "_exists_") fields.push(match[1] as string);
  }
  for (const match of query.matchAll(/_exists_:([\w.@]+)/g)) fields.push(match[1] as string);
  return fields;
}

/** The family whose Grafana data source has this uid, if any. */
export function familyOfDatasourceUid(uid: string): IndexFamilyName | undefined {
  return INDEX_FAMILIES.find((family) => openSearchDataSourceUid(family) === uid);
}

/** One aggregation of a Grafana OpenSearch target (metric or bucket). */
interface OpenSearchAgg {
  readonly type?: unknown;
  readonly field?: unknown;
  readonly settings?: { readonly filters?: readonly { readonly query?: unknown }[] };
}

const asString = (value: unknown): string => (typeof value === "string" ? value : "");

/** Metric aggregations that read no field of the documents. */
const FIELDLESS_METRICS: ReadonlySet<string> = new Set(["count", "logs", "raw_data", "raw_document"]);
/** Metric aggregations over other aggregations (their `field` is a metric id). */
const PIPELINE_METRICS: ReadonlySet<string> = new Set([
  "moving_avg",
  "moving_fn",
  "derivative",
  "cumulative_sum",
  "bucket_script",
]);

/**
 * Problems of the fields one aggregation uses, in `fields`: metric
 * aggregations over numbers (`cardinality` over anything aggregatable),
 * `date_histogram` over a date, `histogram` over a number, `terms` and the
 * others over an aggregatable field, `filters` queries on searchable fields.
 * Shared by the Grafana and the OpenSearch Dashboards checks: both send these
 * aggregations to the same indices.
 */
function aggFieldProblems(
  kind: "metric" | "bucket",
  type: string,
  field: unknown,
  filterQueries: readonly string[],
  fields: FamilyFields,
): string[] {
  const problems: string[] = [];
  const typeOf = (name: unknown): ReturnType<typeof fieldType> =>
    typeof name === "string" ? fieldType(fields, name) : undefined;
  const say = (what: string): void => void problems.push(`${type} ${asString(field)}: ${what}`);
  for (const query of filterQueries) problems.push(...luceneProblems(query, fields));
  if (kind === "metric") {
    if (FIELDLESS_METRICS.has(type) || PIPELINE_METRICS.has(type)) return problems;
    if (type === "cardinality") {
      if (!isAggregatable(typeOf(field))) say("not an aggregatable field");
    } else if (!isNumeric(typeOf(field))) say("not a numeric field");
    return problems;
  }
  if (type === "filters") return problems;
  if (type === "date_histogram") {
    if (typeOf(field) !== "date") say("not a date field");
  } else if (type === "histogram") {
    if (!isNumeric(typeOf(field))) say("not a numeric field");
  } else if (!isAggregatable(typeOf(field))) say("not an aggregatable field");
  return problems;
}

/** Fields of a Lucene query that the family does not index. */
function luceneProblems(query: string, fields: FamilyFields): string[] {
  return luceneFields(query)
    .filter((field) => !isSearchable(fieldType(fields, field)))
    .map((field) => `query "${query}": no searchable field ${field}`);
}

const filterQueriesOf = (agg: OpenSearchAgg): string[] =>
  (agg.settings?.filters ?? []).map((f) => asString(f.query));

/**
 * Problems of the OpenSearch queries of a Grafana dashboard against the
 * document fields of the family each one's data source searches: Lucene
 * queries only, time field `@timestamp`, every field filtered, aggregated or
 * listed by a variable present with a type that allows it. `${var}` data
 * sources resolve to the variable's default. Queries on other data sources
 * are left to {@link dashboardProblems}.
 */
export function openSearchFieldProblems(
  dashboard: Dashboard,
  families: Readonly<Record<IndexFamilyName, FamilyFields>> = FAMILY_FIELDS,
): string[] {
  const variables = dashboard.templating?.list ?? [];
  const defaults = new Map(
    variables.filter((v) => v.type === "datasource").map((v) => [`${v.name ?? ""}`, v.current?.value]),
  );
  const familyOf = (ref: DatasourceRef | null | undefined): IndexFamilyName | undefined => {
    if (ref?.type !== OPENSEARCH_TYPE || ref.uid === undefined) return undefined;
    const variable = /^\$\{?(\w+)\}?$/.exec(ref.uid)?.[1];
    const uid = variable === undefined ? ref.uid : defaults.get(variable);
    return typeof uid === "string" ? familyOfDatasourceUid(uid) : undefined;
  };
  const problems: string[] = [];
  for (const variable of variables) {
    const family = familyOf(variable.datasource);
    if (family === undefined || variable.type !== "query") continue;
    let query: { find?: unknown; field?: unknown; query?: unknown };
    try {
      query = (
        typeof variable.query === "string" ? JSON.parse(variable.query) : variable.query
      ) as typeof query;
    } catch {
      problems.push(`variable ${variable.name ?? "?"}: query is not JSON`);
      continue;
    }
    const where = `variable ${variable.name ?? "?"} (${family})`;
    if (query.find !== "terms") problems.push(`${where}: only {"find": "terms"} queries are checked`);
    if (!isAggregatable(fieldType(families[family], asString(query.field)))) {
      problems.push(`${where}: ${String(query.field)} is not an aggregatable field`);
    }
    for (const p of luceneProblems(asString(query.query), families[family])) problems.push(`${where}: ${p}`);
  }
  for (const panel of flattenPanels(dashboard.panels ?? [])) {
    for (const target of panel.targets ?? []) {
      const family = familyOf(target.datasource ?? panel.datasource);
      if (family === undefined) continue;
      const fields = families[family];
      const where = `panel ${String(panel.id)} "${panel.title ?? ""}" query ${target.refId ?? "?"} (${family})`;
      const say = (what: string): void => void problems.push(`${where}: ${what}`);
      if (target.queryType !== "lucene") say(`queryType is ${String(target.queryType)}, not lucene`);
      if (target.timeField !== "@timestamp") say(`timeField is ${String(target.timeField)}, not @timestamp`);
      for (const p of luceneProblems(asString(target.query), fields)) say(p);
      for (const [kind, list] of [
        ["metric", target.metrics],
        ["bucket", target.bucketAggs],
      ] as const) {
        for (const agg of (Array.isArray(list) ? list : []) as OpenSearchAgg[]) {
          for (const p of aggFieldProblems(kind, asString(agg.type), agg.field, filterQueriesOf(agg), fields))
            say(p);
        }
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------- OpenSearch Dashboards saved objects

/** A saved object as `_export` writes it and `_import` reads it, one per NDJSON line. */
export interface SavedObject {
  readonly type: string;
  readonly id: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly references: readonly { readonly name: string; readonly type: string; readonly id: string }[];
}

/**
 * Parses an NDJSON export of saved objects.
 * @throws Error naming the line that is not JSON.
 */
export function parseSavedObjects(text: string, file: string): SavedObject[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      try {
        return JSON.parse(line) as SavedObject;
      } catch (error) {
        throw new Error(`${file} line ${i + 1}: ${(error as Error).message}`);
      }
    });
}

interface SearchSource {
  readonly query?: { readonly query?: unknown; readonly language?: unknown };
  readonly indexRefName?: string;
}

interface VisAgg {
  readonly type?: string;
  readonly schema?: string;
  readonly params?: {
    readonly field?: unknown;
    readonly filters?: readonly { readonly input?: { readonly query?: unknown } }[];
  };
}

/** A saved object's JSON-in-a-string attribute, parsed, or a problem. */
function jsonAttribute<T>(object: SavedObject, read: (a: SavedObject["attributes"]) => unknown): T | string {
  const text = read(object.attributes);
  if (typeof text !== "string") return `${object.type} ${object.id}: attribute missing`;
  try {
    return JSON.parse(text) as T;
  } catch {
    return `${object.type} ${object.id}: attribute is not JSON`;
  }
}

/**
 * Problems of a set of saved objects (one NDJSON file) against the families'
 * fields: unique `type:id`s; every reference resolving to an object of the
 * file; index patterns that are a family's pattern with `@timestamp` as time
 * field; visualizations and saved searches whose Lucene query, aggregations,
 * columns and sort use fields of their index pattern's family that allow it;
 * dashboards whose every panel names one of its references.
 * @param patterns index pattern (title) of each family; default {@link familyIndexPatterns}.
 */
export function savedObjectProblems(
  objects: readonly SavedObject[],
  patterns: Readonly<Record<IndexFamilyName, string>> = familyIndexPatterns(),
  families: Readonly<Record<IndexFamilyName, FamilyFields>> = FAMILY_FIELDS,
): string[] {
  const problems: string[] = [];
  const keys = objects.map((o) => `${o.type}:${o.id}`);
  for (const [i, key] of keys.entries()) {
    if (keys.indexOf(key) !== i) problems.push(`${key}: duplicate`);
  }
  const byKey = new Map(objects.map((o) => [`${o.type}:${o.id}`, o]));
  const familyOfPattern = new Map<string, IndexFamilyName>();
  for (const object of objects.filter((o) => o.type === "index-pattern")) {
    const family = INDEX_FAMILIES.find((f) => patterns[f] === object.attributes.title);
    if (family === undefined) {
      problems.push(`index-pattern ${object.id}: ${String(object.attributes.title)} is no family's pattern`);
      continue;
    }
    familyOfPattern.set(object.id, family);
    if (object.attributes.timeFieldName !== "@timestamp")
      problems.push(`index-pattern ${object.id}: timeFieldName is not @timestamp`);
  }
  for (const object of objects) {
    const at = `${object.type} ${object.id}`;
    for (const ref of object.references) {
      if (!byKey.has(`${ref.type}:${ref.id}`))
        problems.push(`${at}: reference ${ref.name} → missing ${ref.type} ${ref.id}`);
    }
    if (object.type === "visualization" || object.type === "search") {
      const source = jsonAttribute<SearchSource>(
        object,
        (a) => (a.kibanaSavedObjectMeta as { searchSourceJSON?: unknown } | undefined)?.searchSourceJSON,
      );
      if (typeof source === "string") {
        problems.push(source);
        continue;
      }
      const patternId = object.references.find(
        (r) => r.name === source.indexRefName && r.type === "index-pattern",
      )?.id;
      const family = patternId === undefined ? undefined : familyOfPattern.get(patternId);
      if (family === undefined) {
        problems.push(`${at}: its search source names no family's index pattern`);
        continue;
      }
      const fields = families[family];
      if (source.query?.language !== "lucene") problems.push(`${at}: query language is not lucene`);
      for (const p of luceneProblems(asString(source.query?.query), fields)) problems.push(`${at}: ${p}`);
      if (object.type === "search") {
        const columns = object.attributes.columns;
        for (const column of Array.isArray(columns) ? (columns as unknown[]) : []) {
          if (fieldType(fields, asString(column)) === undefined)
            problems.push(`${at}: no field ${String(column)}`);
        }
        const sort = object.attributes.sort;
        for (const entry of Array.isArray(sort) ? (sort as unknown[]) : []) {
          const field = Array.isArray(entry) ? asString(entry[0]) : "";
          if (!isAggregatable(fieldType(fields, field))) problems.push(`${at}: cannot sort by ${field}`);
        }
        continue;
      }
      const state = jsonAttribute<{ aggs?: readonly VisAgg[] }>(object, (a) => a.visState);
      if (typeof state === "string") {
        problems.push(state);
        continue;
      }
      for (const agg of state.aggs ?? []) {
        const kind = agg.schema === "metric" ? "metric" : "bucket";
        const queries = (agg.params?.filters ?? []).map((f) => asString(f.input?.query));
        for (const p of aggFieldProblems(kind, agg.type ?? "", agg.params?.field, queries, fields))
          problems.push(`${at}: ${p}`);
      }
    }
    if (object.type === "dashboard") {
      const panels = jsonAttribute<readonly { panelRefName?: string }[]>(object, (a) => a.panelsJSON);
      if (typeof panels === "string") {
        problems.push(panels);
        continue;
      }
      if (panels.length === 0) problems.push(`${at}: no panels`);
      for (const panel of panels) {
        if (!object.references.some((r) => r.name === panel.panelRefName))
          problems.push(`${at}: panel ${String(panel.panelRefName)} has no reference`);
      }
    }
  }
  return problems;
}
