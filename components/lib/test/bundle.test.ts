/**
 * The Lambda bundles as the runtime loads them: evaluated where only the AWS
 * SDK can be required from outside the bundle (the runtime ships it). Every
 * platform function must load there, and tracing must work from inside a
 * bundle: the SDK is required lazily (apps/lib/tracing/start.ts), so a bundle
 * that left it out would load fine and crash only once tracing is on, which
 * it is by default on AWS.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import Module from "node:module";
import os from "node:os";
import path from "node:path";

import type { OtlpStandIn } from "../../../scripts/local/otlp-stand-in";
import { startOtlpStandIn } from "../../../scripts/local/otlp-stand-in";
import { TRANSFORMER_ENTRY } from "../../access-log-pipeline/access-log-pipeline";
import { INDEXER_ENTRY } from "../../cloudtrail-pipeline/cloudtrail-pipeline";
import { LOG_INDEXER_ENTRIES } from "../../log-indexer/log-indexer";
import { BOOTSTRAP_ENTRY } from "../../opensearch-domain/bootstrap";
import { bundleLambdaCode } from "../bundle";

const REPO_ROOT = path.resolve(__dirname, "../../..");
const TRACING_ENTRY = "components/lib/test/fixtures/tracing-entry.ts";
const FUNCTION_ENTRIES = [
  TRANSFORMER_ENTRY,
  INDEXER_ENTRY,
  ...Object.values(LOG_INDEXER_ENTRIES),
  BOOTSTRAP_ENTRY,
];

/**
 * Evaluates bundled CommonJS as the Lambda runtime loads `index.js`: from a
 * directory whose only node_modules entry is the AWS SDK.
 */
function loadBundle(code: string, runtimeDir: string): { handler: (...args: unknown[]) => Promise<unknown> } {
  const filename = path.join(runtimeDir, "index.js");
  // Node's own loader steps (what require does for a file), typed here: they are not in @types/node.
  const loader = Module as unknown as { _nodeModulePaths(from: string): string[] };
  const bundled = new Module(filename) as Module & { _compile(code: string, filename: string): void };
  bundled.filename = filename;
  bundled.paths = loader._nodeModulePaths(runtimeDir);
  bundled._compile(code, filename);
  return bundled.exports as { handler: (...args: unknown[]) => Promise<unknown> };
}

/** A directory like the Lambda runtime's: `node_modules/@aws-sdk` and nothing else. */
function runtimeDirectory(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-runtime-"));
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(
    path.join(REPO_ROOT, "node_modules", "@aws-sdk"),
    path.join(dir, "node_modules", "@aws-sdk"),
  );
  return dir;
}

describe("components/lib/bundle: Lambda bundles as the runtime loads them", () => {
  let standIn: OtlpStandIn;
  let runtimeDir: string;
  const saved = { ...process.env };
  before(async () => {
    standIn = await startOtlpStandIn();
    runtimeDir = runtimeDirectory();
  });
  after(async () => {
    await standIn.close();
    fs.rmSync(runtimeDir, { recursive: true, force: true });
  });
  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  it("the bundle carries the SDK that startTracing requires lazily, and exports spans from it", async () => {
    const code = bundleLambdaCode(TRACING_ENTRY);
    assert.match(code, /OTLPTraceExporter/, "the exporter is in the bundle");
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = standIn.tracesUrl;
    process.env.OTEL_SERVICE_NAME = "bundled-app";
    assert.equal(await loadBundle(code, runtimeDir).handler(), "done");
    const [span] = await standIn.waitFor((spans) => spans.length === 1);
    assert.equal(span?.name, "bundled span");
    assert.equal(span?.service, "bundled-app");
    assert.deepEqual(span?.attributes, { "test.bundled": true });
  });

  for (const entry of FUNCTION_ENTRIES) {
    it(`${entry} loads and exports its handler`, () => {
      const loaded = loadBundle(bundleLambdaCode(entry), runtimeDir);
      assert.equal(typeof loaded.handler, "function");
    });
  }
});
