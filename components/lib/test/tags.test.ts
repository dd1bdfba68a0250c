import * as assert from "node:assert/strict";

import { COMPONENT_TAG, componentTags, platformTags, PROJECT } from "../tags";

describe("tags", () => {
  it("platform tags: the extra tags, then Project, Environment and ManagedBy, which extra tags cannot replace", () => {
    assert.deepEqual(platformTags("dev", { CostCenter: "c", Project: "other" }), {
      CostCenter: "c",
      Project: PROJECT,
      Environment: "dev",
      ManagedBy: "pulumi",
    });
  });

  it("component tags add the Component tag, replacing one already given", () => {
    assert.equal(COMPONENT_TAG, "Component");
    assert.deepEqual(componentTags({ Project: PROJECT, Component: "x" }, "archive"), {
      Project: PROJECT,
      Component: "archive",
    });
  });
});
