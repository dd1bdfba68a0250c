import * as assert from "node:assert/strict";

import type { ProgramRun, RecordedResource } from "../../../test/lib/mocks";
import { resourceNamed, runUnderMocks } from "../../../test/lib/mocks";
import { offlineStackConfig } from "../../../test/lib/stack-config";
import { accessLogTableInputs } from "../../access-log-pipeline";
import {
  accessErrorsTableInputs,
  cloudTrailEventsTableInputs,
  LOG_CATALOG_TABLES,
  LogCatalog,
  rawEnvelopesTableInputs,
} from "..";

const TABLE = "aws:glue/catalogTable:CatalogTable";
const NO_CONFIG = { config: {}, secretKeys: [] };

const tablesOf = (resources: readonly RecordedResource[]) => resources.filter((r) => r.type === TABLE);

describe("LogCatalog (mocks)", () => {
  let run: ProgramRun<unknown>;
  before(async () => {
    run = await runUnderMocks("test", NO_CONFIG, () => {
      const catalog = new LogCatalog("cat", { databaseName: "acc_logs", archiveBucketName: "archive" });
      return {
        raw: catalog.rawEnvelopesTableName,
        cloudTrail: catalog.cloudTrailEventsTableName,
        errors: catalog.accessErrorsTableName,
      };
    });
  });

  it("adds the three tables to the given database, children of the component, with the pure inputs", () => {
    const expected = [
      ["cat-raw-envelopes", LOG_CATALOG_TABLES.rawEnvelopes, rawEnvelopesTableInputs("archive", "raw/")],
      [
        "cat-cloudtrail-events",
        LOG_CATALOG_TABLES.cloudTrailEvents,
        cloudTrailEventsTableInputs("archive", "cloudtrail-events/"),
      ],
      [
        "cat-access-errors",
        LOG_CATALOG_TABLES.accessErrors,
        accessErrorsTableInputs("archive", "access-errors/"),
      ],
    ] as const;
    assert.equal(tablesOf(run.resources).length, 3);
    for (const [resource, name, inputs] of expected) {
      const table = resourceNamed(run.resources, TABLE, resource);
      assert.equal(table.parent, "cat");
      assert.equal(table.props.databaseName, "acc_logs");
      assert.equal(table.props.name, name);
      assert.equal(table.props.tableType, "EXTERNAL_TABLE");
      assert.deepEqual(table.props.parameters, inputs.parameters);
      assert.deepEqual(table.props.partitionKeys, inputs.partitionKeys);
      assert.deepEqual(table.props.storageDescriptor, inputs.storageDescriptor);
    }
    assert.deepEqual(run.outputs, {
      raw: "raw_envelopes",
      cloudTrail: "cloudtrail_events",
      errors: "access_errors",
    });
  });

  it("leaves out cloudtrail_events when nothing writes cloudtrail-events/, and honours other prefixes", async () => {
    const other = await runUnderMocks("test", NO_CONFIG, () => {
      new LogCatalog("cat", {
        databaseName: "db",
        archiveBucketName: "b",
        cloudTrailEvents: false,
        prefixes: { raw: "raw2/", accessErrors: "errors2/" },
      });
    });
    assert.deepEqual(
      tablesOf(other.resources)
        .map((t) => (t.inputs.storageDescriptor as { location: string }).location)
        .sort(),
      ["s3://b/errors2/", "s3://b/raw2/"],
    );
  });
});

/** Runs the real program (settings → platform) for a stack. */
function runStack(stack: string) {
  return runUnderMocks(stack, offlineStackConfig(stack), async () => {
    const { buildPlatform } = await import("../../../stacks/platform");
    const { loadSettings } = await import("../../../stacks/settings");
    const settings = loadSettings();
    buildPlatform(settings);
    return { prefix: settings.namePrefix, cloudTrail: settings.cloudTrail.enabled };
  });
}

for (const stack of ["dev", "prod"]) {
  describe(`the archive tables in the ${stack} program (mocks, real Pulumi.${stack}.yaml)`, () => {
    let run: Awaited<ReturnType<typeof runStack>>;
    before(async () => {
      run = await runStack(stack);
    });

    it("puts raw_envelopes, access_errors (and cloudtrail_events with the CloudTrail pipeline) next to the access table", () => {
      const { prefix, cloudTrail } = run.outputs;
      const access = resourceNamed(run.resources, TABLE, `${prefix}-access-logs-table`);
      const bucket = /^s3:\/\/([^/]+)\//.exec(
        (access.props.storageDescriptor as { location: string }).location,
      )![1]!;
      // The access table is still built by the shared builder with unchanged inputs.
      assert.deepEqual(
        access.props.storageDescriptor,
        accessLogTableInputs(bucket, "access/").storageDescriptor,
      );
      assert.deepEqual(access.props.parameters, accessLogTableInputs(bucket, "access/").parameters);
      const names = tablesOf(run.resources)
        .filter((t) => t.parent === `${prefix}-log-catalog`)
        .map((t) => {
          const props = t.inputs as { databaseName: unknown; storageDescriptor: { location: string } };
          assert.equal(props.databaseName, access.props.databaseName);
          assert.ok(props.storageDescriptor.location.startsWith(`s3://${bucket}/`));
          return String(t.inputs.name);
        });
      // Registration order follows the bucket name's resolution: compare as sets.
      assert.deepEqual(names.sort(), [
        "access_errors",
        ...(cloudTrail ? ["cloudtrail_events"] : []),
        "raw_envelopes",
      ]);
    });
  });
}
