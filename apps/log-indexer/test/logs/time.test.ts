import assert from "node:assert/strict";
import fc from "fast-check";
import { isoOf, nginxAt, plausible, syslogAt, textStart, valueTime } from "../../src/logs/time";
import { RECEIVED_MS } from "./helpers";

const iso = (ms: number): string => new Date(ms).toISOString();

describe("logs/time", () => {
  describe("textStart", () => {
    const cases: [string, string][] = [
      ["2026-12-04T01:00:00Z started", "2026-12-04T01:00:00.000Z"],
      ["2026-12-04T01:00:00.123456Z fraction beyond ms", "2026-12-04T01:00:00.123Z"],
      ["2026-12-04T02:00:00+01:00 offset with colon", "2026-12-04T01:00:00.000Z"],
      ["2026-12-03T20:00:00-0500 offset without colon", "2026-12-04T01:00:00.000Z"],
      ["2026-12-04 01:00:00,250 INFO log4j comma", "2026-12-04T01:00:00.250Z"],
      ["2026-12-04T01:00:00 no zone is UTC", "2026-12-04T01:00:00.000Z"],
      ["2026-12-04T01:00 minutes only", "2026-12-04T01:00:00.000Z"],
      ["1796346000 epoch seconds", "2026-12-04T01:00:00.000Z"],
      ["1796346000.5 epoch seconds with fraction", "2026-12-04T01:00:00.500Z"],
      ["1796346000123 epoch millis", "2026-12-04T01:00:00.123Z"],
      ["Dec  4 01:00:00 host1 sshd[1]: rfc3164 padded day", "2026-12-04T01:00:00.000Z"],
      ["Dec 04 01:00:00 host1 cron: two-digit day", "2026-12-04T01:00:00.000Z"],
      ["<34>Dec  4 01:00:00 host1 su: with PRI", "2026-12-04T01:00:00.000Z"],
      ["<165>1 2026-12-04T01:00:00.003Z mymachine app 1 ID47 - rfc5424", "2026-12-04T01:00:00.003Z"],
      ["[04/Dec/2026:02:00:00 +0100] nginx bracket at start", "2026-12-04T01:00:00.000Z"],
      ['10.0.0.1 - bob [04/Dec/2026:01:00:00 +0000] "GET / HTTP/1.1" 200 1', "2026-12-04T01:00:00.000Z"],
    ];
    for (const [line, expected] of cases) {
      it(`reads ${JSON.stringify(line.slice(0, 40))}`, () => {
        assert.equal(iso(textStart(line, RECEIVED_MS).ms), expected);
      });
    }

    it("gives no time for lines without one, and for broken or absurd times", () => {
      for (const line of [
        "plain text",
        "2026-13-04T01:00:00Z bad month",
        "2026-02-30T01:00:00Z bad day",
        "2026-12-04T25:00:00Z bad hour",
        "1999-12-31T23:59:59Z before 2000",
        "2026-12-05T01:02:04Z more than a day ahead",
        "Foo  4 01:00:00 not a month",
        "12345 short number",
        "17963460001 eleven digits",
        "[04/Dec/2026:01:00:00 +9999] bad offset",
      ]) {
        assert.ok(Number.isNaN(textStart(line, RECEIVED_MS).ms), line);
      }
    });

    it("accepts up to a day of clock skew ahead", () => {
      assert.equal(iso(textStart("2026-12-05T01:00:00Z", RECEIVED_MS).ms), "2026-12-05T01:00:00.000Z");
    });

    it("reads the syslog severity and host", () => {
      assert.deepEqual(textStart("<34>Dec  4 01:00:00 mymachine su: 'su root' failed", RECEIVED_MS), {
        ms: Date.parse("2026-12-04T01:00:00Z"),
        level: "critical",
        host: "mymachine",
      });
      assert.deepEqual(
        textStart("<165>1 2026-12-04T01:00:00.003Z mymachine.example.com evntslog - ID47 -", RECEIVED_MS),
        {
          ms: Date.parse("2026-12-04T01:00:00.003Z"),
          level: "notice",
          host: "mymachine.example.com",
        },
      );
      assert.equal(textStart("<165>1 - - app - - nil time", RECEIVED_MS).level, "notice");
      assert.equal(textStart("Dec  4 01:00:00 web-3 kernel: x", RECEIVED_MS).host, "web-3");
    });
  });

  describe("RFC 3164 year", () => {
    it("puts December lines received in January into the year before", () => {
      const received = Date.parse("2027-01-01T00:00:30Z");
      assert.equal(iso(syslogAt("Dec 31 23:59:50", 0, received)!.ms), "2026-12-31T23:59:50.000Z");
    });
    it("puts January lines received on 31 December (skewed clock) into the next year", () => {
      const received = Date.parse("2026-12-31T23:59:50Z");
      assert.equal(iso(syslogAt("Jan  1 00:00:10", 0, received)!.ms), "2027-01-01T00:00:10.000Z");
    });
    it("uses the receive year otherwise, and rejects Feb 29 outside leap years", () => {
      assert.equal(iso(syslogAt("Jun  1 12:00:00", 0, RECEIVED_MS)!.ms), "2026-06-01T12:00:00.000Z");
      assert.equal(syslogAt("Feb 29 12:00:00", 0, RECEIVED_MS), undefined);
      assert.equal(
        iso(syslogAt("Feb 29 12:00:00", 0, Date.parse("2028-03-01T00:00:00Z"))!.ms),
        "2028-02-29T12:00:00.000Z",
      );
    });
  });

  describe("valueTime (JSON fields)", () => {
    it("reads epoch numbers of 10 and 13 digits, digit strings and time strings", () => {
      assert.equal(iso(valueTime(1796346000, RECEIVED_MS)), "2026-12-04T01:00:00.000Z");
      assert.equal(iso(valueTime(1796346000.25, RECEIVED_MS)), "2026-12-04T01:00:00.250Z");
      assert.equal(iso(valueTime(1796346000123, RECEIVED_MS)), "2026-12-04T01:00:00.123Z");
      assert.equal(iso(valueTime("1796346000123", RECEIVED_MS)), "2026-12-04T01:00:00.123Z");
      assert.equal(iso(valueTime("2026-12-04T01:00:00.5+00:00", RECEIVED_MS)), "2026-12-04T01:00:00.500Z");
      assert.equal(iso(valueTime("[04/Dec/2026:01:00:00 +0000]", RECEIVED_MS)), "2026-12-04T01:00:00.000Z");
      assert.equal(iso(valueTime("Dec  4 01:00:00", RECEIVED_MS)), "2026-12-04T01:00:00.000Z");
    });
    it("rejects other numbers and absurd times", () => {
      for (const value of [42, 1796346, 17963460001234, -1796346000, 946684799, 1896346000, "soon", ""]) {
        assert.ok(Number.isNaN(valueTime(value, RECEIVED_MS)), String(value));
      }
    });
  });

  it("nginxAt needs the whole bracket", () => {
    assert.equal(nginxAt("[04/Dec/2026:01:00:00 +0000", 0), undefined);
    assert.equal(nginxAt("[04/Dex/2026:01:00:00 +0000]", 0), undefined);
  });

  it("isoOf equals Date#toISOString (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
        assert.equal(isoOf(ms), new Date(ms).toISOString());
        assert.equal(isoOf(ms + 1), new Date(ms + 1).toISOString());
      }),
    );
  });

  it("any ISO time written by toISOString reads back exactly (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: RECEIVED_MS }), (ms) => {
        assert.equal(textStart(`${new Date(ms).toISOString()} x`, RECEIVED_MS).ms, ms);
        assert.ok(plausible(ms, RECEIVED_MS));
      }),
    );
  });
});
