// Checks over the files in .github: the GitHub JSON schema (via
// @action-validator/core, WASM, offline) plus this project's own rules. Every
// function is pure over the file texts so each rule can be shown to fail on a
// small bad snippet.
import type { ValidationError } from "@action-validator/core";
import { validateAction, validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";

/** One file under .github, by repository-relative path (`.github/workflows/x.yml`). */
export interface GithubFile {
  readonly path: string;
  readonly text: string;
}

/** The parsed .github tree: file texts plus their YAML documents by path. */
export interface GithubRepo {
  readonly files: readonly GithubFile[];
  readonly docs: ReadonlyMap<string, unknown>;
}

type Dict = Readonly<Record<string, unknown>>;

const WORKFLOW_PATH = /^\.github\/workflows\/[^/]+\.ya?ml$/;
const ACTION_PATH = /^\.github\/actions\/.+\/action\.ya?ml$/;

/** Whether `path` is a workflow file (`.github/workflows/*.yml`). */
export function isWorkflowPath(path: string): boolean {
  return WORKFLOW_PATH.test(path);
}

/** Whether `path` is a local action's metadata file (`.github/actions/<name>/action.yml`). */
function isActionPath(path: string): boolean {
  return ACTION_PATH.test(path);
}

function dict(value: unknown): Dict | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Dict) : undefined;
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  // YAML turns `comment-on-pr: true` or `node-version: 20` into non-strings.
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/**
 * Parses every file. Throws, naming the file, when one is not valid YAML:
 * the rules below cannot judge a file they cannot read.
 */
export function parseRepo(files: readonly GithubFile[]): GithubRepo {
  const docs = new Map<string, unknown>();
  for (const file of files) {
    try {
      docs.set(file.path, parse(file.text));
    } catch (err) {
      throw new Error(`${file.path}: not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { files, docs };
}

function describeError(error: ValidationError, indent: string): string[] {
  const where =
    "path" in error && error.path !== ""
      ? error.path
      : "location" in error && error.location
        ? `line ${error.location.line}, column ${error.location.column}`
        : "/";
  const detail = error.detail === undefined ? "" : `: ${error.detail}`;
  const alternatives = "states" in error ? (error.states ?? []) : [];
  return [
    `${indent}${where}: ${error.title}${detail}`,
    ...alternatives.flatMap((state, i) => [
      `${indent}  alternative ${i + 1}:`,
      ...state.errors.flatMap((nested) => describeError(nested, `${indent}    `)),
    ]),
  ];
}

/**
 * Validates one file against GitHub's schema for workflows or, for
 * `.github/actions/<name>/action.yml`, for actions.
 *
 * @returns one line per schema error (nested `oneOf` alternatives indented), empty when valid
 */
export function schemaErrors(file: GithubFile): string[] {
  const state = isActionPath(file.path) ? validateAction(file.text) : validateWorkflow(file.text);
  return state.errors.flatMap((error) => describeError(error, ""));
}

/** A workflow's jobs as [id, job] pairs. */
function jobsOf(doc: unknown): [string, Dict][] {
  return Object.entries(dict(dict(doc)?.jobs) ?? {}).flatMap(([id, job]): [string, Dict][] => {
    const parsed = dict(job);
    return parsed ? [[id, parsed]] : [];
  });
}

function stepsOf(steps: unknown): Dict[] {
  return list(steps).flatMap((step) => {
    const parsed = dict(step);
    return parsed ? [parsed] : [];
  });
}

function workflows(repo: GithubRepo): [string, unknown][] {
  return [...repo.docs].filter(([path]) => isWorkflowPath(path));
}

/** The repository path a local `uses: ./…` points at, if that file is in the repo. */
function resolveLocal(uses: string, repo: GithubRepo): string | undefined {
  const base = uses.replace(/^\.\//, "").replace(/\/$/, "");
  const candidates = /\.ya?ml$/.test(base) ? [base] : [`${base}/action.yml`, `${base}/action.yaml`];
  return candidates.find((candidate) => repo.docs.has(candidate));
}

/** Every `uses` a file makes directly: job-level (reusable workflows) and step-level. */
function usesIn(doc: unknown): string[] {
  const jobs = jobsOf(doc);
  const steps = [...jobs.flatMap(([, job]) => stepsOf(job.steps)), ...stepsOf(dict(dict(doc)?.runs)?.steps)];
  return [...jobs.map(([, job]) => job.uses), ...steps.map((step) => step.uses)].flatMap((uses) => {
    const value = text(uses);
    return value === undefined ? [] : [value];
  });
}

/**
 * Whether `uses` is, or reaches through local composite actions and reusable
 * workflows, a remote action whose `owner/repo` is `action`.
 */
function reaches(uses: string, action: string, repo: GithubRepo, seen: Set<string> = new Set()): boolean {
  if (!uses.startsWith("./")) {
    // owner/repo[/subpath]@ref: compare the owner/repo part.
    const name = (uses.split("@")[0] ?? "").split("/").slice(0, 2).join("/");
    return name.toLowerCase() === action;
  }
  const target = resolveLocal(uses, repo);
  if (target === undefined || seen.has(target)) return false;
  seen.add(target);
  return usesIn(repo.docs.get(target)).some((inner) => reaches(inner, action, repo, seen));
}

const AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials";
const PULUMI_ACTION = "pulumi/actions";

function jobReaches(job: Dict, action: string, repo: GithubRepo): boolean {
  const direct = text(job.uses);
  if (direct !== undefined && reaches(direct, action, repo)) return true;
  return stepsOf(job.steps).some((step) => {
    const uses = text(step.uses);
    return uses !== undefined && reaches(uses, action, repo);
  });
}

/**
 * Every workflow declares top-level `permissions` (otherwise the token gets
 * the repository default, often write-all), and nothing asks for `write-all`.
 *
 * @returns one message per violation, prefixed with the file path
 */
export function checkPermissionsDeclared(repo: GithubRepo): string[] {
  return workflows(repo).flatMap(([path, doc]) => {
    const problems: string[] = [];
    const top = dict(doc);
    if (top?.permissions === undefined) problems.push(`${path}: no top-level permissions`);
    if (top?.permissions === "write-all") problems.push(`${path}: permissions: write-all`);
    for (const [id, job] of jobsOf(doc)) {
      if (job.permissions === "write-all") problems.push(`${path}: job ${id}: permissions: write-all`);
    }
    return problems;
  });
}

/**
 * Every job that configures AWS credentials (directly, or through a local
 * action or reusable workflow) grants `id-token: write`, which is what lets it
 * use GitHub OIDC instead of stored keys. Job permissions replace the
 * workflow's, so the job's own block is checked when it has one.
 *
 * @returns one message per violation, prefixed with the file path
 */
export function checkOidcPermissions(repo: GithubRepo): string[] {
  return workflows(repo).flatMap(([path, doc]) =>
    jobsOf(doc)
      .filter(([, job]) => jobReaches(job, AWS_CREDENTIALS_ACTION, repo))
      .filter(([, job]) => {
        const permissions = job.permissions ?? dict(doc)?.permissions;
        return permissions !== "write-all" && dict(permissions)?.["id-token"] !== "write";
      })
      .map(([id]) => `${path}: job ${id} configures AWS but lacks permissions id-token: write`),
  );
}

const STORED_KEY_NAMES = [
  "aws-access-key-id",
  "aws-secret-access-key",
  "aws_access_key_id",
  "aws_secret_access_key",
];

/**
 * No file mentions AWS access keys, in any spelling or place (inputs, env,
 * scripts, comments): credentials come only from OIDC role assumption.
 *
 * @returns one message per file and key name found
 */
export function checkNoStoredAwsKeys(repo: GithubRepo): string[] {
  return repo.files.flatMap((file) => {
    const lower = file.text.toLowerCase();
    return STORED_KEY_NAMES.filter((name) => lower.includes(name)).map(
      (name) => `${file.path}: mentions ${name}; use OIDC (role-to-assume) instead of stored AWS keys`,
    );
  });
}

// A major (v4), a full release (v4.1.2) or a commit SHA; never a branch.
const PINNED_REF = /^(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/;

function unpinnedReason(uses: string, repo: GithubRepo): string | undefined {
  if (uses.startsWith("./")) {
    return resolveLocal(uses, repo) === undefined ? "points at no action or workflow in .github" : undefined;
  }
  if (uses.startsWith("docker://")) {
    return /(@sha256:[0-9a-f]{64}|:(?!latest$)[\w][\w.-]*)$/.test(uses)
      ? undefined
      : "docker image needs a tag other than latest, or a digest";
  }
  const at = uses.lastIndexOf("@");
  if (at < 0) return "has no version";
  return PINNED_REF.test(uses.slice(at + 1))
    ? undefined
    : "is not pinned to a version (vN, vN.N.N or a commit SHA)";
}

/**
 * Every `uses:` in workflows and local actions is pinned: remote actions to a
 * version tag or commit (not `@main`/`@master`), docker images to a tag or
 * digest, and local references point at a file that exists.
 *
 * @returns one message per offending `uses`
 */
export function checkPinnedActions(repo: GithubRepo): string[] {
  return [...repo.docs].flatMap(([path, doc]) =>
    usesIn(doc).flatMap((uses) => {
      const reason = unpinnedReason(uses, repo);
      return reason === undefined ? [] : [`${path}: uses ${uses} ${reason}`];
    }),
  );
}

/** The `command` of each Pulumi step of a job (literal or expression text). */
function pulumiCommands(job: Dict, repo: GithubRepo): string[] {
  return stepsOf(job.steps)
    .filter((step) => {
      const uses = text(step.uses);
      return uses !== undefined && reaches(uses, PULUMI_ACTION, repo);
    })
    .map((step) => text(dict(step.with)?.command) ?? "");
}

/**
 * Every job that may change a stack (any Pulumi command other than a literal
 * `preview`) runs in a GitHub `environment:`, where required reviewers and
 * branch rules apply. Each file in `mustDeploy` has at least one such job, so
 * the rule cannot pass merely because the Pulumi step was removed.
 *
 * @returns one message per violation, prefixed with the file path
 */
export function checkDeployEnvironments(repo: GithubRepo, mustDeploy: readonly string[]): string[] {
  const deployers = workflows(repo).flatMap(([path, doc]) =>
    jobsOf(doc)
      .filter(([, job]) => pulumiCommands(job, repo).some((command) => command !== "preview"))
      .map(([id, job]) => ({ path, id, job })),
  );
  const unprotected = deployers
    .filter(
      ({ job }) => text(job.environment) === undefined && text(dict(job.environment)?.name) === undefined,
    )
    .map(({ path, id }) => `${path}: job ${id} changes a stack outside an environment:`);
  const missing = mustDeploy
    .filter((path) => !deployers.some((deployer) => deployer.path === path))
    .map((path) => `${path}: has no job that runs pulumi up or destroy`);
  return [...unprotected, ...missing];
}

/** Resolves a step's stack value: a literal, or `${{ matrix.<key> }}` through the job's matrix. */
function stackValues(value: string, job: Dict): string[] {
  // `stack-name: org/stack`: the stack is the last segment.
  const stack = value.slice(value.lastIndexOf("/") + 1);
  const key = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/.exec(stack)?.[1];
  if (key === undefined) return [stack];
  const matrix = dict(dict(job.strategy)?.matrix);
  return [...list(matrix?.[key]), ...list(matrix?.include).map((entry) => dict(entry)?.[key])].flatMap(
    (entry) => {
      const resolved = text(entry);
      return resolved === undefined ? [] : [resolved];
    },
  );
}

function triggers(doc: unknown): string[] {
  const on = dict(doc)?.on;
  if (typeof on === "string") return [on];
  if (Array.isArray(on)) return on.flatMap((trigger) => (typeof trigger === "string" ? [trigger] : []));
  return Object.keys(dict(on) ?? {});
}

/**
 * The preview workflow runs on pull requests and previews every stack in
 * `stacks` (literal stack inputs, or a matrix over them).
 *
 * @returns one message per missing trigger or stack
 */
export function checkPreviewStacks(repo: GithubRepo, path: string, stacks: readonly string[]): string[] {
  const doc = repo.docs.get(path);
  if (doc === undefined) return [`${path}: missing`];
  const previewed = new Set(
    jobsOf(doc).flatMap(([, job]) =>
      stepsOf(job.steps)
        .filter((step) => {
          const uses = text(step.uses);
          return (
            uses !== undefined &&
            reaches(uses, PULUMI_ACTION, repo) &&
            text(dict(step.with)?.command) === "preview"
          );
        })
        .flatMap((step) => {
          const stack = text(dict(step.with)?.stack) ?? text(dict(step.with)?.["stack-name"]);
          return stack === undefined ? [] : stackValues(stack, job);
        }),
    ),
  );
  return [
    ...(triggers(doc).includes("pull_request") ? [] : [`${path}: does not run on pull_request`]),
    ...stacks
      .filter((stack) => !previewed.has(stack))
      .map((stack) => `${path}: never previews stack ${stack}`),
  ];
}
