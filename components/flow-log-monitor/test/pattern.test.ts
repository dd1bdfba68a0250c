import assert from "node:assert/strict";
import fc from "fast-check";
import {
  FilterPatternError,
  PING_DENY_PATTERN,
  matchesFilterPattern,
  parseFilterPattern,
  splitLogEvent,
} from "../pattern";
import { ALL_RECORDS, RECORDS } from "./records.test";

/** Names of the sample records a pattern matches, to compare against an expected set. */
function matchingRecords(pattern: string): string[] {
  const compiled = parseFilterPattern(pattern);
  return ALL_RECORDS.filter((name) => compiled.matches(RECORDS[name]));
}

/** Asserts that parsing fails with a FilterPatternError at `position` whose message mentions `problem`. */
function assertRejected(pattern: string, position: number, problem: RegExp): void {
  assert.throws(
    () => parseFilterPattern(pattern),
    (error: unknown) => {
      assert.ok(error instanceof FilterPatternError, `expected FilterPatternError, got ${String(error)}`);
      assert.equal(error.position, position, error.message);
      assert.match(error.message, problem);
      assert.match(error.message, new RegExp(`at position ${position}:`));
      return true;
    },
  );
}

describe("PING_DENY_PATTERN", () => {
  it("is the source design's pattern, character for character", () => {
    assert.equal(
      PING_DENY_PATTERN,
      '[version, account, eni, source, destination, srcport, destport, protocol="1", packets, bytes, starttime, endtime, action="REJECT", flowlogstatus]',
    );
  });

  it("matches ICMP REJECT records of the v2 default format and nothing else", () => {
    assert.deepEqual(matchingRecords(PING_DENY_PATTERN), ["icmpReject", "icmpRejectResponse"]);
  });

  it("does not match ACCEPT, TCP/UDP rejects, ICMPv6, NODATA/SKIPDATA or other field counts", () => {
    for (const name of [
      "icmpAccept",
      "sshReject",
      "rdpReject",
      "udpRejectDns",
      "icmpv6Reject",
      "noData",
      "skipData",
      "icmpReject13",
      "icmpReject15",
    ] as const) {
      assert.equal(matchesFilterPattern(PING_DENY_PATTERN, RECORDS[name]), false, name);
    }
  });

  it("names all 14 fields", () => {
    assert.equal(parseFilterPattern(PING_DENY_PATTERN).fieldNames.length, 14);
  });
});

describe("splitLogEvent", () => {
  it("splits on runs of spaces and keeps quoted and bracketed fields whole, without delimiters", () => {
    assert.deepEqual(
      splitLogEvent('127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700]  "GET /apache_pb.gif HTTP/1.0" 200 1534'),
      ["127.0.0.1", "-", "frank", "10/Oct/2000:13:25:15 -0700", "GET /apache_pb.gif HTTP/1.0", "200", "1534"],
    );
  });

  it("runs an unterminated quote to the end of the event", () => {
    assert.deepEqual(splitLogEvent('a "b c'), ["a", "b c"]);
  });

  it("gives no fields for a blank event", () => {
    assert.deepEqual(splitLogEvent("   "), []);
  });
});

describe("matchesFilterPattern: space-delimited", () => {
  const apache = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534';

  it("requires the exact field count when there is no ellipsis", () => {
    assert.equal(matchesFilterPattern("[a, b, c]", "1 2 3"), true);
    assert.equal(matchesFilterPattern("[a, b, c]", "1 2"), false);
    assert.equal(matchesFilterPattern("[a, b, c]", "1 2 3 4"), false);
  });

  it("lets '...' stand for any number of fields at the start, middle or end", () => {
    assert.equal(matchesFilterPattern("[..., status_code, bytes]", apache), true);
    assert.equal(matchesFilterPattern("[ip, user, ..., status_code = 404, bytes]", apache), true);
    assert.equal(matchesFilterPattern("[ip = 127.0.0.1, ...]", apache), true);
    assert.equal(matchesFilterPattern("[ip = 10.0.0.1, ...]", apache), false);
    assert.equal(matchesFilterPattern("[a, ..., b]", "1 2"), true, "'...' may be empty");
    assert.equal(matchesFilterPattern("[a, ..., b]", "1"), false);
    assert.equal(matchesFilterPattern("[...]", ""), true);
  });

  it("treats an empty slot as an anonymous field, as in AWS's [..., request=*.html*, status_code=4*,]", () => {
    assert.equal(matchesFilterPattern("[..., request=*.html*, status_code=4*,]", apache), true);
    assert.equal(matchesFilterPattern("[a, , c]", "1 2 3"), true);
    assert.equal(matchesFilterPattern("[a, , c]", "1 3"), false);
  });

  it("compares strings with = and !=", () => {
    assert.equal(matchesFilterPattern("[a, b = frank, c]", "1 frank 3"), true);
    assert.equal(matchesFilterPattern("[a, b = frank, c]", "1 franky 3"), false);
    assert.equal(matchesFilterPattern("[a, b != frank, c]", "1 franky 3"), true);
    assert.equal(matchesFilterPattern("[a, b != frank, c]", "1 frank 3"), false);
    assert.equal(
      matchesFilterPattern('[a, b = "GET /index.html HTTP/1.0", c]', '1 "GET /index.html HTTP/1.0" 3'),
      true,
    );
  });

  it("compares numbers with = and != numerically", () => {
    assert.equal(matchesFilterPattern("[a, b = 200]", "x 200"), true);
    assert.equal(matchesFilterPattern("[a, b = 200]", "x 200.0"), true);
    assert.equal(matchesFilterPattern("[a, b = 200]", "x 201"), false);
    assert.equal(matchesFilterPattern("[a, b != 200]", "x 201"), true);
    assert.equal(matchesFilterPattern("[a, b != 200]", "x 2e2"), false);
  });

  it("compares a quoted number as a string", () => {
    assert.equal(matchesFilterPattern('[a, b = "200"]', "x 200"), true);
    assert.equal(matchesFilterPattern('[a, b = "200"]', "x 200.0"), false);
  });

  it("supports <, <=, >, >= on numbers", () => {
    const cases: [string, string, boolean][] = [
      ["bytes > 1000", "1534", true],
      ["bytes > 1000", "1000", false],
      ["bytes >= 1000", "1000", true],
      ["bytes < 1000", "999.5", true],
      ["bytes < 1000", "1000", false],
      ["bytes <= -1", "-1", true],
      ["bytes <= -1", "0", false],
      ["bytes > 1e3", "1001", true],
    ];
    for (const [condition, value, expected] of cases) {
      assert.equal(
        matchesFilterPattern(`[x, ${condition}]`, `a ${value}`),
        expected,
        `${condition} on ${value}`,
      );
    }
  });

  it("never satisfies a numeric condition with a non-numeric field such as NODATA's '-'", () => {
    assert.equal(matchesFilterPattern("[a, b > 0]", "x -"), false);
    assert.equal(matchesFilterPattern("[a, b != 0]", "x -"), false);
    assert.equal(matchesFilterPattern("[a, b = 0]", "x 0x0"), false);
  });

  it("supports * wildcards as prefix, suffix and contains, and treats an inner * literally", () => {
    assert.equal(matchesFilterPattern("[a, s = 4*]", "x 404"), true);
    assert.equal(matchesFilterPattern("[a, s = 4*]", "x 504"), false);
    assert.equal(matchesFilterPattern("[a, s = *.html]", "x /index.html"), true);
    assert.equal(matchesFilterPattern("[a, s = *.html]", "x /index.html?q"), false);
    assert.equal(
      matchesFilterPattern("[a, s = *html*]", "x GET /index.html HTTP/1.0"),
      false,
      "unquoted spaces split fields",
    );
    assert.equal(matchesFilterPattern("[a, s = *html*]", 'x "GET /index.html HTTP/1.0"'), true);
    assert.equal(matchesFilterPattern("[a, s = *]", "x anything"), true);
    assert.equal(matchesFilterPattern("[a, s != 4*]", "x 404"), false);
    assert.equal(matchesFilterPattern("[a, s = 4*4]", "x 404"), false);
    assert.equal(matchesFilterPattern("[a, s = 4*4]", "x 4*4"), true);
  });

  it("combines conditions on one field with && and ||, && binding tighter", () => {
    assert.equal(matchesFilterPattern("[w1=ERROR || w1=WARN, w2]", "WARN message"), true);
    assert.equal(matchesFilterPattern("[w1=ERROR || w1=WARN, w2]", "INFO message"), false);
    assert.equal(matchesFilterPattern("[a, s = 4* && s != 403]", "x 404"), true);
    assert.equal(matchesFilterPattern("[a, s = 4* && s != 403]", "x 403"), false);
    // s = 1 || (s >= 10 && s < 20)
    const pattern = "[a, s = 1 || s >= 10 && s < 20]";
    assert.deepEqual(
      ["1", "5", "10", "19", "20"].map((v) => matchesFilterPattern(pattern, `x ${v}`)),
      [true, false, true, true, false],
    );
    // (s = 1 || s >= 10) && s < 20
    assert.equal(matchesFilterPattern("[a, (s = 1 || s >= 10) && s < 20]", "x 25"), false);
    assert.equal(matchesFilterPattern("[a, s = 1 || s >= 10 && s < 20]", "x 1"), true);
  });

  it("reads escaped quotes inside quoted values", () => {
    assert.equal(matchesFilterPattern('[a, b = "say\\"hi\\""]', 'x say"hi"'), true);
    assert.equal(matchesFilterPattern('[a, b = "a\\\\b"]', "x a\\b"), true, "escaped backslash");
  });
});

describe("matchesFilterPattern: term patterns", () => {
  it("matches when all terms appear, case-sensitively, as substrings", () => {
    assert.equal(matchesFilterPattern("ERROR", "Exiting with ERRORCODE: -1"), true);
    assert.equal(matchesFilterPattern("ERROR Exception", "[ERROR] Unhandled Exception"), true);
    assert.equal(matchesFilterPattern("ERROR Exception", "[ERROR] Unhandled exception"), false);
  });

  it("supports quoted phrases, '-' exclusion and '?' any-of", () => {
    assert.equal(matchesFilterPattern('"Failed to process"', "[WARN] Failed to process the request"), true);
    assert.equal(matchesFilterPattern('"Failed to process"', "[WARN] Failed to  process"), false);
    assert.equal(matchesFilterPattern('"ERROR" - "Exiting"', "Exiting with ERRORCODE: -1"), false);
    assert.equal(matchesFilterPattern("ERROR -WARN", "ERROR message"), true);
    assert.equal(matchesFilterPattern("ERROR -WARN", "ERROR WARN message"), false);
    assert.equal(matchesFilterPattern("?ERROR ?WARN", "WARN message"), true);
    assert.equal(matchesFilterPattern("?ERROR ?WARN", "INFO message"), false);
  });

  it("matches every event with the empty pattern", () => {
    assert.equal(matchesFilterPattern("", "anything at all"), true);
    assert.equal(parseFilterPattern("  ").kind, "terms");
  });
});

describe("parseFilterPattern: invalid and unsupported patterns", () => {
  const cases: [string, string, number, RegExp][] = [
    ["JSON pattern", "{ $.eventName = ConsoleLogin }", 0, /JSON filter patterns .* not supported/],
    ["regex value", "[a, b = %ERR.*%]", 8, /regular expressions .* not supported/],
    ["regex term", "%ERROR%", 0, /regular expressions .* not supported/],
    ["missing comma", "[a b]", 3, /expected ',' or '\]' after 'a' but found 'b' \(missing comma\?\)/],
    ["unclosed bracket", "[a, b", 5, /expected ',' or '\]' after 'b' but found the end of the pattern/],
    ["unclosed bracket after a condition", "[a, b = 1", 9, /expected ',' or '\]' but found the end/],
    ["double equals", "[a, b == 1]", 6, /unknown operator '=='/],
    ["=! operator", "[a, b =! 1]", 6, /unknown operator '=!'/],
    ["single ampersand", "[a, b = 1 & b = 2]", 10, /did you mean '&&'/],
    ["missing value", "[a, b = ]", 8, /expected a value after '='/],
    ["missing comma before a value", "[a, b 1]", 6, /after 'b' but found '1' \(missing comma\?\)/],
    ["missing operator", "[a, b = 1 && b 2]", 15, /expected an operator \(=, !=, <, <=, >, >=\) after 'b'/],
    ["numeric operator on string", "[a, b > abc]", 8, /operator '>' needs a number but found 'abc'/],
    ["numeric operator on quoted", '[a, b >= "5"]', 9, /operator '>=' needs a number/],
    ["two ellipses", "[..., a, ...]", 9, /only one '\.\.\.'/],
    ["condition on another field", "[a, b = 1 && c = 2, c]", 13, /condition on 'c' inside the slot of 'b'/],
    ["duplicate name", "[a, b, a]", 7, /field name 'a' is used twice/],
    ["bad field name", "[a, 1b = 2]", 4, /'1b' is not a valid field name/],
    ["unterminated quote", '[a, b = "x]', 8, /unterminated quoted string/],
    ["text after pattern", "[a, b] c", 7, /unexpected text after the closing '\]'/],
    ["empty brackets", "[]", 0, /names no fields/],
    ["unquoted term with punctuation", "ERROR index.html", 6, /put it in double quotes/],
    ["mixed any-of and plain terms", "?ERROR WARN", 7, /'\?' \(any-of\) terms cannot be combined/],
    ["dangling sign", "ERROR -", 7, /expected a term after the sign/],
  ];
  for (const [label, pattern, position, problem] of cases) {
    it(`rejects ${label}: ${pattern}`, () => {
      assertRejected(pattern, position, problem);
    });
  }

  it("shows the pattern and a caret under the problem", () => {
    assert.throws(
      () => parseFilterPattern("[a b]"),
      (error: unknown) => error instanceof Error && error.message.endsWith("\n  [a b]\n     ^"),
    );
  });

  it("makes matchesFilterPattern throw rather than quietly not match", () => {
    assert.throws(() => matchesFilterPattern("[a, b == 1]", "x 1"), FilterPatternError);
  });
});

describe("property: generated 14-field records", () => {
  // Field values as flow logs write them: no spaces, and none of the characters that
  // group fields ("[]) or act as wildcards (*), which would change the meaning.
  const fieldValue = fc.stringMatching(/^[!#-)+-Z\\^-~]{1,12}$/);
  const record = fc.array(fieldValue, { minLength: 14, maxLength: 14 });
  const names = Array.from({ length: 14 }, (_, i) => `f${i + 1}`);
  const quote = (value: string): string => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;

  it("matches [f1, ..., f14] with bare names", () => {
    const compiled = parseFilterPattern(`[${names.join(", ")}]`);
    fc.assert(fc.property(record, (fields) => compiled.matches(fields.join(" "))));
  });

  it("matches field i = its own value and not a different value", () => {
    fc.assert(
      fc.property(record, fc.nat(13), fieldValue, (fields, i, other) => {
        fc.pre(other !== fields[i]);
        const withCondition = (value: string): string =>
          `[${names.map((n, j) => (j === i ? `${n} = ${quote(value)}` : n)).join(", ")}]`;
        const event = fields.join(" ");
        return (
          matchesFilterPattern(withCondition(fields[i] as string), event) &&
          !matchesFilterPattern(withCondition(other), event)
        );
      }),
    );
  });

  it("does not match records of 13 or 15 fields without an ellipsis", () => {
    const compiled = parseFilterPattern(`[${names.join(", ")}]`);
    fc.assert(
      fc.property(record, fieldValue, (fields, extra) => {
        return (
          !compiled.matches(fields.slice(1).join(" ")) && !compiled.matches([...fields, extra].join(" "))
        );
      }),
    );
  });
});
