import assert from "node:assert/strict";
import fc from "fast-check";
import { parseAccessLogLineDetailed } from "../../../access-log-transformer/src/parse";
import { mayBeAccessLine, mayBeAccessLiteral } from "../../src/logs/access";

/** Addresses the parser accepts and rejects, so generated lines hit both sides of the address test. */
const address = fc.oneof(
  { arbitrary: fc.ipV4(), weight: 3 },
  { arbitrary: fc.ipV6(), weight: 3 },
  fc.constantFrom("unix:", "::1", "::ffff:192.0.2.1", "FE80::1", "-", "localhost", "300.1.1.1"),
  fc.string({ maxLength: 12 }),
);

/** One value, mostly the valid `usual`, sometimes one of `others`. */
const mostly = (usual: string, ...others: string[]) =>
  fc.oneof({ arbitrary: fc.constant(usual), weight: 4 }, fc.constantFrom(...others));

/** Lines shaped like nginx combined lines (valid and nearly valid), and arbitrary text. */
const lines = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        address,
        user: fc.constantFrom("-", "alice", ""),
        time: mostly("[04/Dec/2026:02:00:00 +0100]", "[4/Dec/2026:02:00:00 +0100]", "[]"),
        request: fc.constantFrom("GET / HTTP/1.1", "-", "\\x16\\x03", ""),
        status: mostly("200", "404", "x"),
        rest: mostly("", ' "10.0.0.9"', "x"),
        dash: mostly(" - ", " -", "  ", " x "),
      })
      .map(
        (p) =>
          `${p.address}${p.dash}${p.user} ${p.time} "${p.request}" ${p.status} 153 "-" "curl/8.4.0"${p.rest}`,
      ),
  },
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
);

describe("logs/access prefilter", () => {
  it("never rules out a line the access-log parser accepts, as text or as a JSON literal (property)", () => {
    let parsed = 0;
    fc.assert(
      fc.property(lines, (line) => {
        const accepted = parseAccessLogLineDetailed(line).record !== undefined;
        if (accepted) {
          parsed++;
          assert.equal(mayBeAccessLine(line), true, line);
          assert.equal(mayBeAccessLiteral(JSON.stringify(line)), true, line);
          // A producer may escape any character, the first one included.
          const escaped = `"\\u${line.charCodeAt(0).toString(16).padStart(4, "0")}${JSON.stringify(line).slice(2)}`;
          assert.equal(mayBeAccessLiteral(escaped), true, escaped);
        }
      }),
      { numRuns: 2000 },
    );
    // The generator must reach the accepting side, or the property proves nothing.
    assert.ok(parsed > 50, `only ${parsed} generated lines parsed`);
  });

  it("rules out lines of other formats", () => {
    for (const line of [
      "<38>Dec  4 00:01:02 pc-1 sshd[4000]: Accepted publickey",
      "2026-12-04T00:00:00.000Z WARN [worker-1] retrying",
      "backup job 3 finished",
      "10.0.0.1 GET /",
    ]) {
      assert.equal(mayBeAccessLine(line), false, line);
      assert.equal(parseAccessLogLineDetailed(line).record, undefined, line);
    }
    assert.equal(mayBeAccessLiteral(JSON.stringify("request completed")), false);
  });
});
