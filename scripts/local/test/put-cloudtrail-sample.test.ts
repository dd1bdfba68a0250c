import assert from "node:assert/strict";
import { isDigestKey } from "../../../apps/cloudtrail-indexer/src/notifications";
import { splitCloudTrail } from "../../../apps/cloudtrail-indexer/src/split";
import { digestFileKey, sampleTrailFile, trailFileKey } from "../put-cloudtrail-sample";

const CONTEXT = { account: "123456789012", region: "eu-west-1", now: new Date("2024-03-01T00:02:00.000Z") };

describe("put-cloudtrail-sample", () => {
  it("builds a log file the indexer splits back into its events", () => {
    const file = sampleTrailFile(CONTEXT);
    assert.deepEqual([...splitCloudTrail(file.body)], file.events);
  });

  it("has console sign-ins (one failed), an API error, fresh ids and times before the file's", () => {
    const { events } = sampleTrailFile(CONTEXT);
    assert.equal(events.filter((e) => e.eventName === "ConsoleLogin").length, 2);
    assert.ok(events.some((e) => e.errorMessage === "Failed authentication"));
    assert.ok(events.some((e) => e.errorCode === "AccessDenied"));
    assert.equal(new Set(events.map((e) => e.eventID)).size, events.length);
    assert.notDeepEqual(
      events.map((e) => e.eventID),
      sampleTrailFile(CONTEXT).events.map((e) => e.eventID),
    );
    for (const event of events) {
      assert.match(String(event.eventTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(Date.parse(String(event.eventTime)) <= CONTEXT.now.getTime());
      assert.equal(event.recipientAccountId, CONTEXT.account);
    }
    // Minutes before 00:02 UTC: the file straddles two days, as real files at midnight do.
    assert.equal(new Set(events.map((e) => String(e.eventTime).slice(0, 10))).size, 2);
  });

  it("uses CloudTrail's key layout (UTC) for log and digest files", () => {
    const now = new Date("2024-03-01T23:59:30.000Z");
    assert.match(
      trailFileKey({ ...CONTEXT, now }),
      /^AWSLogs\/123456789012\/CloudTrail\/eu-west-1\/2024\/03\/01\/123456789012_CloudTrail_eu-west-1_20240301T2359Z_[A-Za-z0-9_-]{16}\.json\.gz$/,
    );
    assert.notEqual(trailFileKey(CONTEXT), trailFileKey(CONTEXT));
    const digest = digestFileKey({ ...CONTEXT, now });
    assert.equal(
      digest,
      "AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2024/03/01/123456789012_CloudTrail-Digest_eu-west-1_management_eu-west-1_20240301T235930Z.json.gz",
    );
    assert.ok(isDigestKey(digest));
    assert.ok(!isDigestKey(trailFileKey(CONTEXT)));
  });
});
