import assert from "node:assert/strict";

/**
 * Flow log records in the default v2 format, shaped like the examples in the
 * AWS VPC user guide ("Flow log record examples"), shared by the pattern and
 * filter tests.
 */
export const RECORDS = {
  icmpReject:
    "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 1 84 1418530010 1418530070 REJECT OK",
  icmpRejectResponse:
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK",
  icmpAccept:
    "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK",
  sshAccept:
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
  sshReject:
    "2 123456789010 eni-1235b8ca123456789 198.51.100.7 172.31.16.21 51123 22 6 1 60 1418530010 1418530070 REJECT OK",
  sshRejectIpv6:
    "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 1 80 1477913708 1477913820 REJECT OK",
  rdpReject:
    "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
  rdpAccept:
    "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 ACCEPT OK",
  udpRejectPort22:
    "2 123456789010 eni-1235b8ca123456789 198.51.100.7 172.31.16.21 40000 22 17 1 60 1418530010 1418530070 REJECT OK",
  udpRejectDns:
    "2 123456789010 eni-1235b8ca123456789 198.51.100.7 172.31.16.21 53211 53 17 3 210 1418530010 1418530070 REJECT OK",
  icmpv6Reject:
    "2 123456789010 eni-1235b8ca123456789 2001:db8::12 2001:db8::139 0 0 58 1 104 1418530010 1418530070 REJECT OK",
  noData: "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - NODATA",
  skipData: "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA",
  /** ICMP REJECT without log-status: 13 fields. */
  icmpReject13:
    "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 1 84 1418530010 1418530070 REJECT",
  /** ICMP REJECT with an extra trailing field (e.g. tcp-flags appended in a custom format): 15 fields. */
  icmpReject15:
    "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 1 84 1418530010 1418530070 REJECT OK 0",
} as const;

/** Every sample, for "matches exactly these" checks. */
export const ALL_RECORDS: readonly (keyof typeof RECORDS)[] = Object.keys(
  RECORDS,
) as (keyof typeof RECORDS)[];

describe("sample flow log records", () => {
  it("have the 14 fields of the default format, except the deliberate 13- and 15-field ones", () => {
    for (const name of ALL_RECORDS) {
      const expected = name === "icmpReject13" ? 13 : name === "icmpReject15" ? 15 : 14;
      assert.equal(RECORDS[name].split(" ").length, expected, name);
    }
  });

  it("write NODATA and SKIPDATA records as the AWS examples do: '-' in every field but version, account, eni and the window", () => {
    for (const record of [RECORDS.noData, RECORDS.skipData]) {
      const fields = record.split(" ");
      assert.deepEqual(fields.slice(3, 10), ["-", "-", "-", "-", "-", "-", "-"]);
      assert.equal(fields[12], "-");
      assert.match(fields[11] ?? "", /^\d+$/);
    }
  });
});
