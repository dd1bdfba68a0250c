/**
 * The real program (stacks/platform.ts) under mocks, with a stack's own
 * Pulumi.<stack>.yaml and, optionally, some settings replaced: what the
 * program tests of one feature need to see every resource it adds or changes.
 */
import type { PlatformOutputs } from "../../stacks/platform";
import type { PreviewRun, ProgramRun } from "./mocks";
import { runUnderMocks } from "./mocks";
import type { OfflineStackConfig } from "./stack-config";
import { offlineStackConfig } from "./stack-config";

/** `config` with the top-level settings in `overrides` (`{ tracing: {...} }`) set as `log-platform:<key>`. */
export function withSettings(
  config: OfflineStackConfig,
  overrides: Readonly<Record<string, unknown>>,
): OfflineStackConfig {
  const replaced = Object.entries(overrides).map(([key, value]): [string, string] => [
    `log-platform:${key}`,
    JSON.stringify(value),
  ]);
  return { ...config, config: { ...config.config, ...Object.fromEntries(replaced) } };
}

/**
 * Runs the program for `stack` with `overrides` applied.
 *
 * @param outputs what to take from the platform's outputs (default: nothing).
 */
export async function runPlatform<T = undefined>(
  stack: string,
  overrides: Readonly<Record<string, unknown>> = {},
  outputs?: (platform: PlatformOutputs) => T | Promise<T>,
): Promise<ProgramRun<Awaited<T>> & PreviewRun> {
  const config = withSettings(offlineStackConfig(stack), overrides);
  const run = await runUnderMocks(stack, config, async () => {
    const { buildPlatform } = await import("../../stacks/platform");
    const { loadSettings } = await import("../../stacks/settings");
    const platform = buildPlatform(loadSettings());
    return outputs === undefined ? undefined : await outputs(platform);
  });
  return run as ProgramRun<Awaited<T>> & PreviewRun;
}
