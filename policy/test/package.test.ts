import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import * as ts from "typescript";
import * as YAML from "yaml";

const ROOT = path.resolve(__dirname, "../..");
const PACK = path.join(ROOT, "policy");

interface Manifest {
  workspaces?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const manifest = (dir: string) =>
  JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest;

describe("policy pack as a package", () => {
  const root = manifest(ROOT);
  const pack = manifest(PACK);

  it("is a workspace of the root, so one `npm ci` at the root installs it", () => {
    assert.deepEqual(root.workspaces, ["policy"]);
  });

  it("pins each dependency exactly, to the version the root pins", () => {
    const rootVersions = { ...root.dependencies, ...root.devDependencies };
    const packVersions = { ...pack.dependencies, ...pack.devDependencies };
    // What the CLI's runner needs resolvable from the pack: the SDKs, and typescript + ts-node
    // (otherwise it falls back to a vendored TypeScript 3.8, which cannot compile this pack).
    for (const name of ["@pulumi/policy", "@pulumi/pulumi", "typescript", "ts-node"]) {
      assert.ok(name in packVersions, `${name} is declared by the pack`);
    }
    for (const [name, version] of Object.entries(packVersions)) {
      assert.match(version, /^\d+\.\d+\.\d+$/, `${name}@${version} is an exact pin`);
      assert.equal(version, rootVersions[name], `${name}: the pack and the root pin the same version`);
    }
  });

  it("is loaded by the Pulumi CLI as a TypeScript pack", () => {
    const config = YAML.parse(fs.readFileSync(path.join(PACK, "PulumiPolicy.yaml"), "utf8")) as {
      runtime?: { name?: string; options?: { typescript?: boolean } };
    };
    assert.equal(config.runtime?.name, "nodejs");
    assert.equal(config.runtime?.options?.typescript, true);
  });

  it("sets, in its tsconfig.json, each option the runner would otherwise default, and npm typecheck checks it", () => {
    // @pulumi/pulumi's cmd/run-policy-pack registers ts-node with target ES2020, module and
    // moduleResolution nodenext, then this file's compilerOptions on top.
    const file = path.join(PACK, "tsconfig.json");
    const { config } = ts.parseConfigFileTextToJson(file, fs.readFileSync(file, "utf8")) as {
      config: { compilerOptions: Record<string, unknown>; files?: string[] };
    };
    for (const option of ["target", "module", "moduleResolution"]) {
      assert.ok(option in config.compilerOptions, `${option} is set explicitly`);
    }
    assert.equal(config.compilerOptions.strict, true);
    assert.deepEqual(config.files, ["index.ts"]);
    assert.match(root.scripts?.typecheck ?? "", /tsc --noEmit -p policy\/tsconfig\.json/);
  });
});
