import assert from "node:assert/strict";
import type { PublishCommand } from "@aws-sdk/client-sns";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { retryPolicy } from "../../src/common";
import type { AlertPublisher, FindingsHandlerOptions } from "../../src/findings/handler";
import { createFindingsHandler, readFindingsEnv } from "../../src/findings/handler";
import { FakeWriter } from "../common/fake-writer";
import { FakeIndexSink } from "./fake-index-sink";
import {
  clone,
  GUARDDUTY_FINDING,
  GUARDDUTY_HEALTH_EVENT,
  guardDutyEvent,
  SECURITYHUB_CONTROL_FINDING,
  SECURITYHUB_GUARDDUTY_FINDING,
  securityHubEvent,
} from "./fixtures";

const TOPIC = "arn:aws:sns:us-east-1:111122223333:alerts";
const SENT = Date.parse("2026-12-04T10:00:00Z");

/** A fake SNS: every Publish input kept; fails while `failWith` is set. */
class FakePublisher implements AlertPublisher {
  readonly published: NonNullable<PublishCommand["input"]>[] = [];
  failWith: Error | undefined;
  send(command: PublishCommand): Promise<unknown> {
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    this.published.push(command.input);
    return Promise.resolve({ MessageId: `sns-${this.published.length}` });
  }
}

function message(messageId: string, event: unknown): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof event === "string" ? event : JSON.stringify(event),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(SENT),
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: String(SENT),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:111122223333:findings",
    awsRegion: "us-east-1",
  };
}

const sqs = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

function highGuardDuty(
  id: string,
  change: (f: ReturnType<typeof clone<typeof GUARDDUTY_FINDING>>) => void = () => {},
) {
  const finding = clone(GUARDDUTY_FINDING);
  finding.id = id;
  finding.severity = 8;
  change(finding);
  return guardDutyEvent(finding);
}

function setup(overrides: Partial<FindingsHandlerOptions> = {}) {
  const sink = new FakeIndexSink();
  const writer = new FakeWriter();
  const sns = new FakePublisher();
  const handler = createFindingsHandler({
    writer,
    sink,
    archiveBucket: "archive-bucket",
    failedPrefix: "findings-failed/",
    retry: retryPolicy({ sleep: async () => {}, random: () => 0, maxAttempts: 3 }),
    bulkMaxBytes: 1024 * 1024,
    alerts: { publisher: sns, topicArn: TOPIC, threshold: "HIGH" },
    ...overrides,
  });
  return { sink, writer, sns, handler };
}

const failedKey = (messageId: string) =>
  `findings-failed/year=2026/month=12/day=04/message-${messageId}.json.gz`;

describe("findings/handler", () => {
  it("indexes GuardDuty and Security Hub findings with index ops and alerts the HIGH ones", async () => {
    const { sink, writer, sns, handler } = setup();
    const result = await handler(
      sqs(
        message("m1", guardDutyEvent()),
        message("m2", securityHubEvent([SECURITYHUB_GUARDDUTY_FINDING, SECURITYHUB_CONTROL_FINDING])),
      ),
    );
    assert.deepEqual(result, { batchItemFailures: [] });
    assert.deepEqual([...sink.docs.keys()].sort(), [
      `findings-2017.03.22/${SECURITYHUB_CONTROL_FINDING.Id}`,
      `findings-2018.05.11/${GUARDDUTY_FINDING.id}`,
      `findings-2021.01.05/${SECURITYHUB_GUARDDUTY_FINDING.Id}`,
    ]);
    assert.ok(sink.actions.every((action) => Object.keys(action)[0] === "index"));
    // GuardDuty's sample is LOW and the control finding MEDIUM: only the imported HIGH one alerts.
    assert.equal(sns.published.length, 1);
    assert.equal(sns.published[0]?.TopicArn, TOPIC);
    assert.equal(
      sns.published[0]?.Subject,
      "[HIGH] Security Hub: EC2 instance i-99999999 communicating outbound with C&C Server.",
    );
    assert.equal(writer.objects.size, 0);
  });

  it("overwrites the document when an update of the finding comes, and does not re-alert", async () => {
    const { sink, sns, handler } = setup();
    await handler(sqs(message("m1", highGuardDuty("gd-1"))));
    const update = highGuardDuty("gd-1", (f) => {
      f.service.count = 7;
      f.updatedAt = "2018-05-12T08:00:00.000Z";
      f.service.eventLastSeen = "2018-05-12T08:00:00.000Z";
    });
    const result = await handler(sqs(message("m2", update)));
    assert.deepEqual(result.batchItemFailures, []);
    const key = "findings-2018.05.11/gd-1";
    assert.equal(sink.docs.size, 1);
    assert.equal(sink.writes.get(key), 2);
    assert.equal(sink.docs.get(key)?.["@timestamp"], "2018-05-12T08:00:00.000Z");
    assert.equal((sink.docs.get(key)?.raw as { service: { count: number } }).service.count, 7);
    assert.equal(sns.published.length, 1, "the update does not alert again");
  });

  it("never lets an older report of a finding overwrite a newer one (redelivered out of order)", async () => {
    const { sink, handler } = setup();
    const newer = highGuardDuty("gd-1", (f) => {
      f.service.count = 3;
      f.updatedAt = "2018-05-13T00:00:00.000Z";
    });
    await handler(sqs(message("m2", newer)));
    const result = await handler(sqs(message("m1", highGuardDuty("gd-1"))));
    assert.deepEqual(result.batchItemFailures, [], "409 on the older version counts as done");
    assert.equal(sink.docs.get("findings-2018.05.11/gd-1")?.["@timestamp"], "2018-05-13T00:00:00.000Z");
  });

  it("keeps non-finding events and findings without times in the failed prefix, and succeeds", async () => {
    const { sink, writer, handler } = setup();
    const noTimes: Record<string, unknown> = clone(SECURITYHUB_CONTROL_FINDING);
    delete noTimes.CreatedAt;
    const result = await handler(
      sqs(
        message("m1", GUARDDUTY_HEALTH_EVENT),
        message("m2", securityHubEvent([noTimes, SECURITYHUB_GUARDDUTY_FINDING])),
        message("m3", "not json"),
      ),
    );
    assert.deepEqual(result.batchItemFailures, []);
    assert.equal(sink.docs.size, 1);
    const [health] = writer.lines(failedKey("m1")) as { reason: string; record: unknown; source: unknown }[];
    assert.match(health?.reason ?? "", /not a finding event/);
    assert.deepEqual(health?.record, GUARDDUTY_HEALTH_EVENT);
    assert.deepEqual(health?.source, { messageId: "m1", findingIndex: 0 });
    const [partial] = writer.lines(failedKey("m2")) as {
      reason: string;
      record: { detail: { findings: unknown[] } };
    }[];
    assert.match(partial?.reason ?? "", /CreatedAt/);
    assert.equal(partial?.record.detail.findings.length, 2, "the whole event is kept");
    const [text] = writer.lines(failedKey("m3")) as { reason: string; line: string }[];
    assert.equal(text?.line, "not json");
  });

  it("keeps a document OpenSearch rejects with the event and reason; the message succeeds", async () => {
    const { sink, writer, handler } = setup();
    sink.faults = { rejectIds: new Set(["gd-bad"]) };
    const result = await handler(sqs(message("m1", highGuardDuty("gd-bad"))));
    assert.deepEqual(result.batchItemFailures, []);
    const [entry] = writer.lines(failedKey("m1")) as {
      reason: string;
      status: number;
      index: string;
      id: string;
      record: unknown;
    }[];
    assert.equal(entry?.status, 400);
    assert.equal(entry?.index, "findings-2018.05.11");
    assert.equal(entry?.id, "gd-bad");
    assert.match(entry?.reason ?? "", /mapper_parsing_exception/);
    assert.deepEqual(entry?.record, highGuardDuty("gd-bad"));
  });

  it("fails only the message whose write is refused", async () => {
    const { sink, writer, sns, handler } = setup();
    sink.faults = { blockedIndices: new Set(["findings-2017.03.22"]) };
    const result = await handler(
      sqs(
        message("m1", highGuardDuty("gd-1")),
        message("m2", securityHubEvent([SECURITYHUB_CONTROL_FINDING])),
        message("m3", securityHubEvent()),
      ),
    );
    assert.deepEqual(result.batchItemFailures, [{ itemIdentifier: "m2" }]);
    assert.ok(sink.docs.has("findings-2018.05.11/gd-1"));
    assert.ok(sink.docs.has(`findings-2021.01.05/${SECURITYHUB_GUARDDUTY_FINDING.Id}`));
    assert.equal(writer.objects.size, 0, "a refusal is not a document error");
    assert.equal(sns.published.length, 2);
  });

  it("fails the messages when retries run out, without trying the rest", async () => {
    const { sink, handler } = setup();
    sink.faults = { throttleAll: true };
    const result = await handler(sqs(message("m1", highGuardDuty("a")), message("m2", highGuardDuty("b"))));
    assert.deepEqual(result.batchItemFailures, [{ itemIdentifier: "m1" }, { itemIdentifier: "m2" }]);
    assert.equal(sink.requests, 3, "three attempts for m1, none for m2");
  });

  it("fails the message when the alert cannot be published; the retry indexes and alerts again", async () => {
    const { sink, sns, handler } = setup();
    sns.failWith = new Error("AuthorizationError: not allowed to publish");
    const first = await handler(sqs(message("m1", highGuardDuty("gd-1")), message("m2", guardDutyEvent())));
    assert.deepEqual(
      first.batchItemFailures,
      [{ itemIdentifier: "m1" }],
      "the LOW finding needs no alert and succeeds",
    );
    sns.failWith = undefined;
    const retry = await handler(sqs(message("m1", highGuardDuty("gd-1"))));
    assert.deepEqual(retry.batchItemFailures, []);
    assert.equal(sink.writes.get("findings-2018.05.11/gd-1"), 2);
    assert.equal(sns.published.length, 1);
    assert.match(
      sns.published[0]?.Message ?? "",
      /Console: {4}https:\/\/us-east-1\.console\.aws\.amazon\.com\/guardduty/,
    );
  });

  it("fails messages with findings when the bootstrap fails, not those without", async () => {
    const { handler } = setup({ bootstrap: () => Promise.reject(new Error("403 on _index_template")) });
    const result = await handler(sqs(message("m1", guardDutyEvent()), message("m2", GUARDDUTY_HEALTH_EVENT)));
    assert.deepEqual(result.batchItemFailures, [{ itemIdentifier: "m1" }]);
  });

  it("fails the message when its failed-records object cannot be written", async () => {
    const { writer, handler } = setup();
    writer.failWith = new Error("S3 unavailable");
    const result = await handler(sqs(message("m1", GUARDDUTY_HEALTH_EVENT)));
    assert.deepEqual(result.batchItemFailures, [{ itemIdentifier: "m1" }]);
  });

  it("publishes nothing without an alert topic", async () => {
    const { sink, sns, handler } = setup({ alerts: undefined });
    const result = await handler(sqs(message("m1", highGuardDuty("gd-1"))));
    assert.deepEqual(result.batchItemFailures, []);
    assert.equal(sink.docs.size, 1);
    assert.equal(sns.published.length, 0);
  });

  describe("environment", () => {
    const base = { AWS_REGION: "us-east-1", ARCHIVE_BUCKET: "archive-bucket" };

    it("has defaults", () => {
      const config = readFindingsEnv(base);
      assert.equal(config.failedPrefix, "findings-failed/");
      assert.equal(config.retentionDays, 30);
      assert.equal(config.alertSeverity, "HIGH");
      assert.equal(config.alertTopicArn, undefined);
      assert.equal(config.guardDutyDirect, false);
    });

    it("reads GUARDDUTY_DIRECT, and rejects other values than true and false", () => {
      assert.equal(readFindingsEnv({ ...base, GUARDDUTY_DIRECT: "true" }).guardDutyDirect, true);
      assert.throws(
        () => readFindingsEnv({ ...base, GUARDDUTY_DIRECT: "yes" }),
        /GUARDDUTY_DIRECT must be one of true, false/,
      );
    });

    it("reads the alert settings", () => {
      const config = readFindingsEnv({
        ...base,
        ALERT_TOPIC_ARN: TOPIC,
        ALERT_SEVERITY: "medium",
        RETENTION_DAYS: "365",
      });
      assert.equal(config.alertTopicArn, TOPIC);
      assert.equal(config.alertSeverity, "MEDIUM");
      assert.equal(config.retentionDays, 365);
    });

    it("lists every problem at once", () => {
      assert.throws(
        () =>
          readFindingsEnv({ AWS_REGION: "us-east-1", ALERT_TOPIC_ARN: "alerts", ALERT_SEVERITY: "SEVERE" }),
        (error: Error) =>
          /ARCHIVE_BUCKET is required/.test(error.message) &&
          /ALERT_TOPIC_ARN is not an SNS topic ARN/.test(error.message) &&
          /ALERT_SEVERITY must be one of LOW, MEDIUM, HIGH, CRITICAL/.test(error.message),
      );
    });
  });
});
