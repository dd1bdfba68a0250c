import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { Alerting } from "..";
import { containsSecret, resourceNamed, runUnderMocks, valueOf } from "../../../test/lib/mocks";

const NO_CONFIG = { config: {}, secretKeys: [] };
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";

describe("Alerting (mocks)", () => {
  it("creates a KMS-encrypted topic that only this account's alarms and rules may publish to", async () => {
    const run = await runUnderMocks("test", NO_CONFIG, async () => {
      const alerting = new Alerting("al", {
        kmsKeyArn: KEY,
        topicName: "CloudWatch-Alarms",
        tags: { Project: "p" },
      });
      return { topicArn: await valueOf(alerting.topicArn) };
    });
    const topic = resourceNamed(run.resources, "aws:sns/topic:Topic", "al-topic");
    assert.deepEqual(topic.props, {
      name: "CloudWatch-Alarms",
      displayName: "log-platform alerts",
      kmsMasterKeyId: KEY,
      tags: { Project: "p" },
    });
    assert.equal(run.outputs.topicArn, "arn:aws:sns:eu-west-1:123456789012:CloudWatch-Alarms");
    const policy = JSON.parse(
      String(resourceNamed(run.resources, "aws:sns/topicPolicy:TopicPolicy", "al-topic-policy").props.policy),
    ) as {
      Statement: Record<string, unknown>[];
    };
    assert.deepEqual(policy.Statement[0], {
      Sid: "AlarmsOfThisAccount",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: run.outputs.topicArn,
      Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
    });
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
    assert.deepEqual(policy.Statement[1], {
      Sid: "EventBridgeRules",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sns:Publish",
      Resource: run.outputs.topicArn,
    });
    assert.deepEqual(policy.Statement[2], {
      Sid: "PrometheusAlertManagerOfThisAccount",
      Effect: "Allow",
      Principal: { Service: "aps.amazonaws.com" },
      Action: ["sns:Publish", "sns:GetTopicAttributes"],
      Resource: run.outputs.topicArn,
      Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
    });
    // https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html
    assert.deepEqual(policy.Statement[3], {
      Sid: "BudgetsOfThisAccount",
      Effect: "Allow",
      Principal: { Service: "budgets.amazonaws.com" },
      Action: "sns:Publish",
      Resource: run.outputs.topicArn,
      Condition: {
        StringEquals: { "aws:SourceAccount": "123456789012" },
        ArnLike: { "aws:SourceArn": "arn:aws:budgets::123456789012:*" },
      },
    });
    assert.equal(policy.Statement[5]!.Sid, "DenyInsecureTransport");
    assert.equal(
      run.resources.filter((r) => r.type === "aws:sns/topicSubscription:TopicSubscription").length,
      0,
    );
  });

  it("subscribes each e-mail address, as a secret, named by position", async () => {
    const run = await runUnderMocks(
      "test",
      NO_CONFIG,
      () => new Alerting("al", { kmsKeyArn: KEY, emails: [pulumi.secret("a@example.com"), "b@example.com"] }),
    );
    const subscriptions = run.resources.filter(
      (r) => r.type === "aws:sns/topicSubscription:TopicSubscription",
    );
    assert.deepEqual(subscriptions.map((s) => s.name).sort(), ["al-email-0", "al-email-1"]);
    for (const s of subscriptions)
      assert.ok(containsSecret(s.inputs.endpoint), `${s.name} endpoint must be secret`);
    assert.equal(
      resourceNamed(run.resources, "aws:sns/topicSubscription:TopicSubscription", "al-email-1").props
        .endpoint,
      "b@example.com",
    );
    assert.equal(
      resourceNamed(run.resources, "aws:sns/topicSubscription:TopicSubscription", "al-email-0").props
        .protocol,
      "email",
    );
  });

  it("brings its own topic: no topic created, subscriptions go to the given ARN", async () => {
    const byo = "arn:aws:sns:eu-west-1:123456789012:existing";
    const run = await runUnderMocks("test", NO_CONFIG, async () => {
      const alerting = new Alerting("al", { topicArn: byo, emails: ["ops@example.com"] });
      return { topicArn: await valueOf(alerting.topicArn) };
    });
    assert.equal(run.outputs.topicArn, byo);
    assert.equal(run.resources.filter((r) => r.type === "aws:sns/topic:Topic").length, 0);
    assert.equal(
      resourceNamed(run.resources, "aws:sns/topicSubscription:TopicSubscription", "al-email-0").props.topic,
      byo,
    );
  });

  it("refuses contradictory arguments", async () => {
    await assert.rejects(
      runUnderMocks("test", NO_CONFIG, () => new Alerting("al", {})),
      /give either topicArn .* or kmsKeyArn/,
    );
    await assert.rejects(
      runUnderMocks("test", NO_CONFIG, () => new Alerting("al", { topicArn: "arn:x", topicName: "n" })),
      /topicName names a created topic/,
    );
  });
});
