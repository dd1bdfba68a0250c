/**
 * Application roles, decided the way IAM would decide them (test/lib/iam-evaluator.ts)
 * over the policies the real program generates for each stack:
 *
 * - every call an app really makes (its SDK calls, found by running its code
 *   against recording fakes, and the calls AWS makes with its role: event
 *   source mappings, logs, KMS behind S3/SQS/Kinesis/Secrets Manager) is
 *   allowed, together with the resource's own policy (bucket, key, queue,
 *   domain);
 * - the same calls on another stack's or another account's resources are not;
 * - neither is a short list of neighbouring calls each role must not make.
 *
 * The AWS pages behind each implied call are cited in ./app-calls.ts.
 */
import * as assert from "node:assert/strict";

import { plan } from "../../scripts/plan";
import type { Decision, Statement } from "../lib/iam-evaluator";
import { wildcardMatch } from "../lib/iam-evaluator";
import { MOCK_ACCOUNT } from "../lib/mocks";
import type { AppRole } from "./app-calls";
import {
  bootstrapRole,
  findingsIndexerRole,
  flowLogsIndexerRole,
  indexerRole,
  logsIndexerRole,
  receiverRoles,
  transformerRole,
} from "./app-calls";
import type { Call } from "./recorded-policies";
import { decide, RecordedProgram } from "./recorded-policies";

const OTHER_ACCOUNT = "210987654321";

type AppName =
  | "receiverTask"
  | "receiverExecution"
  | "transformer"
  | "indexer"
  | "bootstrap"
  | "logsIndexer"
  | "flowLogsIndexer"
  | "findingsIndexer";
type Roles = Record<AppName, AppRole>;
const APPS: readonly AppName[] = [
  "receiverTask",
  "receiverExecution",
  "transformer",
  "indexer",
  "bootstrap",
  "logsIndexer",
  "flowLogsIndexer",
  "findingsIndexer",
];

async function rolesOf(program: RecordedProgram): Promise<Roles> {
  const receiver = receiverRoles(program);
  return {
    receiverTask: receiver.task,
    receiverExecution: receiver.execution,
    transformer: await transformerRole(program),
    indexer: await indexerRole(program),
    bootstrap: bootstrapRole(program),
    logsIndexer: await logsIndexerRole(program),
    flowLogsIndexer: await flowLogsIndexerRole(program),
    findingsIndexer: await findingsIndexerRole(program),
  };
}

/** The resource of the first call of `role` with `action` (and whose resource matches `like`). */
function resourceOf(role: AppRole, action: string, like: RegExp = /./): string {
  const call = role.calls.find((c) => c.action === action && like.test(c.resource));
  if (call === undefined) throw new Error(`${role.app} makes no ${action} call on ${String(like)}`);
  return call.resource;
}

/** `call` on the same resource in another account (absent for S3 ARNs, which carry no account, and for "*"). */
function inOtherAccount(call: Call): Call | undefined {
  const parts = call.resource.split(":");
  if (parts.length < 6 || parts[4] !== MOCK_ACCOUNT) return undefined;
  parts[4] = OTHER_ACCOUNT;
  return { ...call, why: `${call.why}, in account ${OTHER_ACCOUNT}`, resource: parts.join(":") };
}

/** `call` on the namesake resource of another stack of the project. */
function inOtherStack(call: Call, stack: string): Call | undefined {
  const resource = call.resource.split(`lp-${stack}-`).join("lp-other-");
  return resource === call.resource ? undefined : { ...call, why: `${call.why}, of stack other`, resource };
}

/** The calls whose decision is not `expected`, as readable lines (empty when all are). */
function mismatches(
  program: RecordedProgram,
  role: AppRole,
  calls: readonly Call[],
  accept: (d: Decision) => boolean,
): string[] {
  return calls.flatMap((call) => {
    const decision = decide(program, role.roleArn, call);
    return accept(decision)
      ? []
      : [
          `${decision}: ${call.action} on ${call.resource} (${call.why})${call.context ? ` ${JSON.stringify(call.context)}` : ""}`,
        ];
  });
}

/** Calls each role must not be able to make: its neighbours' data and the steps its job does not include. */
function neighbours(roles: Roles): Record<AppName, Call[]> {
  const archiveAccessKey = resourceOf(roles.transformer, "s3:PutObject", /\/access\//);
  const archive = archiveAccessKey.slice(0, archiveAccessKey.indexOf("/"));
  const raw = `${archive}/raw/2024/03/10/06/ingest-1-2024-03-10-06-00-00-abc.gz`;
  const eventsKey = resourceOf(roles.indexer, "s3:PutObject", /\/cloudtrail-events\//);
  const stream = resourceOf(roles.receiverTask, "kinesis:PutRecords");
  const streamKey = resourceOf(roles.receiverTask, "kms:GenerateDataKey");
  const tokens = resourceOf(roles.receiverExecution, "secretsmanager:GetSecretValue");
  const master = resourceOf(roles.bootstrap, "secretsmanager:GetSecretValue");
  const failureQueue = resourceOf(roles.transformer, "sqs:SendMessage");
  const trailQueue = resourceOf(roles.indexer, "sqs:ReceiveMessage");
  const trailFile = resourceOf(roles.indexer, "s3:GetObject");
  const indexerLogs = resourceOf(roles.indexer, "logs:PutLogEvents");
  const bulk = resourceOf(roles.indexer, "es:ESHttpPost", /\/_bulk$/);
  const domain = bulk.slice(0, -"/_bulk".length);
  const workspace = resourceOf(roles.receiverTask, "aps:RemoteWrite");
  const logsFailed = resourceOf(roles.logsIndexer, "s3:PutObject", /\/logs-failed\//);
  const flowFailed = resourceOf(roles.flowLogsIndexer, "s3:PutObject", /\/vpcflow-failed\//);
  const findingsFailed = resourceOf(roles.findingsIndexer, "s3:PutObject", /\/findings-failed\//);
  const preview = `${archive}/opensearch-preview/logs-nginx-2026.12.04/0a1b2c.ndjson`;
  const logsFailureQueue = resourceOf(roles.logsIndexer, "sqs:SendMessage");
  const flowFailureQueue = resourceOf(roles.flowLogsIndexer, "sqs:SendMessage");
  const findingsQueue = resourceOf(roles.findingsIndexer, "sqs:ReceiveMessage");
  const alertTopic = resourceOf(roles.findingsIndexer, "sns:Publish");
  const repository = resourceOf(roles.receiverExecution, "ecr:BatchGetImage");
  const call = (why: string, action: string, resource: string, context?: Record<string, string>): Call => ({
    why,
    action,
    resource,
    ...(context === undefined ? {} : { context }),
  });
  // A key of this account the program did not make (AWS's default key policy: IAM decides).
  const anotherKey = `${streamKey.slice(0, streamKey.lastIndexOf("/"))}/0f1e2d3c-another-key`;
  const everyRole = [
    call("no role decrypts with another key", "kms:Decrypt", anotherKey),
    call("nor encrypts with one", "kms:GenerateDataKey", anotherKey),
  ];
  const lists: Record<AppName, Call[]> = {
    receiverTask: [
      call("the receiver cannot read the archive", "s3:GetObject", raw),
      call("nor write it (Firehose does)", "s3:PutObject", raw),
      call("it produces, never consumes", "kinesis:GetRecords", stream),
      call("nor decrypts stream records", "kms:Decrypt", streamKey),
      call("the tokens come from ECS, not from the app", "secretsmanager:GetSecretValue", tokens),
      call("the sidecar writes metrics, never reads them", "aps:QueryMetrics", workspace),
      call("it sends traces, never reads them", "xray:GetTraceSummaries", "*"),
      call(
        "nor sends X-Ray telemetry records (the awsxray exporter does not)",
        "xray:PutTelemetryRecords",
        "*",
      ),
    ],
    receiverExecution: [
      call("ECS starts the task; it puts no records", "kinesis:PutRecords", stream),
      call("it reads the tokens only", "secretsmanager:GetSecretValue", master),
      call("it pulls, never pushes, images", "ecr:PutImage", repository),
      call("it decrypts the secret, encrypts nothing", "kms:GenerateDataKey", streamKey),
      call("the task role sends the traces, not ECS", "xray:PutTraceSegments", "*"),
    ],
    transformer: [
      call("the transformer cannot write CloudTrail events", "s3:PutObject", eventsKey),
      call("nor Firehose's raw copy", "s3:PutObject", raw),
      call("nor read what it wrote", "s3:GetObject", archiveAccessKey),
      call("nor write without TLS", "s3:PutObject", archiveAccessKey, { "aws:SecureTransport": "false" }),
      call("nor write with another key", "s3:PutObject", archiveAccessKey, {
        "s3:x-amz-server-side-encryption": "aws:kms",
        "s3:x-amz-server-side-encryption-aws-kms-key-id": anotherKey,
      }),
      call("it consumes the stream, never produces", "kinesis:PutRecords", stream),
      call("it reports to its failure queue, never reads it", "sqs:ReceiveMessage", failureQueue),
      call("nor feeds the indexer's queue", "sqs:SendMessage", trailQueue),
      call("nor writes the indexer's logs", "logs:PutLogEvents", indexerLogs),
      call("nor the log indexer's refused documents", "s3:PutObject", logsFailed),
      call("nor its failure queue", "sqs:SendMessage", logsFailureQueue),
    ],
    indexer: [
      call("the CloudTrail indexer cannot write access logs", "s3:PutObject", archiveAccessKey),
      call("nor the log indexer's refused documents", "s3:PutObject", logsFailed),
      call("nor Firehose's raw copy", "s3:PutObject", raw),
      call("nor read the archive", "s3:GetObject", eventsKey),
      call("nor forge trail files", "s3:PutObject", trailFile),
      call("it consumes its queue, never feeds it", "sqs:SendMessage", trailQueue),
      call("nor the access-log failure queue", "sqs:ReceiveMessage", failureQueue),
      call("nor deletes indices over HTTP", "es:ESHttpDelete", `${domain}/cloudtrail-2024.03.01`),
      call("nor reads the master password", "secretsmanager:GetSecretValue", master),
    ],
    logsIndexer: [
      call("the log indexer cannot write another function's refused documents", "s3:PutObject", flowFailed),
      call("nor the preview while it has a domain", "s3:PutObject", preview),
      call("nor the transformer's access logs", "s3:PutObject", archiveAccessKey),
      call("nor read what it refused", "s3:GetObject", logsFailed),
      call("it consumes the stream, never produces", "kinesis:PutRecords", stream),
      call("it reports to its failure queue, never reads it", "sqs:ReceiveMessage", logsFailureQueue),
      call("nor the transformer's failure queue", "sqs:SendMessage", failureQueue),
      call("nor deletes indices over HTTP", "es:ESHttpDelete", `${domain}/logs-nginx-2026.12.04`),
      call("nor alerts", "sns:Publish", alertTopic),
    ],
    flowLogsIndexer: [
      call(
        "the flow-log indexer cannot write the logs indexer's refused documents",
        "s3:PutObject",
        logsFailed,
      ),
      call("nor the preview while it has a domain", "s3:PutObject", preview),
      call("it reads no stream", "kinesis:GetRecords", stream),
      call("it reports to its failure queue, never reads it", "sqs:ReceiveMessage", flowFailureQueue),
      call("nor feeds the findings queue", "sqs:SendMessage", findingsQueue),
      call("nor deletes indices over HTTP", "es:ESHttpDelete", `${domain}/vpcflow-2026.12.04`),
    ],
    findingsIndexer: [
      call(
        "the findings indexer cannot write another function's refused documents",
        "s3:PutObject",
        flowFailed,
      ),
      call("nor read what it refused", "s3:GetObject", findingsFailed),
      call("it consumes its queue, never feeds it", "sqs:SendMessage", findingsQueue),
      call(
        "nor moves its messages' visibility (the mapping deletes them)",
        "sqs:ChangeMessageVisibility",
        findingsQueue,
      ),
      call("nor reads the stream", "kinesis:GetRecords", stream),
      call("nor deletes indices over HTTP", "es:ESHttpDelete", `${domain}/findings-2026.12.04`),
    ],
    bootstrap: [
      call("the bootstrap cannot read another secret", "secretsmanager:GetSecretValue", tokens),
      call("nor the archive", "s3:GetObject", archiveAccessKey),
      call("nor the stream", "kinesis:GetRecords", stream),
      call("nor encrypt with the key", "kms:GenerateDataKey", streamKey),
    ],
  };
  for (const name of APPS) lists[name].push(...everyRole);
  return lists;
}

/**
 * Grants no real call uses, each kept on purpose. Anything else a role is
 * granted but never uses is excess and fails the "grants nothing unused" test.
 */
const UNUSED_ON_PURPOSE: Record<AppName, readonly string[]> = {
  receiverTask: [],
  receiverExecution: [],
  transformer: [],
  // ChangeMessageVisibility is a real call now (the indexer's backoff of failed messages).
  // HEAD is read-only, the same as GET.
  indexer: ["es:ESHttpHead"],
  // The fine-grained access control master keeps every method for repairs by hand (policies.ts).
  bootstrap: ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPatch", "es:ESHttpDelete"],
  logsIndexer: [],
  flowLogsIndexer: [],
  findingsIndexer: [],
};

/** `action on pattern` for every grant of the role's identity policies that none of its calls uses. */
function unusedGrants(program: RecordedProgram, role: AppRole): string[] {
  const statements = program
    .identityPolicies(role.roleArn)
    .flatMap((policy) => [(JSON.parse(policy) as { Statement: Statement | Statement[] }).Statement].flat())
    .filter((s) => s.Effect === "Allow");
  return statements.flatMap((statement) =>
    [statement.Action ?? []]
      .flat()
      .flatMap((action) =>
        [statement.Resource ?? []]
          .flat()
          .flatMap((pattern) =>
            role.calls.some(
              (c) => wildcardMatch(action, c.action, true) && wildcardMatch(pattern, c.resource),
            )
              ? []
              : [`${action} on ${pattern}`],
          ),
      ),
  );
}

describe("application roles (IAM evaluation of the program's policies, real Pulumi.<stack>.yaml)", function () {
  this.timeout(180_000);

  for (const stack of ["dev", "prod"]) {
    describe(stack, () => {
      let program: RecordedProgram;
      let roles: Roles;
      before(async () => {
        program = new RecordedProgram((await plan(stack)).resources);
        roles = await rolesOf(program);
      });

      it("the apps' calls were found (the derivation itself is not empty)", () => {
        const count = (name: AppName, action: string) =>
          roles[name].calls.filter((c) => c.action === action).length;
        assert.ok(count("transformer", "s3:PutObject") >= 2, "a parsed and a rejected object");
        assert.ok(count("indexer", "s3:PutObject") >= 2, "split events and a refused record");
        assert.equal(count("indexer", "s3:GetObject"), 1);
        assert.ok(count("indexer", "es:ESHttpPut") >= 2, "index template and ISM policy");
        assert.ok(count("bootstrap", "es:ESHttpPut") >= 5, "user, role and role mappings");
        assert.equal(count("receiverTask", "kinesis:PutRecords"), 1);
        assert.equal(count("receiverTask", "aps:RemoteWrite"), 1);
        assert.equal(count("receiverExecution", "secretsmanager:GetSecretValue"), 1);
        for (const name of ["logsIndexer", "flowLogsIndexer", "findingsIndexer"] as const) {
          assert.equal(count(name, "s3:PutObject"), 1, `${name}: its refused documents`);
          assert.ok(count(name, "es:ESHttpPut") >= 2, `${name}: index template and ISM policy`);
          assert.equal(count(name, "es:ESHttpPost"), 1, `${name}: _bulk`);
        }
        assert.equal(count("logsIndexer", "kinesis:GetRecords"), 1);
        assert.equal(count("logsIndexer", "sqs:SendMessage"), 1);
        assert.equal(count("flowLogsIndexer", "sqs:SendMessage"), 1);
        assert.equal(count("findingsIndexer", "sqs:ReceiveMessage"), 1);
        assert.equal(count("findingsIndexer", "sns:Publish"), 1);
      });

      for (const name of APPS) {
        it(`${name}: every call it makes in production is allowed`, () => {
          const role = roles[name];
          assert.deepEqual(
            mismatches(program, role, role.calls, (d) => d === "Allow"),
            [],
          );
        });

        it(`${name}: the same calls on another stack's or another account's resources are denied`, () => {
          const role = roles[name];
          const elsewhere = role.calls.flatMap((c) =>
            [inOtherStack(c, stack), inOtherAccount(c)].filter((v): v is Call => v !== undefined),
          );
          // Each scoped call on its own: one call with two variants must not make up for one with none.
          const withoutVariant = role.calls
            .filter((c) => c.resource !== "*")
            .filter((c) => inOtherStack(c, stack) === undefined && inOtherAccount(c) === undefined);
          assert.deepEqual(withoutVariant, [], "every scoped call has a variant elsewhere");
          assert.deepEqual(
            mismatches(program, role, elsewhere, (d) => d !== "Allow"),
            [],
          );
        });

        it(`${name}: grants nothing its calls do not use (but what is kept on purpose)`, () => {
          const unused = unusedGrants(program, roles[name]);
          const actions = new Set(unused.map((grant) => grant.split(" on ")[0]!));
          assert.deepEqual(
            unused.filter((grant) => !UNUSED_ON_PURPOSE[name].includes(grant.split(" on ")[0]!)),
            [],
          );
          // The list stays honest: what it keeps is granted and really unused.
          assert.deepEqual(
            UNUSED_ON_PURPOSE[name].filter((action) => !actions.has(action)),
            [],
          );
        });

        it(`${name}: neighbouring calls are denied`, () => {
          const role = roles[name];
          assert.deepEqual(
            mismatches(program, role, neighbours(roles)[name], (d) => d !== "Allow"),
            [],
          );
        });
      }
    });
  }
});
