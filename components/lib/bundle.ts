import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";
import * as esbuild from "esbuild";

/** Repository root: apps are bundled from their sources, never from committed artifacts. */
const REPO_ROOT = path.resolve(__dirname, "../..");

const cache = new Map<string, string>();

/**
 * Bundles a Lambda handler from `apps/…` into one CommonJS file for the
 * Lambda runtime (`LAMBDA_RUNTIME` in lambda.ts, Node.js 24). The esbuild
 * target stays `node20`, the oldest Node the code must load on (the tests
 * and tools run on the machine's Node 20): a target only lowers syntax newer
 * than itself, Node 24 runs node20 output unchanged, and for these apps the
 * node20 and node24 bundles are byte-identical today. The AWS SDK v3 stays
 * external: the runtime ships it, and bundling it would add ~0.4 s per build
 * and megabytes per function. Packages' ES module builds are preferred
 * (`mainFields`): esbuild tree-shakes those and not the CommonJS ones, which
 * keeps the OpenTelemetry SDK from tripling the functions' bundles (the
 * transformer: 1,094 KB with CommonJS builds, 408 KB with ES module builds;
 * components/lib/test/bundle.test.ts loads every bundle as Lambda does).
 * Cached per entry, so one `pulumi up` bundles each app once.
 *
 * @param entry path of the handler module relative to the repository root,
 *   e.g. `apps/access-log-transformer/src/handler.ts`; it must export `handler`.
 */
export function bundleLambdaCode(entry: string): string {
  const absolute = path.resolve(REPO_ROOT, entry);
  const cached = cache.get(absolute);
  if (cached !== undefined) return cached;
  let result: esbuild.BuildResult & { outputFiles: esbuild.OutputFile[] };
  try {
    result = esbuild.buildSync({
      entryPoints: [absolute],
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      mainFields: ["module", "main"],
      external: ["@aws-sdk/*"],
      write: false,
      legalComments: "none",
      logLevel: "silent",
    });
  } catch (error) {
    throw new Error(
      `cannot bundle Lambda entry ${entry}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const code = result.outputFiles[0]!.text;
  cache.set(absolute, code);
  return code;
}

/** The bundled handler as the Lambda code archive (`index.js`, handler `index.handler`). */
export function lambdaArchive(entry: string): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundleLambdaCode(entry)) });
}
