import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { runUnderMocks } from "../lib/mocks";
import { offlineStackConfig } from "../lib/stack-config";

/*
 * ObservabilityStack's resources used to be its own children; they are now
 * children of its PrometheusWorkspace, OpenSearchDomain and GrafanaWorkspace.
 * Their URNs changed with their parent, so each must carry an alias to the
 * URN it had, or `pulumi up` on an existing stack would replace the domain,
 * the workspaces and everything else in them.
 */

const PARTS = [
  "log-platform:prometheus:PrometheusWorkspace",
  "log-platform:opensearch:OpenSearchDomain",
  "log-platform:grafana:GrafanaWorkspace",
];

interface Registered {
  readonly urn: string;
  readonly aliases: readonly string[];
}

interface MonitorWithRegister {
  registerResource(request: RegisterRequest, callback: unknown): unknown;
}
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getAliasesList(): {
    getUrn(): string;
    getSpec(): { getName(): string; getType(): string; getParenturn(): string } | undefined;
  }[];
}

/** A URN as the engine makes it: the root stack's type is not part of a qualified type (the mocks put it there). */
function urnOf(stack: string, parentUrn: string, type: string, name: string): string {
  const parentType = parentUrn === "" ? "" : parentUrn.split("::")[2]!.replace(/^pulumi:pulumi:Stack\$?/, "");
  const qualified = parentType === "" || type === "pulumi:pulumi:Stack" ? type : `${parentType}$${type}`;
  return `urn:pulumi:${stack}::log-platform::${qualified}::${name}`;
}

/** Every registered resource's URN and aliases (resolved to URNs), for the stack's real program. */
async function registrations(stack: string, observability: Record<string, unknown>): Promise<Registered[]> {
  const config = offlineStackConfig(stack);
  const key = "log-platform:observability";
  config.config[key] = JSON.stringify({ ...JSON.parse(config.config[key] ?? "{}"), ...observability });
  const registered: Registered[] = [];
  await runUnderMocks(stack, config, async () => {
    const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithRegister;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (request, callback) => {
      const type = request.getType();
      const name = request.getName();
      registered.push({
        urn: urnOf(stack, request.getParent(), type, name),
        aliases: request.getAliasesList().map((alias) => {
          const spec = alias.getSpec();
          if (alias.getUrn() !== "" || spec === undefined) {
            const [, , qualified, aliasName] = alias.getUrn().split("::");
            return urnOf(stack, "", qualified!.replace(/^pulumi:pulumi:Stack\$/, ""), aliasName!);
          }
          return urnOf(stack, spec.getParenturn(), spec.getType() || type, spec.getName() || name);
        }),
      });
      return register(request, callback);
    };
    const { buildPlatform } = await import("../../stacks/platform");
    const { loadSettings } = await import("../../stacks/settings");
    buildPlatform(loadSettings());
  });
  return registered;
}

/** The URN a resource had before the split: its URN without the part's type in the chain. */
function formerUrn(urn: string): string {
  return PARTS.reduce((u, part) => u.replace(`$${part}$`, "$"), urn);
}

describe("the observability split keeps every resource's state (aliases to the former URNs)", () => {
  const runs: Record<string, Registered[]> = {};
  before(async () => {
    runs.dev = await registrations("dev", {});
    // prod with Grafana on, so that all three parts are there.
    runs.prod = await registrations("prod", {
      grafana: { enabled: true, authenticationProviders: ["AWS_SSO"] },
    });
  });

  for (const stack of ["dev", "prod"]) {
    it(`${stack}: every resource of a part has an alias to the URN it had under ObservabilityStack`, () => {
      const moved = runs[stack]!.filter((r) => PARTS.some((part) => r.urn.includes(`$${part}$`)));
      assert.ok(moved.length >= (stack === "prod" ? 50 : 25), `only ${moved.length} moved resources`);
      for (const resource of moved) {
        // Besides the former URN, only the type aliases a provider SDK declares itself (same new parent).
        const [former, ...rest] = [
          ...resource.aliases.filter((a) => a === formerUrn(resource.urn)),
          ...resource.aliases.filter((a) => a !== formerUrn(resource.urn)),
        ];
        assert.equal(former, formerUrn(resource.urn), resource.urn);
        assert.deepEqual(
          rest.filter((a) => !PARTS.some((part) => a.includes(`$${part}$`))),
          [],
          resource.urn,
        );
        assert.match(
          former,
          new RegExp(
            `^urn:pulumi:${stack}::log-platform::log-platform:observability:ObservabilityStack\\$[^$]+::`,
          ),
        );
      }
    });

    it(`${stack}: nothing else is under ObservabilityStack or aliased into it; no former URN is claimed twice`, () => {
      const others = runs[stack]!.filter((r) => !PARTS.some((part) => r.urn.includes(`$${part}$`)));
      const stackType = "log-platform:observability:ObservabilityStack";
      // Only the parts themselves (new, so without aliases) stand directly under the stack now.
      assert.deepEqual(
        others.filter((r) => r.urn.includes(`${stackType}$`)).map((r) => [r.urn.split("::")[2], r.aliases]),
        PARTS.filter((part) => runs[stack]!.some((r) => r.urn.includes(`$${part}::`))).map((part) => [
          `${stackType}$${part}`,
          [],
        ]),
      );
      assert.deepEqual(
        others.filter((r) => r.aliases.some((a) => a.includes(stackType))).map((r) => r.urn),
        [],
      );
      const urns = new Set(runs[stack]!.map((r) => r.urn));
      const aliases = runs[stack]!.flatMap((r) => r.aliases).filter((a) => a.includes(`${stackType}$`));
      assert.equal(new Set(aliases).size, aliases.length);
      assert.deepEqual(
        aliases.filter((a) => urns.has(a)),
        [],
      );
    });
  }

  it("prod: the data stores and the Grafana workspace are among them, by their former URNs", () => {
    const aliases = new Set(runs.prod!.flatMap((r) => r.aliases));
    const under = "urn:pulumi:prod::log-platform::log-platform:observability:ObservabilityStack$";
    for (const former of [
      `${under}aws:opensearch/domain:Domain::lp-prod-obs-domain`,
      `${under}aws:amp/workspace:Workspace::lp-prod-obs-amp`,
      `${under}aws:grafana/workspace:Workspace::lp-prod-obs-grafana`,
      `${under}pulumi:providers:grafana::lp-prod-obs-grafana`,
      `${under}grafana:oss/dataSource:DataSource::lp-prod-obs-datasource-opensearch-cloudtrail`,
    ]) {
      assert.ok(aliases.has(former), former);
    }
  });
});
