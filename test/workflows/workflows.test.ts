import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import * as fc from "fast-check";

import { parse as parseYaml, stringify } from "yaml";

import { TOKEN_ROTATION } from "../../components/grafana-workspace";
import type { GithubFile, GithubRepo } from "./checks";
import {
  checkDeployCredentials,
  checkDeployEnvironments,
  checkNoRefreshOnDestroy,
  checkNoStoredAwsKeys,
  checkOidcPermissions,
  checkPermissionsDeclared,
  checkPinnedActions,
  checkPreviewCredentials,
  checkPreviewStacks,
  checkPulumiCliVersion,
  checkTokenRotation,
  isWorkflowPath,
  parseRepo,
  schemaErrors,
} from "./checks";

const ROOT = path.resolve(__dirname, "../..");
const PREVIEW = ".github/workflows/preview.yml";
const ROTATION = ".github/workflows/rotate-grafana-token.yml";
const DEPLOYS = [
  ".github/workflows/deploy-dev.yml",
  ".github/workflows/deploy-prod.yml",
  ".github/workflows/destroy.yml",
  ROTATION,
];
const STACKS = ["dev", "prod"];
/**
 * Where each stack's preview runs: dev in no environment (its preview role
 * trusts the `pull_request` subject; dev's secrets are readable by pull request
 * authors by design), prod in `preview-prod`, which has required reviewers and
 * holds prod's preview token (its role trusts only that environment's subject).
 */
const PREVIEW_ENVIRONMENTS = { dev: null, prod: "preview-prod" };
const SDK_VERSION = (
  JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  }
).dependencies["@pulumi/pulumi"];
const PROJECT: unknown = parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));

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

  it("pin every action to a full commit SHA, with the release in a comment", () => {
    assert.deepEqual(checkPinnedActions(repo), []);
  });

  it("change stacks only inside an environment, and the deploy/destroy/rotation workflows do change them", () => {
    assert.deepEqual(checkDeployEnvironments(repo, DEPLOYS), []);
  });

  it("preview both dev and prod on pull requests", () => {
    assert.deepEqual(checkPreviewStacks(repo, PREVIEW, STACKS), []);
  });

  it("install the Pulumi CLI at package.json's @pulumi/pulumi version", () => {
    assert.match(SDK_VERSION ?? "", /^\d+\.\d+\.\d+$/, "an exact pin in package.json");
    assert.deepEqual(checkPulumiCliVersion(repo, SDK_VERSION ?? ""), []);
  });

  it("never refresh on destroy (Pulumi.yaml sets no refresh), so an expired Grafana token cannot block it", () => {
    assert.deepEqual(checkNoRefreshOnDestroy(repo, PROJECT), []);
  });

  it("give pull request previews only read-only preview credentials, prod's behind the preview-prod environment", () => {
    assert.deepEqual(checkPreviewCredentials(repo, STACKS, PREVIEW_ENVIRONMENTS), []);
  });

  it("change each stack with its own deploy role, in its own environment", () => {
    assert.deepEqual(checkDeployCredentials(repo), []);
  });

  it("rotate the Grafana token of every stack on a schedule, targeting only the token's resources", () => {
    assert.deepEqual(checkTokenRotation(repo, ROTATION, STACKS, TOKEN_ROTATION), []);
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
    const SHA = "3d3c42e5aac5ba805825da76410c181273ba90b1";
    /** One workflow step `uses: <uses><comment>`, written as text so the comment survives. */
    const pinned = (uses: string, comment = ""): string[] =>
      checkPinnedActions(
        parseRepo([
          {
            path: ".github/workflows/a.yml",
            text: `on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: ${uses}${comment}\n`,
          },
          {
            path: ".github/actions/local/action.yml",
            text: stringify(compositeWith([{ run: "true", shell: "bash" }])),
          },
        ]),
      );

    for (const uses of [
      "actions/checkout@main",
      "actions/checkout@master",
      "actions/checkout",
      "org/repo/sub@dev",
      // Tags can be moved to other code: no longer enough.
      "actions/checkout@v7",
      "actions/checkout@v7.0.1",
      // A short SHA is ambiguous and can be made to collide.
      "actions/checkout@3d3c42e",
    ]) {
      it(`flags ${uses}`, () => {
        assert.equal(pinned(uses, " # v7.0.1").length, 1);
        assert.match(
          pinned(uses, " # v7.0.1")[0] ?? "",
          new RegExp(`uses ${uses} (is not pinned to a full commit SHA|has no version)`),
        );
      });
    }

    it("flags a SHA without the trailing release comment, or with a comment that names no release", () => {
      assert.deepEqual(pinned(`actions/checkout@${SHA}`), [
        `.github/workflows/a.yml: uses actions/checkout@${SHA} has no trailing \`# vX.Y.Z\` comment naming the release`,
      ]);
      assert.equal(pinned(`actions/checkout@${SHA}`, " # pinned").length, 1);
    });

    it("flags a local reference to nothing and a docker image without a digest", () => {
      assert.deepEqual(pinned("./.github/actions/missing"), [
        ".github/workflows/a.yml: uses ./.github/actions/missing points at no action or workflow in .github",
      ]);
      assert.equal(pinned("docker://alpine").length, 1);
      assert.equal(pinned("docker://alpine:latest").length, 1);
      assert.equal(pinned("docker://alpine:3.20").length, 1);
    });

    it("flags unpinned actions inside local actions and reusable-workflow calls", () => {
      const repo = repoOf({
        ".github/actions/x/action.yml": compositeWith([{ uses: "actions/setup-node@main" }]),
        ".github/workflows/a.yml": {
          on: "push",
          permissions: {},
          jobs: { call: { uses: "org/repo/.github/workflows/w.yml@v1" } },
        },
      });
      assert.equal(checkPinnedActions(repo).length, 2);
    });

    for (const [uses, comment] of [
      [`actions/checkout@${SHA}`, " # v7.0.1"],
      [`actions/checkout@${SHA}`, "  #v7"],
      ["./.github/actions/local", ""],
      [`docker://alpine@sha256:${"a".repeat(64)}`, ""],
    ] as const) {
      it(`accepts ${uses}${comment}`, () => {
        assert.deepEqual(pinned(uses, comment), []);
      });
    }

    it("accepts every 40-hex SHA with a release comment and rejects every other ref", () => {
      fc.assert(
        fc.property(fc.stringMatching(/^[0-9a-f]{40}$/), (sha) => {
          assert.deepEqual(pinned(`owner/repo@${sha}`, " # v1.2.3"), []);
        }),
      );
      fc.assert(
        fc.property(
          fc.stringMatching(/^[A-Za-z0-9._-]{1,41}$/).filter((ref) => !/^[0-9a-f]{40}$/.test(ref)),
          (ref) => {
            assert.equal(pinned(`owner/repo@${ref}`, " # v1.2.3").length, 1);
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
  /** A local Pulumi action like the real one: inputs forwarded to pulumi/actions, an install-only step first. */
  const PULUMI_ACTION = "pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d";
  const localPulumi = (refreshDefault?: string): unknown => ({
    name: "pulumi",
    description: "x",
    inputs: {
      command: { description: "x", required: true },
      stack: { description: "x", required: true },
      refresh: {
        description: "x",
        ...(refreshDefault === undefined ? { required: true } : { default: refreshDefault }),
      },
    },
    runs: {
      using: "composite",
      steps: [
        { uses: PULUMI_ACTION, with: { "pulumi-version": "3.248.0" } },
        {
          uses: PULUMI_ACTION,
          with: {
            command: "${{ inputs.command }}",
            "stack-name": "org/${{ inputs.stack }}",
            refresh: "${{ inputs.refresh }}",
            "pulumi-version": "3.248.0",
          },
        },
      ],
    },
  });
  const callPulumi = (inputs: Record<string, string>): unknown => ({
    uses: "./.github/actions/pulumi",
    with: inputs,
  });
  const withAction = (docs: Record<string, unknown>, refreshDefault?: string): GithubRepo =>
    repoOf({ ".github/actions/pulumi/action.yml": localPulumi(refreshDefault), ...docs });

  describe("checkPulumiCliVersion", () => {
    it("flags pulumi/actions steps without pulumi-version or with another one, in workflows and actions", () => {
      const repo = repoOf({
        ".github/workflows/a.yml": workflow([
          { uses: PULUMI_ACTION, with: { command: "up" } },
          { uses: PULUMI_ACTION, with: { command: "up", "pulumi-version": "^3" } },
        ]),
        ".github/actions/x/action.yml": compositeWith([
          { uses: PULUMI_ACTION, with: { "pulumi-version": "3.247.0" } },
        ]),
      });
      assert.deepEqual(checkPulumiCliVersion(repo, "3.248.0"), [
        ".github/workflows/a.yml: pulumi/actions without pulumi-version (want 3.248.0, package.json's @pulumi/pulumi)",
        ".github/workflows/a.yml: pulumi/actions installs CLI ^3, package.json's @pulumi/pulumi is 3.248.0",
        ".github/actions/x/action.yml: pulumi/actions installs CLI 3.247.0, package.json's @pulumi/pulumi is 3.248.0",
      ]);
    });

    it("accepts the SDK's version in every step (local action calls are judged inside the action)", () => {
      const repo = withAction({ ".github/workflows/a.yml": workflow([callPulumi({ command: "up" })]) });
      assert.deepEqual(checkPulumiCliVersion(repo, "3.248.0"), []);
      assert.equal(checkPulumiCliVersion(repo, "3.249.0").length, 2, "both steps of the action");
    });
  });

  describe("checkNoRefreshOnDestroy", () => {
    const destroy = (refresh?: string): unknown =>
      workflow(
        [callPulumi({ command: "destroy", stack: "dev", ...(refresh === undefined ? {} : { refresh }) })],
        {
          environment: "dev",
        },
      );

    it("flags a project-level refresh, which pulumi/actions' refresh: false cannot turn off", () => {
      assert.deepEqual(checkNoRefreshOnDestroy(repoOf({}), { name: "p", options: { refresh: "always" } }), [
        'Pulumi.yaml: options.refresh is "always"; it would refresh every destroy too',
      ]);
    });

    it("flags a destroy that refreshes, resolving the local action's inputs and their defaults", () => {
      assert.deepEqual(
        checkNoRefreshOnDestroy(withAction({ ".github/workflows/d.yml": destroy("true") }), {}),
        ['.github/workflows/d.yml: job main destroys with refresh true, not "false"'],
      );
      assert.deepEqual(
        checkNoRefreshOnDestroy(withAction({ ".github/workflows/d.yml": destroy() }, "true"), {}),
        ['.github/workflows/d.yml: job main destroys with refresh true, not "false"'],
        "the input's default",
      );
      const direct = repoOf({
        ".github/workflows/d.yml": workflow([{ uses: PULUMI_ACTION, with: { command: "destroy" } }]),
      });
      assert.deepEqual(checkNoRefreshOnDestroy(direct, {}), [
        '.github/workflows/d.yml: job main destroys with refresh unset, not "false"',
      ]);
    });

    it("accepts destroy with refresh false and refreshing previews and ups", () => {
      const repo = withAction({
        ".github/workflows/d.yml": destroy("false"),
        ".github/workflows/u.yml": workflow([callPulumi({ command: "up", stack: "dev", refresh: "true" })]),
      });
      assert.deepEqual(checkNoRefreshOnDestroy(repo, { name: "p", runtime: "nodejs" }), []);
    });
  });

  describe("checkPreviewCredentials", () => {
    const WORKFLOW = ".github/workflows/preview.yml";
    /** A preview job of `stack` with the given role, token and job-level extras. */
    const previewJob = (
      stack: string,
      credentials: { role: string; token: string },
      job: Record<string, unknown> = {},
    ): Record<string, unknown> => ({
      "runs-on": "ubuntu-24.04",
      ...job,
      steps: [
        callPulumi({
          command: "preview",
          stack,
          refresh: "true",
          "role-to-assume": credentials.role,
          "pulumi-access-token": credentials.token,
        }),
      ],
    });
    const own = (stack: string): { role: string; token: string } => ({
      role: `\${{ vars.AWS_PREVIEW_ROLE_ARN_${stack.toUpperCase()} }}`,
      token: `\${{ secrets.PULUMI_PREVIEW_ACCESS_TOKEN_${stack.toUpperCase()} }}`,
    });
    const devJob = previewJob("dev", own("dev"));
    const prodJob = previewJob("prod", own("prod"), { environment: "preview-prod" });
    const RULES = { dev: null, prod: "preview-prod" };
    const check = (jobs: Record<string, unknown>, rules: Record<string, string | null> = RULES): string[] =>
      checkPreviewCredentials(
        withAction({ [WORKFLOW]: { on: "pull_request", permissions: {}, jobs } }),
        ["dev", "prod"],
        rules,
      );

    it("accepts dev ungated and prod in preview-prod, each with its own preview role and token", () => {
      assert.deepEqual(check({ "preview-dev": devJob, "preview-prod": prodJob }), []);
    });

    it("flags the deploy role and the deploy Pulumi token", () => {
      const deploy = { role: "${{ vars.AWS_ROLE_ARN_PROD }}", token: "${{ secrets.PULUMI_ACCESS_TOKEN }}" };
      assert.deepEqual(check({ p: previewJob("prod", deploy, { environment: "preview-prod" }) }), [
        `${WORKFLOW}: preview job p uses deploy credential AWS_ROLE_ARN_PROD`,
        `${WORKFLOW}: preview job p uses deploy credential secrets.PULUMI_ACCESS_TOKEN`,
        `${WORKFLOW}: preview job p previews prod without AWS_PREVIEW_ROLE_ARN_PROD`,
        `${WORKFLOW}: preview job p previews prod without PULUMI_PREVIEW_ACCESS_TOKEN_PROD`,
      ]);
    });

    it("flags a prod preview outside preview-prod: in no environment, in prod, or in an expression", () => {
      assert.deepEqual(check({ p: previewJob("prod", own("prod")) }), [
        `${WORKFLOW}: preview job p previews prod in environment none, not preview-prod`,
      ]);
      assert.deepEqual(check({ p: previewJob("prod", own("prod"), { environment: "prod" }) }), [
        `${WORKFLOW}: preview job p runs in environment prod, which deploy roles trust`,
        `${WORKFLOW}: preview job p previews prod in environment prod, not preview-prod`,
      ]);
      assert.deepEqual(
        check({ p: previewJob("prod", own("prod"), { environment: { name: "${{ matrix.environment }}" } }) }),
        [
          `${WORKFLOW}: preview job p runs in environment \${{ matrix.environment }}, an expression this check cannot judge`,
          `${WORKFLOW}: preview job p previews prod in environment \${{ matrix.environment }}, not preview-prod`,
        ],
      );
    });

    it("flags a dev preview in a deploy environment, or in any environment its role does not trust", () => {
      assert.deepEqual(check({ d: previewJob("dev", own("dev"), { environment: "dev" }) }), [
        `${WORKFLOW}: preview job d runs in environment dev, which deploy roles trust`,
        `${WORKFLOW}: preview job d previews dev in environment dev, not none`,
      ]);
      assert.deepEqual(check({ d: previewJob("dev", own("dev"), { environment: "preview-prod" }) }), [
        `${WORKFLOW}: preview job d previews dev in environment preview-prod, not none`,
      ]);
    });

    it("flags prod's preview credentials in the ungated dev job, and the old shared token", () => {
      assert.deepEqual(check({ d: previewJob("dev", own("prod")) }), [
        `${WORKFLOW}: preview job d previews dev without AWS_PREVIEW_ROLE_ARN_DEV`,
        `${WORKFLOW}: preview job d previews dev without PULUMI_PREVIEW_ACCESS_TOKEN_DEV`,
        `${WORKFLOW}: preview job d uses AWS_PREVIEW_ROLE_ARN_PROD, which belongs to no stack it previews`,
        `${WORKFLOW}: preview job d uses PULUMI_PREVIEW_ACCESS_TOKEN_PROD, which belongs to no stack it previews`,
      ]);
      const shared = { ...own("dev"), token: "${{ secrets.PULUMI_PREVIEW_ACCESS_TOKEN }}" };
      assert.deepEqual(check({ d: previewJob("dev", shared) }), [
        `${WORKFLOW}: preview job d previews dev without PULUMI_PREVIEW_ACCESS_TOKEN_DEV`,
        `${WORKFLOW}: preview job d uses PULUMI_PREVIEW_ACCESS_TOKEN, which belongs to no stack it previews`,
      ]);
    });

    it("resolves stacks and credentials through the matrix: one ungated job for both stacks is flagged", () => {
      const matrix = (prefix: string): Record<string, unknown> => ({
        strategy: {
          matrix: {
            include: ["dev", "prod"].map((stack) => ({
              stack,
              "role-variable": `${prefix}_${stack.toUpperCase()}`,
              "token-secret": `PULUMI_PREVIEW_ACCESS_TOKEN_${stack.toUpperCase()}`,
            })),
          },
        },
      });
      const viaMatrix = {
        role: "${{ vars[matrix.role-variable] }}",
        token: "${{ secrets[matrix.token-secret] }}",
      };
      assert.deepEqual(
        check({ m: previewJob("${{ matrix.stack }}", viaMatrix, matrix("AWS_PREVIEW_ROLE_ARN")) }),
        [`${WORKFLOW}: preview job m previews prod in environment none, not preview-prod`],
      );
      assert.deepEqual(
        check(
          {
            m: previewJob("${{ matrix.stack }}", viaMatrix, {
              ...matrix("AWS_ROLE_ARN"),
              environment: "preview",
            }),
          },
          { dev: "preview", prod: "preview" },
        ),
        [
          `${WORKFLOW}: preview job m uses deploy credential AWS_ROLE_ARN_DEV`,
          `${WORKFLOW}: preview job m uses deploy credential AWS_ROLE_ARN_PROD`,
          `${WORKFLOW}: preview job m previews dev without AWS_PREVIEW_ROLE_ARN_DEV`,
          `${WORKFLOW}: preview job m previews prod without AWS_PREVIEW_ROLE_ARN_PROD`,
        ],
      );
      assert.deepEqual(
        check(
          {
            m: previewJob("${{ matrix.stack }}", viaMatrix, {
              ...matrix("AWS_PREVIEW_ROLE_ARN"),
              environment: "preview",
            }),
          },
          { dev: "preview", prod: "preview" },
        ),
        [],
        "both stacks gated alike",
      );
    });

    it("flags a stack it has no rule for, such as one chosen by an input", () => {
      assert.deepEqual(check({ x: previewJob("${{ inputs.stack }}", own("dev")) }), [
        `${WORKFLOW}: preview job x previews stack \${{ inputs.stack }}, which has no preview rule`,
        `${WORKFLOW}: preview job x uses AWS_PREVIEW_ROLE_ARN_DEV, which belongs to no stack it previews`,
        `${WORKFLOW}: preview job x uses PULUMI_PREVIEW_ACCESS_TOKEN_DEV, which belongs to no stack it previews`,
      ]);
    });
  });

  describe("checkDeployCredentials", () => {
    const up = (stack: string, role: string, job: Record<string, unknown>): unknown =>
      workflow(
        [
          callPulumi({
            command: "up",
            stack,
            refresh: "true",
            "role-to-assume": role,
            "pulumi-access-token": "${{ secrets.PULUMI_ACCESS_TOKEN }}",
          }),
        ],
        job,
      );
    const check = (doc: unknown): string[] =>
      checkDeployCredentials(withAction({ ".github/workflows/up.yml": doc }));

    it("flags a preview role or a preview token used to change a stack", () => {
      assert.deepEqual(check(up("dev", "${{ vars.AWS_PREVIEW_ROLE_ARN_DEV }}", { environment: "dev" })), [
        ".github/workflows/up.yml: job main changes a stack with preview credential AWS_PREVIEW_ROLE_ARN_DEV",
        ".github/workflows/up.yml: job main changes a stack without a deploy role (AWS_ROLE_ARN_<STACK>)",
      ]);
      const withPreviewToken = up("prod", "${{ vars.AWS_ROLE_ARN_PROD }}", {
        environment: "prod",
        env: { PULUMI_TOKEN: "${{ secrets.PULUMI_PREVIEW_ACCESS_TOKEN_PROD }}" },
      });
      assert.deepEqual(check(withPreviewToken), [
        ".github/workflows/up.yml: job main changes a stack with preview credential PULUMI_PREVIEW_ACCESS_TOKEN_PROD",
      ]);
    });

    it("flags a stack changed outside its own environment, or with another stack's role", () => {
      assert.deepEqual(check(up("prod", "${{ vars.AWS_ROLE_ARN_PROD }}", { environment: "dev" })), [
        ".github/workflows/up.yml: job main changes stack prod in environment dev",
      ]);
      assert.deepEqual(check(up("prod", "${{ vars.AWS_ROLE_ARN_PROD }}", {})), [
        ".github/workflows/up.yml: job main changes stack prod in environment none",
      ]);
      assert.deepEqual(check(up("dev", "${{ vars.AWS_ROLE_ARN_PROD }}", { environment: "dev" })), [
        ".github/workflows/up.yml: job main changes stack dev with AWS_ROLE_ARN_PROD",
      ]);
    });

    it("accepts each stack's role in its environment, literal or chosen by the same expression", () => {
      assert.deepEqual(check(up("prod", "${{ vars.AWS_ROLE_ARN_PROD }}", { environment: "prod" })), []);
      assert.deepEqual(
        check(
          up(
            "${{ inputs.stack }}",
            "${{ vars[inputs.stack == 'prod' && 'AWS_ROLE_ARN_PROD' || 'AWS_ROLE_ARN_DEV'] }}",
            {
              environment: { name: "${{ inputs.stack }}" },
            },
          ),
        ),
        [],
      );
    });
  });

  describe("checkTokenRotation", () => {
    const TYPES = { target: ["a:b:C", "d:e:F"], replace: ["a:b:C"] };
    const rotation = (
      overrides: Record<string, string> = {},
      job: Record<string, unknown> = { environment: "${{ matrix.stack }}" },
      top: Record<string, unknown> = { on: { schedule: [{ cron: "17 6 * * 1" }], workflow_dispatch: null } },
    ): unknown =>
      workflow(
        [
          callPulumi({
            command: "up",
            stack: "${{ matrix.stack }}",
            refresh: "false",
            "target-types": "d:e:F\na:b:C\n",
            "replace-types": "a:b:C\n",
            "role-to-assume": "${{ vars[matrix.role-variable] }}",
            ...overrides,
          }),
        ],
        { strategy: { matrix: { stack: ["dev", "prod"] } }, ...job },
        top,
      );
    const check = (doc: unknown): string[] =>
      checkTokenRotation(withAction({ [ROTATION]: doc }), ROTATION, ["dev", "prod"], TYPES);

    it("accepts a scheduled, targeted up without refresh for every stack in its environment", () => {
      assert.deepEqual(check(rotation()), []);
    });

    it("flags a rotation that needs someone to run it, or that is missing", () => {
      assert.deepEqual(check(rotation({}, undefined, { on: "workflow_dispatch" })), [
        `${ROTATION}: has no schedule (on.schedule[].cron)`,
      ]);
      assert.deepEqual(checkTokenRotation(repoOf({}), ROTATION, ["dev"], TYPES), [`${ROTATION}: missing`]);
    });

    it("flags a refresh (fails on an expired token), other targets or replacements, and a missing stack", () => {
      assert.deepEqual(check(rotation({ refresh: "true" })), [
        `${ROTATION}: job main runs up with refresh true, not up with refresh "false"`,
      ]);
      assert.deepEqual(check(rotation({ "target-types": "a:b:C" })), [
        `${ROTATION}: job main targets [a:b:C], not [a:b:C, d:e:F]`,
      ]);
      assert.deepEqual(check(rotation({ "replace-types": "" })), [
        `${ROTATION}: job main replaces [], not [a:b:C]`,
      ]);
      assert.deepEqual(
        check(rotation({}, { environment: "${{ matrix.stack }}", strategy: { matrix: { stack: ["dev"] } } })),
        [`${ROTATION}: never rotates stack prod`],
      );
    });

    it("flags a rotation outside the stack's environment", () => {
      assert.deepEqual(check(rotation({}, { environment: "rotation" })), [
        `${ROTATION}: job main does not run in the environment of the stack it rotates`,
      ]);
    });
  });
});
