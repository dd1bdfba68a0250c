import assert from "node:assert/strict";
import fc from "fast-check";
import { forwarderLine } from "../src/forwarder-line";
import {
  decodeRecordData,
  decodeRecordDataReference,
  type DecodedLine,
  lineText,
  soleForwarderLine,
} from "../src/records";

const LINE = '203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET /a?b=\\x22c HTTP/1.1" 200 1 "-" "curl/8.4.0"';

/** A decoded line as plain values: its bytes (not where they live), position, id, source and error. */
function plain(line: DecodedLine): object {
  return {
    bytes: line.bytes.subarray(line.start, line.end).toString("hex"),
    recordIndex: line.recordIndex,
    lineIndex: line.lineIndex,
    id: line.id,
    source: line.source,
    error: line.error,
  };
}

function assertSameAsReference(data: Buffer): void {
  assert.deepEqual(
    decodeRecordData(data, 3).map(plain),
    decodeRecordDataReference(data, 3).map(plain),
    data.toString("utf8"),
  );
}

/** Log lines: nginx text, any unicode, quotes, backslashes, control characters, line ends. */
const logText = fc.oneof(
  fc.constant(LINE),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc
    .array(
      fc.constantFrom("a", '"', "\\", "\n", "\r", "\r\n", "\t", "\u0000", "é", "—", "😀", "\ud800", "x"),
      {
        maxLength: 12,
      },
    )
    .map((parts) => parts.join("")),
  fc.constant(LINE).map((line) => `${line}\n`),
  fc.constant(LINE).map((line) => `${line}\r\n`),
  fc.constant(LINE).map((line) => `${line}\r`),
);

const extraKey = fc.constantFrom(
  "stream",
  "time",
  "log",
  "id",
  "receivedAt",
  "receiver",
  "message",
  "event",
  "l\\u006fg",
);
const extraValue = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.constant(null),
  fc.constant({ a: 1 }),
);

/** JSON text of a record as forwarders and others write it, sometimes damaged afterwards. */
const recordText = fc
  .record({
    log: logText,
    extras: fc.array(fc.tuple(extraKey, extraValue), { maxLength: 4 }),
    form: fc.constantFrom("fluentd", "fluent-bit", "message", "envelope", "spaced", "plain"),
  })
  .map(({ log, extras, form }) => {
    if (form === "plain") return log.replace(/[\r\n]/g, " ");
    if (form === "envelope") {
      return JSON.stringify({
        id: "i-1",
        receivedAt: "2024-03-10T06:00:00.000Z",
        receiver: "rx",
        client: "c",
        source: "s",
        message: log,
      });
    }
    if (form === "message") return JSON.stringify({ message: log, host: "web-1" });
    if (form === "spaced") return JSON.stringify({ log }, null, 1).replace(/\n/g, "");
    let text = JSON.stringify(
      form === "fluentd" ? { log } : { log, stream: "stdout", time: "2024-03-10T06:00:00.123456789Z" },
    );
    // Raw extra pairs: escaped keys and duplicates that JSON.stringify of an object cannot write.
    for (const [key, value] of extras) text = `${text.slice(0, -1)},"${key}":${JSON.stringify(value)}}`;
    return text;
  });

/** Bytes of a record: lines joined by \n or \r\n, sometimes cut, sometimes with a byte that is not UTF-8. */
const recordData = fc
  .record({
    lines: fc.array(recordText, { minLength: 1, maxLength: 3 }),
    separator: fc.constantFrom("\n", "\r\n"),
    trailing: fc.boolean(),
    cut: fc.option(fc.nat(), { nil: undefined }),
    invalid: fc.option(fc.tuple(fc.nat(), fc.constantFrom(0x80, 0xc3, 0xe2, 0xed, 0xff)), { nil: undefined }),
  })
  .map(({ lines, separator, trailing, cut, invalid }) => {
    let data = Buffer.from(lines.join(separator) + (trailing ? separator : ""));
    if (cut !== undefined) data = data.subarray(0, cut % (data.length + 1));
    if (invalid !== undefined && data.length > 0) {
      data = Buffer.from(data);
      data[invalid[0] % data.length] = invalid[1];
    }
    return data;
  });

describe("forwarder-line fast path", () => {
  it("decodes fluentd and fluent-bit records as the reference does (any text, escapes, unicode, CR/LF)", () => {
    fc.assert(fc.property(recordData, assertSameAsReference), { numRuns: 5000 });
  });

  it("answers for a whole record only with what the reference gives: its one line, index 0, no id or error", () => {
    const junk = fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes));
    // Plain forwarder records (the case the fast path is for), other whole records, and cut, damaged
    // or many-line ones: recordData alone seldom gives a whole one-line record.
    const recordEnd = fc.constantFrom("", "\n", "\r\n");
    const forwarderRecord = fc
      .tuple(logText, fc.boolean(), recordEnd)
      .map(([log, fluentBit, end]) =>
        Buffer.from(
          JSON.stringify(fluentBit ? { log, stream: "stderr", time: "2024-03-10T06:00:00Z" } : { log }) + end,
        ),
      );
    const wholeRecord = fc.tuple(recordText, recordEnd).map(([text, end]) => Buffer.from(text + end));
    let answered = 0;
    fc.assert(
      fc.property(fc.oneof(forwarderRecord, wholeRecord, recordData), junk, junk, (data, before, after) => {
        // The record sits inside a larger buffer, as in the batch's one decoded buffer.
        const batch = Buffer.concat([before, data, after]);
        const sole = soleForwarderLine(batch, before.length, before.length + data.length);
        const reference = decodeRecordDataReference(data, 0).map(plain);
        if (sole === undefined) return;
        answered++;
        assert.deepEqual(
          reference,
          [plain({ bytes: sole.bytes, start: sole.start, end: sole.end, recordIndex: 0, lineIndex: 0 })],
          data.toString("utf8"),
        );
      }),
      { numRuns: 5000 },
    );
    assert.ok(answered > 1000, `the fast path answered for only ${answered} of 5000 records`);
  });

  it("takes whole fluentd and fluent-bit records, with or without their newline, and declines a second line", () => {
    const forms = [
      `${JSON.stringify({ log: LINE })}\n`,
      `${JSON.stringify({ log: LINE })}\r\n`,
      JSON.stringify({ log: LINE }),
      JSON.stringify({ log: `${LINE}\n`, stream: "stdout", time: "2024-03-10T06:00:00.123456789Z" }),
    ];
    for (const form of forms) {
      const data = Buffer.from(form);
      const sole = soleForwarderLine(data, 0, data.length);
      assert.equal(sole?.bytes.toString("utf8", sole.start, sole.end), LINE, form);
    }
    for (const twoLines of [
      `${JSON.stringify({ log: LINE })}\n${JSON.stringify({ log: LINE })}`,
      `${JSON.stringify({ log: LINE })}\n \n`,
      `{"log":"a"\n}`,
    ]) {
      const data = Buffer.from(twoLines);
      assert.equal(soleForwarderLine(data, 0, data.length), undefined, twoLines);
    }
  });

  it("decodes every byte mutation of a fluent-bit record as the reference does", () => {
    const base = Buffer.from(JSON.stringify({ log: `${LINE} é\n`, stream: "stdout", time: "t" }));
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const data = Buffer.from(base);
        data[at] = byte;
        assertSameAsReference(data);
      }),
      { numRuns: 3000 },
    );
  });

  it("answers for the forwarder shapes (so the fast path is really taken) and declines others", () => {
    const fluentd = Buffer.from(`${JSON.stringify({ log: LINE })}`);
    const bit = Buffer.from(
      JSON.stringify({ log: `${LINE}\n`, stream: "stdout", time: "2024-03-10T06:00:00Z" }),
    );
    const plainLine = Buffer.from(JSON.stringify({ log: "no escapes here" }));
    for (const data of [fluentd, bit, plainLine]) {
      const line = forwarderLine(data, 0, data.length);
      assert.notEqual(line, undefined, data.toString());
      assert.equal(
        line?.bytes.toString("utf8", line.start, line.end),
        (JSON.parse(data.toString()) as { log: string }).log.replace(/\n$/, ""),
      );
    }
    assert.equal(
      forwarderLine(plainLine, 0, plainLine.length)?.bytes,
      plainLine,
      "a line without escapes stays in the record",
    );
    for (const other of [
      '{"log":"a","log":"b"}',
      '{"log":"a","id":"x"}',
      '{"message":"a"}',
      '{"log": "a"}',
      '{"log":"\\ud83d\\ude00"}',
      '{"log":"a","n":1}',
    ]) {
      assert.equal(forwarderLine(Buffer.from(other), 0, other.length), undefined, other);
    }
  });

  it("keeps lines already returned intact while later records are decoded", () => {
    const records = Array.from({ length: 2000 }, (_, i) =>
      Buffer.from(JSON.stringify({ log: `${LINE} ${i}\n` })),
    );
    const lines = records.flatMap((data) => decodeRecordData(data, 0));
    lines.forEach((line, i) => assert.equal(lineText(line), `${LINE} ${i}`));
  });
});
