import * as fs from "node:fs";
import * as path from "node:path";

/** The external (Debian) tools that tests may shell out to; all installed by {@link INSTALLER}. */
export type ToolName = "nginx" | "promtool" | "amtool" | "openssl";

/** The script that installs every {@link ToolName}; named in every skip line and error. */
export const INSTALLER = "scripts/install-tools.sh";

/**
 * Directories searched after PATH: a non-root PATH usually lacks /usr/sbin,
 * which is where Debian puts nginx.
 */
const FALLBACK_DIRS: readonly string[] = ["/usr/sbin", "/usr/bin"];

/** What {@link requireTool} reads from the outside world; injectable so tests need no real tools. */
export interface ToolEnvironment {
  /** PATH-style list of directories (`:`-separated). */
  readonly searchPath: string | undefined;
  /** Value of the CI variable; `"true"` turns a missing tool into a failure instead of a skip. */
  readonly ci: string | undefined;
  /** Whether `file` is an executable regular file. */
  readonly isExecutable: (file: string) => boolean;
  /** Where the skip notice goes. */
  readonly log: (line: string) => void;
}

/** Whether `file` is a regular file the current user may execute. */
function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The real process environment. */
export function processToolEnvironment(): ToolEnvironment {
  return {
    searchPath: process.env.PATH,
    ci: process.env.CI,
    isExecutable: isExecutableFile,
    log: (line) => console.log(line),
  };
}

/**
 * The directories searched for a tool, in order: PATH entries, then /usr/sbin
 * and /usr/bin, without duplicates. Empty PATH entries (which POSIX reads as
 * the current directory) are ignored so a test never runs a stray local binary.
 */
export function toolSearchDirs(searchPath: string | undefined): string[] {
  const fromPath = (searchPath ?? "").split(path.delimiter).filter((dir) => dir !== "");
  return [...new Set([...fromPath, ...FALLBACK_DIRS])];
}

/** Absolute path of the first executable named `name` in {@link toolSearchDirs}, or undefined. */
export function findTool(
  name: ToolName,
  searchPath: string | undefined,
  isExecutable: (file: string) => boolean,
): string | undefined {
  return toolSearchDirs(searchPath)
    .map((dir) => path.join(dir, name))
    .find(isExecutable);
}

/**
 * Returns the path of an external tool a test needs. When the tool is missing
 * the test must never pass silently: with `CI=true` this throws (CI installs
 * the tools, so absence is a broken pipeline); otherwise it prints a line
 * naming the tool and {@link INSTALLER} and marks the test (or, from a `before`
 * hook, the whole suite) as skipped via `ctx.skip()`, which mocha reports as pending.
 *
 * @param ctx the mocha context (`this` inside a `function () {}` test or hook)
 * @param name the tool's binary name
 * @param env injectable lookup and environment; defaults to the real process
 * @returns the absolute path of the binary
 */
export function requireTool(
  ctx: Pick<Mocha.Context, "skip">,
  name: ToolName,
  env: ToolEnvironment = processToolEnvironment(),
): string {
  const found = findTool(name, env.searchPath, env.isExecutable);
  if (found !== undefined) return found;
  const where = `not found on PATH or in ${FALLBACK_DIRS.join(", ")}`;
  if (env.ci === "true") {
    throw new Error(
      `required tool "${name}" is missing (${where}); CI=true, so this fails: run ${INSTALLER}`,
    );
  }
  env.log(`      skipped: tool "${name}" ${where}; install it with ${INSTALLER}`);
  return ctx.skip();
}
