import * as assert from "node:assert/strict";

import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";

import type { PlanResult } from "../../scripts/plan";
import { plan, planJson, planTree } from "../../scripts/plan";
import type { RecordedResource, StackConfig } from "../lib/mocks";
import { previewUnderMocks, resourceNamed, runUnderMocks, UNKNOWN } from "../lib/mocks";
import { offlineStackConfig } from "../lib/stack-config";

/** Registrations of one run, as `type name < parent`, to compare an update with a preview. */
function registrations(resources: readonly RecordedResource[]): string[] {
  return resources.map((r) => `${r.type} ${r.name} < ${r.parent ?? "stack"}`).sort();
}

/**
 * What a preview registers differently from an update — typically resources
 * created inside an apply on an output that is unknown until the update.
 */
function previewGaps(update: readonly RecordedResource[], preview: readonly RecordedResource[]) {
  const previewed = new Set(registrations(preview));
  const updated = new Set(registrations(update));
  return {
    missing: [...updated].filter((r) => !previewed.has(r)),
    extra: [...previewed].filter((r) => !updated.has(r)),
  };
}

const NO_CONFIG: StackConfig = { config: {}, secretKeys: [] };

/** The real program (settings → platform), imported once the mocks are set, as the engine loads it. */
async function platform() {
  const { buildPlatform } = await import("../../stacks/platform");
  const { loadSettings } = await import("../../stacks/settings");
  return buildPlatform(loadSettings());
}

/** A provider that assumes a role the same program creates: its configuration is unknown until the role exists. */
function providerAssumingNewRole(): aws.Provider {
  const role = new aws.iam.Role("deployer", {
    assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [] }),
  });
  return new aws.Provider("as-deployer", { assumeRoles: [{ roleArn: role.arn }] });
}

describe("the program, previewed as a new stack (outputs of new resources unknown)", () => {
  const runs: Record<string, { update: PlanResult; preview: PlanResult }> = {};
  before(async () => {
    for (const stack of ["dev", "prod"]) {
      runs[stack] = { update: await plan(stack), preview: await plan(stack, { preview: true }) };
    }
  });

  for (const stack of ["dev", "prod"]) {
    it(`${stack}: completes and registers exactly the resources of an update`, () => {
      const { update, preview } = runs[stack]!;
      assert.ok(preview.resources.length > 15, `only ${preview.resources.length} resources`);
      assert.deepEqual(previewGaps(update.resources, preview.resources), { missing: [], extra: [] });
    });

    it(`${stack}: configures no provider from values unknown before the update`, () => {
      assert.deepEqual(runs[stack]!.preview.unconfiguredProviders, []);
    });
  }

  it("dev: an input built from a new resource's output is unknown; one built from data sources is known", () => {
    const { update, preview } = runs.dev!;
    const policy = (run: PlanResult) =>
      resourceNamed(run.resources, "aws:s3/bucketPolicy:BucketPolicy", "lp-dev-archive-bucket-policy").props
        .policy;
    // The bucket policy names the bucket's ARN, an output of the bucket being created.
    assert.equal(policy(preview), UNKNOWN);
    assert.match(String(policy(update)), /"arn:aws:s3:::lp-dev-archive-bucket\/\*"/);
    // The key policy only needs the account (getCallerIdentity): invokes answer during a preview.
    const keyPolicy = resourceNamed(preview.resources, "aws:kms/key:Key", "lp-dev-archive-key").props.policy;
    assert.match(String(keyPolicy), /"arn:aws:iam::123456789012:root"/);
  });

  it("the plan's JSON marks a preview and shows unknowns as [unknown]; an update's JSON is unchanged", () => {
    const json = planJson(runs.dev!.preview) as {
      preview: boolean;
      resources: { name: string; inputs: Record<string, unknown> }[];
    };
    assert.equal(json.preview, true);
    const policy = json.resources.find((r) => r.name === "lp-dev-archive-bucket-policy")!;
    assert.equal(policy.inputs.policy, "[unknown]");
    assert.deepEqual(Object.keys(planJson(runs.dev!.update)), ["stack", "resources"]);
    assert.match(
      planTree(runs.dev!.preview),
      /^stack dev \(preview of a new stack: outputs of new resources unknown\)\n/,
    );
    assert.match(planTree(runs.dev!.update), /^stack dev\n/);
  });

  it("with Grafana on, its provider is configured from the new workspace: reported, its data sources and dashboards still previewed", async () => {
    const base = offlineStackConfig("dev");
    const config: StackConfig = {
      secretKeys: base.secretKeys,
      config: {
        ...base.config,
        "log-platform:observability": JSON.stringify({
          grafana: { enabled: true, authenticationProviders: ["AWS_SSO"] },
        }),
      },
    };
    const preview = await previewUnderMocks("dev", config, platform);
    // The engine cannot configure it before the workspace exists, so it previews these unchecked
    // (Check skipped, outputs unknown) — allowed: nothing is invoked or constructed through it.
    const [grafana, ...others] = preview.unconfiguredProviders;
    assert.deepEqual(others, []);
    assert.equal(grafana!.provider, "pulumi:providers:grafana::lp-dev-obs-grafana");
    assert.deepEqual([...grafana!.unknownInputs].sort(), ["auth", "url"]);
    const managed = preview.resources
      .filter((r) => r.type.startsWith("grafana:"))
      .map((r) => `${r.type}::${r.name}`);
    assert.ok(managed.includes("grafana:oss/folder:Folder::lp-dev-obs-folder"), managed.join(", "));
    assert.ok(
      managed.filter((m) => m.startsWith("grafana:oss/dataSource:DataSource::")).length >= 3,
      managed.join(", "),
    );
    assert.deepEqual([...grafana!.resources].sort(), managed.sort());
  });
});

describe("the preview harness fails where a real preview would", () => {
  it("an apply that throws fails the run, in an update as in a preview (an unhandled rejection)", async () => {
    const program = () => {
      const prefix = pulumi.output<string | undefined>(undefined);
      new aws.s3.Bucket("b", { bucket: prefix.apply((p) => `${p!.toLowerCase()}-logs`) });
    };
    for (const preview of [false, true]) {
      await assert.rejects(
        runUnderMocks("dev", NO_CONFIG, program, { preview }),
        /unhandled rejection .*toLowerCase/,
        `preview: ${preview}`,
      );
    }
  });

  it("an invoke through a provider configured from an unknown fails the preview (the engine answers it empty)", async () => {
    const program = () => {
      const provider = providerAssumingNewRole();
      const identity = aws.getCallerIdentityOutput({}, { provider });
      new aws.ssm.Parameter("account", {
        type: "String",
        // Fine in an update; in a preview the empty answer leaves accountId undefined.
        value: identity.accountId.apply((id) => id.slice(0, 12)),
      });
    };
    // As `pulumi up` sees it: every value known, nothing to report.
    await runUnderMocks("dev", NO_CONFIG, program);
    await assert.rejects(previewUnderMocks("dev", NO_CONFIG, program), (error: Error) => {
      assert.match(
        error.message,
        /aws:index\/getCallerIdentity:getCallerIdentity is invoked through pulumi:providers:aws::as-deployer, whose configuration is unknown/,
      );
      assert.match(error.message, /unhandled rejection .*slice/);
      return true;
    });
  });

  it("a remote component constructed by such a provider fails the preview (the engine previews no children)", async () => {
    const program = () => {
      const provider = providerAssumingNewRole();
      new awsx.ec2.Vpc("vpc", {}, { providers: { aws: provider } });
    };
    await assert.rejects(
      previewUnderMocks("dev", NO_CONFIG, program),
      /remote component awsx:ec2:Vpc::vpc is constructed by pulumi:providers:aws::as-deployer/,
    );
  });

  it("custom resources under such a provider preview unchecked, all outputs unknown, and are reported", async () => {
    const run = await previewUnderMocks("dev", NO_CONFIG, () => {
      const bucket = new aws.s3.Bucket("b", {});
      const provider = providerAssumingNewRole();
      const other = new aws.s3.Bucket("other", {}, { provider });
      // Auto-names come from the provider's Check, which the engine skips for an unconfigured provider.
      new aws.ssm.Parameter("names", {
        type: "String",
        value: pulumi.interpolate`${bucket.bucket} ${other.bucket}`,
      });
      new aws.ssm.Parameter("known", { type: "String", value: bucket.bucket });
    });
    assert.deepEqual(run.unconfiguredProviders, [
      {
        provider: "pulumi:providers:aws::as-deployer",
        unknownInputs: ["assumeRoles"],
        resources: ["aws:s3/bucket:Bucket::other"],
      },
    ]);
    assert.equal(resourceNamed(run.resources, "aws:ssm/parameter:Parameter", "names").props.value, UNKNOWN);
    assert.equal(resourceNamed(run.resources, "aws:ssm/parameter:Parameter", "known").props.value, "b");
  });

  it("a resource created inside an apply on a new resource's output is missing from the preview", async () => {
    const program = () => {
      const bucket = new aws.s3.Bucket("b", {});
      bucket.arn.apply((arn) => new aws.ssm.Parameter("bucket-arn", { type: "String", value: arn }));
    };
    const update = await runUnderMocks("dev", NO_CONFIG, program);
    const preview = await previewUnderMocks("dev", NO_CONFIG, program);
    assert.deepEqual(previewGaps(update.resources, preview.resources), {
      missing: ["aws:ssm/parameter:Parameter bucket-arn < stack"],
      extra: [],
    });
  });
});
