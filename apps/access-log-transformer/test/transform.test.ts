import assert from "node:assert/strict";
import fc from "fast-check";
import { parseAccessLogLine } from "../src/parse";
import { transformShardBatch } from "../src/transform";
import { combinedLine, kinesisRecord } from "./helpers";

const SHARD = "shardId-000000000002";
const PREFIXES = { accessPrefix: "access/", errorPrefix: "access-errors/" };
const at = (time: string, path: string): string =>
  `2001:db8::1 - - [${time}] "GET ${path} HTTP/1.1" 200 10 "-" "curl/8.4.0"`;
const H06 = at("10/Mar/2024:07:59:59 +0100", "/a");
const H07 = at("10/Mar/2024:08:00:00 +0100", "/b");
const H06b = at("10/Mar/2024:07:00:00 +0100", "/c");
const json = (line: string): string => `${JSON.stringify(parseAccessLogLine(line))}\n`;
const FIRST = "49590338271490256608559692538361571095921575989136588898";
const SECOND = "49590338271490256608559692538361571095921575989136588899";

function batch() {
  return [
    kinesisRecord({
      shardId: SHARD,
      sequenceNumber: FIRST,
      data: `${H06}\n${H07}\nnot a log line`,
      arrival: 1_710_050_000,
    }),
    kinesisRecord({
      shardId: SHARD,
      sequenceNumber: SECOND,
      data: JSON.stringify({ log: `${H06b}\n` }),
      arrival: 1_710_059_999,
    }),
  ];
}

describe("transformShardBatch", () => {
  it("writes one access object per request hour, keyed by shard and the first contributing record", () => {
    const output = transformShardBatch(SHARD, batch(), PREFIXES);
    assert.equal(output.firstSequenceNumber, FIRST);
    assert.deepEqual(
      output.objects.map((o) => [o.key, o.body.toString(), o.lines]),
      [
        [`access/year=2024/month=03/day=10/hour=06/${SHARD}-${FIRST}.json.gz`, json(H06) + json(H06b), 2],
        [`access/year=2024/month=03/day=10/hour=07/${SHARD}-${FIRST}.json.gz`, json(H07), 1],
        [
          `access-errors/year=2024/month=03/day=10/hour=05/${SHARD}-${FIRST}.json.gz`,
          `${JSON.stringify({
            reason: 'remote address "not" is not an IPv4 or IPv6 address',
            line: "not a log line",
            shardId: SHARD,
            sequenceNumber: FIRST,
            lineIndex: 2,
          })}\n`,
          1,
        ],
      ],
    );
    assert.deepEqual([output.records, output.parsedLines, output.rejectedLines], [2, 3, 1]);
  });

  it("gives the same keys and bytes for the same batch, in any record order", () => {
    const summary = (records: ReturnType<typeof batch>) =>
      transformShardBatch(SHARD, records, PREFIXES).objects.map((o) => [o.key, o.body.toString("base64")]);
    const once = summary(batch());
    assert.deepEqual(summary(batch()), once);
    const reversed = summary(batch().reverse());
    assert.deepEqual(
      reversed.map(([key]) => key),
      once.map(([key]) => key),
    );
  });

  it("partitions errors by their record's arrival time, which a retry does not change", () => {
    const records = [
      kinesisRecord({ shardId: SHARD, sequenceNumber: "5", data: "garbage", arrival: 1_700_000_000.5 }),
    ];
    const [errors] = transformShardBatch(SHARD, records, PREFIXES).objects;
    assert.equal(errors?.key, `access-errors/year=2023/month=11/day=14/hour=22/${SHARD}-5.json.gz`);
  });

  it("carries the envelope id of a rejected line", () => {
    const data = JSON.stringify({
      id: "line-9",
      receivedAt: "t",
      receiver: "r",
      client: "c",
      message: "nope",
    });
    const [errors] = transformShardBatch(
      SHARD,
      [kinesisRecord({ shardId: SHARD, sequenceNumber: "5", data })],
      PREFIXES,
    ).objects;
    assert.deepEqual(JSON.parse(errors?.body.toString() ?? ""), {
      reason: "no remote address",
      line: "nope",
      shardId: SHARD,
      sequenceNumber: "5",
      lineIndex: 0,
      id: "line-9",
    });
  });

  it("skips lines of sources that do not send access logs, and parses the ones that do and fluentd records", () => {
    const envelope = (source: string, message: string) =>
      JSON.stringify({ id: `${source}-1`, receivedAt: "t", receiver: "r", client: "c", source, message });
    const records = [
      kinesisRecord({
        shardId: SHARD,
        sequenceNumber: FIRST,
        data: [envelope("nginx", H06), envelope("syslog", "Mar 10 07:00:00 host sshd[1]: hello")].join("\n"),
      }),
      kinesisRecord({ shardId: SHARD, sequenceNumber: SECOND, data: JSON.stringify({ log: H07 }) }),
    ];
    const filtered = transformShardBatch(SHARD, records, {
      ...PREFIXES,
      accessLogSources: new Set(["nginx"]),
    });
    assert.deepEqual(
      [filtered.parsedLines, filtered.rejectedLines, filtered.skippedLines],
      [2, 0, 1],
      "the syslog line is skipped, not an error",
    );
    const everything = transformShardBatch(SHARD, records, PREFIXES);
    assert.deepEqual(
      [everything.parsedLines, everything.rejectedLines, everything.skippedLines],
      [2, 1, 0],
      "without a source list every line is taken for an access log",
    );
  });

  it("gives for one-line fluentd / fluent-bit records exactly what it gives for the same lines sent raw", () => {
    // Forwarder records take the per-record fast path (soleForwarderLine),
    // raw text records the line-by-line decoding: the outputs must be equal.
    const line = fc
      .oneof(
        combinedLine.map((generated) => generated.line),
        fc.string({ unit: "grapheme", maxLength: 30 }),
        fc.constant('203.0.113.9 - - [10/Mar/2024:07:00:00 +0100] "GET /\\"x HTTP/1.1" 200 1 "-" "é"'),
      )
      .filter((text) => text.trim() !== "" && !/[\r\n]/.test(text) && !text.startsWith("{"));
    const form = fc.constantFrom("fluentd", "fluent-bit", "fluentd without newline");
    const forwarded = (text: string, kind: string): string =>
      kind === "fluentd"
        ? `${JSON.stringify({ log: text })}\n`
        : kind === "fluent-bit"
          ? JSON.stringify({ log: `${text}\n`, stream: "stdout", time: "2024-03-10T06:00:00.123456789Z" })
          : JSON.stringify({ log: text });
    fc.assert(
      fc.property(fc.array(fc.tuple(line, form), { minLength: 1, maxLength: 12 }), (lines) => {
        const records = (data: (text: string, kind: string) => string) =>
          lines.map(([text, kind], i) =>
            kinesisRecord({
              shardId: SHARD,
              sequenceNumber: String(1000 + i),
              data: data(text, kind),
              arrival: 1_710_050_000 + i * 700,
            }),
          );
        const summary = (output: ReturnType<typeof transformShardBatch>) => ({
          ...output,
          objects: output.objects.map((o) => [o.key, o.body.toString("utf8"), o.lines]),
        });
        assert.deepEqual(
          summary(transformShardBatch(SHARD, records(forwarded), PREFIXES)),
          summary(
            transformShardBatch(
              SHARD,
              records((text) => text),
              PREFIXES,
            ),
          ),
        );
      }),
      { numRuns: 500 },
    );
  });

  it("writes no objects for records without lines", () => {
    const output = transformShardBatch(
      SHARD,
      [kinesisRecord({ shardId: SHARD, sequenceNumber: "1", data: "\n" })],
      PREFIXES,
    );
    assert.deepEqual(output.objects, []);
  });
});
