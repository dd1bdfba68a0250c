import * as assert from "node:assert/strict";

import {
  UNKNOWN,
  UnknownValueError,
  containsUnknown,
  isUnknown,
  resolveUnknowns,
  unknownCheckingProxy,
} from "../unknowns";

/** The engine's encoding of an unknown value (the string sentinel @pulumi/policy's proxy checks for). */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("unknown values during a preview", () => {
  it("@pulumi/policy throws UnknownValueError when a policy reads one (what resolveUnknowns relies on)", () => {
    assert.equal(typeof UnknownValueError, "function");
    assert.equal(typeof unknownCheckingProxy, "function");
    const props = unknownCheckingProxy({ known: "x", computed: UNKNOWN_STRING });
    assert.equal(props.known, "x");
    assert.throws(() => props.computed, UnknownValueError);
  });

  it("resolveUnknowns copies proxied props, each unknown (at any depth) replaced by UNKNOWN", () => {
    const props = unknownCheckingProxy({
      policy: UNKNOWN_STRING,
      tags: { Project: "log-platform", Environment: UNKNOWN_STRING },
      rules: [{ bucketKeyEnabled: true, kmsMasterKeyId: UNKNOWN_STRING }, UNKNOWN_STRING],
      retentionInDays: 14,
    });
    assert.deepEqual(resolveUnknowns(props), {
      policy: UNKNOWN,
      tags: { Project: "log-platform", Environment: UNKNOWN },
      rules: [{ bucketKeyEnabled: true, kmsMasterKeyId: UNKNOWN }, UNKNOWN],
      retentionInDays: 14,
    });
  });

  it("leaves known props equal and other errors alone", () => {
    const plain = { a: [1, { b: "c" }], d: null, e: false };
    assert.deepEqual(resolveUnknowns(unknownCheckingProxy(plain)), plain);
    assert.deepEqual(resolveUnknowns(plain), plain);
    const broken = {
      get value(): never {
        throw new Error("not an unknown");
      },
    };
    assert.throws(() => resolveUnknowns(broken), /not an unknown/);
  });

  it("isUnknown and containsUnknown recognise only the marker", () => {
    assert.ok(isUnknown(UNKNOWN));
    assert.ok(
      !isUnknown(UNKNOWN_STRING),
      "the raw sentinel is resolved by resolveUnknowns, not matched later",
    );
    assert.ok(!isUnknown(undefined));
    assert.ok(containsUnknown({ Statement: [{ Resource: ["arn:aws:s3:::b", UNKNOWN] }] }));
    assert.ok(!containsUnknown({ Statement: [{ Resource: ["arn:aws:s3:::b"] }] }));
    assert.equal(`${String(UNKNOWN)}`, "<unknown during preview>");
  });
});
