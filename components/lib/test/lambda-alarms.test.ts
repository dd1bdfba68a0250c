import * as assert from "node:assert/strict";

import fc from "fast-check";

import { serviceSendsToQueueStatement } from "../iam";
import { functionErrorsAlarm, iteratorAgeAlarm, queueBacklogAlarm } from "../lambda-alarms";

describe("shared pipeline alarms and queue statements (pure)", () => {
  it("alarm on the resource they are given, with the platform's periods and thresholds", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,40}$/), (name) => {
        assert.deepEqual(iteratorAgeAlarm(name), {
          namespace: "AWS/Lambda",
          metricName: "IteratorAge",
          dimensions: { FunctionName: name },
          statistic: "Maximum",
          period: 300,
          evaluationPeriods: 3,
          threshold: 300_000,
        });
        assert.deepEqual(functionErrorsAlarm(name).dimensions, { FunctionName: name });
        assert.deepEqual(queueBacklogAlarm(name).dimensions, { QueueName: name });
      }),
    );
    assert.equal(iteratorAgeAlarm("f", 60_000).threshold, 60_000);
    assert.deepEqual(
      [
        functionErrorsAlarm("f").metricName,
        functionErrorsAlarm("f").statistic,
        functionErrorsAlarm("f").threshold,
      ],
      ["Errors", "Sum", 1],
    );
    assert.deepEqual(
      [queueBacklogAlarm("q").metricName, queueBacklogAlarm("q").statistic, queueBacklogAlarm("q").threshold],
      ["ApproximateNumberOfMessagesVisible", "Maximum", 1],
    );
  });

  it("lets a service send to one queue only for the sources named, one or many", () => {
    const queue = "arn:aws:sqs:eu-west-1:123456789012:q";
    assert.deepEqual(serviceSendsToQueueStatement("S", "sns.amazonaws.com", queue, "arn:topic"), {
      Sid: "S",
      Effect: "Allow",
      Principal: { Service: "sns.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: queue,
      Condition: { ArnEquals: { "aws:SourceArn": "arn:topic" } },
    });
    const rules = ["arn:rule/a", "arn:rule/b"];
    const statement = serviceSendsToQueueStatement("R", "events.amazonaws.com", queue, rules);
    assert.deepEqual(statement.Condition, { ArnEquals: { "aws:SourceArn": rules } });
    assert.notEqual(
      (statement.Condition as { ArnEquals: { "aws:SourceArn": unknown } }).ArnEquals["aws:SourceArn"],
      rules,
    );
  });
});
