import assert from "node:assert/strict";
import fc from "fast-check";
import {
  internalUserBody,
  roleMappingBody,
  securityRequests,
  setupProblems,
  WRITER_ROLE,
  writerRoleBody,
} from "../src/security";

const MASTER = "arn:aws:iam::123456789012:role/obs-bootstrap-role-1a2b";
const INDEXER = "arn:aws:iam::123456789012:role/ct-indexer-role-3c4d";
const GRAFANA = "arn:aws:iam::123456789012:role/obs-grafana-role-5e6f";
const LOGS = "arn:aws:iam::123456789012:role/search-logs-role-7a8b";
const FLOW = "arn:aws:iam::123456789012:role/search-flow-role-9c0d";
const CLOUDTRAIL_WRITER = { role: WRITER_ROLE, roleArns: [INDEXER], indexPatterns: ["cloudtrail-*"] };
const LOGS_WRITER = { role: "logs_writer", roleArns: [LOGS], indexPatterns: ["logs-*", "access-*"] };
const FLOW_WRITER = { role: "vpcflow_writer", roleArns: [FLOW], indexPatterns: ["vpcflow-*"] };

describe("security API bodies", () => {
  it("gives the writer role the indexer's cluster actions and crud/create_index/manage on its indices only", () => {
    assert.deepEqual(writerRoleBody(["cloudtrail-*"]), {
      description: "Indexer: index templates, ISM policies and bulk writes to cloudtrail-* only",
      cluster_permissions: [
        "indices:admin/index_template/get",
        "indices:admin/index_template/put",
        "cluster:admin/opendistro/ism/policy/get",
        "cluster:admin/opendistro/ism/policy/write",
        "indices:data/write/bulk",
      ],
      index_permissions: [
        { index_patterns: ["cloudtrail-*"], allowed_actions: ["crud", "create_index", "manage"] },
      ],
    });
  });

  it("lists several patterns in one index permission, sorted and de-duplicated whatever the order", () => {
    const body = writerRoleBody(["logs-*", "access-*", "logs-*"]);
    assert.deepEqual(body.index_permissions, [
      { index_patterns: ["access-*", "logs-*"], allowed_actions: ["crud", "create_index", "manage"] },
    ]);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(["logs-*", "access-*", "vpcflow-*", "findings-*"], { minLength: 1 }),
        (p) => assert.deepEqual(writerRoleBody(p), writerRoleBody([...p].reverse())),
      ),
    );
  });

  it("puts the password in the internal user body and nothing else", () => {
    assert.deepEqual(internalUserBody("s3cret!"), { password: "s3cret!", backend_roles: [], attributes: {} });
  });

  it("maps the same principals to the same body whatever their order and repetition", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(MASTER, INDEXER, GRAFANA), { minLength: 1 }), (arns) => {
        const shuffled = [...arns].reverse();
        assert.deepEqual(roleMappingBody(arns), roleMappingBody([...shuffled, ...shuffled]));
        assert.deepEqual(roleMappingBody(arns).backend_roles, [...new Set(arns)].sort());
      }),
    );
  });

  it("plans each writer's role and mapping, readall for Grafana and both admin roles for admin plus the master", () => {
    const requests = securityRequests({
      adminUser: "admin",
      masterRoleArn: MASTER,
      writers: [CLOUDTRAIL_WRITER, LOGS_WRITER],
      readerRoleArns: [GRAFANA],
    });
    assert.deepEqual(
      requests.map((r) => [r.method, r.path, r.body]),
      [
        ["PUT", `/_plugins/_security/api/roles/${WRITER_ROLE}`, writerRoleBody(["cloudtrail-*"])],
        [
          "PUT",
          "/_plugins/_security/api/rolesmapping/cloudtrail_writer",
          { backend_roles: [INDEXER], users: [], hosts: [] },
        ],
        ["PUT", "/_plugins/_security/api/roles/logs_writer", writerRoleBody(["access-*", "logs-*"])],
        [
          "PUT",
          "/_plugins/_security/api/rolesmapping/logs_writer",
          { backend_roles: [LOGS], users: [], hosts: [] },
        ],
        [
          "PUT",
          "/_plugins/_security/api/rolesmapping/readall",
          { backend_roles: [GRAFANA], users: [], hosts: [] },
        ],
        [
          "PUT",
          "/_plugins/_security/api/rolesmapping/all_access",
          { backend_roles: [MASTER], users: ["admin"], hosts: [] },
        ],
        [
          "PUT",
          "/_plugins/_security/api/rolesmapping/security_manager",
          { backend_roles: [MASTER], users: ["admin"], hosts: [] },
        ],
      ],
    );
  });

  it("least privilege: each IAM role is mapped only to the role whose patterns are its own families", () => {
    const writers = [CLOUDTRAIL_WRITER, LOGS_WRITER, FLOW_WRITER];
    const requests = securityRequests({
      adminUser: "admin",
      masterRoleArn: MASTER,
      writers,
      readerRoleArns: [],
    });
    for (const writer of writers) {
      const role = requests.find((r) => r.path.endsWith(`/roles/${writer.role}`));
      const patterns = (role?.body.index_permissions as { index_patterns: string[] }[]).flatMap(
        (p) => p.index_patterns,
      );
      assert.deepEqual(patterns, [...writer.indexPatterns].sort(), writer.role);
      const mappedTo = requests
        .filter((r) => r.path.includes("/rolesmapping/"))
        .filter((r) => (r.body.backend_roles as string[]).includes(writer.roleArns[0]!))
        .map((r) => r.path.split("/").pop());
      assert.deepEqual(mappedTo, [writer.role], `${writer.roleArns[0]!} is mapped to its own role only`);
    }
  });

  it("empties the mappings when no roles are given (Grafana off, the indexer off)", () => {
    const requests = securityRequests({
      adminUser: "admin",
      masterRoleArn: MASTER,
      writers: [{ ...CLOUDTRAIL_WRITER, roleArns: [] }],
      readerRoleArns: [],
    });
    assert.equal(requests[1]?.path, "/_plugins/_security/api/rolesmapping/cloudtrail_writer");
    assert.deepEqual(requests[1]?.body, { backend_roles: [], users: [], hosts: [] });
    assert.deepEqual(requests[2]?.body, { backend_roles: [], users: [], hosts: [] });
  });

  it("refuses non-role ARNs, bad writer names and bad or missing index patterns, listing every problem", () => {
    const setup = {
      adminUser: "admin user",
      masterRoleArn: MASTER,
      writers: [
        { role: WRITER_ROLE, roleArns: ["arn:aws:iam::123456789012:user/bob"], indexPatterns: ["*"] },
        { role: "all_access", roleArns: [], indexPatterns: ["logs-*"] },
        { role: "Logs Writer", roleArns: [], indexPatterns: [] },
        { role: WRITER_ROLE, roleArns: [], indexPatterns: ["cloudtrail-*"] },
      ],
      readerRoleArns: ["grafana"],
    };
    assert.deepEqual(setupProblems(setup), [
      '"admin user" is not a user name',
      '"arn:aws:iam::123456789012:user/bob" is not an IAM role ARN',
      '"grafana" is not an IAM role ARN',
      'cloudtrail_writer: index patterns must be lowercase index names or prefixes ending in * (got "*")',
      '"all_access" is not a writer role name (lowercase, digits, _; not a built-in role)',
      '"Logs Writer" is not a writer role name (lowercase, digits, _; not a built-in role)',
      'writer role "Logs Writer" has no index pattern',
      'writer role "cloudtrail_writer" is given twice',
    ]);
    assert.throws(
      () => securityRequests(setup),
      /Invalid bootstrap input: .*admin user.*user\/bob.*grafana.*index patterns/,
    );
  });
});
