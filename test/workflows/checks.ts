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

// A full commit SHA: a tag (even v4.1.2) can be moved to other code later.
const COMMIT_SHA = /^[0-9a-f]{40}$/;

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function unpinnedReason(uses: string, fileText: string, repo: GithubRepo): string | undefined {
  if (uses.startsWith("./")) {
    return resolveLocal(uses, repo) === undefined ? "points at no action or workflow in .github" : undefined;
  }
  if (uses.startsWith("docker://")) {
    return /@sha256:[0-9a-f]{64}$/.test(uses) ? undefined : "docker image needs a digest (@sha256:…)";
  }
  const at = uses.lastIndexOf("@");
  if (at < 0) return "has no version";
  if (!COMMIT_SHA.test(uses.slice(at + 1))) return "is not pinned to a full commit SHA";
  // The SHA alone does not say which release it is; the comment does (and is
  // what a reviewer compares with the release notes).
  const commented = new RegExp(
    `uses:\\s*["']?${escapeRegExp(uses)}["']?\\s+#\\s*v\\d+(\\.\\d+){0,2}\\s*$`,
    "m",
  );
  return commented.test(fileText) ? undefined : "has no trailing `# vX.Y.Z` comment naming the release";
}

/**
 * Every `uses:` in workflows and local actions is pinned: remote actions to a
 * full commit SHA with the release in a trailing comment
 * (`owner/repo@<40 hex> # v1.2.3`), docker images to a digest, and local
 * references point at a file that exists.
 *
 * @returns one message per offending `uses`
 */
export function checkPinnedActions(repo: GithubRepo): string[] {
  const texts = new Map(repo.files.map((file) => [file.path, file.text]));
  return [...repo.docs].flatMap(([path, doc]) =>
    usesIn(doc).flatMap((uses) => {
      const reason = unpinnedReason(uses, texts.get(path) ?? "", repo);
      return reason === undefined ? [] : [`${path}: uses ${uses} ${reason}`];
    }),
  );
}

/** A step's `with`, every value as text. */
function withOf(step: Dict): Record<string, string> {
  return Object.fromEntries(
    Object.entries(dict(step.with) ?? {}).flatMap(([key, value]): [string, string][] => {
      const resolved = text(value);
      return resolved === undefined ? [] : [[key, resolved]];
    }),
  );
}

const INPUT_REFERENCE = /^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$/;

/**
 * The inputs each pulumi/actions step reached from `uses` receives: through
 * local composite actions, a value that is exactly `${{ inputs.<name> }}` is
 * replaced by what the caller passed (or the input's default); anything else
 * stays as written.
 */
function pulumiActionInputs(
  uses: string,
  given: Readonly<Record<string, string>>,
  repo: GithubRepo,
  seen: ReadonlySet<string> = new Set(),
): Record<string, string>[] {
  if (!uses.startsWith("./")) return reaches(uses, PULUMI_ACTION, repo) ? [{ ...given }] : [];
  const target = resolveLocal(uses, repo);
  if (target === undefined || seen.has(target)) return [];
  const doc = dict(repo.docs.get(target));
  const defaults = dict(doc?.inputs) ?? {};
  const resolve = (value: string): string => {
    const name = INPUT_REFERENCE.exec(value)?.[1];
    if (name === undefined) return value;
    return given[name] ?? text(dict(defaults[name])?.default) ?? "";
  };
  return stepsOf(dict(doc?.runs)?.steps).flatMap((step) => {
    const inner = text(step.uses);
    if (inner === undefined) return [];
    const resolved = Object.fromEntries(Object.entries(withOf(step)).map(([k, v]) => [k, resolve(v)]));
    return pulumiActionInputs(inner, resolved, repo, new Set([...seen, target]));
  });
}

/** A job's step that reaches pulumi/actions: what the step passes, and what pulumi/actions gets. */
interface PulumiCall {
  /** The step's own `with` (for a local action: its inputs, e.g. `stack`, `target-types`). */
  readonly step: Readonly<Record<string, string>>;
  /** The inputs of each pulumi/actions step it reaches that runs a command (install-only steps left out). */
  readonly runs: readonly Readonly<Record<string, string>>[];
}

function pulumiCalls(job: Dict, repo: GithubRepo): PulumiCall[] {
  return stepsOf(job.steps).flatMap((step) => {
    const uses = text(step.uses);
    if (uses === undefined || !reaches(uses, PULUMI_ACTION, repo)) return [];
    const given = withOf(step);
    const runs = pulumiActionInputs(uses, given, repo).filter((inputs) => (inputs.command ?? "") !== "");
    return [{ step: given, runs }];
  });
}

/** The `command` of each Pulumi step of a job (literal or expression text). */
function pulumiCommands(job: Dict, repo: GithubRepo): string[] {
  return pulumiCalls(job, repo).flatMap((call) => call.runs.map((inputs) => inputs.command ?? ""));
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

/**
 * Every pulumi/actions step, in workflows and local actions, installs exactly
 * `version` of the CLI (`pulumi-version`): package.json's @pulumi/pulumi, the
 * SDK the program and the tests run with. Without it the action installs the
 * newest ^3, so a deploy could run a CLI nobody tested.
 *
 * @returns one message per step with another or no version
 */
export function checkPulumiCliVersion(repo: GithubRepo, version: string): string[] {
  return [...repo.docs].flatMap(([path, doc]) => {
    const steps = [
      ...jobsOf(doc).flatMap(([, job]) => stepsOf(job.steps)),
      ...stepsOf(dict(dict(doc)?.runs)?.steps),
    ];
    return steps
      .filter((step) => {
        const uses = text(step.uses);
        return uses !== undefined && !uses.startsWith("./") && reaches(uses, PULUMI_ACTION, repo);
      })
      .map((step) => withOf(step)["pulumi-version"])
      .filter((pinned) => pinned !== version)
      .map((pinned) =>
        pinned === undefined
          ? `${path}: pulumi/actions without pulumi-version (want ${version}, package.json's @pulumi/pulumi)`
          : `${path}: pulumi/actions installs CLI ${pinned}, package.json's @pulumi/pulumi is ${version}`,
      );
  });
}

/**
 * A destroy never refreshes, so it works when the Grafana token in the state
 * has expired: Pulumi.yaml sets no `options.refresh` (the pulumi/actions input
 * `refresh: false` only leaves out `--refresh`, it cannot override the
 * project: the automation API it calls does `if (opts.refresh)
 * args.push("--refresh")`, see node_modules/@pulumi/pulumi/automation/stack.js),
 * and every destroy passes `refresh: "false"` to pulumi/actions.
 *
 * @param project the parsed Pulumi.yaml
 * @returns one message per violation
 */
export function checkNoRefreshOnDestroy(repo: GithubRepo, project: unknown): string[] {
  const refresh = dict(dict(project)?.options)?.refresh;
  const projectProblems =
    refresh === undefined
      ? []
      : [`Pulumi.yaml: options.refresh is ${JSON.stringify(refresh)}; it would refresh every destroy too`];
  const destroys = workflows(repo).flatMap(([path, doc]) =>
    jobsOf(doc).flatMap(([id, job]) =>
      pulumiCalls(job, repo)
        .flatMap((call) => call.runs)
        .filter((inputs) => inputs.command === "destroy" && inputs.refresh !== "false")
        .map(
          (inputs) => `${path}: job ${id} destroys with refresh ${inputs.refresh ?? "unset"}, not "false"`,
        ),
    ),
  );
  return [...projectProblems, ...destroys];
}

/** Repository variable and secret names of the credentials that can change a stack. */
const DEPLOY_CREDENTIALS = /\bAWS_ROLE_ARN_[A-Z0-9_]+|\bsecrets\.PULUMI_ACCESS_TOKEN\b/g;
/**
 * …and of the read-only ones a pull request's preview gets, one pair per stack
 * (`AWS_PREVIEW_ROLE_ARN_PROD`, `PULUMI_PREVIEW_ACCESS_TOKEN_PROD`). The token
 * is matched without `secrets.` so that a name chosen through the matrix
 * (`secrets[matrix.token]`) counts too.
 */
const PREVIEW_CREDENTIALS = /\bAWS_PREVIEW_ROLE_ARN_[A-Z0-9_]+|\bPULUMI_PREVIEW_ACCESS_TOKEN\w*/g;

/** Every credential name a job mentions anywhere (matrix, env, with, run). */
function mentions(job: Dict, names: RegExp): string[] {
  return [...new Set(JSON.stringify(job).match(names) ?? [])];
}

function environmentOf(job: Dict): string | undefined {
  return text(job.environment) ?? text(dict(job.environment)?.name);
}

/** Jobs that run Pulumi, split by whether every command is a literal `preview`. */
function pulumiJobs(repo: GithubRepo): { path: string; id: string; job: Dict; preview: boolean }[] {
  return workflows(repo).flatMap(([path, doc]) =>
    jobsOf(doc).flatMap(([id, job]) => {
      const commands = pulumiCommands(job, repo);
      if (commands.length === 0) return [];
      return [{ path, id, job, preview: commands.every((command) => command === "preview") }];
    }),
  );
}

/**
 * Where each stack's preview runs: the GitHub environment whose OIDC subject
 * that stack's preview role trusts, or `null` for none (the subject is then
 * `repo:OWNER/REPO:pull_request`). A stack not listed cannot be previewed.
 */
export type PreviewEnvironments = Readonly<Record<string, string | null>>;

/**
 * Preview jobs run a pull request's code, so they must not hold anything that
 * can change a stack, and a stack whose secrets matter is previewed only
 * behind an environment with required reviewers. For every preview job:
 * - no deploy role variable (`AWS_ROLE_ARN_*`) or deploy Pulumi token
 *   (`secrets.PULUMI_ACCESS_TOKEN`) anywhere in the job, and no deploy
 *   environment (whose OIDC subject the deploy roles trust) or environment
 *   chosen by an expression (which this check cannot judge);
 * - each stack it previews (literal, or through the matrix) runs in exactly
 *   the environment `previewEnvironments` gives it, with that stack's own
 *   preview role (`AWS_PREVIEW_ROLE_ARN_<STACK>`) and token
 *   (`PULUMI_PREVIEW_ACCESS_TOKEN_<STACK>`), and the job mentions no preview
 *   credential of a stack it does not preview.
 *
 * @param deployEnvironments the environments the deploy roles trust (dev, prod)
 * @param previewEnvironments the environment of each stack's preview
 * @returns one message per violation
 */
export function checkPreviewCredentials(
  repo: GithubRepo,
  deployEnvironments: readonly string[],
  previewEnvironments: PreviewEnvironments,
): string[] {
  const rules = new Map(Object.entries(previewEnvironments));
  const credentialsOf = (stack: string): string[] => [
    `AWS_PREVIEW_ROLE_ARN_${stack.toUpperCase()}`,
    `PULUMI_PREVIEW_ACCESS_TOKEN_${stack.toUpperCase()}`,
  ];
  return pulumiJobs(repo)
    .filter(({ preview }) => preview)
    .flatMap(({ path, id, job }) => {
      const environment = environmentOf(job);
      const where = `${path}: preview job ${id}`;
      const stacks = [
        ...new Set(pulumiCalls(job, repo).flatMap((call) => stackValues(stackOf(call) ?? "", job))),
      ];
      const mentioned = mentions(job, PREVIEW_CREDENTIALS);
      const own = new Set(stacks.flatMap(credentialsOf));
      const environmentProblems =
        environment === undefined
          ? []
          : deployEnvironments.includes(environment)
            ? [`${where} runs in environment ${environment}, which deploy roles trust`]
            : environment.includes("${{")
              ? [`${where} runs in environment ${environment}, an expression this check cannot judge`]
              : [];
      const stackProblems = stacks.flatMap((stack) => {
        const expected = rules.get(stack);
        if (expected === undefined) return [`${where} previews stack ${stack}, which has no preview rule`];
        return [
          ...((environment ?? null) === expected
            ? []
            : [
                `${where} previews ${stack} in environment ${environment ?? "none"}, not ${expected ?? "none"}`,
              ]),
          ...credentialsOf(stack)
            .filter((name) => !mentioned.includes(name))
            .map((name) => `${where} previews ${stack} without ${name}`),
        ];
      });
      return [
        ...mentions(job, DEPLOY_CREDENTIALS).map((name) => `${where} uses deploy credential ${name}`),
        ...environmentProblems,
        ...stackProblems,
        ...mentioned
          .filter((name) => !own.has(name))
          .map((name) => `${where} uses ${name}, which belongs to no stack it previews`),
      ];
    });
}

/** The stack a Pulumi call works on, as written (`stack`, or the last segment of `stack-name`). */
function stackOf(call: PulumiCall): string | undefined {
  const value = call.step.stack ?? call.step["stack-name"];
  return value?.slice(value.lastIndexOf("/") + 1);
}

/**
 * Jobs that change a stack use the deploy credentials, in that stack's own
 * environment: the job's `environment` is written exactly as its stack (`dev`,
 * or the same expression), it mentions a deploy role and no preview
 * credential, and with a literal stack no other stack's role.
 *
 * @returns one message per violation
 */
export function checkDeployCredentials(repo: GithubRepo): string[] {
  return pulumiJobs(repo)
    .filter(({ preview }) => !preview)
    .flatMap(({ path, id, job }) => {
      const environment = environmentOf(job);
      const roles = mentions(job, DEPLOY_CREDENTIALS).filter((name) => name.startsWith("AWS_ROLE_ARN_"));
      const stacks = [...new Set(pulumiCalls(job, repo).map(stackOf))];
      return [
        ...mentions(job, PREVIEW_CREDENTIALS).map(
          (name) => `${path}: job ${id} changes a stack with preview credential ${name}`,
        ),
        ...(roles.length === 0
          ? [`${path}: job ${id} changes a stack without a deploy role (AWS_ROLE_ARN_<STACK>)`]
          : []),
        ...stacks
          .filter((stack) => stack !== environment)
          .map(
            (stack) =>
              `${path}: job ${id} changes stack ${stack ?? "?"} in environment ${environment ?? "none"}`,
          ),
        ...stacks
          .flatMap((stack) => (stack !== undefined && /^[\w-]+$/.test(stack) ? [stack] : []))
          .flatMap((stack) =>
            roles
              .filter((role) => role !== `AWS_ROLE_ARN_${stack.toUpperCase()}`)
              .map((role) => `${path}: job ${id} changes stack ${stack} with ${role}`),
          ),
      ];
    });
}

function lines(value: string | undefined): string[] {
  return (value ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .sort();
}

/**
 * The token rotation workflow at `path` runs on a schedule (and so without
 * anyone deploying), for every stack in `stacks`, in that stack's environment,
 * as a `pulumi up` without refresh limited to `types.target` and replacing
 * `types.replace` (TOKEN_ROTATION in grafana.ts).
 *
 * @returns one message per violation
 */
export function checkTokenRotation(
  repo: GithubRepo,
  path: string,
  stacks: readonly string[],
  types: { readonly target: readonly string[]; readonly replace: readonly string[] },
): string[] {
  const doc = repo.docs.get(path);
  if (doc === undefined) return [`${path}: missing`];
  const crons = list(dict(dict(doc)?.on)?.schedule).filter((entry) => text(dict(entry)?.cron) !== undefined);
  const calls = jobsOf(doc).flatMap(([id, job]) => pulumiCalls(job, repo).map((call) => ({ id, job, call })));
  const rotated = new Set(calls.flatMap(({ job, call }) => stackValues(stackOf(call) ?? "", job)));
  const expectedTargets = [...types.target].sort().join(", ");
  const expectedReplace = [...types.replace].sort().join(", ");
  return [
    ...(crons.length > 0 ? [] : [`${path}: has no schedule (on.schedule[].cron)`]),
    ...(calls.length > 0 ? [] : [`${path}: runs no Pulumi command`]),
    ...calls.flatMap(({ id, job, call }) => [
      ...call.runs
        .filter((inputs) => inputs.command !== "up" || inputs.refresh !== "false")
        .map(
          (inputs) =>
            `${path}: job ${id} runs ${inputs.command ?? "?"} with refresh ${inputs.refresh ?? "unset"}, not up with refresh "false"`,
        ),
      ...(lines(call.step["target-types"]).join(", ") === expectedTargets
        ? []
        : [
            `${path}: job ${id} targets [${lines(call.step["target-types"]).join(", ")}], not [${expectedTargets}]`,
          ]),
      ...(lines(call.step["replace-types"]).join(", ") === expectedReplace
        ? []
        : [
            `${path}: job ${id} replaces [${lines(call.step["replace-types"]).join(", ")}], not [${expectedReplace}]`,
          ]),
      ...(environmentOf(job) !== undefined && environmentOf(job) === stackOf(call)
        ? []
        : [`${path}: job ${id} does not run in the environment of the stack it rotates`]),
    ]),
    ...stacks.filter((stack) => !rotated.has(stack)).map((stack) => `${path}: never rotates stack ${stack}`),
  ];
}
