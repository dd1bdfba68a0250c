import * as assert from "node:assert/strict";

import { plan, planJson, planTree } from "../plan";

interface PlannedResource {
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, unknown>;
}

describe("offline plan (npm run plan)", () => {
  let json: { stack: string; resources: PlannedResource[] };
  let tree: string;
  before(async () => {
    const result = await plan("prod");
    json = planJson(result) as typeof json;
    tree = planTree(result);
  });

  it("lists prod's key, buckets and topic with their inputs and parents", () => {
    assert.equal(json.stack, "prod");
    const named = (type: string) =>
      json.resources.filter((r) => r.type === type).map((r) => `${r.name}<${r.parent}`);
    assert.deepEqual(named("aws:kms/key:Key"), ["lp-prod-archive-key<lp-prod-archive"]);
    assert.deepEqual(named("aws:s3/bucket:Bucket").sort(), [
      "lp-prod-archive-access-logs<lp-prod-archive",
      "lp-prod-archive-bucket<lp-prod-archive",
      "lp-prod-cloudtrail-bucket<lp-prod-cloudtrail",
    ]);
    assert.deepEqual(named("aws:sns/topic:Topic").sort(), [
      "lp-prod-alerting-topic<lp-prod-alerting",
      "lp-prod-cloudtrail-new-files<lp-prod-cloudtrail",
      "lp-prod-flow-logs-alerting-topic<lp-prod-flow-logs-alerting",
    ]);
    assert.deepEqual(named("log-platform:archive:LogArchive"), ["lp-prod-archive<null"]);
    const key = json.resources.find((r) => r.type === "aws:kms/key:Key")!;
    assert.equal(
      typeof key.inputs.policy,
      "string",
      "policies are JSON strings, as the provider receives them",
    );
    assert.equal(key.inputs.enableKeyRotation, true);
  });

  it("redacts secrets", () => {
    const subscription = json.resources.find(
      (r) => r.type === "aws:sns/topicSubscription:TopicSubscription",
    )!;
    assert.equal(subscription.inputs.endpoint, "[secret]");
    assert.ok(!JSON.stringify(json).includes("alerts@example.com"));
  });

  it("prints a tree with counts and names the placeholder secrets", () => {
    assert.match(tree, /^stack prod\n {2}▸ lp-prod-archive {2}\(log-platform:archive:LogArchive\)/);
    assert.match(tree, /\d+ resources \(\d+ components\):/);
    assert.match(tree, /\n {5}1 {2}aws:kms\/key:Key\n/);
    assert.match(tree, /Secrets replaced by placeholders .*log-platform:alertEmails/);
  });
});
