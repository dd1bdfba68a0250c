import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_OUTAGE_TOLERANCE_SECONDS,
  DEFAULT_VISIBILITY_BACKOFF,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  queueUrlFromArn,
  receivesToCover,
  secondsUntilReceive,
  visibilityBackoffSeconds,
} from "../src/backoff";

// A message's visibility can be changed up to 12 hours (43 200 s):
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
// A failed message of a Lambda SQS mapping reappears after its visibility timeout, and every receive
// counts towards the redrive policy's maxReceiveCount:
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
describe("apps/cloudtrail-indexer backoff", () => {
  it("doubles the hidden time per receive from 60 s, capped at 12 h", () => {
    const schedule = [1, 2, 3, 4, 5, 10, 11, 100].map((n) =>
      visibilityBackoffSeconds(n, DEFAULT_VISIBILITY_BACKOFF),
    );
    assert.deepEqual(schedule, [60, 120, 240, 480, 960, 30_720, 43_200, 43_200]);
    assert.equal(visibilityBackoffSeconds(Number.NaN, DEFAULT_VISIBILITY_BACKOFF), 60);
    assert.equal(visibilityBackoffSeconds(0, DEFAULT_VISIBILITY_BACKOFF), 60);
  });

  it("stays within [1, 43 200] for any receive count and base (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 10_000 }), fc.integer({ min: 1, max: 3600 }), (n, base) => {
        const s = visibilityBackoffSeconds(n, { baseSeconds: base, maxSeconds: 1e9 });
        assert.ok(Number.isInteger(s) && s >= 1 && s <= MAX_VISIBILITY_TIMEOUT_SECONDS, `${s}`);
      }),
    );
  });

  it("sizes maxReceiveCount so that a 6-hour outage is over before the dead-letter queue", () => {
    const receives = receivesToCover(DEFAULT_OUTAGE_TOLERANCE_SECONDS, DEFAULT_VISIBILITY_BACKOFF);
    assert.equal(receives, 10);
    // 60 · (2^9 − 1) s: the 10th and last receive comes 8.5 h after the first; the 9th only after 4.25 h.
    assert.equal(secondsUntilReceive(receives, DEFAULT_VISIBILITY_BACKOFF), 30_660);
    assert.ok(
      secondsUntilReceive(receives - 1, DEFAULT_VISIBILITY_BACKOFF) < DEFAULT_OUTAGE_TOLERANCE_SECONDS,
    );
    // The old settings (a fixed 720 s, 5 receives) put the last receive 48 minutes after the first.
    assert.equal(secondsUntilReceive(5, { baseSeconds: 720, maxSeconds: 720 }), 2880);
  });

  it("derives the queue URL from the record's eventSourceARN", () => {
    assert.equal(
      queueUrlFromArn("arn:aws:sqs:eu-west-1:111122223333:dev-cloudtrail-new-files-1a2b"),
      "https://sqs.eu-west-1.amazonaws.com/111122223333/dev-cloudtrail-new-files-1a2b",
    );
    assert.equal(
      queueUrlFromArn("arn:aws-cn:sqs:cn-north-1:111122223333:q"),
      "https://sqs.cn-north-1.amazonaws.com.cn/111122223333/q",
    );
    assert.throws(() => queueUrlFromArn("arn:aws:sns:us-east-1:111122223333:t"), /not an SQS queue ARN/);
  });
});
