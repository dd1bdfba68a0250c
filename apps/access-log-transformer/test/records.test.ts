import assert from "node:assert/strict";
import { decodeRecordData, type DecodedLine, lineText } from "../src/records";

const LINE = '203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "curl/8.4.0"';
const LINE2 = LINE.replace("GET", "POST");

/** The lines as plain values, for deep comparison. */
function decode(data: string | Buffer, recordIndex = 0): object[] {
  return decodeRecordData(Buffer.from(data), recordIndex).map((line: DecodedLine) => ({
    text: lineText(line),
    recordIndex: line.recordIndex,
    lineIndex: line.lineIndex,
    ...(line.id === undefined ? {} : { id: line.id }),
    ...(line.error === undefined ? {} : { error: line.error }),
  }));
}

const envelope = (id: string, body: object): string =>
  JSON.stringify({
    id,
    receivedAt: "2024-03-10T06:00:00.000Z",
    receiver: "rx-1",
    client: "198.51.100.2",
    ...body,
  });

describe("decodeRecordData", () => {
  it("reads raw text lines, skipping blank lines and removing CR, counting line positions", () => {
    assert.deepEqual(decode(`${LINE}\r\n\n${LINE2}\n`, 4), [
      { text: LINE, recordIndex: 4, lineIndex: 0 },
      { text: LINE2, recordIndex: 4, lineIndex: 2 },
    ]);
  });

  it("keeps raw lines as ranges of the record's own bytes", () => {
    const data = Buffer.from(`${LINE}\n${LINE2}`);
    const [first, second] = decodeRecordData(data, 0);
    assert.equal(first?.bytes, data);
    assert.equal(second?.bytes, data);
    assert.equal(second?.start, LINE.length + 1);
  });

  it("reads a fluentd record with the line in log, with or without a trailing newline", () => {
    assert.deepEqual(decode(`${JSON.stringify({ log: `${LINE}\n`, stream: "stdout" })}\n`), [
      { text: LINE, recordIndex: 0, lineIndex: 0 },
    ]);
    assert.deepEqual(decode(JSON.stringify({ log: LINE })), [{ text: LINE, recordIndex: 0, lineIndex: 0 }]);
  });

  it("reads a fluentd record with the line in message", () => {
    assert.deepEqual(decode(JSON.stringify({ message: `${LINE}\r\n`, host: "web-1" })), [
      { text: LINE, recordIndex: 0, lineIndex: 0 },
    ]);
  });

  it("reads several ingest envelopes per record: message, event.log, event.message and a JSON string event", () => {
    const data = [
      envelope("a", { message: LINE }),
      envelope("b", { event: { log: LINE2 } }),
      envelope("c", { event: { message: LINE } }),
      envelope("d", { event: LINE2 }),
    ].join("\n");
    assert.deepEqual(decode(data), [
      { text: LINE, recordIndex: 0, lineIndex: 0, id: "a" },
      { text: LINE2, recordIndex: 0, lineIndex: 1, id: "b" },
      { text: LINE, recordIndex: 0, lineIndex: 2, id: "c" },
      { text: LINE2, recordIndex: 0, lineIndex: 3, id: "d" },
    ]);
  });

  it("keeps JSON it cannot use as an error with the raw text, never dropping it", () => {
    const broken = '{"log": "unterminated';
    const noLog = JSON.stringify({ level: "info", msg: "hello" });
    const emptyEnvelope = envelope("e", { event: { status: 200 } });
    const [invalid, missing, envelopeError] = decode([broken, noLog, emptyEnvelope].join("\n")) as {
      text: string;
      error: string;
      id?: string;
    }[];
    assert.equal(invalid?.text, broken);
    assert.match(invalid?.error ?? "", /^invalid JSON: /);
    assert.equal(missing?.text, noLog);
    assert.equal(missing?.error, "JSON record has no string log or message field");
    assert.equal(envelopeError?.text, emptyEnvelope);
    assert.equal(envelopeError?.id, "e");
    assert.equal(envelopeError?.error, "envelope has no text message or event.log/event.message");
  });

  it("keeps a KPL-aggregated record whole, in base64, as an error", () => {
    const data = Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), Buffer.from("protobuf\nbytes")]);
    assert.deepEqual(decode(data, 2), [
      {
        text: data.toString("base64"),
        recordIndex: 2,
        lineIndex: 0,
        error: "KPL-aggregated record (not supported); line holds the record data in base64",
      },
    ]);
  });

  it("returns nothing for empty data", () => {
    assert.deepEqual(decode(""), []);
    assert.deepEqual(decode("\n\r\n"), []);
  });
});
