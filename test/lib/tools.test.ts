import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import type { ToolEnvironment } from "./tools";
import { INSTALLER, findTool, processToolEnvironment, requireTool, toolSearchDirs } from "./tools";

/** Thrown by the fake context's skip(), as mocha's own skip() throws to stop the test. */
class SkipSignal extends Error {}

/** A stand-in for the mocha context that records whether skip() was called. */
function fakeContext(): { ctx: { skip(): never }; skipped: () => boolean } {
  let skipped = false;
  return {
    ctx: {
      skip(): never {
        skipped = true;
        throw new SkipSignal("skipped");
      },
    },
    skipped: () => skipped,
  };
}

/** An environment in which exactly the files in `executables` exist and are executable. */
function fakeEnv(
  executables: string[],
  overrides: Partial<ToolEnvironment> = {},
): ToolEnvironment & {
  lines: string[];
} {
  const lines: string[] = [];
  return {
    searchPath: "/opt/a:/opt/b",
    ci: undefined,
    isExecutable: (file) => executables.includes(file),
    log: (line) => lines.push(line),
    lines,
    ...overrides,
  };
}

describe("test/lib/tools", () => {
  describe("toolSearchDirs", () => {
    it("searches PATH in order, then /usr/sbin and /usr/bin, without duplicates or empty entries", () => {
      assert.deepEqual(toolSearchDirs("/x::/usr/bin:/y"), ["/x", "/usr/bin", "/y", "/usr/sbin"]);
      assert.deepEqual(toolSearchDirs(undefined), ["/usr/sbin", "/usr/bin"]);
    });
  });

  describe("findTool", () => {
    it("returns the first match on PATH", () => {
      const env = fakeEnv(["/opt/b/nginx", "/usr/sbin/nginx"]);
      assert.equal(findTool("nginx", env.searchPath, env.isExecutable), "/opt/b/nginx");
    });

    it("falls back to /usr/sbin when PATH lacks it (non-root PATH)", () => {
      const env = fakeEnv(["/usr/sbin/nginx"]);
      assert.equal(findTool("nginx", env.searchPath, env.isExecutable), "/usr/sbin/nginx");
    });

    it("uses the real file system: an executable file is found, a non-executable one is not", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tools-test-"));
      try {
        const { isExecutable } = processToolEnvironment();
        fs.writeFileSync(path.join(dir, "amtool"), "#!/bin/sh\n", { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "promtool"), "not executable", { mode: 0o644 });
        fs.mkdirSync(path.join(dir, "openssl"), { mode: 0o755 });
        assert.equal(findTool("amtool", dir, isExecutable), path.join(dir, "amtool"));
        assert.notEqual(findTool("promtool", dir, isExecutable), path.join(dir, "promtool"));
        assert.notEqual(
          findTool("openssl", dir, isExecutable),
          path.join(dir, "openssl"),
          "a directory is not a tool",
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("requireTool", () => {
    it("returns the path and neither skips nor logs when the tool exists", () => {
      const { ctx, skipped } = fakeContext();
      const env = fakeEnv(["/opt/a/promtool"], { ci: "true" });
      assert.equal(requireTool(ctx, "promtool", env), "/opt/a/promtool");
      assert.equal(skipped(), false);
      assert.deepEqual(env.lines, []);
    });

    it("throws under CI=true, naming the tool and the installer, without skipping", () => {
      const { ctx, skipped } = fakeContext();
      const env = fakeEnv([], { ci: "true" });
      assert.throws(
        () => requireTool(ctx, "amtool", env),
        (err: unknown) =>
          err instanceof Error &&
          !(err instanceof SkipSignal) &&
          err.message.includes('"amtool"') &&
          err.message.includes(INSTALLER),
      );
      assert.equal(skipped(), false);
    });

    for (const ci of [undefined, "false", ""]) {
      it(`skips with a line naming the tool and the installer when CI=${String(ci)}`, () => {
        const { ctx, skipped } = fakeContext();
        const env = fakeEnv([], { ci });
        assert.throws(() => requireTool(ctx, "nginx", env), SkipSignal);
        assert.equal(skipped(), true);
        assert.equal(env.lines.length, 1);
        assert.match(env.lines[0] ?? "", /"nginx".*scripts\/install-tools\.sh/);
      });
    }
  });
});
