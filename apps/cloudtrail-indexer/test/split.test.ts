import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import type { RawCloudTrailRecord } from "../src/split";
import {
  CloudTrailFormatError,
  CloudTrailScanner,
  splitCloudTrail,
  splitCloudTrailStream,
} from "../src/split";
import { ACCESS_DENIED, CONSOLE_LOGIN, LARGE_REQUEST_PARAMETERS, logFile, REAL_RECORDS } from "./fixtures";

/** Feeds `text` to a scanner in chunks of `size` bytes. */
function scanInChunks(text: Buffer, size: number): RawCloudTrailRecord[] {
  const scanner = new CloudTrailScanner();
  const out: RawCloudTrailRecord[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...scanner.write(text.subarray(i, i + size)));
  scanner.end();
  return out;
}

async function collect(source: Readable): Promise<RawCloudTrailRecord[]> {
  const out: RawCloudTrailRecord[] = [];
  for await (const record of splitCloudTrailStream(source)) out.push(record);
  return out;
}

/** A readable that emits `data` in chunks of `size`. */
function chunked(data: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  return Readable.from(chunks);
}

/** Objects shaped like CloudTrail events, with arbitrary extra fields (unicode, escapes, nesting). */
const eventLike = fc.record(
  {
    eventVersion: fc.constantFrom("1.08", "1.09", "1.10"),
    eventID: fc.uuid(),
    eventTime: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    eventName: fc.string({ unit: "binary" }),
    requestParameters: fc.oneof(fc.constant(null), fc.dictionary(fc.string(), fc.jsonValue())),
    extra: fc.jsonValue(),
  },
  { requiredKeys: ["eventID"] },
);

describe("apps/cloudtrail-indexer split", () => {
  it("splits a real log file into exactly its records", () => {
    assert.deepEqual([...splitCloudTrail(logFile(REAL_RECORDS))], REAL_RECORDS);
  });

  it("yields nothing for an empty Records array", () => {
    assert.deepEqual([...splitCloudTrail(gzipSync('{"Records":[]}'))], []);
  });

  it("takes eventID and eventTime from the event's own keys only", () => {
    const event = {
      eventType: "eventID",
      requestParameters: { eventID: "nested", eventTime: "nested" },
      eventTime: "2024-03-01T00:00:00Z",
      eventID: "top",
    };
    for (const text of [
      JSON.stringify({ Records: [event] }),
      JSON.stringify({ Records: [event] }, null, 2),
    ]) {
      for (const size of [1, 2, 3, 7, 64]) {
        const [record] = scanInChunks(Buffer.from(text), size);
        assert.equal(record?.eventID, "top", `chunk ${size}`);
        assert.equal(record?.eventTime, "2024-03-01T00:00:00Z");
      }
    }
  });

  it("unescapes an escaped eventID", () => {
    const [record] = scanInChunks(Buffer.from(JSON.stringify({ Records: [{ eventID: 'a"b\\c\u00e9' }] })), 5);
    assert.equal(record?.eventID, 'a"b\\c\u00e9');
  });

  it("skips other top-level keys and tolerates a byte order mark", () => {
    const text = `\ufeff${JSON.stringify({ before: { Records: [1], s: "]}" }, Records: [{ eventID: "x" }], after: [1, "x"] })}`;
    assert.deepEqual(
      scanInChunks(Buffer.from(text), 4).map((r) => r.json),
      ['{"eventID":"x"}'],
    );
  });

  it("puts each pretty-printed record on one line", () => {
    const text = Buffer.from(JSON.stringify({ Records: [CONSOLE_LOGIN, ACCESS_DENIED] }, null, 2));
    const records = scanInChunks(text, 1000);
    for (const record of records) assert.ok(!/[\r\n]/.test(record.json));
    assert.deepEqual(
      records.map((r) => JSON.parse(r.json) as unknown),
      [CONSOLE_LOGIN, ACCESS_DENIED],
    );
  });

  it("keeps a record with a raw line break inside a string, marked invalid", () => {
    const [record] = scanInChunks(Buffer.from('{"Records":[{"eventID":"a","x":"line\nbreak"}]}'), 8);
    assert.match(record?.invalid ?? "", /invalid JSON/);
    assert.equal(JSON.parse(record?.json ?? ""), '{"eventID":"a","x":"line\nbreak"}');
  });

  it("reports non-object records instead of dropping them", () => {
    const records = scanInChunks(Buffer.from('{"Records":[1,"two",null,[3],{"eventID":"e"}]}'), 3);
    assert.deepEqual(
      records.map((r) => [r.json, r.isObject]),
      [
        ["1", false],
        ['"two"', false],
        ["null", false],
        ["[3]", false],
        ['{"eventID":"e"}', true],
      ],
    );
    assert.throws(
      () => [...splitCloudTrail(gzipSync('{"Records":[{"eventID":"e"},1]}'))],
      /record 1 is not a JSON object/,
    );
  });

  it("handles one record much larger than the scanner's buffer", () => {
    const big = { eventID: "big", eventTime: "2024-03-01T00:00:00Z", blob: 'x\\"'.repeat(400_000) };
    const text = Buffer.from(JSON.stringify({ Records: [LARGE_REQUEST_PARAMETERS, big, CONSOLE_LOGIN] }));
    const records = scanInChunks(text, 65_536);
    assert.deepEqual(
      records.map((r) => JSON.parse(r.json) as unknown),
      [LARGE_REQUEST_PARAMETERS, big, CONSOLE_LOGIN],
    );
    assert.equal(records[1]?.bytes, Buffer.byteLength(JSON.stringify(big)));
  });

  describe("malformed input", () => {
    const cases: [string, string, RegExp][] = [
      ["truncated JSON", '{"Records":[{"eventID":"a"},{"eventID":', /truncated/],
      ["an empty document", "", /truncated CloudTrail log file: empty document/],
      ["not JSON", "<html>", /expected '\{'/],
      ["no Records array", '{"records":[]}', /no Records array/],
      ["Records not an array", '{"Records":{}}', /Records is not an array/],
      ["unbalanced brackets", '{"Records":[{"a":[1}]}', /unbalanced/],
      ["data after the document", '{"Records":[]} {}', /after the end/],
      ["a missing comma", '{"Records":[{"a":1} {"b":2}]}', /expected ',' or '\]'/],
    ];
    for (const [name, text, error] of cases) {
      it(`rejects ${name}`, () => {
        assert.throws(
          () => [...splitCloudTrail(gzipSync(text))],
          (e: unknown) => e instanceof CloudTrailFormatError && error.test(e.message),
        );
      });
    }

    it("rejects corrupt gzip", async () => {
      const corrupt = Buffer.from(logFile(REAL_RECORDS));
      corrupt.fill(0x55, 20, 60);
      assert.throws(() => [...splitCloudTrail(corrupt)], /invalid|incorrect|Z_DATA_ERROR/i);
      await assert.rejects(collect(chunked(corrupt, 16)), /invalid|incorrect|Z_DATA_ERROR/i);
    });

    it("rejects truncated gzip after yielding what was complete", async () => {
      const file = logFile(Array.from({ length: 200 }, () => LARGE_REQUEST_PARAMETERS));
      const truncated = file.subarray(0, Math.floor(file.length / 2));
      assert.throws(() => [...splitCloudTrail(truncated)], /unexpected end of file/);
      const seen: RawCloudTrailRecord[] = [];
      await assert.rejects(async () => {
        for await (const record of splitCloudTrailStream(chunked(truncated, 4096))) seen.push(record);
      }, /unexpected end of file/);
      assert.ok(seen.length > 0 && seen.length < 200, `${seen.length} records before the error`);
    });

    it("rejects plain (not gzip) JSON", () => {
      assert.throws(() => [...splitCloudTrail(Buffer.from('{"Records":[]}'))], /incorrect header check/);
    });
  });

  describe("streaming", () => {
    it("yields the same records as the in-memory split, with ids and times", async () => {
      const records = await collect(chunked(logFile(REAL_RECORDS), 100));
      assert.deepEqual(
        records.map((r) => JSON.parse(r.json) as unknown),
        REAL_RECORDS,
      );
      assert.deepEqual(
        records.map((r) => [r.eventID, r.eventTime]),
        REAL_RECORDS.map((r) => [r.eventID, r.eventTime]),
      );
    });

    it("propagates a source error", async () => {
      const source = new Readable({ read() {} });
      source.push(logFile(REAL_RECORDS).subarray(0, 50));
      setImmediate(() => source.destroy(new Error("connection reset")));
      await assert.rejects(collect(source), /connection reset/);
    });

    it("destroys the source when the consumer stops early", async () => {
      const source = chunked(logFile(Array.from({ length: 50 }, () => CONSOLE_LOGIN)), 512);
      for await (const record of splitCloudTrailStream(source)) {
        assert.ok(record.isObject);
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(source.destroyed, true);
    });
  });

  describe("properties", () => {
    it("split(gzip(JSON.stringify({Records}))) yields exactly the records", () => {
      fc.assert(
        fc.property(fc.array(eventLike, { maxLength: 20 }), (records) => {
          const expected = JSON.parse(JSON.stringify(records)) as unknown;
          assert.deepEqual([...splitCloudTrail(logFile(records))], expected);
        }),
        { numRuns: 200 },
      );
    });

    it("chunk boundaries and pretty-printing change nothing", () => {
      fc.assert(
        fc.property(
          fc.array(eventLike, { maxLength: 8 }),
          fc.integer({ min: 1, max: 300 }),
          fc.boolean(),
          (records, size, pretty) => {
            const text = Buffer.from(JSON.stringify({ Records: records }, null, pretty ? 2 : undefined));
            const scanned = scanInChunks(text, size);
            assert.deepEqual(
              scanned.map((r) => JSON.parse(r.json) as unknown),
              JSON.parse(JSON.stringify(records)),
            );
            assert.deepEqual(
              scanned.map((r) => r.eventID),
              records.map((r) => r.eventID),
            );
            for (const r of scanned) assert.equal(r.bytes, Buffer.byteLength(r.json));
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
