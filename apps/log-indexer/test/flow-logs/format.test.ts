import assert from "node:assert/strict";
import fc from "fast-check";
import type { FlowDocument, FlowField, FlowLogFormat } from "../../src/flow-logs/format";
import {
  DEFAULT_FLOW_LOG_FORMAT,
  FLOW_FIELDS,
  FlowLogFormatError,
  parseLogFormat,
  parseRecord,
  protocolName,
} from "../../src/flow-logs/format";

const V2 = parseLogFormat(DEFAULT_FLOW_LOG_FORMAT);

function parsed(line: string, format: FlowLogFormat = V2): FlowDocument {
  const result = parseRecord(line, format);
  if (!result.ok) assert.fail(`expected a document, got: ${result.reason}`);
  return result.document;
}

function reasonOf(line: string, format: FlowLogFormat = V2): string {
  const result = parseRecord(line, format);
  if (result.ok) assert.fail(`expected a failure, got ${JSON.stringify(result.document)}`);
  return result.reason;
}

const formatOf = (names: readonly string[]): string => names.map((name) => `\${${name}}`).join(" ");

describe("flow-logs format", () => {
  describe("parseLogFormat", () => {
    it("defaults to AWS's v2 format, in AWS's order", () => {
      assert.equal(
        DEFAULT_FLOW_LOG_FORMAT,
        "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
      );
      assert.deepEqual(
        V2.fields.map((f) => f.key),
        [
          "version",
          "account_id",
          "interface_id",
          "srcaddr",
          "dstaddr",
          "srcport",
          "dstport",
          "protocol",
          "packets",
          "bytes",
          "start",
          "end",
          "action",
          "log_status",
        ],
      );
    });

    it("knows every field of versions 2–8 once, with snake_case keys", () => {
      const names = FLOW_FIELDS.map((f) => f.name);
      assert.equal(new Set(names).size, names.length);
      assert.equal(names.length, 40);
      assert.deepEqual(
        [2, 3, 4, 5, 7, 8].map((v) => FLOW_FIELDS.filter((f) => f.version === v).length),
        [14, 7, 4, 4, 10, 1],
      );
      for (const f of FLOW_FIELDS) assert.equal(f.key, f.name.split("-").join("_"));
      const all = parseLogFormat(formatOf(names));
      assert.deepEqual(all.fields, FLOW_FIELDS);
    });

    it("keeps a custom order and tolerates extra whitespace", () => {
      const format = parseLogFormat("  ${srcaddr}   ${dstport}\t${action} ");
      assert.deepEqual(
        format.fields.map((f) => f.name),
        ["srcaddr", "dstport", "action"],
      );
    });

    it("lists every unknown field, malformed token and repeat in one error", () => {
      assert.throws(
        () => parseLogFormat("${version} ${srcadr} ${bogus-field} srcport ${srcport} ${version} $dstaddr"),
        (error: unknown) => {
          assert.ok(error instanceof FlowLogFormatError);
          assert.equal(error.problems.length, 3);
          assert.match(error.problems[0] as string, /not of the form \$\{field\}: srcport, \$dstaddr/);
          assert.match(
            error.problems[1] as string,
            /^unknown fields: srcadr, bogus-field \(known fields: version, /,
          );
          assert.match(error.problems[2] as string, /repeated fields: version/);
          assert.match(error.message, /^invalid flow log format: /);
          return true;
        },
      );
    });

    it("rejects an empty format", () => {
      assert.throws(() => parseLogFormat("   "), /the format is empty/);
    });
  });

  describe("parseRecord", () => {
    it("maps every v2 field of AWS's accepted-traffic example", () => {
      assert.deepEqual(
        parsed(
          "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
        ),
        {
          "@timestamp": "2014-12-14T04:06:50.000Z",
          version: 2,
          account_id: "123456789010",
          interface_id: "eni-1235b8ca123456789",
          srcaddr: "172.31.16.139",
          dstaddr: "172.31.16.21",
          srcport: 20641,
          dstport: 22,
          protocol: 6,
          protocol_name: "TCP",
          packets: 20,
          bytes: 4249,
          start: "2014-12-14T04:06:50.000Z",
          end: "2014-12-14T04:07:50.000Z",
          action: "ACCEPT",
          log_status: "OK",
        },
      );
    });

    it("maps a custom v5 format with every field of versions 2–5", () => {
      const names = FLOW_FIELDS.filter((f) => f.version <= 5).map((f) => f.name);
      const format = parseLogFormat(formatOf(names));
      const document = parsed(
        "5 123456789012 eni-0a1b2c3d4e5f6a7b8 10.0.1.5 52.95.110.1 49761 443 6 12 3456 1616729292 1616729349 REJECT OK " +
          "vpc-0a1b2c3d4e5f6a7b8 subnet-0a1b2c3d4e5f6a7b8 i-0a1b2c3d4e5f6a7b8 19 IPv4 10.0.1.5 52.95.110.1 " +
          "us-east-1 use1-az4 wavelength wlz-1 - AMAZON egress 8",
        format,
      );
      assert.deepEqual(document, {
        "@timestamp": "2021-03-26T03:28:12.000Z",
        version: 5,
        account_id: "123456789012",
        interface_id: "eni-0a1b2c3d4e5f6a7b8",
        srcaddr: "10.0.1.5",
        dstaddr: "52.95.110.1",
        srcport: 49761,
        dstport: 443,
        protocol: 6,
        protocol_name: "TCP",
        packets: 12,
        bytes: 3456,
        start: "2021-03-26T03:28:12.000Z",
        end: "2021-03-26T03:29:09.000Z",
        action: "REJECT",
        log_status: "OK",
        vpc_id: "vpc-0a1b2c3d4e5f6a7b8",
        subnet_id: "subnet-0a1b2c3d4e5f6a7b8",
        instance_id: "i-0a1b2c3d4e5f6a7b8",
        tcp_flags: 19,
        type: "IPv4",
        pkt_srcaddr: "10.0.1.5",
        pkt_dstaddr: "52.95.110.1",
        region: "us-east-1",
        az_id: "use1-az4",
        sublocation_type: "wavelength",
        sublocation_id: "wlz-1",
        pkt_dst_aws_service: "AMAZON",
        flow_direction: "egress",
        traffic_path: 8,
      });
    });

    it("maps the ECS (v7) and reject-reason (v8) fields", () => {
      const names = [
        "version",
        "ecs-cluster-name",
        "ecs-task-id",
        "ecs-container-id",
        "reject-reason",
        "start",
      ];
      const document = parsed("8 prod 0123456789abcdef - BPA 1700000000", parseLogFormat(formatOf(names)));
      assert.deepEqual(document, {
        "@timestamp": "2023-11-14T22:13:20.000Z",
        version: 8,
        ecs_cluster_name: "prod",
        ecs_task_id: "0123456789abcdef",
        reject_reason: "BPA",
        start: "2023-11-14T22:13:20.000Z",
      });
    });

    for (const status of ["NODATA", "SKIPDATA"]) {
      it(`indexes a ${status} record with its log_status and times`, () => {
        assert.deepEqual(
          parsed(`2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - ${status}`),
          {
            "@timestamp": "2015-05-10T18:01:16.000Z",
            version: 2,
            account_id: "123456789010",
            interface_id: "eni-1235b8ca123456789",
            start: "2015-05-10T18:01:16.000Z",
            end: "2015-05-10T18:02:14.000Z",
            log_status: status,
          },
        );
      });
    }

    it("keeps IPv6 addresses (and ICMPv6) as they are", () => {
      const document = parsed(
        "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 0 0 58 54 8855 1477913708 1477913820 ACCEPT OK",
      );
      assert.equal(document.srcaddr, "2001:db8:1234:a100:8d6e:3477:df66:f105");
      assert.equal(document.dstaddr, "2001:db8:1234:a102:3304:8879:34cf:4071");
      assert.equal(document.protocol_name, "ICMPv6");
    });

    it("names the IANA protocols, and gives the number as text when unknown", () => {
      const names = [1, 6, 17, 47, 50, 51, 58, 132, 253].map((p) => protocolName(p));
      assert.deepEqual(names, ["ICMP", "TCP", "UDP", "GRE", "ESP", "AH", "ICMPv6", "SCTP", "253"]);
      const document = parsed("2 1 eni-1 10.0.0.1 10.0.0.2 0 0 253 1 40 1418530010 1418530070 REJECT OK");
      assert.equal(document.protocol, 253);
      assert.equal(document.protocol_name, "253");
    });

    it("keeps a line with the wrong number of values, with the reason", () => {
      assert.equal(
        reasonOf("2 123456789010 eni-1 OK"),
        "expected 14 space-separated values (the flow log format), got 4",
      );
      assert.equal(reasonOf(""), "expected 14 space-separated values (the flow log format), got 0");
      assert.match(reasonOf(`${"x ".repeat(15)}`), /got 15$/);
    });

    it("keeps a line with invalid values, listing each", () => {
      const reason = reasonOf(
        "2 1 eni-1 10.0.0.1 not-an-ip 0x16 70000 6 1e3 -5 1418530010 1418530070 ACCEPT OK",
      );
      assert.equal(
        reason,
        [
          'dstaddr is not an IP address: "not-an-ip"',
          'srcport is not a number: "0x16"',
          "dstport is out of range [0, 65535]: 70000",
          'packets is not a number: "1e3"',
          'bytes is not a number: "-5"',
        ].join("; "),
      );
      assert.match(
        reasonOf("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 256 1 1 1418530010 1418530070 ACCEPT OK"),
        /protocol is out of range \[0, 255\]: 256/,
      );
      assert.match(
        reasonOf("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 9007199254740993 1 1418530010 1418530070 ACCEPT OK"),
        /packets is out of range \[0, 9007199254740991\]/,
      );
      assert.match(
        reasonOf("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 253402300800 1418530070 ACCEPT OK"),
        /start is not an epoch time in seconds: 253402300800/,
      );
    });

    it("parses any generated v2 record to a document whose values round-trip", () => {
      const orDash = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | "-"> =>
        fc.oneof({ arbitrary: arb, weight: 4 }, { arbitrary: fc.constant("-" as const), weight: 1 });
      const maxSeconds = 253402300799; // 9999-12-31T23:59:59Z
      const record = fc.record({
        version: orDash(fc.integer({ min: 2, max: 8 })),
        account_id: orDash(fc.stringMatching(/^\d{12}$/)),
        interface_id: orDash(fc.stringMatching(/^eni-[0-9a-f]{17}$/)),
        srcaddr: orDash(fc.oneof(fc.ipV4(), fc.ipV6())),
        dstaddr: orDash(fc.oneof(fc.ipV4(), fc.ipV6())),
        srcport: orDash(fc.integer({ min: 0, max: 65535 })),
        dstport: orDash(fc.integer({ min: 0, max: 65535 })),
        protocol: orDash(fc.integer({ min: 0, max: 255 })),
        packets: orDash(fc.maxSafeNat()),
        bytes: orDash(fc.maxSafeNat()),
        start: orDash(fc.integer({ min: 0, max: maxSeconds })),
        end: orDash(fc.integer({ min: 0, max: maxSeconds })),
        action: orDash(fc.constantFrom("ACCEPT", "REJECT")),
        log_status: fc.constantFrom("OK", "NODATA", "SKIPDATA"),
      });
      fc.assert(
        fc.property(record, (values) => {
          const line = V2.fields.map((f) => String(values[f.key as keyof typeof values])).join(" ");
          const document = parsed(line);
          for (const f of V2.fields) {
            const original = values[f.key as keyof typeof values];
            const value = document[f.key];
            if (original === "-") assert.equal(value, undefined, f.key);
            else if (f.kind === "date") assert.equal(Date.parse(value as string) / 1000, original, f.key);
            else assert.equal(value, original, f.key);
          }
          assert.equal(document["@timestamp"], document.start);
          if (values.protocol !== "-") assert.equal(document.protocol_name, protocolName(values.protocol));
          // The document survives the JSON round trip to the bulk body unchanged.
          assert.deepEqual(JSON.parse(JSON.stringify(document)), document);
        }),
        { numRuns: 500 },
      );
    });

    it("parses any custom format's generated records, each value back as written", () => {
      const maxSeconds = 253402300799;
      const valueOf = (f: FlowField): fc.Arbitrary<string | number> => {
        const range = { srcport: 65535, dstport: 65535, protocol: 255 }[f.key as "srcport"];
        switch (f.kind) {
          case "integer":
            return fc.integer({ min: 0, max: range ?? 2 ** 31 - 1 });
          case "long":
            return fc.maxSafeNat();
          case "date":
            return fc.integer({ min: 0, max: maxSeconds });
          case "ip":
            return fc.oneof(fc.ipV4(), fc.ipV6());
          case "keyword":
            return fc.stringMatching(/^[!-,.-~][!-~]*$/); // no spaces, not "-"
        }
      };
      const formatAndValues = fc
        .shuffledSubarray([...FLOW_FIELDS], { minLength: 1 })
        .chain((fields) => fc.tuple(fc.constant(fields), fc.tuple(...fields.map(valueOf))));
      fc.assert(
        fc.property(formatAndValues, ([fields, values]) => {
          const format = parseLogFormat(formatOf(fields.map((f) => f.name)));
          const document = parsed(values.map(String).join(" "), format);
          fields.forEach((f, i) => {
            const expected = values[i];
            if (f.kind === "date")
              assert.equal(Date.parse(document[f.key] as string) / 1000, expected, f.key);
            else assert.equal(document[f.key], expected, f.key);
          });
        }),
        { numRuns: 300 },
      );
    });

    it("never throws on arbitrary text: a document or a reason", () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ maxLength: 200 }),
            fc
              .array(
                fc.constantFrom("-", "2", "6", "10.0.0.1", "::1", "x", "", "99999999999999999999", "ACCEPT"),
                {
                  maxLength: 16,
                },
              )
              .map((tokens) => tokens.join(" ")),
          ),
          (line) => {
            const result = parseRecord(line, V2);
            assert.ok(result.ok || result.reason.length > 0);
          },
        ),
      );
    });
  });
});
