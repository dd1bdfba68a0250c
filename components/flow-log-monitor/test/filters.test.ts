import assert from "node:assert/strict";
import {
  DEFAULT_FLOW_LOG_FILTERS,
  DEFAULT_V2_FORMAT,
  FlowLogFilterError,
  NEW_FILTER_DEFAULTS,
  mergeFilters,
  type FlowLogFilterOverride,
  type FlowLogMetricFilter,
} from "../filters";
import { PING_DENY_PATTERN, parseFilterPattern } from "../pattern";
import { ALL_RECORDS, RECORDS } from "./records.test";

function filter(name: string): FlowLogMetricFilter {
  const found = DEFAULT_FLOW_LOG_FILTERS.find((f) => f.name === name);
  assert.ok(found, `no default filter named ${name}`);
  return found;
}

/** Asserts that mergeFilters throws a FlowLogFilterError whose problems match `expected`, in order. */
function assertProblems(overrides: readonly FlowLogFilterOverride[], expected: readonly RegExp[]): void {
  assert.throws(
    () => mergeFilters(DEFAULT_FLOW_LOG_FILTERS, overrides),
    (error: unknown) => {
      assert.ok(error instanceof FlowLogFilterError, String(error));
      assert.equal(error.problems.length, expected.length, error.message);
      expected.forEach((re, i) => assert.match(error.problems[i] ?? "", re));
      assert.match(error.message, new RegExp(`\\(${expected.length}\\)`));
      return true;
    },
  );
}

describe("DEFAULT_V2_FORMAT", () => {
  it("is the default v2 format written out, as a plain string with literal ${...} fields", () => {
    assert.equal(
      DEFAULT_V2_FORMAT,
      "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
    );
  });

  it("has as many fields as every default pattern has slots", () => {
    const formatFields = DEFAULT_V2_FORMAT.split(" ").length;
    for (const f of DEFAULT_FLOW_LOG_FILTERS) {
      assert.equal(parseFilterPattern(f.pattern).fieldNames.length, formatFields, f.name);
    }
  });
});

describe("DEFAULT_FLOW_LOG_FILTERS", () => {
  it("keeps the source design's ping-deny filter and alarm exactly", () => {
    assert.deepEqual(filter("ping-deny"), {
      name: "ping-deny",
      pattern: PING_DENY_PATTERN,
      namespace: "Ping-Deny-Metrics",
      metricName: "Ping-Deny",
      metricValue: "1",
      createAlarm: true,
      threshold: 1,
      period: 60,
      evaluationPeriods: 1,
      statistic: "Sum",
      comparison: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      description: filter("ping-deny").description,
    });
  });

  // Each filter against every sample record: the expected list is exactly the records it should count.
  const expectations: Record<string, readonly (keyof typeof RECORDS)[]> = {
    "ping-deny": ["icmpReject", "icmpRejectResponse"],
    "rejected-flows": [
      "icmpReject",
      "icmpRejectResponse",
      "sshReject",
      "sshRejectIpv6",
      "rdpReject",
      "udpRejectPort22",
      "udpRejectDns",
      "icmpv6Reject",
    ],
    "ssh-probes": ["sshReject", "sshRejectIpv6"],
    "rdp-probes": ["rdpReject"],
    "skipped-records": ["skipData"],
    "no-data-records": ["noData"],
  };

  it("has an expectation for every default filter", () => {
    assert.deepEqual(DEFAULT_FLOW_LOG_FILTERS.map((f) => f.name).sort(), Object.keys(expectations).sort());
  });

  for (const [name, expected] of Object.entries(expectations)) {
    it(`${name} matches exactly ${expected.join(", ")}`, () => {
      const compiled = parseFilterPattern(filter(name).pattern);
      assert.deepEqual(
        ALL_RECORDS.filter((r) => compiled.matches(RECORDS[r])),
        expected,
      );
    });
  }

  it("does not count a NODATA record as SKIPDATA or vice versa, nor a malformed status record", () => {
    const skipped = parseFilterPattern(filter("skipped-records").pattern);
    assert.equal(skipped.matches(RECORDS.noData), false);
    // Same status but a real address where the docs show '-': not the documented shape.
    assert.equal(skipped.matches(RECORDS.skipData.replace(" - - ", " 10.0.0.1 - ")), false);
  });

  it("passes its own validation unchanged", () => {
    assert.deepEqual(mergeFilters(DEFAULT_FLOW_LOG_FILTERS, []), DEFAULT_FLOW_LOG_FILTERS);
  });

  it("uses one metric per filter", () => {
    const metrics = DEFAULT_FLOW_LOG_FILTERS.map((f) => `${f.namespace}/${f.metricName}`);
    assert.equal(new Set(metrics).size, metrics.length);
  });
});

describe("mergeFilters", () => {
  it("changes fields of a default filter by name and keeps the rest", () => {
    const merged = mergeFilters(DEFAULT_FLOW_LOG_FILTERS, [{ name: "ssh-probes", threshold: 5, period: 60 }]);
    const ssh = merged.find((f) => f.name === "ssh-probes");
    assert.deepEqual(ssh, { ...filter("ssh-probes"), threshold: 5, period: 60 });
    assert.equal(merged.length, DEFAULT_FLOW_LOG_FILTERS.length);
  });

  it("ignores fields given as undefined instead of blanking the default", () => {
    const merged = mergeFilters(DEFAULT_FLOW_LOG_FILTERS, [{ name: "ping-deny", threshold: undefined }]);
    assert.equal(merged.find((f) => f.name === "ping-deny")?.threshold, 1);
  });

  it("disables a filter with enabled: false", () => {
    const merged = mergeFilters(DEFAULT_FLOW_LOG_FILTERS, [{ name: "rejected-flows", enabled: false }]);
    assert.deepEqual(
      merged.map((f) => f.name),
      DEFAULT_FLOW_LOG_FILTERS.map((f) => f.name).filter((n) => n !== "rejected-flows"),
    );
  });

  it("adds a new filter after the defaults, filling unspecified fields from NEW_FILTER_DEFAULTS", () => {
    const pattern = "[version, account, eni, source, destination, srcport, destport=3306, protocol=6, ...]";
    const merged = mergeFilters(DEFAULT_FLOW_LOG_FILTERS, [
      { name: "mysql-flows", pattern, metricName: "MySqlFlows", threshold: 3 },
    ]);
    assert.deepEqual(merged.at(-1), {
      ...NEW_FILTER_DEFAULTS,
      name: "mysql-flows",
      pattern,
      metricName: "MySqlFlows",
      description: "",
      threshold: 3,
    });
  });

  it("accepts $field metric values naming a field of the pattern", () => {
    const merged = mergeFilters(DEFAULT_FLOW_LOG_FILTERS, [
      {
        name: "rejected-bytes",
        pattern: filter("rejected-flows").pattern,
        metricName: "RejectedBytes",
        metricValue: "$bytes",
      },
    ]);
    assert.equal(merged.at(-1)?.metricValue, "$bytes");
  });

  it("lists every problem at once", () => {
    assertProblems(
      [
        { name: "ping-deny", pattern: "[a, b == 1]" },
        { name: "ssh-probes", threshold: Number.NaN, period: 45, evaluationPeriods: 0 },
        { name: "rdp-probes", enabled: false },
        { name: "rdp-probes", threshold: 2 },
        { name: "telnet-probes", threshold: 1 },
        { name: "no-such-filter", enabled: false },
        { name: "Bad Name", pattern: "[a]", metricName: "X", namespace: "AWS/EC2", metricValue: "$nope" },
        {
          name: "rejected-flows",
          statistic: "Median",
          comparison: "Above",
          treshold: 3,
        } as unknown as FlowLogFilterOverride,
        { name: "skipped-records", threshold: -1, period: 0, metricValue: "one" },
      ],
      [
        /override #4 \("rdp-probes"\): filter "rdp-probes" is overridden more than once/,
        /override #5 \("telnet-probes"\): "telnet-probes" is not a default filter, so it needs at least "pattern" and "metricName"/,
        /override #6 \("no-such-filter"\): cannot disable "no-such-filter", no such filter/,
        /override #8 \("rejected-flows"\): unknown field "treshold"/,
        /filter "ping-deny": pattern: Invalid filter pattern at position 6: unknown operator '=='/,
        /filter "rejected-flows": statistic "Median" must be one of SampleCount, Average, Sum, Minimum, Maximum/,
        /filter "rejected-flows": comparison "Above" must be one of GreaterThanOrEqualToThreshold/,
        /filter "ssh-probes": threshold NaN must be a finite number >= 0/,
        /filter "ssh-probes": period 45 must be 10, 30 or a multiple of 60 seconds/,
        /filter "ssh-probes": evaluationPeriods 0 must be a whole number >= 1/,
        /filter "skipped-records": metricValue "one" must be a number or "\$field"/,
        /filter "skipped-records": threshold -1 must be a finite number >= 0/,
        /filter "skipped-records": period 0 must be 10, 30 or a multiple of 60 seconds/,
        /filter "Bad Name": name must be 1-64 lowercase letters/,
        /filter "Bad Name": namespace "AWS\/EC2" is reserved for AWS services/,
        /filter "Bad Name": metricValue "\$nope" names no field of the pattern/,
      ],
    );
  });

  it("accepts periods of 10, 30 and multiples of 60", () => {
    for (const period of [10, 30, 60, 300, 3600]) {
      const merged = mergeFilters(DEFAULT_FLOW_LOG_FILTERS, [{ name: "ping-deny", period }]);
      assert.equal(merged[0]?.period, period);
    }
  });

  it("rejects other periods, including multiples of 30 that are not multiples of 60", () => {
    for (const period of [0, 20, 45, 90, 150, 59.5, -60]) {
      assertProblems(
        [{ name: "ping-deny", period }],
        [new RegExp(`period ${period} must be 10, 30 or a multiple of 60`)],
      );
    }
  });

  it("reports duplicate names in the defaults themselves", () => {
    assert.throws(
      () => mergeFilters([filter("ping-deny"), filter("ping-deny")], []),
      (error: unknown) =>
        error instanceof FlowLogFilterError &&
        error.problems.length === 1 &&
        error.problems[0] === 'default filter "ping-deny" is defined twice',
    );
  });

  it("does not modify its inputs", () => {
    const overrides = [{ name: "ping-deny", threshold: 7 }];
    const before = JSON.stringify([DEFAULT_FLOW_LOG_FILTERS, overrides]);
    mergeFilters(DEFAULT_FLOW_LOG_FILTERS, overrides);
    assert.equal(JSON.stringify([DEFAULT_FLOW_LOG_FILTERS, overrides]), before);
  });
});
