import * as assert from "node:assert/strict";

import * as fc from "fast-check";

import { tagFilter, tagKeyValue } from "..";

describe("budget tag filters", () => {
  // https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Budget.html (CostFilters)
  it("writes a user-defined cost allocation tag as user:<key>$<value>", () => {
    assert.equal(tagKeyValue("Environment", "dev"), "user:Environment$dev");
  });

  it("filters on one tag with the TagKeyValue cost filter", () => {
    assert.deepEqual(tagFilter({ Environment: "prod" }), {
      costFilters: [{ name: "TagKeyValue", values: ["user:Environment$prod"] }],
    });
  });

  it("ANDs several tags in a filter expression (TagKeyValue values would be OR-ed)", () => {
    assert.deepEqual(tagFilter({ Project: "log-platform", Environment: "dev" }), {
      filterExpression: {
        ands: [
          { tags: { key: "Environment", values: ["dev"], matchOptions: ["EQUALS"] } },
          { tags: { key: "Project", values: ["log-platform"], matchOptions: ["EQUALS"] } },
        ],
      },
      metrics: "UnblendedCost",
    });
  });

  it("refuses an empty tag set (it would count the whole account)", () => {
    assert.throws(() => tagFilter({}), /at least one tag/);
  });

  it("names every tag once, whatever their order", () => {
    const tags = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== "__proto__"),
      fc.string({ maxLength: 12 }),
      { minKeys: 2, maxKeys: 6 },
    );
    fc.assert(
      fc.property(tags, (t) => {
        const filter = tagFilter(t);
        assert.ok("filterExpression" in filter);
        const ands = filter.filterExpression.ands as { tags: { key: string; values: string[] } }[];
        assert.deepEqual(
          ands.map((a) => [a.tags.key, a.tags.values]).sort(),
          Object.entries(t)
            .map(([k, v]) => [k, [v]])
            .sort(),
        );
        const reversed = Object.fromEntries(Object.entries(t).reverse());
        assert.deepEqual(tagFilter(reversed), filter);
      }),
    );
  });
});
