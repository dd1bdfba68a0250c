/**
 * X-Ray writes are allowed exactly where traces are sent: every role of the
 * program is asked, the way IAM would decide it (test/lib/iam-evaluator.ts),
 * whether it may call xray:PutTraceSegments and xray:PutTelemetryRecords, and
 * the answer must be yes for the execution role of each function with active
 * tracing (Lambda writes its segments with it, and the collector layer its
 * spans: https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html) and
 * PutTraceSegments alone for the receiver's task role when its sidecar
 * exports to X-Ray; no for every other role, and for the receiver's with
 * tracing off.
 */
import * as assert from "node:assert/strict";

import { parse as parseYaml } from "yaml";

import { runPlatform } from "../lib/platform-run";
import { decide, RecordedProgram } from "./recorded-policies";

async function programOf(stack: string, tracing?: object): Promise<RecordedProgram> {
  const run = await runPlatform(stack, tracing === undefined ? {} : { tracing });
  return new RecordedProgram(run.resources);
}

const ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"] as const;

/** `role name → the X-Ray actions it is allowed`, for every role of the program that is allowed any. */
function xrayWriters(program: RecordedProgram): Record<string, string[]> {
  const writers: Record<string, string[]> = {};
  for (const role of program.ofType("aws:iam/role:Role")) {
    const arn = role.state.arn as string;
    const allowed = ACTIONS.filter(
      (action) => decide(program, arn, { why: "trace", action, resource: "*" }) === "Allow",
    );
    if (allowed.length > 0) writers[role.name] = allowed;
  }
  return writers;
}

/** What the program sends traces with: each actively traced function's role, the receiver task's with an awsxray exporter. */
function traceSenders(program: RecordedProgram): Record<string, string[]> {
  const roleName = (arn: string) => program.byArn("aws:iam/role:Role", arn).name;
  const senders: Record<string, string[]> = {};
  for (const fn of program.ofType("aws:lambda/function:Function")) {
    if ((fn.props.tracingConfig as { mode?: string } | undefined)?.mode === "Active") {
      senders[roleName(fn.props.role as string)] = [...ACTIONS];
    }
  }
  for (const task of program.ofType("aws:ecs/taskDefinition:TaskDefinition")) {
    const containers = JSON.parse(task.props.containerDefinitions as string) as {
      environment?: { name: string; value: string }[];
    }[];
    const exports = containers.some((c) => {
      const config = c.environment?.find((e) => e.name === "AOT_CONFIG_CONTENT")?.value;
      const exporters =
        config === undefined ? {} : ((parseYaml(config) as { exporters?: object }).exporters ?? {});
      return "awsxray" in exporters;
    });
    if (exports) senders[roleName(task.props.taskRoleArn as string)] = ["xray:PutTraceSegments"];
  }
  return senders;
}

const sorted = (record: Record<string, string[]>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));

describe("X-Ray writes only where traces are sent (IAM evaluation of the program's policies)", function () {
  this.timeout(180_000);

  for (const [stack, tracing] of [
    ["dev", undefined],
    ["prod", undefined],
    ["dev", { enabled: false }],
    ["prod", { enabled: false }],
  ] as const) {
    const label = tracing === undefined ? `${stack} (tracing on, its default)` : `${stack} with tracing off`;
    it(label, async () => {
      const program = await programOf(stack, tracing);
      const senders = traceSenders(program);
      const receiverTask = `lp-${stack}-receiver-task`;
      // The derivation is not empty: the functions always, the receiver exactly when tracing is on.
      assert.ok(Object.keys(senders).length >= 5, JSON.stringify(senders));
      assert.equal(receiverTask in senders, tracing === undefined, JSON.stringify(senders));
      assert.deepEqual(sorted(xrayWriters(program)), sorted(senders));
    });
  }
});
