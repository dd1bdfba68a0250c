import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import * as fc from "fast-check";
import { stringify } from "yaml";

import type { GithubFile, GithubRepo } from "./checks";
import {
  checkDeployEnvironments,
  checkNoStoredAwsKeys,
  checkOidcPermissions,
  checkPermissionsDeclared,
  checkPinnedActions,
  checkPreviewStacks,
  isWorkflowPath,
  parseRepo,
  schemaErrors,
} from "./checks";

const ROOT = path.resolve(__dirname, "../..");
const PREVIEW = ".github/workflows/preview.yml";
const DEPLOYS = [
  ".github/workflows/deploy-dev.yml",
  ".github/workflows/deploy-prod.yml",
  ".github/workflows/destroy.yml",
];

/** Every workflow and local action file under `root`/.github, with repository-relative paths. */
function readGithubFiles(root: string): GithubFile[] {
  const inDir = (dir: string): string[] =>
    fs.existsSync(path.join(root, dir))
      ? fs.readdirSync(path.join(root, dir)).map((name) => `${dir}/${name}`)
      : [];
  const workflows = inDir(".github/workflows").filter(isWorkflowPath);
  const actions = inDir(".github/actions").flatMap((dir) =>
    ["action.yml", "action.yaml"]
      .map((name) => `${dir}/${name}`)
      .filter((file) => fs.existsSync(path.join(root, file))),
  );
  return [...workflows, ...actions].map((file) => ({
    path: file,
    text: fs.readFileSync(path.join(root, file), "utf8"),
  }));
}

/** A repo made of small documents, written as YAML the way they would be on disk. */
function repoOf(docs: Record<string, unknown>): GithubRepo {
  return parseRepo(Object.entries(docs).map(([file, doc]) => ({ path: file, text: stringify(doc) })));
}

/** A one-job workflow running `steps` with the given job-level extras. */
function workflow(
  steps: unknown[],
  job: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): unknown {
  return {
    on: "push",
    permissions: { contents: "read" },
    ...top,
    jobs: { main: { "runs-on": "ubuntu-24.04", ...job, steps } },
  };
}

const configureAws = { uses: "aws-actions/configure-aws-credentials@v6", with: { "role-to-assume": "arn" } };
const oidc = { permissions: { contents: "read", "id-token": "write" } };
const compositeWith = (steps: unknown[]): unknown => ({
  name: "x",
  description: "x",
  runs: { using: "composite", steps },
});

describe(".github workflows and actions", () => {
  const files = readGithubFiles(ROOT);
  let repo: GithubRepo;
  before(() => {
    repo = parseRepo(files);
  });

  it("has the preview, deploy and destroy workflows", () => {
    const paths = files.map((file) => file.path);
    for (const expected of [PREVIEW, ...DEPLOYS])
      assert.ok(paths.includes(expected), `${expected} is missing`);
  });

  for (const file of files) {
    it(`${file.path} matches GitHub's schema`, () => {
      const errors = schemaErrors(file);
      assert.equal(errors.length, 0, `schema errors:\n${errors.join("\n")}`);
    });
  }

  it("declare permissions in every workflow", () => {
    assert.deepEqual(checkPermissionsDeclared(repo), []);
  });

  it("grant id-token: write to every job that configures AWS", () => {
    assert.deepEqual(checkOidcPermissions(repo), []);
  });

  it("never mention stored AWS keys", () => {
    assert.deepEqual(checkNoStoredAwsKeys(repo), []);
  });

  it("pin every action to a version", () => {
    assert.deepEqual(checkPinnedActions(repo), []);
  });

  it("change stacks only inside an environment, and the deploy/destroy workflows do change them", () => {
    assert.deepEqual(checkDeployEnvironments(repo, DEPLOYS), []);
  });

  it("preview both dev and prod on pull requests", () => {
    assert.deepEqual(checkPreviewStacks(repo, PREVIEW, ["dev", "prod"]), []);
  });
});

describe("workflow checks reject bad files", () => {
  describe("schemaErrors", () => {
    it("reports a misspelled job key with its path", () => {
      const errors = schemaErrors({
        path: ".github/workflows/x.yml",
        text: stringify(workflow([{ run: "echo" }], { "runs-onn": "x" })),
      });
      assert.ok(
        errors.some((line) => line.includes("/jobs/main") && line.includes("runs-onn")),
        errors.join("\n"),
      );
    });

    it("validates local actions with the action schema (a composite run step needs a shell)", () => {
      const errors = schemaErrors({
        path: ".github/actions/x/action.yml",
        text: stringify(compositeWith([{ run: "echo" }])),
      });
      assert.ok(
        errors.some((line) => line.includes("/runs/steps/0/shell")),
        errors.join("\n"),
      );
    });

    it("reports unparsable YAML with its line", () => {
      const errors = schemaErrors({ path: ".github/workflows/x.yml", text: "on: push\njobs:\n  a: [\n" });
      assert.ok(
        errors.some((line) => /line \d+, column \d+: Parse Error/.test(line)),
        errors.join("\n"),
      );
    });

    it("accepts a valid workflow", () => {
      assert.deepEqual(
        schemaErrors({ path: ".github/workflows/x.yml", text: stringify(workflow([{ run: "echo" }])) }),
        [],
      );
    });
  });

  describe("parseRepo", () => {
    it("names the file that is not valid YAML", () => {
      assert.throws(
        () => parseRepo([{ path: ".github/workflows/bad.yml", text: "a: [" }]),
        /bad\.yml: not valid YAML/,
      );
    });
  });

  describe("checkPermissionsDeclared", () => {
    it("flags a workflow without top-level permissions, and write-all anywhere", () => {
      const { permissions: _dropped, ...noPermissions } = workflow([{ run: "echo" }]) as Record<
        string,
        unknown
      >;
      assert.deepEqual(
        checkPermissionsDeclared(
          repoOf({
            ".github/workflows/a.yml": noPermissions,
            ".github/workflows/b.yml": workflow([{ run: "echo" }], {}, { permissions: "write-all" }),
            ".github/workflows/c.yml": workflow([{ run: "echo" }], { permissions: "write-all" }),
          }),
        ),
        [
          ".github/workflows/a.yml: no top-level permissions",
          ".github/workflows/b.yml: permissions: write-all",
          ".github/workflows/c.yml: job main: permissions: write-all",
        ],
      );
    });

    it("accepts explicit permissions, including none at all", () => {
      const repo = repoOf({
        ".github/workflows/a.yml": workflow([{ run: "echo" }], {}, { permissions: {} }),
      });
      assert.deepEqual(checkPermissionsDeclared(repo), []);
    });
  });

  describe("checkOidcPermissions", () => {
    it("flags a job that configures AWS without id-token: write", () => {
      const repo = repoOf({ ".github/workflows/a.yml": workflow([configureAws]) });
      assert.deepEqual(checkOidcPermissions(repo), [
        ".github/workflows/a.yml: job main configures AWS but lacks permissions id-token: write",
      ]);
    });

    it("follows local composite actions and reusable workflows", () => {
      const repo = repoOf({
        ".github/actions/aws/action.yml": compositeWith([configureAws]),
        ".github/workflows/called.yml": workflow([{ uses: "./.github/actions/aws" }], oidc, {
          on: "workflow_call",
        }),
        ".github/workflows/via-action.yml": workflow([{ uses: "./.github/actions/aws" }]),
        ".github/workflows/via-workflow.yml": {
          on: "push",
          permissions: {},
          jobs: { call: { uses: "./.github/workflows/called.yml" } },
        },
      });
      assert.deepEqual(checkOidcPermissions(repo), [
        ".github/workflows/via-action.yml: job main configures AWS but lacks permissions id-token: write",
        ".github/workflows/via-workflow.yml: job call configures AWS but lacks permissions id-token: write",
      ]);
    });

    it("uses the job's permissions, which replace the workflow's", () => {
      const repo = repoOf({
        ".github/workflows/job.yml": workflow([configureAws], oidc),
        ".github/workflows/top.yml": workflow([configureAws], {}, oidc),
        ".github/workflows/overridden.yml": workflow(
          [configureAws],
          { permissions: { contents: "read" } },
          oidc,
        ),
      });
      assert.deepEqual(checkOidcPermissions(repo), [
        ".github/workflows/overridden.yml: job main configures AWS but lacks permissions id-token: write",
      ]);
    });
  });

  describe("checkNoStoredAwsKeys", () => {
    it("flags key inputs and key environment variables in workflows and actions", () => {
      const repo = repoOf({
        ".github/workflows/a.yml": workflow([
          { ...configureAws, with: { "aws-access-key-id": "${{ secrets.KEY }}", "aws-region": "us-east-1" } },
        ]),
        ".github/actions/b/action.yml": compositeWith([
          { run: "pulumi up", shell: "bash", env: { AWS_SECRET_ACCESS_KEY: "${{ inputs.secret }}" } },
        ]),
      });
      assert.deepEqual(checkNoStoredAwsKeys(repo), [
        ".github/workflows/a.yml: mentions aws-access-key-id; use OIDC (role-to-assume) instead of stored AWS keys",
        ".github/actions/b/action.yml: mentions aws_secret_access_key; use OIDC (role-to-assume) instead of stored AWS keys",
      ]);
    });

    it("accepts OIDC role assumption", () => {
      assert.deepEqual(
        checkNoStoredAwsKeys(repoOf({ ".github/workflows/a.yml": workflow([configureAws], oidc) })),
        [],
      );
    });
  });

  describe("checkPinnedActions", () => {
    const pinned = (uses: string): string[] =>
      checkPinnedActions(
        repoOf({
          ".github/workflows/a.yml": workflow([{ uses }]),
          ".github/actions/local/action.yml": compositeWith([{ run: "true", shell: "bash" }]),
        }),
      );

    for (const uses of [
      "actions/checkout@main",
      "actions/checkout@master",
      "actions/checkout",
      "org/repo/sub@dev",
    ]) {
      it(`flags ${uses}`, () => {
        assert.equal(pinned(uses).length, 1);
        assert.match(pinned(uses)[0] ?? "", new RegExp(`uses ${uses} (is not pinned|has no version)`));
      });
    }

    it("flags a local reference to nothing and an unpinned docker image", () => {
      assert.deepEqual(pinned("./.github/actions/missing"), [
        ".github/workflows/a.yml: uses ./.github/actions/missing points at no action or workflow in .github",
      ]);
      assert.equal(pinned("docker://alpine").length, 1);
      assert.equal(pinned("docker://alpine:latest").length, 1);
    });

    it("flags unpinned actions inside local actions and reusable-workflow calls", () => {
      const repo = repoOf({
        ".github/actions/x/action.yml": compositeWith([{ uses: "actions/setup-node@main" }]),
        ".github/workflows/a.yml": {
          on: "push",
          permissions: {},
          jobs: { call: { uses: "org/repo/.github/workflows/w.yml@main" } },
        },
      });
      assert.equal(checkPinnedActions(repo).length, 2);
    });

    for (const uses of [
      "actions/checkout@v7",
      "actions/checkout@v7.0.1",
      "actions/checkout@8e5e7e5ab8b370d6c329ec480221332ada57f0ab",
      "./.github/actions/local",
      "docker://alpine:3.20",
    ]) {
      it(`accepts ${uses}`, () => {
        assert.deepEqual(pinned(uses), []);
      });
    }

    it("accepts every vN[.N[.N]] and rejects every ref that is neither a version nor a commit", () => {
      fc.assert(
        fc.property(fc.array(fc.nat({ max: 999 }), { minLength: 1, maxLength: 3 }), (parts) => {
          assert.deepEqual(pinned(`owner/repo@v${parts.join(".")}`), []);
        }),
      );
      fc.assert(
        fc.property(
          fc
            .stringMatching(/^[A-Za-z0-9._-]{1,30}$/)
            .filter((ref) => !/^(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(ref)),
          (ref) => {
            assert.equal(pinned(`owner/repo@${ref}`).length, 1);
          },
        ),
      );
    });
  });

  describe("checkDeployEnvironments", () => {
    const pulumi = (command: string): unknown => ({
      uses: "pulumi/actions@v7",
      with: { command, "stack-name": "org/dev" },
    });

    it("flags a job running pulumi up or destroy outside an environment", () => {
      const repo = repoOf({
        ".github/workflows/up.yml": workflow([pulumi("up")]),
        ".github/workflows/expr.yml": workflow([pulumi("${{ inputs.command }}")]),
      });
      assert.deepEqual(checkDeployEnvironments(repo, []), [
        ".github/workflows/up.yml: job main changes a stack outside an environment:",
        ".github/workflows/expr.yml: job main changes a stack outside an environment:",
      ]);
    });

    it("follows local actions wrapping pulumi/actions", () => {
      const repo = repoOf({
        ".github/actions/pulumi/action.yml": compositeWith([pulumi("${{ inputs.command }}")]),
        ".github/workflows/destroy.yml": workflow([
          { uses: "./.github/actions/pulumi", with: { command: "destroy" } },
        ]),
      });
      assert.deepEqual(checkDeployEnvironments(repo, []), [
        ".github/workflows/destroy.yml: job main changes a stack outside an environment:",
      ]);
    });

    it("accepts previews anywhere and deploys in an environment (name or object)", () => {
      const repo = repoOf({
        ".github/workflows/preview.yml": workflow([pulumi("preview")]),
        ".github/workflows/up.yml": workflow([pulumi("up")], { environment: "prod" }),
        ".github/workflows/destroy.yml": workflow([pulumi("destroy")], {
          environment: { name: "${{ inputs.stack }}" },
        }),
      });
      assert.deepEqual(
        checkDeployEnvironments(repo, [".github/workflows/up.yml", ".github/workflows/destroy.yml"]),
        [],
      );
    });

    it("flags a deploy workflow that no longer deploys", () => {
      const repo = repoOf({ ".github/workflows/deploy-prod.yml": workflow([pulumi("preview")]) });
      assert.deepEqual(
        checkDeployEnvironments(repo, [".github/workflows/deploy-prod.yml", ".github/workflows/gone.yml"]),
        [
          ".github/workflows/deploy-prod.yml: has no job that runs pulumi up or destroy",
          ".github/workflows/gone.yml: has no job that runs pulumi up or destroy",
        ],
      );
    });
  });

  describe("checkPreviewStacks", () => {
    const preview = (stack: string): unknown => ({
      uses: "./.github/actions/pulumi",
      with: { command: "preview", stack },
    });
    const action = compositeWith([{ uses: "pulumi/actions@v7", with: { command: "${{ inputs.command }}" } }]);
    const check = (doc: unknown): string[] =>
      checkPreviewStacks(repoOf({ ".github/actions/pulumi/action.yml": action, [PREVIEW]: doc }), PREVIEW, [
        "dev",
        "prod",
      ]);

    it("flags a matrix that leaves out prod", () => {
      const doc = workflow(
        [preview("${{ matrix.stack }}")],
        { strategy: { matrix: { stack: ["dev"] } } },
        { on: "pull_request" },
      );
      assert.deepEqual(check(doc), [`${PREVIEW}: never previews stack prod`]);
    });

    it("flags a workflow that does not run on pull requests, or previews nothing", () => {
      assert.deepEqual(check(workflow([preview("dev"), preview("prod")])), [
        `${PREVIEW}: does not run on pull_request`,
      ]);
      assert.deepEqual(check(workflow([{ run: "echo" }], {}, { on: { pull_request: null } })), [
        `${PREVIEW}: never previews stack dev`,
        `${PREVIEW}: never previews stack prod`,
      ]);
      assert.deepEqual(checkPreviewStacks(repoOf({}), PREVIEW, ["dev"]), [`${PREVIEW}: missing`]);
    });

    it("resolves matrix lists, matrix include entries, literal stacks and org/stack names", () => {
      const pr = { on: { pull_request: { branches: ["main"] } } };
      assert.deepEqual(
        check(
          workflow(
            [preview("${{ matrix.stack }}")],
            { strategy: { matrix: { stack: ["dev", "prod"] } } },
            pr,
          ),
        ),
        [],
      );
      const include = { strategy: { matrix: { include: [{ stack: "dev" }, { stack: "prod" }] } } };
      assert.deepEqual(check(workflow([preview("${{ matrix.stack }}")], include, pr)), []);
      assert.deepEqual(check(workflow([preview("dev"), preview("prod")], {}, { on: ["pull_request"] })), []);
      const direct = (stack: string): unknown => ({
        uses: "pulumi/actions@v7",
        with: { command: "preview", "stack-name": `\${{ vars.PULUMI_ORG }}/${stack}` },
      });
      assert.deepEqual(check(workflow([direct("dev"), direct("prod")], {}, pr)), []);
    });
  });
});
