import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { eventsKey, failedKey, failedLine, GzipNdjson, PartitionedWriter, sourceName } from "../src/archive";
import { trailKey } from "./fixtures";

const SOURCE = { bucket: "trail-bucket", key: trailKey("Ab12") };
const DAY = { year: "2024", month: "03", day: "01" };

describe("apps/cloudtrail-indexer archive", () => {
  it("derives deterministic, partitioned keys from the source object", () => {
    const name = sourceName(SOURCE);
    assert.match(name, /^111122223333_CloudTrail_us-east-1_20240301T1200Z_Ab12-[0-9a-f]{12}$/);
    assert.equal(
      eventsKey("cloudtrail-events", DAY, SOURCE),
      `cloudtrail-events/year=2024/month=03/day=01/${name}.json.gz`,
    );
    assert.equal(
      failedKey("cloudtrail-failed/", SOURCE),
      `cloudtrail-failed/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/${name}.failed.json.gz`,
    );
    assert.equal(eventsKey("x/", DAY, SOURCE), eventsKey("x/", DAY, { ...SOURCE }));
  });

  it("never gives two source objects the same name (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        (b, k1, k2) => {
          fc.pre(k1 !== k2);
          assert.notEqual(sourceName({ bucket: b, key: k1 }), sourceName({ bucket: b, key: k2 }));
        },
      ),
    );
  });

  it("gzips NDJSON lines", async () => {
    const out = new GzipNdjson();
    await out.write('{"a":1}');
    await out.write('{"b":"x"}');
    assert.equal(gunzipSync(await out.finish()).toString("utf8"), '{"a":1}\n{"b":"x"}\n');
    assert.equal(out.lines, 2);
  });

  it("keeps every line when writes outpace the compressor", async () => {
    const out = new GzipNdjson();
    const line = "x".repeat(1000);
    for (let i = 0; i < 5000; i++) await out.write(line);
    assert.equal(gunzipSync(await out.finish()).length, 5000 * 1001);
  });

  it("writes one object per UTC day", async () => {
    const writer = new PartitionedWriter((day) => eventsKey("e/", day, SOURCE));
    await writer.write(DAY, '{"n":1}');
    await writer.write({ ...DAY, day: "02" }, '{"n":2}');
    await writer.write(DAY, '{"n":3}');
    const parts = await writer.finish();
    assert.deepEqual(
      parts.map((p) => [p.key.split("/")[3], gunzipSync(p.body).toString("utf8"), p.lines]),
      [
        ["day=01", '{"n":1}\n{"n":3}\n', 2],
        ["day=02", '{"n":2}\n', 1],
      ],
    );
  });

  it("embeds the record as JSON, or as text when it is not JSON", () => {
    const base = {
      reason: "mapper_parsing_exception",
      status: 400,
      index: "cloudtrail-2024.03.01",
      source: SOURCE,
    };
    assert.deepEqual(JSON.parse(failedLine({ ...base, eventID: "e1", recordJson: '{"eventID":"e1"}' })), {
      ...base,
      eventID: "e1",
      event: { eventID: "e1" },
    });
    assert.deepEqual(JSON.parse(failedLine({ reason: "r", source: SOURCE, recordJson: '{"a":tru}' })), {
      reason: "r",
      source: SOURCE,
      eventText: '{"a":tru}',
    });
  });
});
