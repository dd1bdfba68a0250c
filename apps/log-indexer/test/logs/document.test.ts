import assert from "node:assert/strict";
import { ARRIVED_SECONDS, envelope, items, logsDoc, logsDocs, RECEIVED_AT, parse, type Doc } from "./helpers";

const ARRIVED_AT = new Date(ARRIVED_SECONDS * 1000).toISOString();
const SEQUENCE = "49590338271490256608559692538361571095921575989136588898";

describe("logs/document (via recordItems)", () => {
  it("maps a text envelope: message, envelope metadata, own time", () => {
    const result = items([
      envelope("abc-0", { message: '2026-12-04T01:00:00Z INFO said "hi"\tthere' }, "Web_App"),
    ]);
    assert.equal(result.items.length, 1);
    const [item] = result.items;
    assert.equal(item!.index, "logs-web-app-2026.12.04");
    assert.equal(item!.id, "abc-0");
    assert.equal(item!.op, "create");
    assert.deepEqual(parse(item!.document), {
      "@timestamp": "2026-12-04T01:00:00.000Z",
      receivedAt: RECEIVED_AT,
      receiver: "ip-10-0-1-23",
      client: "203.0.113.7",
      source: "web-app",
      message: '2026-12-04T01:00:00Z INFO said "hi"\tthere',
      time_source: "line",
    });
    assert.equal(item!.bytes, Buffer.byteLength(`${item!.action}\n${item!.document}\n`));
  });

  it("falls back to receivedAt when the line has no time", () => {
    const doc = logsDoc(envelope("abc-1", { message: "no time here" }));
    assert.equal(doc["@timestamp"], RECEIVED_AT);
    assert.equal(doc.time_source, "receivedAt");
  });

  it("maps a JSON envelope: fields, message from msg, level, host, time", () => {
    const doc = logsDoc(
      envelope("abc-2", {
        event: {
          level: "ERROR",
          msg: "disk full",
          host: "db-1",
          time: "2026-12-04T00:59:00.5Z",
          disk: { free: 0, mount: "/" },
        },
      }),
    );
    assert.deepEqual(doc, {
      "@timestamp": "2026-12-04T00:59:00.500Z",
      receivedAt: RECEIVED_AT,
      receiver: "ip-10-0-1-23",
      client: "203.0.113.7",
      source: "office-pcs",
      message: "disk full",
      level: "error",
      host: "db-1",
      fields: {
        level: "ERROR",
        host: "db-1",
        time: "2026-12-04T00:59:00.5Z",
        disk_free: "0",
        disk_mount: "/",
      },
      time_source: "line",
    });
  });

  it("indexes colliding senders under one mapping: {a:1} then {a:{b:2}}", () => {
    const docs = logsDocs(
      items([envelope("x-0", { event: { a: 1 } }), envelope("x-1", { event: { a: { b: 2 } } })]),
    );
    assert.deepEqual(
      docs.map((doc) => doc.fields),
      [{ a: "1" }, { a_b: "2" }],
    );
    // Under `fields` every value is a string or string array: one object, keyword leaves, never an object leaf.
    for (const doc of docs) {
      for (const value of Object.values(doc.fields as unknown as object))
        assert.equal(typeof value, "string");
    }
  });

  it("puts what exceeds maxFields into fields_overflow", () => {
    const event = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}`, `v${i}`]));
    const doc = logsDoc(envelope("x-2", { event }), { maxFields: 2 });
    assert.deepEqual(doc.fields, { f0: "v0", f1: "v1" });
    assert.deepEqual(parse(doc.fields_overflow as string), { f2: "v2", f3: "v3", f4: "v4" });
  });

  it("cuts an oversized message on a UTF-8 boundary and marks it truncated", () => {
    const message = `${"a".repeat(9)}€€€`; // € is 3 bytes: 9 + 9 = 18 bytes
    const doc = logsDoc(envelope("x-3", { message }), { maxMessageBytes: 13 });
    assert.equal(doc.message, `${"a".repeat(9)}€`);
    assert.equal(doc.truncated, true);
    const fits = logsDoc(envelope("x-4", { message }), { maxMessageBytes: 18 });
    assert.equal(fits.message, message);
    assert.equal(fits.truncated, undefined);
    const ascii = logsDoc(envelope("x-5", { message: `"${"b".repeat(40)}` }), { maxMessageBytes: 10 });
    assert.equal(ascii.message, `"${"b".repeat(9)}`);
  });

  it("keeps invalid UTF-8 as text with an error, and the payload in base64", () => {
    const bytes = Buffer.concat([Buffer.from("bad \xff byte", "latin1"), Buffer.from("\nok line")]);
    const result = items(bytes);
    assert.equal(result.items.length, 2);
    const [bad, ok] = result.items.map((item) => parse(item.document)) as [Doc, Doc];
    assert.equal(bad.message, "bad \ufffd byte");
    assert.match(bad.error ?? "", /invalid UTF-8/);
    assert.equal(result.items[0]!.payload.line, Buffer.from("bad \xff byte", "latin1").toString("base64"));
    assert.equal(result.items[0]!.payload.encoding, "base64");
    assert.equal(result.items[1]!.payload.encoding, undefined);
    assert.equal(ok.message, "ok line");
    assert.equal(ok.error, undefined);
    assert.equal(
      result.items[0]!.bytes,
      Buffer.byteLength(`${result.items[0]!.action}\n${result.items[0]!.document}\n`),
    );
  });

  it("keeps invalid JSON as text with an error", () => {
    const doc = logsDoc('{"broken": ');
    assert.equal(doc.message, '{"broken": ');
    assert.match(doc.error as string, /^invalid JSON/);
    assert.equal(doc.source, "kinesis");
  });

  it("maps fluentd records: message from log (line end dropped), other keys as fields, ids from the sequence number", () => {
    const result = items([
      '{"log":"2026-12-04T01:00:00Z hello\\n","container_name":"web","stream":"stdout"}',
    ]);
    const [item] = result.items;
    assert.equal(item!.id, `${SEQUENCE}-0`);
    assert.equal(item!.index, "logs-kinesis-2026.12.04");
    assert.deepEqual(parse(item!.document), {
      "@timestamp": "2026-12-04T01:00:00.000Z",
      receivedAt: ARRIVED_AT,
      source: "kinesis",
      message: "2026-12-04T01:00:00Z hello",
      fields: { container_name: "web", stream: "stdout" },
      time_source: "line",
    });
  });

  it("maps plain records: one document per line, blank lines skipped but counted", () => {
    const result = items(Buffer.from("first\r\n\nthird"));
    assert.deepEqual(
      result.items.map((item) => [item.id, parse(item.document).message, parse(item.document).receivedAt]),
      [
        [`${SEQUENCE}-0`, "first", ARRIVED_AT],
        [`${SEQUENCE}-2`, "third", ARRIVED_AT],
      ],
    );
    assert.deepEqual(
      result.items.map((item) => item.payload.lineIndex),
      [0, 2],
    );
  });

  it("reads envelopes in another key order or with escapes through JSON.parse", () => {
    const line = JSON.stringify({
      receivedAt: RECEIVED_AT,
      id: 'q"1',
      receiver: "r",
      client: "c",
      source: "S p",
      message: "m",
    });
    const result = items([line]);
    assert.equal(result.items[0]!.id, 'q"1');
    assert.equal(result.items[0]!.index, "logs-s-p-2026.12.04");
    assert.equal(parse(result.items[0]!.document).message, "m");
  });

  it("takes level and host from syslog lines", () => {
    const doc = logsDoc(envelope("s-0", { message: "<11>Dec  4 01:00:00 fw-1 kernel: dropped" }));
    assert.equal(doc.level, "error");
    assert.equal(doc.host, "fw-1");
    assert.equal(doc["@timestamp"], "2026-12-04T01:00:00.000Z");
  });

  it("gives the payload the original line and survives JSON.stringify", () => {
    const [item] = items([envelope("p-0", { message: 'quote " and \\ slash' })]).items;
    assert.equal(item!.payload.line, 'quote " and \\ slash');
    assert.deepEqual(parse(JSON.stringify(item!.payload)), {
      id: "p-0",
      source: "office-pcs",
      line: 'quote " and \\ slash',
      lineIndex: 0,
    });
    const [json] = items([envelope("p-1", { event: { a: 1 } })]).items;
    assert.equal(json!.payload.line, '{"a":1}');
  });
});
