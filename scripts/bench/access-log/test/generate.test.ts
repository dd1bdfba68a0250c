import assert from "node:assert/strict";
import { parseAccessLogLineDetailed } from "../../../../apps/access-log-transformer/src/parse";
import { generateAccessLog } from "../generate";

describe("benchmark access-log generator", () => {
  const lines = generateAccessLog(20_000, 7);

  it("marks exactly the lines the parser rejects as malformed", () => {
    for (const { line, malformed } of lines) {
      const result = parseAccessLogLineDetailed(line);
      assert.equal(
        result.record === undefined,
        malformed,
        `${malformed ? "accepted" : "rejected"}: ${line} ${result.error ?? ""}`,
      );
    }
  });

  it("has the advertised mix: about 1% malformed, IPv6 clients, non-request 400s, escaped user agents", () => {
    const share = (predicate: (line: string) => boolean) =>
      lines.filter(({ line }) => predicate(line)).length / lines.length;
    const malformed = lines.filter((l) => l.malformed).length / lines.length;
    assert.ok(malformed > 0.005 && malformed < 0.02, `malformed share ${malformed}`);
    assert.ok(share((line) => line.slice(0, line.indexOf(" ")).includes(":")) > 0.15);
    assert.ok(share((line) => line.includes('"\\x16\\x03')) > 0);
    assert.ok(share((line) => line.includes('"-" 400 ')) > 0);
    assert.ok(share((line) => line.includes("\\x22QuotedBot")) > 0);
  });

  it("is deterministic for a seed", () => {
    assert.deepEqual(generateAccessLog(50, 3), generateAccessLog(50, 3));
    assert.notDeepEqual(generateAccessLog(50, 3), generateAccessLog(50, 4));
  });
});
