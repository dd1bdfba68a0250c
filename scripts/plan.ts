/**
 * Offline plan: evaluates the real program under Pulumi mocks with a stack's
 * own settings file, prints the tree of components and resources, and can
 * write every resource with its inputs as JSON (secrets redacted).
 *
 *   npm run plan -- --stack dev|prod [--json FILE] [--preview]
 *
 * With --preview the program is evaluated as `pulumi preview` does for a new
 * stack: outputs of the resources being created are unknown ("[unknown]" in
 * the JSON), and the plan fails on anything a real preview would trip on (an
 * apply that throws, an invoke or a remote component through a provider whose
 * configuration is unknown).
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";

import type { RecordedResource, UnconfiguredProvider } from "../test/lib/mocks";
import { redactSecrets, runUnderMocks } from "../test/lib/mocks";
import { offlineStackConfig } from "../test/lib/stack-config";

export interface PlanResult {
  readonly stack: string;
  readonly placeholders: readonly string[];
  readonly resources: readonly RecordedResource[];
  /** True when evaluated as a preview of a new stack. */
  readonly preview: boolean;
  /** Preview only: providers configured from unknown values, and the resources they leave unchecked. */
  readonly unconfiguredProviders: readonly UnconfiguredProvider[];
}

/** Runs the program of `stack` offline and returns what it would create (as a preview would see it, with `preview`). */
export async function plan(stack: string, options: { readonly preview?: boolean } = {}): Promise<PlanResult> {
  const stackConfig = offlineStackConfig(stack);
  const preview = options.preview === true;
  const run = await runUnderMocks(
    stack,
    stackConfig,
    async () => {
      // Imported here, after the mocks are set, as the engine would load the program.
      const { buildPlatform } = await import("../stacks/platform");
      const { loadSettings } = await import("../stacks/settings");
      return buildPlatform(loadSettings());
    },
    { preview },
  );
  return {
    stack,
    placeholders: stackConfig.placeholders,
    resources: run.resources,
    preview,
    unconfiguredProviders: run.unconfiguredProviders,
  };
}

/**
 * The JSON form of DESIGN.md §7: every resource, inputs resolved, secrets as
 * "[secret]"; a preview adds `preview: true`, unknown values as "[unknown]",
 * and the providers whose configuration is unknown.
 */
export function planJson(result: PlanResult): object {
  return {
    stack: result.stack,
    ...(result.preview ? { preview: true, unconfiguredProviders: result.unconfiguredProviders } : {}),
    resources: result.resources.map((r) => ({
      type: r.type,
      name: r.name,
      parent: r.parent,
      options: r.options,
      inputs: redactSecrets(r.inputs),
    })),
  };
}

/** A readable tree: each component with its children, and counts by type. */
export function planTree(result: PlanResult): string {
  // By type and name: a component may be named like the component that composes it.
  const keyOf = (type: string | null, name: string | null) => (name === null ? null : `${type}::${name}`);
  const children = new Map<string | null, RecordedResource[]>();
  for (const r of result.resources) {
    const parent = keyOf(r.parentType, r.parent);
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const lines: string[] = [
    result.preview
      ? `stack ${result.stack} (preview of a new stack: outputs of new resources unknown)`
      : `stack ${result.stack}`,
  ];
  const walk = (parent: string | null, depth: number): void => {
    for (const r of children.get(parent) ?? []) {
      lines.push(`${"  ".repeat(depth + 1)}${r.custom ? "" : "▸ "}${r.name}  (${r.type})`);
      if (!r.custom) walk(keyOf(r.type, r.name), depth + 1);
    }
  };
  walk(null, 0);
  const byType = new Map<string, number>();
  for (const r of result.resources) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
  const components = result.resources.filter((r) => !r.custom).length;
  lines.push("", `${result.resources.length} resources (${components} components):`);
  for (const [type, count] of [...byType].sort((a, b) => a[0].localeCompare(b[0]))) {
    lines.push(`  ${String(count).padStart(4)}  ${type}`);
  }
  for (const p of result.unconfiguredProviders) {
    lines.push(
      "",
      `Provider ${p.provider} is configured from values unknown until it is created (${p.unknownInputs.join(", ")}): ` +
        `the preview cannot check its ${p.resources.length} resources (${p.resources.join(", ")}).`,
    );
  }
  if (result.placeholders.length > 0) {
    lines.push(
      "",
      `Secrets replaced by placeholders (only the Pulumi CLI can decrypt or prompt for them): ${result.placeholders.join(", ")}`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", default: "dev" },
      json: { type: "string" },
      preview: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help === true) {
    console.log("usage: npm run plan -- [--stack dev|prod] [--json FILE] [--preview]");
    return;
  }
  const stack = values.stack ?? "dev";
  const result = await plan(stack, { preview: values.preview === true });
  console.log(planTree(result));
  if (values.json !== undefined) {
    fs.writeFileSync(values.json, `${JSON.stringify(planJson(result), null, 2)}\n`);
    console.log(`\nwrote ${result.resources.length} resources to ${values.json}`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
