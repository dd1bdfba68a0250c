import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { documentId, MAX_ID_BYTES } from "../../src/findings/document";
import { eventItems } from "../../src/findings/items";
import {
  clone,
  GUARDDUTY_FINDING,
  GUARDDUTY_HEALTH_EVENT,
  guardDutyEvent,
  SECURITYHUB_CONTROL_FINDING,
  SECURITYHUB_GUARDDUTY_FINDING,
  securityHubEvent,
} from "./fixtures";

describe("findings/items", () => {
  it("turns a GuardDuty event into one index item in the index of its creation day", () => {
    const body = JSON.stringify(guardDutyEvent());
    const { items, unindexable } = eventItems(body, "m1");
    assert.deepEqual(unindexable, []);
    assert.equal(items.length, 1);
    const [item] = items;
    assert.equal(item?.op, "index");
    assert.equal(item?.index, "findings-2018.05.11");
    assert.equal(item?.id, GUARDDUTY_FINDING.id);
    assert.equal(
      item?.action,
      `{"index":{"_index":"findings-2018.05.11","_id":"${GUARDDUTY_FINDING.id}","version":${Date.parse(GUARDDUTY_FINDING.updatedAt)},"version_type":"external_gte"}}`,
    );
    const { action = "", document = "" } = item ?? {};
    assert.equal(item?.bytes, Buffer.byteLength(`${action}\n${document}\n`));
    assert.equal(item?.payload.messageId, "m1");
    assert.equal(item?.payload.event, body);
    const source = JSON.parse(item?.document ?? "") as Record<string, unknown>;
    assert.equal(source.finding_id, GUARDDUTY_FINDING.id);
    assert.deepEqual(source.raw, GUARDDUTY_FINDING);
    assert.ok(!(item?.document ?? "").includes("\n"));
  });

  it("puts an update in the same index and id as the finding's first report", () => {
    const later = { ...clone(GUARDDUTY_FINDING), updatedAt: "2018-06-30T10:00:00.000Z" };
    later.service.count = 12;
    const first = eventItems(JSON.stringify(guardDutyEvent()), "a").items[0];
    const update = eventItems(JSON.stringify(guardDutyEvent(later)), "b").items[0];
    assert.equal(update?.index, first?.index);
    assert.equal(update?.id, first?.id);
    assert.equal(
      (JSON.parse(update?.document ?? "") as Record<string, unknown>)["@timestamp"],
      "2018-06-30T10:00:00.000Z",
    );
  });

  it("turns a Security Hub event with 2 findings into 2 items", () => {
    const body = JSON.stringify(
      securityHubEvent([SECURITYHUB_GUARDDUTY_FINDING, SECURITYHUB_CONTROL_FINDING]),
    );
    const { items, unindexable } = eventItems(body, "m2");
    assert.deepEqual(unindexable, []);
    assert.deepEqual(
      items.map((item) => [item.index, item.id, item.payload.findingIndex]),
      [
        ["findings-2021.01.05", SECURITYHUB_GUARDDUTY_FINDING.Id, 0],
        ["findings-2017.03.22", SECURITYHUB_CONTROL_FINDING.Id, 1],
      ],
    );
  });

  it("keeps the bad finding of a Security Hub event aside and indexes the good one", () => {
    const bad: Record<string, unknown> = clone(SECURITYHUB_CONTROL_FINDING);
    delete bad.CreatedAt;
    const body = JSON.stringify(securityHubEvent([bad, SECURITYHUB_GUARDDUTY_FINDING]));
    const { items, unindexable } = eventItems(body, "m3");
    assert.equal(items.length, 1);
    assert.equal(unindexable.length, 1);
    assert.equal(unindexable[0]?.payload.findingIndex, 0);
    assert.equal(unindexable[0]?.payload.event, body);
    assert.match(unindexable[0]?.reason ?? "", /CreatedAt/);
  });

  const notFindings: [string, string, RegExp][] = [
    [
      "a GuardDuty health event",
      JSON.stringify(GUARDDUTY_HEALTH_EVENT),
      /not a finding event \(source "aws.guardduty", detail-type "GuardDuty Runtime Protection Unhealthy"\)/,
    ],
    [
      "an S3 event",
      JSON.stringify({ source: "aws.s3", "detail-type": "Object Created", detail: {} }),
      /not a finding event/,
    ],
    ["a JSON array", "[1,2]", /not an EventBridge event/],
    ["text", "hello", /not JSON/],
    ["a Security Hub event without findings", JSON.stringify(securityHubEvent([])), /no detail.findings/],
  ];
  for (const [what, body, reason] of notFindings) {
    it(`keeps ${what} with its reason, never drops it`, () => {
      const { items, unindexable } = eventItems(body, "mx");
      assert.equal(items.length, 0);
      assert.equal(unindexable.length, 1);
      assert.equal(unindexable[0]?.payload.event, body);
      assert.equal(unindexable[0]?.payload.messageId, "mx");
      assert.match(unindexable[0]?.reason ?? "", reason);
    });
  }

  it("never throws and never drops: every finding of any event is an item or kept with a reason", () => {
    const finding = fc.oneof(
      fc.constant(clone(SECURITYHUB_GUARDDUTY_FINDING) as Record<string, unknown>),
      fc.record({
        Id: fc.oneof(fc.string(), fc.integer()),
        CreatedAt: fc.oneof(
          fc.string(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        UpdatedAt: fc.oneof(
          fc.string(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        Severity: fc.anything(),
        Types: fc.anything(),
        Resources: fc.anything(),
      }),
      fc.anything(),
    );
    fc.assert(
      fc.property(fc.array(finding, { minLength: 1, maxLength: 5 }), (findings) => {
        const { items, unindexable } = eventItems(JSON.stringify(securityHubEvent(findings)), "m");
        const seen = [
          ...items.map((i) => i.payload.findingIndex),
          ...unindexable.map((u) => u.payload.findingIndex),
        ];
        assert.deepEqual(
          seen.sort((a, b) => a - b),
          findings.map((_, i) => i),
        );
        for (const item of items) assert.match(item.index, /^findings-\d{4}\.\d{2}\.\d{2}$/);
      }),
    );
    fc.assert(
      fc.property(fc.json(), (body) => {
        const { items, unindexable } = eventItems(body, "m");
        assert.equal(items.length + unindexable.length >= 1, true);
      }),
    );
  });

  describe("document ids", () => {
    it("keeps ids up to 512 bytes and hashes longer ones", () => {
      const at = "a".repeat(MAX_ID_BYTES);
      assert.equal(documentId(at), at);
      const over = `${at}b`;
      assert.equal(documentId(over), createHash("sha256").update(over).digest("hex"));
      // 171 three-byte characters: 513 bytes although only 171 characters.
      const wide = "€".repeat(171);
      assert.match(documentId(wide), /^[0-9a-f]{64}$/);
    });

    it("gives every id a stable _id of at most 512 bytes, distinct ids distinct _ids", () => {
      fc.assert(
        fc.property(
          fc.string({ unit: "binary", minLength: 1, maxLength: 700 }),
          fc.string({ unit: "binary", minLength: 1, maxLength: 700 }),
          (a, b) => {
            const id = documentId(a);
            assert.ok(Buffer.byteLength(id) <= MAX_ID_BYTES);
            assert.equal(documentId(a), id);
            if (a !== b) assert.notEqual(documentId(b), id);
          },
        ),
      );
    });

    it("indexes a finding with a long id under its hash", () => {
      const longId = `arn:aws:securityhub:us-east-1::product/x/${"y".repeat(600)}`;
      const body = JSON.stringify(securityHubEvent([{ ...clone(SECURITYHUB_CONTROL_FINDING), Id: longId }]));
      const [item] = eventItems(body, "m").items;
      assert.equal(item?.id, createHash("sha256").update(longId).digest("hex"));
      assert.equal((JSON.parse(item?.document ?? "") as Record<string, unknown>).finding_id, longId);
    });
  });
});
