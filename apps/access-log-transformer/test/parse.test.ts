import assert from "node:assert/strict";
import fc from "fast-check";
import { type AccessLogRecord, parseAccessLogLine, parseAccessLogLineDetailed } from "../src/parse";
import { combinedLine } from "./helpers";

const UA = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const LINE = `203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?a=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "${UA}"`;

/** The line above with one part replaced. */
function withPart(part: {
  addr?: string;
  user?: string;
  time?: string;
  request?: string;
  tail?: string;
}): string {
  return (
    `${part.addr ?? "203.0.113.7"} - ${part.user ?? "-"} [${part.time ?? "10/Oct/2000:13:55:36 -0700"}] ` +
    `"${part.request ?? "GET / HTTP/1.1"}" ${part.tail ?? `200 2326 "-" "${UA}"`}`
  );
}

function parse(line: string): AccessLogRecord {
  const result = parseAccessLogLineDetailed(line);
  assert.ok(result.record, `expected a record, got error: ${result.error}`);
  return result.record;
}

function rejection(line: string): string {
  const result = parseAccessLogLineDetailed(line);
  assert.equal(result.record, undefined, `expected a rejection of ${line}`);
  return result.error ?? "";
}

describe("parseAccessLogLine", () => {
  it("parses every field of a combined line", () => {
    assert.deepEqual(parseAccessLogLine(LINE), {
      remoteaddr: "203.0.113.7",
      remoteuser: null,
      timelocal: "10/Oct/2000:13:55:36 -0700",
      time: "2000-10-10T20:55:36.000Z",
      method: "GET",
      url: "/apache_pb.gif?a=1",
      protocol: "HTTP/1.0",
      statuscode: 200,
      bytessent: 2326,
      referrer: "http://www.example.com/start.html",
      useragent: UA,
    });
  });

  it("keeps the key order of the seam (it is the JSON key order)", () => {
    assert.deepEqual(Object.keys(parse(LINE)), [
      "remoteaddr",
      "remoteuser",
      "timelocal",
      "time",
      "method",
      "url",
      "protocol",
      "statuscode",
      "bytessent",
      "referrer",
      "useragent",
    ]);
  });

  it("turns - into null for user, referrer and user agent, and keeps real values", () => {
    const dashes = parse(withPart({ tail: '404 0 "-" "-"' }));
    assert.equal(dashes.remoteuser, null);
    assert.equal(dashes.referrer, null);
    assert.equal(dashes.useragent, null);
    assert.equal(dashes.bytessent, 0);
    const user = parse(withPart({ user: "alice", tail: '200 5 "https://r.example/" "curl/8.4.0"' }));
    assert.equal(user.remoteuser, "alice");
    assert.equal(user.referrer, "https://r.example/");
    assert.equal(user.useragent, "curl/8.4.0");
  });

  for (const addr of [
    "::1",
    "::ffff:1.2.3.4",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "2001:db8::8a2e:370:7334",
    "fe80::1%eth0",
    "0.0.0.0",
    "255.255.255.255",
  ]) {
    it(`accepts the address ${addr}`, () => {
      assert.equal(parse(withPart({ addr })).remoteaddr, addr);
    });
  }

  for (const addr of [
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1..2.3",
    "example.com",
    "1:2:3",
    "::g",
  ]) {
    it(`rejects the address ${addr}`, () => {
      assert.match(rejection(withPart({ addr })), /is not an IPv4 or IPv6 address/);
    });
  }

  describe("time", () => {
    const cases: [string, string][] = [
      ["10/Oct/2000:13:55:36 -0700", "2000-10-10T20:55:36.000Z"],
      ["01/Jan/2024:00:30:00 +0100", "2023-12-31T23:30:00.000Z"],
      ["31/Dec/2023:23:59:59 -0130", "2024-01-01T01:29:59.000Z"],
      ["29/Feb/2024:12:00:00 +0000", "2024-02-29T12:00:00.000Z"],
      ["01/Jan/1970:00:00:00 +0000", "1970-01-01T00:00:00.000Z"],
      ["15/Jun/0050:10:00:00 +0000", "0050-06-15T10:00:00.000Z"],
      ["01/Mar/2024:05:30:00 +0530", "2024-03-01T00:00:00.000Z"],
    ];
    for (const [timelocal, iso] of cases) {
      it(`converts ${timelocal} to ${iso}`, () => {
        const record = parse(withPart({ time: timelocal }));
        assert.equal(record.timelocal, timelocal);
        assert.equal(record.time, iso);
      });
    }

    for (const time of [
      "29/Feb/2023:12:00:00 +0000",
      "31/Apr/2024:12:00:00 +0000",
      "00/Jan/2024:12:00:00 +0000",
      "10/oct/2000:13:55:36 -0700",
      "10/Oct/2000:24:00:00 +0000",
      "10/Oct/2000:13:60:00 +0000",
      "10/Oct/2000:13:55:60 +0000",
      "10/Oct/2000:13:55:36 *0700",
      "10/Oct/2000:13:55:36 +0760",
      "01/Jan/0000:00:00:00 +0100",
      "10-Oct-2000:13:55:36 -0700",
    ]) {
      it(`rejects the time ${time}`, () => {
        assert.match(rejection(withPart({ time })), /invalid time_local/);
      });
    }

    it("rejects a time of the wrong length", () => {
      assert.match(rejection(withPart({ time: "10/Oct/2000:13:55:36" })), /time_local is not of the form/);
    });

    it("converts each line's own time when consecutive lines differ", () => {
      assert.equal(parse(withPart({ time: "10/Oct/2000:13:55:36 -0700" })).time, "2000-10-10T20:55:36.000Z");
      assert.equal(parse(withPart({ time: "10/Oct/2000:13:55:37 -0700" })).time, "2000-10-10T20:55:37.000Z");
      assert.equal(parse(withPart({ time: "10/Oct/2000:13:55:36 -0700" })).time, "2000-10-10T20:55:36.000Z");
    });
  });

  describe("request", () => {
    it("splits method, url and protocol", () => {
      const record = parse(withPart({ request: "POST /api/v1/orders?x=1 HTTP/2.0" }));
      assert.deepEqual(
        [record.method, record.url, record.protocol],
        ["POST", "/api/v1/orders?x=1", "HTTP/2.0"],
      );
    });

    it("has no protocol for an HTTP/0.9-style request", () => {
      const record = parse(withPart({ request: "GET /" }));
      assert.deepEqual([record.method, record.url, record.protocol], ["GET", "/", null]);
    });

    it("keeps spaces inside the target", () => {
      const record = parse(withPart({ request: "GET /a b HTTP/1.1" }));
      assert.deepEqual([record.method, record.url, record.protocol], ["GET", "/a b", "HTTP/1.1"]);
    });

    it("accepts HTTP/3 without a minor version", () => {
      assert.equal(parse(withPart({ request: "GET / HTTP/3" })).protocol, "HTTP/3");
    });

    for (const request of ["-", ""]) {
      it(`has method, url and protocol null for the request "${request}"`, () => {
        const record = parse(withPart({ request, tail: '400 0 "-" "-"' }));
        assert.deepEqual(
          [record.method, record.url, record.protocol, record.statuscode],
          [null, null, null, 400],
        );
      });
    }

    for (const request of [
      "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03",
      "get / HTTP/1.1",
      "GET",
      "GET ",
      "GET  HTTP/1.1",
      "\\x22GET / HTTP/1.1",
    ]) {
      it(`keeps the raw request as the url when it is not a request line: ${request}`, () => {
        const record = parse(withPart({ request, tail: '400 157 "-" "-"' }));
        assert.deepEqual([record.method, record.url, record.protocol], [null, request, null]);
      });
    }
  });

  describe("escapes", () => {
    it("keeps nginx \\xNN escapes as logged", () => {
      const record = parse(
        withPart({ request: "GET /?q=\\x22x\\x22 HTTP/1.1", tail: '200 1 "-" "A \\x22B\\x22"' }),
      );
      assert.equal(record.url, "/?q=\\x22x\\x22");
      assert.equal(record.useragent, "A \\x22B\\x22");
    });

    it('reads \\" as part of a field, not its end', () => {
      const record = parse(withPart({ tail: '200 1 "say \\"hi\\"" "agent \\"quoted\\" end"' }));
      assert.equal(record.referrer, 'say \\"hi\\"');
      assert.equal(record.useragent, 'agent \\"quoted\\" end');
    });

    it("ends a field at a quote after an escaped backslash", () => {
      const record = parse(withPart({ tail: '200 1 "ends with \\\\" "ua"' }));
      assert.equal(record.referrer, "ends with \\\\");
      assert.equal(record.useragent, "ua");
    });

    it("keeps non-ASCII text and turns a lone surrogate into U+FFFD (lines are UTF-8)", () => {
      assert.equal(parse(withPart({ tail: '200 1 "-" "Ünïcødé 😀"' })).useragent, "Ünïcødé 😀");
      assert.equal(parse(withPart({ tail: '200 1 "-" "a\uD800b"' })).useragent, "a\uFFFDb");
    });
  });

  describe("nginx formats and clients beyond combined", () => {
    // Lines as nginx 1.22.1 wrote them on loopback, with the official image's
    // `main` format (combined + "$http_x_forwarded_for") and the same format
    // with `escape=json`.
    const MAIN = {
      doubledSpaces: '127.0.0.1 - - [03/Dec/2026:16:50:19 +0000] "GET  /x  HTTP/1.1" 200 3 "-" "-" "-"',
      escaped:
        '127.0.0.1 - - [03/Dec/2026:16:50:19 +0000] "GET /q?a=\\x22b\\x22\\x5Cc HTTP/1.1" 200 3 "-" ' +
        '"ag \\x22q\\x22 \\x5C \\xC3\\xBC\\x01" "10.0.0.1, 10.0.0.2"',
      unix: 'unix: - - [03/Dec/2026:16:50:19 +0000] "GET /unix HTTP/1.1" 200 3 "-" "-" "-"',
      spaceInTarget: '127.0.0.1 - - [03/Dec/2026:16:50:19 +0000] "GET /a b HTTP/1.1" 400 157 "-" "-" "-"',
    };
    const JSON_ESCAPED = {
      doubledSpaces: '127.0.0.1 -  [03/Dec/2026:16:50:19 +0000] "GET  /x  HTTP/1.1" 200 3 "" "" ""',
      escaped:
        '127.0.0.1 -  [03/Dec/2026:16:50:19 +0000] "GET /q?a=\\"b\\"\\\\c HTTP/1.1" 200 3 "" ' +
        '"ag \\"q\\" \\\\ ü\\u0001" "10.0.0.1, 10.0.0.2"',
      unix: 'unix: -  [03/Dec/2026:16:50:19 +0000] "GET /unix HTTP/1.1" 200 3 "" "" ""',
    };

    it("reads the request line as nginx does: runs of spaces separate method, target and protocol", () => {
      for (const line of [MAIN.doubledSpaces, JSON_ESCAPED.doubledSpaces]) {
        const record = parse(line);
        assert.deepEqual([record.method, record.url, record.protocol], ["GET", "/x", "HTTP/1.1"]);
      }
      assert.equal(parse(MAIN.spaceInTarget).url, "/a b");
      assert.deepEqual(
        [parse(withPart({ request: "GET   /" })).url, parse(withPart({ request: "GET /x " })).url],
        ["/", "/x"],
      );
    });

    it("keeps the main format's X-Forwarded-For and other quoted fields after the user agent", () => {
      assert.deepEqual(parse(MAIN.escaped).extra, ["10.0.0.1, 10.0.0.2"]);
      assert.equal(parse(MAIN.escaped).useragent, "ag \\x22q\\x22 \\x5C \\xC3\\xBC\\x01");
      assert.deepEqual(parse(MAIN.doubledSpaces).extra, [null]);
      assert.deepEqual(parse(`${LINE} "a" "-" "c d"`).extra, ["a", null, "c d"]);
      assert.equal(parse(LINE).extra, undefined, "combined lines have no extra key");
    });

    it("accepts unix: clients", () => {
      assert.equal(parse(MAIN.unix).remoteaddr, "unix:");
      assert.equal(parse(JSON_ESCAPED.unix).remoteaddr, "unix:");
      assert.match(rejection(withPart({ addr: "unix:/x" })), /is not an IPv4 or IPv6 address/);
    });

    it("parses escape=json lines: escapes kept as logged, empty values null", () => {
      const record = parse(JSON_ESCAPED.escaped);
      assert.equal(record.url, '/q?a=\\"b\\"\\\\c');
      assert.equal(record.useragent, 'ag \\"q\\" \\\\ ü\\u0001');
      assert.deepEqual(
        [record.remoteuser, record.referrer, record.extra],
        [null, null, ["10.0.0.1, 10.0.0.2"]],
      );
      const empty = parse(JSON_ESCAPED.doubledSpaces);
      assert.deepEqual(
        [empty.remoteuser, empty.referrer, empty.useragent, empty.extra],
        [null, null, null, [null]],
      );
    });

    it("still rejects unquoted text after the user agent and too many quoted fields", () => {
      assert.match(rejection(`${LINE} 0.005`), /unexpected text after the user-agent field/);
      assert.match(rejection(`${LINE} "a" "b`), /unterminated quoted field/);
      assert.match(rejection(LINE + ' "x"'.repeat(9)), /more than 8 quoted fields/);
    });
  });

  describe("rejects lines that are not combined lines, saying why", () => {
    const cases: [string, string, RegExp][] = [
      ["an empty line", "", /no remote address/],
      ["a line starting with a space", ` ${LINE}`, /no remote address/],
      ["a missing user field", LINE.replace(" - - ", " - "), /" - "|time_local/],
      ["no time", "203.0.113.7 - - ", /no \[time_local\]/],
      [
        "a status that is not 3 digits",
        withPart({ tail: `20x 1 "-" "-"` }),
        /status is not a 3-digit number/,
      ],
      ["a 4-digit status", withPart({ tail: `2000 1 "-" "-"` }), /status is not a 3-digit number/],
      ["non-numeric bytes", withPart({ tail: `200 - "-" "-"` }), /body_bytes_sent "-" is not a number/],
      ["bytes too long to be exact", withPart({ tail: `200 1234567890123456 "-" "-"` }), /body_bytes_sent/],
      ["a missing user agent", withPart({ tail: `200 1 "-"` }), /quoted user agent/],
      ["a missing referrer", withPart({ tail: `200 1` }), /referrer/],
      ["trailing garbage", `${LINE} extra`, /unexpected text after the user-agent field/],
      ["a trailing space", `${LINE} `, /unexpected text after the user-agent field/],
      [
        "an unterminated request",
        '203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1',
        /unterminated request/,
      ],
      ["an unterminated user agent", withPart({ tail: `200 1 "-" "abc` }), /unterminated user-agent/],
      [
        "a request not followed by a space",
        '203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET /"200 1 "-" "-"',
        /space after the request/,
      ],
      ["a JSON log line", '{"remote_addr": "203.0.113.7"}', /not an IPv4 or IPv6 address/],
    ];
    for (const [name, line, reason] of cases) {
      it(name, () => {
        assert.match(rejection(line), reason);
        assert.equal(parseAccessLogLine(line), undefined);
      });
    }

    it("clips huge fields in the reason", () => {
      const reason = rejection(
        `${"x".repeat(10_000)} - - [10/Oct/2000:13:55:36 -0700] "GET /" 200 1 "-" "-"`,
      );
      assert.ok(reason.length < 200, reason);
    });
  });

  describe("properties", () => {
    it("parses every generated combined line back into its parts", () => {
      fc.assert(
        fc.property(combinedLine, ({ line, expected }) => {
          assert.deepEqual(parseAccessLogLine(line), expected);
        }),
        { numRuns: 2000 },
      );
    });

    it("never throws, and returns exactly one of record and error, for any string", () => {
      const anyText = fc.oneof(
        fc.string({ unit: "binary" }),
        fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
      );
      fc.assert(
        fc.property(anyText, (text) => {
          const result = parseAccessLogLineDetailed(text);
          assert.ok((result.record === undefined) !== (result.error === undefined));
        }),
        { numRuns: 2000 },
      );
    });

    it("never throws on a valid line with one character inserted, removed or replaced", () => {
      const edited = combinedLine.chain(({ line }) =>
        fc.tuple(
          fc.constant(line),
          fc.nat({ max: line.length }),
          fc.constantFrom("insert", "delete", "replace"),
          fc.constantFrom('"', "\\", " ", "[", "]", "-", "x", "\n", "\u0000", "é"),
        ),
      );
      fc.assert(
        fc.property(edited, ([line, at, edit, char]) => {
          const text =
            edit === "insert"
              ? line.slice(0, at) + char + line.slice(at)
              : line.slice(0, at) + (edit === "replace" ? char : "") + line.slice(at + 1);
          const result = parseAccessLogLineDetailed(text);
          assert.ok((result.record === undefined) !== (result.error === undefined));
        }),
        { numRuns: 2000 },
      );
    });
  });
});
