import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { violations } from "../../../policy/rules";
import { asPolicyInputs, parseJsonInput, resourceNamed, runUnderMocks } from "../../../test/lib/mocks";
import type { OpenSearchDomainArgs } from "..";
import { OPENSEARCH_DOMAIN_DEFAULTS, OpenSearchDomain, openSearchDomainArgProblems } from "..";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const WRITER = "arn:aws:iam::123456789012:role/writer";
const FLOW_WRITER = "arn:aws:iam::123456789012:role/flow-writer";
const WRITERS = [
  { role: "logs_writer", roleArns: [WRITER], indexPatterns: ["logs-*", "access-*"] },
  { role: "vpcflow_writer", roleArns: [FLOW_WRITER], indexPatterns: ["vpcflow-*"] },
];
const READER = "arn:aws:iam::123456789012:role/reader";
const tags = { Project: "log-platform", Environment: "test", ManagedBy: "pulumi" };
const args: OpenSearchDomainArgs = {
  kmsKeyArn: KEY,
  alarmTopicArn: TOPIC,
  instanceType: "r6g.large.search",
  instanceCount: 2,
  dedicatedMasterCount: 0,
  zoneAwareness: true,
  availabilityZoneCount: 2,
  volumeGiB: 20,
  snapshotHour: 4,
  operatorCidrs: [],
  masterPassword: pulumi.secret("given-Password-1!"),
  writers: WRITERS,
  readerRoleArns: [READER],
  logRetentionDays: 30,
  retainData: true,
  tags,
};

describe("OpenSearchDomain (mocks)", () => {
  it("builds the domain from its settings, with the defaults of the settings no stack setting defines", async () => {
    const run = await runUnderMocks("test", { config: {}, secretKeys: [] }, () => {
      const domain = new OpenSearchDomain("search", args);
      return { endpoint: domain.endpoint, replicas: domain.indexReplicas, version: domain.versionNumber };
    });
    const domain = resourceNamed(run.resources, "aws:opensearch/domain:Domain", "search-domain");
    assert.equal(domain.parent, "search");
    assert.equal(domain.props.domainName, "search", "default: the component name");
    assert.equal(domain.props.engineVersion, OPENSEARCH_DOMAIN_DEFAULTS.engineVersion);
    assert.deepEqual(domain.props.clusterConfig, {
      instanceType: "r6g.large.search",
      instanceCount: 2,
      zoneAwarenessEnabled: true,
      zoneAwarenessConfig: { availabilityZoneCount: 2 },
      dedicatedMasterEnabled: false,
    });
    assert.deepEqual(domain.props.ebsOptions, { ebsEnabled: true, volumeType: "gp3", volumeSize: 20 });
    assert.deepEqual(domain.props.snapshotOptions, { automatedSnapshotStartHour: 4 });
    assert.deepEqual(domain.options, { protect: true, retainOnDelete: true });
    const statements = parseJsonInput(domain.props.accessPolicies).Statement;
    assert.deepEqual(
      statements.map((s) => [s.Sid, s.Principal]),
      [
        ["Master", { AWS: ["arn:aws:iam::123456789012:role/search-opensearch-bootstrap-role"] }],
        ["Writers", { AWS: [WRITER, FLOW_WRITER] }],
        ["Readers", { AWS: [READER] }],
      ],
    );
    const invocation = resourceNamed(
      run.resources,
      "aws:lambda/invocation:Invocation",
      "search-opensearch-bootstrap",
    );
    // Each writer on its own patterns (the bootstrap gives each its own OpenSearch role).
    assert.deepEqual(JSON.parse(invocation.props.input as string), {
      writers: WRITERS,
      readerRoleArns: [READER],
    });
    assert.equal(
      (invocation.props.triggers as Record<string, unknown>).writers,
      JSON.stringify(WRITERS),
      "a change of any writer's roles or patterns runs the bootstrap again",
    );
    assert.deepEqual(
      run.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword"),
      [],
      "a given password is used, none generated",
    );
    assert.deepEqual(run.outputs, {
      endpoint: "search-search-domain-0123456789.eu-west-1.es.amazonaws.com",
      replicas: 1,
      version: "2.19.0",
    });
    assert.ok(run.resources.filter((r) => r.custom).every((r) => r.parent === "search"));
    assert.deepEqual(violations(asPolicyInputs(run.resources)), []);
  });

  it("lists every problem at once, keyed by the arg's own name, and refuses to build", () => {
    const bad: OpenSearchDomainArgs = {
      ...args,
      logRetentionDays: 2,
      engineVersion: "OpenSearch2",
      dedicatedMasterType: "m6g.large",
      instanceCount: 3,
      dedicatedMasterCount: 1,
      volumeGiB: 10.5,
      snapshotHour: -1,
      operatorCidrs: ["300.0.0.0/8"],
    };
    const expected = [
      "logRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 2)",
      'engineVersion must look like OpenSearch_2.19 (got "OpenSearch2")',
      'dedicatedMasterType must be an OpenSearch instance type such as r6g.large.search (got "m6g.large")',
      "dedicatedMasterCount must be 0, 3 or 5 (got 1)",
      "instanceCount must be a multiple of availabilityZoneCount with zone awareness (got 3 over 2 zones)",
      "volumeGiB must be 10–16384 (got 10.5)",
      "snapshotHour must be 0–23 (got -1)",
      "operatorCidrs must be IPv4 CIDR blocks (got 300.0.0.0/8)",
    ];
    assert.deepEqual(openSearchDomainArgProblems("search", bad), expected);
    assert.throws(
      () => new OpenSearchDomain("search", bad),
      (error: Error) =>
        error.message === `OpenSearchDomain "search" has invalid arguments:\n  - ${expected.join("\n  - ")}`,
    );
    assert.deepEqual(openSearchDomainArgProblems("search", args), []);
  });
});
