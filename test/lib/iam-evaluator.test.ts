import * as assert from "node:assert/strict";

import type { IamRequest, PolicyDocument, Statement } from "./iam-evaluator";
import { evaluate, evaluatePolicy, wildcardMatch } from "./iam-evaluator";

const ACCOUNT = "111122223333";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/app`;
const BUCKET = "arn:aws:s3:::archive";

function request(overrides: Partial<IamRequest> = {}): IamRequest {
  return {
    principal: { aws: ROLE },
    principalAccount: ACCOUNT,
    action: "s3:PutObject",
    resource: `${BUCKET}/raw/a.json`,
    ...overrides,
  };
}

function allow(extra: Partial<Statement> = {}): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: `${BUCKET}/*`, ...extra }],
  };
}

/** The decision of one Allow statement carrying `condition`, for a request with `context`. */
function withCondition(condition: Statement["Condition"], context?: IamRequest["context"]) {
  return evaluatePolicy(allow({ Condition: condition }), request({ context }));
}

// Semantics under test: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
describe("IAM evaluator (test/lib)", () => {
  describe("wildcards", () => {
    it("* spans any run, ? exactly one character, everything else is literal", () => {
      assert.ok(wildcardMatch("arn:aws:s3:::archive/*", "arn:aws:s3:::archive/raw/x"));
      assert.ok(wildcardMatch("a?c", "abc"));
      assert.ok(!wildcardMatch("a?c", "abbc"));
      assert.ok(!wildcardMatch("a.c", "abc"), "a dot is not a regex wildcard");
      assert.ok(!wildcardMatch("arn:aws:s3:::archive/*", "arn:aws:s3:::archive2/x"));
    });

    it("actions match case-insensitively and by wildcard; resources by wildcard, case-sensitively", () => {
      const doc: PolicyDocument = {
        Statement: { Effect: "Allow", Action: "S3:Put*", Resource: `${BUCKET}/raw/*` },
      };
      assert.equal(evaluatePolicy(doc, request({ action: "s3:putobject" })), "Allow");
      assert.equal(evaluatePolicy(doc, request({ action: "s3:GetObject" })), "ImplicitDeny");
      assert.equal(evaluatePolicy(doc, request({ resource: `${BUCKET}/RAW/a` })), "ImplicitDeny");
    });

    it("NotAction and NotResource match everything except what they list", () => {
      const doc: PolicyDocument = {
        Statement: [{ Effect: "Deny", NotAction: "s3:Get*", NotResource: `${BUCKET}/public/*` }],
      };
      assert.equal(evaluatePolicy(doc, request()), "ExplicitDeny");
      assert.equal(evaluatePolicy(doc, request({ action: "s3:GetObject" })), "ImplicitDeny");
      assert.equal(evaluatePolicy(doc, request({ resource: `${BUCKET}/public/a` })), "ImplicitDeny");
    });
  });

  describe("principals", () => {
    const principalDoc = (principal: Statement["Principal"]): PolicyDocument =>
      allow({ Principal: principal });

    it("a service principal matches only that service; an AWS principal only AWS callers", () => {
      const doc = principalDoc({ Service: ["logs.eu-west-1.amazonaws.com", "cloudtrail.amazonaws.com"] });
      assert.equal(
        evaluatePolicy(doc, request({ principal: { service: "cloudtrail.amazonaws.com" } })),
        "Allow",
      );
      assert.equal(
        evaluatePolicy(doc, request({ principal: { service: "sns.amazonaws.com" } })),
        "ImplicitDeny",
      );
      assert.equal(evaluatePolicy(doc, request()), "ImplicitDeny");
      assert.equal(evaluatePolicy(principalDoc({ AWS: ROLE }), request()), "Allow");
      assert.equal(
        evaluatePolicy(principalDoc({ AWS: ROLE }), request({ principal: { service: "sns.amazonaws.com" } })),
        "ImplicitDeny",
      );
    });

    it('"*" and {AWS: "*"} match every caller', () => {
      assert.equal(
        evaluatePolicy(principalDoc("*"), request({ principal: { service: "s3.amazonaws.com" } })),
        "Allow",
      );
      assert.equal(evaluatePolicy(principalDoc({ AWS: "*" }), request()), "Allow");
    });

    it("an account id or root ARN names every principal of that account, and no other", () => {
      for (const account of [ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`]) {
        assert.equal(evaluatePolicy(principalDoc({ AWS: account }), request()), "Allow", account);
        assert.equal(
          evaluatePolicy(
            principalDoc({ AWS: account }),
            request({
              principal: { aws: "arn:aws:iam::999999999999:role/app" },
              principalAccount: "999999999999",
            }),
          ),
          "ImplicitDeny",
        );
      }
      assert.equal(
        evaluatePolicy(principalDoc({ AWS: `arn:aws:iam::${ACCOUNT}:role/other` }), request()),
        "ImplicitDeny",
      );
    });

    it("NotPrincipal applies to everyone but the listed principals", () => {
      const doc: PolicyDocument = {
        Statement: [{ Effect: "Deny", NotPrincipal: { AWS: ROLE }, Action: "*", Resource: "*" }],
      };
      assert.equal(evaluatePolicy(doc, request()), "ImplicitDeny");
      assert.equal(
        evaluatePolicy(doc, request({ principal: { aws: `arn:aws:iam::${ACCOUNT}:role/other` } })),
        "ExplicitDeny",
      );
    });
  });

  describe("condition operators", () => {
    it("StringEquals / StringNotEquals / StringLike / StringNotLike", () => {
      const ctx = { "aws:SourceAccount": ACCOUNT };
      assert.equal(withCondition({ StringEquals: { "aws:SourceAccount": ACCOUNT } }, ctx), "Allow");
      assert.equal(
        withCondition({ StringEquals: { "aws:SourceAccount": "999999999999" } }, ctx),
        "ImplicitDeny",
      );
      assert.equal(withCondition({ StringNotEquals: { "aws:SourceAccount": "999999999999" } }, ctx), "Allow");
      assert.equal(withCondition({ StringNotEquals: { "aws:SourceAccount": ACCOUNT } }, ctx), "ImplicitDeny");
      assert.equal(withCondition({ StringLike: { "aws:SourceAccount": "1111*" } }, ctx), "Allow");
      assert.equal(withCondition({ StringNotLike: { "aws:SourceAccount": "1111*" } }, ctx), "ImplicitDeny");
      assert.equal(
        withCondition(
          { StringEqualsIgnoreCase: { "s3:x-amz-acl": "PRIVATE" } },
          { "s3:x-amz-acl": "private" },
        ),
        "Allow",
      );
    });

    it("condition key names are case-insensitive, values case-sensitive", () => {
      assert.equal(
        withCondition({ StringEquals: { "AWS:sourceaccount": ACCOUNT } }, { "aws:SourceAccount": ACCOUNT }),
        "Allow",
      );
      assert.equal(
        withCondition({ StringEquals: { "s3:x-amz-acl": "Private" } }, { "s3:x-amz-acl": "private" }),
        "ImplicitDeny",
      );
    });

    it("ArnEquals / ArnLike compare field by field with wildcards; ArnNotEquals / ArnNotLike negate", () => {
      const ctx = { "aws:SourceArn": "arn:aws:logs:eu-west-1:111122223333:log-group:/a/b:*" };
      assert.equal(
        withCondition({ ArnLike: { "aws:SourceArn": "arn:aws:logs:eu-west-1:111122223333:*" } }, ctx),
        "Allow",
      );
      assert.equal(
        withCondition({ ArnLike: { "aws:SourceArn": "arn:aws:logs:*:999999999999:*" } }, ctx),
        "ImplicitDeny",
      );
      assert.equal(withCondition({ ArnEquals: { "aws:SourceArn": ctx["aws:SourceArn"] } }, ctx), "Allow");
      assert.equal(
        withCondition({ ArnNotEquals: { "aws:SourceArn": ctx["aws:SourceArn"] } }, ctx),
        "ImplicitDeny",
      );
      assert.equal(
        withCondition({ ArnNotLike: { "aws:SourceArn": "arn:aws:logs:*:999999999999:*" } }, ctx),
        "Allow",
      );
      assert.equal(
        withCondition({ ArnLike: { "aws:SourceArn": "arn:aws:logs:*" } }, { "aws:SourceArn": "not-an-arn" }),
        "ImplicitDeny",
      );
    });

    it("Bool, Numeric*, Date*, IpAddress / NotIpAddress", () => {
      assert.equal(
        withCondition({ Bool: { "aws:SecureTransport": "true" } }, { "aws:SecureTransport": "true" }),
        "Allow",
      );
      assert.equal(
        withCondition({ Bool: { "aws:SecureTransport": false } }, { "aws:SecureTransport": "true" }),
        "ImplicitDeny",
      );
      assert.equal(
        withCondition({ NumericLessThan: { "s3:max-keys": "10" } }, { "s3:max-keys": "9" }),
        "Allow",
      );
      assert.equal(
        withCondition({ NumericLessThan: { "s3:max-keys": "10" } }, { "s3:max-keys": "10" }),
        "ImplicitDeny",
      );
      assert.equal(
        withCondition({ NumericGreaterThanEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": "10" }),
        "Allow",
      );
      assert.equal(
        withCondition(
          { DateLessThan: { "aws:CurrentTime": "2030-01-01T00:00:00Z" } },
          { "aws:CurrentTime": "2029-12-31T23:59:59Z" },
        ),
        "Allow",
      );
      assert.equal(
        withCondition({ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }, { "aws:SourceIp": "10.1.2.3" }),
        "Allow",
      );
      assert.equal(
        withCondition({ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }, { "aws:SourceIp": "11.1.2.3" }),
        "ImplicitDeny",
      );
      assert.equal(
        withCondition({ NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } }, { "aws:SourceIp": "11.1.2.3" }),
        "Allow",
      );
      assert.equal(
        withCondition({ IpAddress: { "aws:SourceIp": "2001:db8::/32" } }, { "aws:SourceIp": "2001:db8::1" }),
        "Allow",
      );
      assert.equal(
        withCondition({ IpAddress: { "aws:SourceIp": "2001:db8::/32" } }, { "aws:SourceIp": "2001:db9::1" }),
        "ImplicitDeny",
      );
    });

    it("an unknown operator fails loudly instead of deciding silently", () => {
      assert.throws(() => withCondition({ StringSortOf: { k: "v" } }, { k: "v" }), /StringSortOf/);
    });
  });

  describe("absent keys, IfExists and Null", () => {
    it("an absent key makes a plain operator false and a negated operator true", () => {
      assert.equal(withCondition({ StringEquals: { "aws:SourceAccount": ACCOUNT } }), "ImplicitDeny");
      assert.equal(withCondition({ ArnLike: { "aws:SourceArn": "arn:*" } }), "ImplicitDeny");
      assert.equal(withCondition({ Bool: { "aws:SecureTransport": "false" } }), "ImplicitDeny");
      assert.equal(withCondition({ StringNotEquals: { "aws:SourceAccount": ACCOUNT } }), "Allow");
      assert.equal(withCondition({ ArnNotLike: { "aws:SourceArn": "arn:*" } }), "Allow");
    });

    it("...IfExists is true when the key is absent and the base operator when present", () => {
      const condition = { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" } };
      assert.equal(withCondition(condition), "Allow");
      assert.equal(withCondition(condition, { "s3:x-amz-server-side-encryption": "AES256" }), "Allow");
      assert.equal(
        withCondition(condition, { "s3:x-amz-server-side-encryption": "aws:kms" }),
        "ImplicitDeny",
      );
      assert.equal(withCondition({ StringEqualsIfExists: { "aws:SourceAccount": ACCOUNT } }), "Allow");
      assert.equal(
        withCondition(
          { StringEqualsIfExists: { "aws:SourceAccount": ACCOUNT } },
          { "aws:SourceAccount": "9" },
        ),
        "ImplicitDeny",
      );
    });

    it('Null: "true" holds for an absent key, "false" for a present one', () => {
      const key = "s3:x-amz-server-side-encryption";
      assert.equal(withCondition({ Null: { [key]: "true" } }), "Allow");
      assert.equal(withCondition({ Null: { [key]: "true" } }, { [key]: "aws:kms" }), "ImplicitDeny");
      assert.equal(withCondition({ Null: { [key]: false } }, { [key]: "aws:kms" }), "Allow");
      assert.equal(withCondition({ Null: { [key]: "false" } }), "ImplicitDeny");
    });

    // The pattern that replaces defect 3b (issue #12): deny only a header that is present and different.
    it("a Deny with StringNotEqualsIfExists catches requests without the header; StringNotEquals + Null:false does not", () => {
      const key = "s3:x-amz-server-side-encryption";
      const deny = (condition: Statement["Condition"]): PolicyDocument => ({
        Statement: [
          { Effect: "Allow", Principal: "*", Action: "s3:PutObject", Resource: `${BUCKET}/*` },
          {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: `${BUCKET}/*`,
            Condition: condition,
          },
        ],
      });
      const ifExists = deny({ StringNotEqualsIfExists: { [key]: "aws:kms" } });
      const presentAndDifferent = deny({ StringNotEquals: { [key]: "aws:kms" }, Null: { [key]: "false" } });
      assert.equal(evaluatePolicy(ifExists, request()), "ExplicitDeny");
      assert.equal(evaluatePolicy(presentAndDifferent, request()), "Allow");
      assert.equal(evaluatePolicy(presentAndDifferent, request({ context: { [key]: "aws:kms" } })), "Allow");
      assert.equal(
        evaluatePolicy(presentAndDifferent, request({ context: { [key]: "AES256" } })),
        "ExplicitDeny",
      );
    });
  });

  describe("several keys and values", () => {
    it("keys AND, values OR, and a negated operator's values NOR", () => {
      const ctx = {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": "arn:aws:events:eu-west-1:111122223333:rule/a",
      };
      const arns = [
        "arn:aws:events:eu-west-1:111122223333:rule/a",
        "arn:aws:events:eu-west-1:111122223333:rule/b",
      ];
      assert.equal(
        withCondition(
          { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnEquals: { "aws:SourceArn": arns } },
          ctx,
        ),
        "Allow",
      );
      assert.equal(
        withCondition({ StringEquals: { "aws:SourceAccount": ACCOUNT, "aws:SourceArn": "arn:other" } }, ctx),
        "ImplicitDeny",
      );
      assert.equal(withCondition({ ArnNotEquals: { "aws:SourceArn": arns } }, ctx), "ImplicitDeny");
      assert.equal(withCondition({ ArnNotEquals: { "aws:SourceArn": [arns[1]!] } }, ctx), "Allow");
    });

    it("ForAnyValue: needs one request value to match; ForAllValues: needs every one (and holds for none)", () => {
      const tags = { "aws:TagKeys": ["team", "cost"] };
      assert.equal(withCondition({ "ForAnyValue:StringEquals": { "aws:TagKeys": ["team"] } }, tags), "Allow");
      assert.equal(
        withCondition({ "ForAllValues:StringEquals": { "aws:TagKeys": ["team"] } }, tags),
        "ImplicitDeny",
      );
      assert.equal(
        withCondition({ "ForAllValues:StringEquals": { "aws:TagKeys": ["team", "cost", "x"] } }, tags),
        "Allow",
      );
      assert.equal(withCondition({ "ForAllValues:StringEquals": { "aws:TagKeys": ["team"] } }), "Allow");
      assert.equal(
        withCondition({ "ForAnyValue:StringEquals": { "aws:TagKeys": ["team"] } }),
        "ImplicitDeny",
      );
      assert.equal(withCondition({ "ForAnyValue:StringLike": { "aws:TagKeys": ["c*"] } }, tags), "Allow");
    });
  });

  describe("evaluation", () => {
    const identity: PolicyDocument = allow();
    const denyAll: PolicyDocument = {
      Statement: { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" },
    };

    it("an explicit deny anywhere wins over any allow", () => {
      assert.equal(
        evaluatePolicy(
          { Statement: [...(allow().Statement as Statement[]), denyAll.Statement as Statement] },
          request(),
        ),
        "ExplicitDeny",
      );
      assert.equal(evaluate(request(), { identity: [identity], resource: denyAll }), "ExplicitDeny");
      const identityDeny: PolicyDocument = { Statement: { Effect: "Deny", Action: "s3:*", Resource: "*" } };
      assert.equal(evaluate(request(), { identity: [identity, identityDeny] }), "ExplicitDeny");
    });

    it("refuses a policy AWS would refuse as malformed, instead of deciding on it", () => {
      const malformed: [string, PolicyDocument, "identity" | "resource"][] = [
        [
          "no Principal in a resource policy",
          { Statement: { Effect: "Allow", Action: "s3:*", Resource: "*" } },
          "resource",
        ],
        ["a Principal in an identity policy", denyAll, "identity"],
        [
          "Effect in the wrong case",
          { Statement: { Effect: "allow" as never, Action: "s3:*", Resource: "*" } },
          "identity",
        ],
        ["neither Action nor NotAction", { Statement: { Effect: "Allow", Resource: "*" } }, "identity"],
        [
          "Principal with NotPrincipal",
          {
            Statement: {
              Effect: "Allow",
              Principal: "*",
              NotPrincipal: { AWS: ROLE },
              Action: "s3:*",
              Resource: "*",
            },
          },
          "resource",
        ],
      ];
      for (const [why, policy, kind] of malformed) {
        assert.throws(
          () => evaluate(request(), kind === "identity" ? { identity: [policy] } : { resource: policy }),
          /malformed (identity|resource) policy/,
          why,
        );
      }
    });

    it("cross-account: the caller's identity policy and the resource's policy must both allow", () => {
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
      const queue = "arn:aws:sqs:eu-west-1:999999999999:their-queue";
      const fromOurRole = { ...request(), action: "sqs:SendMessage", resource: queue };
      const ourGrant: PolicyDocument = { Statement: { Effect: "Allow", Action: "sqs:*", Resource: "*" } };
      const theirGrant: PolicyDocument = {
        Statement: { Effect: "Allow", Principal: { AWS: ROLE }, Action: "sqs:SendMessage", Resource: queue },
      };
      assert.equal(evaluate(fromOurRole, { identity: [ourGrant] }), "ImplicitDeny", "identity alone");
      assert.equal(evaluate(fromOurRole, { resource: theirGrant }), "ImplicitDeny", "resource alone");
      assert.equal(evaluate(fromOurRole, { identity: [ourGrant], resource: theirGrant }), "Allow");
      // S3 ARNs carry no account: it is given.
      const object = "arn:aws:s3:::their-bucket/key";
      const put = { ...request(), action: "s3:PutObject", resource: object };
      const s3Grant: PolicyDocument = {
        Statement: { Effect: "Allow", Action: "s3:PutObject", Resource: "*" },
      };
      assert.equal(evaluate(put, { identity: [s3Grant] }), "Allow", "no account known: same account");
      assert.equal(evaluate(put, { identity: [s3Grant], resourceAccount: "999999999999" }), "ImplicitDeny");
    });

    it("same account, other resources: the identity policy or the resource policy suffices", () => {
      assert.equal(evaluate(request(), { identity: [identity] }), "Allow");
      assert.equal(evaluate(request(), { resource: allow({ Principal: { AWS: ROLE } }) }), "Allow");
      assert.equal(evaluate(request(), { identity: [] }), "ImplicitDeny");
      // Naming the account in a resource policy delegates to IAM: it grants nothing alone.
      assert.equal(
        evaluate(request(), { resource: allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` } }) }),
        "ImplicitDeny",
      );
    });

    it("policies may be JSON strings, as the provider receives them", () => {
      assert.equal(evaluate(request(), { identity: [JSON.stringify(identity)] }), "Allow");
    });

    describe("KMS", () => {
      const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/k`;
      const kmsRequest = request({ action: "kms:Decrypt", resource: KEY });
      const useKey: PolicyDocument = { Statement: { Effect: "Allow", Action: "kms:Decrypt", Resource: KEY } };
      const rootOnly: PolicyDocument = {
        Statement: {
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: "kms:*",
          Resource: "*",
        },
      };

      it("the key policy must allow: an identity grant alone is not enough", () => {
        const noAccount: PolicyDocument = {
          Statement: {
            Effect: "Allow",
            Principal: { Service: "logs.eu-west-1.amazonaws.com" },
            Action: "kms:*",
            Resource: "*",
          },
        };
        assert.equal(
          evaluate(kmsRequest, { identity: [useKey], resource: noAccount, resourceKind: "kms" }),
          "ImplicitDeny",
        );
      });

      it("a key policy that names the account root lets IAM policies grant, and only them", () => {
        assert.equal(
          evaluate(kmsRequest, { identity: [useKey], resource: rootOnly, resourceKind: "kms" }),
          "Allow",
        );
        assert.equal(
          evaluate(kmsRequest, { identity: [], resource: rootOnly, resourceKind: "kms" }),
          "ImplicitDeny",
        );
      });

      it("a key policy that names the principal allows without an identity policy", () => {
        const direct: PolicyDocument = {
          Statement: { Effect: "Allow", Principal: { AWS: ROLE }, Action: "kms:Decrypt", Resource: "*" },
        };
        assert.equal(evaluate(kmsRequest, { resource: direct, resourceKind: "kms" }), "Allow");
      });

      it("a KMS evaluation without the key policy is a test mistake", () => {
        assert.throws(() => evaluate(kmsRequest, { identity: [useKey], resourceKind: "kms" }), /key policy/);
      });
    });
  });
});
