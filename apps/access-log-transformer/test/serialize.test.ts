import assert from "node:assert/strict";
import fc from "fast-check";
import { AccessLogFields, parseAccessLogLine, scanAccessLogLine } from "../src/parse";
import { JsonLinesBuffer, type RejectedLine } from "../src/serialize";
import { combinedLine } from "./helpers";

/** The writer's output for lines given as bytes, and the lines it accepted. */
function writeLines(lines: Buffer[]): { output: string; accepted: Buffer[] } {
  const writer = new JsonLinesBuffer();
  const fields = new AccessLogFields();
  const accepted: Buffer[] = [];
  for (const bytes of lines) {
    if (scanAccessLogLine(bytes, 0, bytes.length, fields) === undefined) {
      writer.appendAccessLog(bytes, 0, bytes.length, fields);
      accepted.push(bytes);
    }
  }
  assert.equal(writer.lines, accepted.length);
  return { output: writer.contents().toString("utf8"), accepted };
}

/** What JSON.stringify makes of the same lines (decoded as UTF-8, as Kinesis data is). */
function viaJsonStringify(lines: Buffer[]): string {
  return lines.map((bytes) => `${JSON.stringify(parseAccessLogLine(bytes.toString("utf8")))}\n`).join("");
}

const LINE =
  '203.0.113.7 - alice [10/Oct/2000:13:55:36 -0700] "GET /a?b=1 HTTP/1.1" 200 2326 "-" "curl/8.4.0"';

describe("JsonLinesBuffer", () => {
  it("writes a parsed line exactly as JSON.stringify writes its record", () => {
    const { output } = writeLines([Buffer.from(LINE)]);
    assert.equal(
      output,
      '{"remoteaddr":"203.0.113.7","remoteuser":"alice","timelocal":"10/Oct/2000:13:55:36 -0700",' +
        '"time":"2000-10-10T20:55:36.000Z","method":"GET","url":"/a?b=1","protocol":"HTTP/1.1",' +
        '"statuscode":200,"bytessent":2326,"referrer":null,"useragent":"curl/8.4.0"}\n',
    );
  });

  it("equals JSON.stringify for every generated combined line", () => {
    fc.assert(
      fc.property(fc.array(combinedLine, { minLength: 1, maxLength: 5 }), (generated) => {
        const lines = generated.map(({ line }) => Buffer.from(line));
        const { output, accepted } = writeLines(lines);
        assert.equal(accepted.length, lines.length);
        assert.equal(output, viaJsonStringify(lines));
      }),
      { numRuns: 1000 },
    );
  });

  it("equals JSON.stringify for control characters, quotes and backslashes in any field", () => {
    const special = fc
      .array(
        fc.constantFrom("\u0000", "\b", "\t", "\n", "\f", "\r", "\u001f", "\u007f", '\\"', "\\\\", "a", " "),
        {
          minLength: 1,
          maxLength: 8,
        },
      )
      .map((parts) => parts.join(""))
      .filter((text) => text !== "-");
    fc.assert(
      fc.property(special, special, special, special, (user, url, referrer, agent) => {
        const safeUser = user.replace(/ \[/g, "");
        const line = Buffer.from(
          `::1 - ${safeUser} [10/Oct/2000:13:55:36 -0700] "GET /${url} HTTP/1.1" 200 1 "${referrer}" "${agent}"`,
        );
        const { output, accepted } = writeLines([line]);
        assert.equal(accepted.length, 1);
        assert.equal(output, viaJsonStringify(accepted));
      }),
      { numRuns: 1000 },
    );
  });

  it("equals JSON.stringify when a field holds bytes that are not valid UTF-8", () => {
    const line = Buffer.concat([
      Buffer.from('10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /\xff HTTP/1.1" 200 1 "-" "bad ', "latin1"),
      Buffer.from([0xc3, 0x28, 0xe2, 0x82, 0xff, 0xf0]),
      Buffer.from(' end"'),
    ]);
    const { output, accepted } = writeLines([line]);
    assert.equal(accepted.length, 1);
    assert.equal(output, viaJsonStringify([line]));
    assert.match(output, /"useragent":"bad \uFFFD\(\uFFFD+ end"/);
  });

  it("writes numbers without leading zeros and up to 15 digits", () => {
    const line = Buffer.from(
      '10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /" 099 000999999999999999 "-" "-"',
    );
    assert.equal(
      scanAccessLogLine(line, 0, line.length, new AccessLogFields()),
      'body_bytes_sent "000999999999999999" is not a number',
    );
    const ok = Buffer.from('10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /" 099 999999999999999 "-" "-"');
    const { output } = writeLines([ok]);
    assert.match(output, /"statuscode":99,"bytessent":999999999999999,/);
    assert.equal(output, viaJsonStringify([ok]));
  });

  it("grows past its initial size without losing lines", () => {
    const lines = Array.from({ length: 3000 }, (_, i) =>
      Buffer.from(LINE.replace("/a?b=1", `/item/${i}/${"x".repeat(i % 200)}`)),
    );
    const { output } = writeLines(lines);
    assert.ok(output.length > 64 * 1024);
    assert.equal(output, viaJsonStringify(lines));
  });

  it("writes lines from an offset inside a larger buffer", () => {
    const batch = Buffer.from(`garbage\n${LINE}\ntrailer`);
    const start = batch.indexOf("\n") + 1;
    const end = batch.lastIndexOf("\n");
    const writer = new JsonLinesBuffer();
    const fields = new AccessLogFields();
    assert.equal(scanAccessLogLine(batch, start, end, fields), undefined);
    writer.appendAccessLog(batch, start, end, fields);
    assert.equal(writer.contents().toString(), viaJsonStringify([Buffer.from(LINE)]));
  });

  it("writes rejected lines as JSON with a fixed key order, id only when known", () => {
    const writer = new JsonLinesBuffer();
    const base: RejectedLine = {
      reason: "status is not a 3-digit number",
      line: 'bad "line" \u0001 ü',
      shardId: "shardId-000000000001",
      sequenceNumber: "4959",
      lineIndex: 3,
    };
    writer.appendRejected(base);
    writer.appendRejected({ ...base, id: "env-1" });
    assert.equal(writer.lines, 2);
    assert.equal(
      writer.contents().toString("utf8"),
      `${JSON.stringify({ reason: base.reason, line: base.line, shardId: base.shardId, sequenceNumber: "4959", lineIndex: 3 })}\n` +
        `${JSON.stringify({ ...base, id: "env-1" })}\n`,
    );
  });
});
