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

describe("security API bodies", () => {
  it("gives the writer role the indexer's cluster actions and crud/create_index/manage on its indices only", () => {
    assert.deepEqual(writerRoleBody("cloudtrail-*"), {
      description: "CloudTrail indexer: index template, ISM policy and bulk writes to its own indices",
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

  it("plans the writer role, its mapping, readall for Grafana and both admin roles for admin plus the master", () => {
    const requests = securityRequests({
      adminUser: "admin",
      masterRoleArn: MASTER,
      writerRoleArns: [INDEXER],
      readerRoleArns: [GRAFANA],
      indexPattern: "cloudtrail-*",
    });
    assert.deepEqual(
      requests.map((r) => [r.method, r.path, r.body]),
      [
        ["PUT", `/_plugins/_security/api/roles/${WRITER_ROLE}`, writerRoleBody("cloudtrail-*")],
        [
          "PUT",
          "/_plugins/_security/api/rolesmapping/cloudtrail_writer",
          { backend_roles: [INDEXER], users: [], hosts: [] },
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

  it("empties the mappings when no roles are given (Grafana off, CloudTrail off)", () => {
    const requests = securityRequests({
      adminUser: "admin",
      masterRoleArn: MASTER,
      writerRoleArns: [],
      readerRoleArns: [],
      indexPattern: "cloudtrail-*",
    });
    assert.deepEqual(requests[1]?.body, { backend_roles: [], users: [], hosts: [] });
    assert.deepEqual(requests[2]?.body, { backend_roles: [], users: [], hosts: [] });
  });

  it("refuses non-role ARNs and bad index patterns, listing every problem", () => {
    const setup = {
      adminUser: "admin user",
      masterRoleArn: MASTER,
      writerRoleArns: ["arn:aws:iam::123456789012:user/bob"],
      readerRoleArns: ["grafana"],
      indexPattern: "*",
    };
    assert.deepEqual(setupProblems(setup), [
      '"admin user" is not a user name',
      '"arn:aws:iam::123456789012:user/bob" is not an IAM role ARN',
      '"grafana" is not an IAM role ARN',
      'indexPattern must be a lowercase index name or prefix ending in * (got "*")',
    ]);
    assert.throws(
      () => securityRequests(setup),
      /Invalid bootstrap input: .*admin user.*user\/bob.*grafana.*indexPattern/,
    );
  });
});
