import * as assert from "node:assert/strict";

import { archiveLifecycleRules, lifecycleProblems } from "../lifecycle";

describe("archive lifecycle (pure)", () => {
  it("turns one rule per prefix into S3 rules with transitions in order, plus a clean-up rule", () => {
    const rules = archiveLifecycleRules(
      [
        { prefix: "raw/", infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 365 },
        { prefix: "access-errors/", expireAfterDays: 14 },
      ],
      30,
    );
    assert.deepEqual(rules, [
      {
        id: "expire-raw",
        status: "Enabled",
        filter: { prefix: "raw/" },
        expiration: { days: 365 },
        transitions: [
          { days: 30, storageClass: "STANDARD_IA" },
          { days: 90, storageClass: "GLACIER_IR" },
        ],
      },
      {
        id: "expire-access-errors",
        status: "Enabled",
        filter: { prefix: "access-errors/" },
        expiration: { days: 14 },
      },
      {
        id: "cleanup-noncurrent-and-incomplete",
        status: "Enabled",
        filter: {},
        noncurrentVersionExpiration: { noncurrentDays: 30 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        expiration: { expiredObjectDeleteMarker: true },
      },
    ]);
  });

  it("accepts a valid set", () => {
    assert.deepEqual(
      lifecycleProblems([{ prefix: "raw/", infrequentAccessAfterDays: 30, expireAfterDays: 31 }]),
      [],
    );
  });

  it("lists every problem at once", () => {
    const problems = lifecycleProblems([
      { prefix: "Raw", expireAfterDays: 0 },
      { prefix: "a/", infrequentAccessAfterDays: 10, expireAfterDays: 100 },
      { prefix: "b/", infrequentAccessAfterDays: 60, glacierAfterDays: 40, expireAfterDays: 100 },
      { prefix: "b/", expireAfterDays: 5 },
    ]);
    assert.deepEqual(problems, [
      'lifecycle rule for "Raw": prefix must be lowercase letters, digits or hyphens ending in "/"',
      'lifecycle rule for "Raw": days must be whole numbers of at least 1',
      'lifecycle rule for "a/": infrequentAccessAfterDays must be at least 30 (S3 minimum)',
      'lifecycle rule for "b/": infrequentAccessAfterDays < glacierAfterDays < expireAfterDays must hold',
      'lifecycle rule for "b/": prefix appears more than once',
    ]);
  });
});
