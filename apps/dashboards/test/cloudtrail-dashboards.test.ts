import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cloudTrailMappings, DATE_FIELDS, KEYWORD_FIELDS } from "../../cloudtrail-indexer/src/bootstrap";
import { DEFAULT_INDEX_PREFIX } from "../../cloudtrail-indexer/src/bulk";
import { luceneFields, parseSavedObjects } from "../src/validate";

/**
 * Both CloudTrail dashboards (Grafana, OpenSearch Dashboards) against the
 * indexer's own index template: a field they aggregate or filter on must be a
 * keyword (dates for time axes), so renaming or unmapping a field in the
 * template fails here instead of silently emptying a panel.
 */

interface OpenSearchTarget {
  readonly refId: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly queryType?: string;
  readonly query?: string;
  readonly timeField?: string;
  readonly metrics?: readonly { readonly type: string; readonly field?: string }[];
  readonly bucketAggs?: readonly { readonly type: string; readonly field?: string }[];
}

interface GrafanaPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: OpenSearchTarget["datasource"];
  readonly targets?: readonly OpenSearchTarget[];
}

interface GrafanaDashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly panels: readonly GrafanaPanel[];
}

interface SavedObject {
  readonly type: string;
  readonly id: string;
  readonly attributes: Record<string, unknown>;
  readonly references: readonly { readonly name: string; readonly type: string; readonly id: string }[];
}

interface VisAgg {
  readonly type: string;
  readonly schema: string;
  readonly params: { readonly field?: string };
}

const DIR = join(__dirname, "..");
const grafana = JSON.parse(readFileSync(join(DIR, "cloudtrail.json"), "utf8")) as GrafanaDashboard;
const savedObjectsFile = join(DIR, "opensearch", "cloudtrail-saved-objects.ndjson");
// The test's narrower view of the same objects: it reads fields validate.ts does not type.
const savedObjects = parseSavedObjects(
  readFileSync(savedObjectsFile, "utf8"),
  savedObjectsFile,
) as unknown as SavedObject[];
const visualizations = savedObjects.filter((o) => o.type === "visualization");

/** The mapping type of a dotted field in the template (undefined when unmapped). */
function mappedType(field: string): string | undefined {
  let node: unknown = cloudTrailMappings();
  for (const part of field.split(".")) {
    node = (node as { properties?: Record<string, unknown> }).properties?.[part];
    if (node === undefined) return undefined;
  }
  return (node as { type?: string }).type;
}

function assertKeyword(field: string | undefined, where: string): void {
  assert.ok(field !== undefined && field !== "", `${where}: aggregation without a field`);
  assert.ok(
    (KEYWORD_FIELDS as readonly string[]).includes(field),
    `${where}: ${field} is not a keyword field of the index template`,
  );
  assert.equal(mappedType(field), "keyword", `${where}: ${field} mapping`);
}

function assertDate(field: string | undefined, where: string): void {
  assert.ok(
    (DATE_FIELDS as readonly string[]).includes(field ?? ""),
    `${where}: ${field} is not a date field`,
  );
  assert.equal(mappedType(field ?? ""), "date", `${where}: ${field} mapping`);
}

/** The terms fields of the Grafana panels, one list per panel. */
function grafanaTermsFields(): string[] {
  return grafana.panels.flatMap((p) =>
    (p.targets ?? []).flatMap((t) =>
      (t.bucketAggs ?? []).filter((b) => b.type === "terms").map((b) => b.field ?? ""),
    ),
  );
}

function visState(object: SavedObject): { type: string; aggs: VisAgg[] } {
  return JSON.parse(object.attributes.visState as string) as { type: string; aggs: VisAgg[] };
}

function searchSource(object: SavedObject): {
  query: { query: string; language: string };
  indexRefName?: string;
} {
  const meta = object.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string };
  return JSON.parse(meta.searchSourceJSON) as {
    query: { query: string; language: string };
    indexRefName?: string;
  };
}

describe("apps/dashboards CloudTrail dashboards", () => {
  it("helper: finds the fields of Lucene queries", () => {
    assert.deepEqual(luceneFields("_exists_:errorCode"), ["errorCode"]);
    assert.deepEqual(luceneFields("eventName:ConsoleLogin AND (userIdentity.type:Root)"), [
      "eventName",
      "userIdentity.type",
    ]);
    assert.deepEqual(luceneFields("*"), []);
  });

  describe("Grafana (cloudtrail.json)", () => {
    it("identifies itself", () => {
      assert.equal(grafana.uid, "cloudtrail");
      assert.ok(grafana.title.trim() !== "");
      assert.equal(grafana.schemaVersion, 39);
    });

    it("has unique panel ids and unique refIds within each panel", () => {
      const ids = grafana.panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, `duplicate panel ids: ${ids.join(", ")}`);
      for (const panel of grafana.panels) {
        const refIds = (panel.targets ?? []).map((t) => t.refId);
        assert.equal(new Set(refIds).size, refIds.length, `panel ${panel.id}`);
      }
    });

    it("queries the OpenSearch data source 'opensearch-cloudtrail' with a non-empty Lucene query in every panel", () => {
      assert.ok(grafana.panels.length > 0);
      for (const panel of grafana.panels) {
        const where = `panel ${panel.id} (${panel.title})`;
        assert.deepEqual(
          panel.datasource,
          { type: "grafana-opensearch-datasource", uid: "opensearch-cloudtrail" },
          where,
        );
        assert.ok((panel.targets ?? []).length > 0, `${where}: no targets`);
        for (const target of panel.targets ?? []) {
          assert.deepEqual(target.datasource, panel.datasource, where);
          assert.equal(target.queryType, "lucene", where);
          assert.ok(typeof target.query === "string" && target.query.trim() !== "", `${where}: empty query`);
        }
      }
    });

    it("references only keyword fields (and date fields for time) of the index template", () => {
      for (const panel of grafana.panels) {
        for (const target of panel.targets ?? []) {
          const where = `panel ${panel.id} (${panel.title})`;
          assertDate(target.timeField, where);
          for (const field of luceneFields(target.query ?? "")) assertKeyword(field, `${where} query`);
          for (const metric of target.metrics ?? []) {
            if (metric.type !== "count") assertKeyword(metric.field, where);
          }
          for (const agg of target.bucketAggs ?? []) {
            if (agg.type === "date_histogram") assertDate(agg.field, where);
            else assertKeyword(agg.field, where);
          }
        }
      }
    });

    it("has the source design's views: counts per eventName and userAgent, errors, principals", () => {
      const fields = grafanaTermsFields();
      for (const field of ["eventName", "userAgent", "errorCode", "userIdentity.arn"]) {
        assert.ok(fields.includes(field), `no panel aggregates ${field}`);
      }
    });
  });

  describe("OpenSearch Dashboards (cloudtrail-saved-objects.ndjson)", () => {
    it("has unique ids and an index pattern over the indexer's indices", () => {
      const ids = savedObjects.map((o) => `${o.type}:${o.id}`);
      assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids.join(", ")}`);
      const patterns = savedObjects.filter((o) => o.type === "index-pattern");
      assert.equal(patterns.length, 1);
      assert.deepEqual(patterns[0]?.attributes, {
        title: `${DEFAULT_INDEX_PREFIX}-*`,
        timeFieldName: "@timestamp",
      });
    });

    it("gives every visualization a non-empty query on the index pattern", () => {
      const pattern = savedObjects.find((o) => o.type === "index-pattern");
      assert.ok(visualizations.length > 0);
      for (const vis of visualizations) {
        const source = searchSource(vis);
        assert.ok(source.query.query.trim() !== "", `${vis.id}: empty query`);
        assert.equal(source.query.language, "lucene", vis.id);
        const ref = vis.references.find((r) => r.name === source.indexRefName);
        assert.deepEqual(
          ref && { type: ref.type, id: ref.id },
          { type: "index-pattern", id: pattern?.id },
          vis.id,
        );
      }
    });

    it("aggregates only keyword fields (and date fields for time) of the index template", () => {
      for (const vis of visualizations) {
        const state = visState(vis);
        assert.equal(state.aggs.filter((a) => a.schema === "metric").length, 1, vis.id);
        for (const field of luceneFields(searchSource(vis).query.query))
          assertKeyword(field, `${vis.id} query`);
        for (const agg of state.aggs) {
          if (agg.type === "count") continue;
          if (agg.type === "date_histogram") assertDate(agg.params.field, vis.id);
          else assertKeyword(agg.params.field, vis.id);
        }
      }
    });

    it("has a dashboard showing every visualization", () => {
      const dashboards = savedObjects.filter((o) => o.type === "dashboard");
      assert.equal(dashboards.length, 1);
      const dashboard = dashboards[0] as SavedObject;
      const panels = JSON.parse(dashboard.attributes.panelsJSON as string) as { panelRefName: string }[];
      const referenced = panels.map((p) => dashboard.references.find((r) => r.name === p.panelRefName)?.id);
      assert.deepEqual(referenced.sort(), visualizations.map((v) => v.id).sort());
    });

    it("shows the same views as the Grafana dashboard", () => {
      const grafanaViews = grafana.panels.flatMap((p) =>
        (p.targets ?? []).map(
          (t) => `${t.query ?? ""} → ${t.bucketAggs?.find((b) => b.type === "terms")?.field ?? ""}`,
        ),
      );
      const osdViews = visualizations.map(
        (v) =>
          `${searchSource(v).query.query} → ${visState(v).aggs.find((a) => a.type === "terms")?.params.field ?? ""}`,
      );
      assert.deepEqual(osdViews.sort(), grafanaViews.sort());
    });
  });
});
