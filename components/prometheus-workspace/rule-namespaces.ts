import * as fs from "node:fs";
import * as path from "node:path";

/** One AMP rule group namespace: a Prometheus rule file. */
export interface RuleNamespace {
  /** Namespace name: the file name without `.yml`. */
  readonly name: string;
  /** The file's text, as AMP takes it. */
  readonly data: string;
}

/** Every `*.yml` directly in `dir` (not in sub-folders such as promtool's `tests/`), sorted by name. */
export function readRuleNamespaces(dir: string): RuleNamespace[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".yml"))
    .map((entry) => entry.name)
    .sort()
    .map((file) => ({
      name: file.slice(0, -".yml".length),
      data: fs.readFileSync(path.join(dir, file), "utf8"),
    }));
}

/** Namespace names AMP accepts: 1–64 characters of letters, digits, `-`, `_`, `.`. */
const NAMESPACE_NAME = /^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/;

/** Problems with a set of namespaces: bad or repeated names, empty rule files. */
export function ruleNamespaceProblems(namespaces: readonly RuleNamespace[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { name, data } of namespaces) {
    if (!NAMESPACE_NAME.test(name)) {
      problems.push(
        `ruleNamespaces: "${name}" must be 1–64 letters, digits, '.', '_' or '-' starting with a letter or digit`,
      );
    }
    if (seen.has(name)) problems.push(`ruleNamespaces: "${name}" is given twice`);
    seen.add(name);
    if (data.trim() === "") problems.push(`ruleNamespaces: "${name}" has no rules`);
  }
  return problems;
}
