import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

import type { RawConfig, RawValue } from "../settings";
import { parseSettings, readStackConfig } from "../settings";
import { ARCHIVE_PREFIXES } from "../../components/log-archive/lifecycle";
import { ENVIRONMENT_DEFAULTS } from "../settings-schema";
import { selfSignedCertificate } from "../../test/lib/test-certificate";

const plain = (value: unknown): RawValue => ({
  value: typeof value === "string" ? value : JSON.stringify(value),
  secret: false,
});
const secret = (value: unknown): RawValue => ({ ...plain(value), secret: true });

const ENDPOINT = selfSignedCertificate(["logs.example.com"]);
const PROD_SECRETS: Record<string, RawValue> = {
  alertEmails: secret(["oncall@example.com"]),
  receiverTlsCertificate: secret(ENDPOINT.certificatePem),
  receiverTlsPrivateKey: secret(ENDPOINT.privateKeyPem),
  ingestTokens: secret([{ name: "office", token: "t".repeat(40) }]),
};
/** The endpoint's name, which prod (and any imported certificate) needs. */
const PROD_ENDPOINT = {
  receiver: plain({ domainName: "logs.example.com", hostedZoneId: "Z0123456789EXAMPLE" }),
};

function config(entries: Record<string, RawValue>): RawConfig {
  return new Map(Object.entries(entries));
}

function problemsOf(entries: Record<string, RawValue>, stack = "dev"): string[] {
  const result = parseSettings(config(entries), stack);
  assert.equal(result.ok, false, "expected the config to be rejected");
  return result.ok ? [] : result.problems;
}

describe("settings (pure)", () => {
  it("dev: the environment alone is enough; every other key takes the dev default", () => {
    const result = parseSettings(config({ environment: plain("dev") }), "dev");
    assert.ok(result.ok);
    assert.equal(result.plain.namePrefix, "lp-dev");
    assert.equal(result.plain.retainData, false);
    assert.deepEqual(result.plain.receiver, ENVIRONMENT_DEFAULTS.dev.receiver);
    assert.deepEqual(result.secrets, {});
  });

  it("prod: a domain name outside Route 53 needs no hosted zone (the agents' CNAME is the operator's)", () => {
    const result = parseSettings(
      config({
        environment: plain("prod"),
        ...PROD_SECRETS,
        receiver: plain({ domainName: "logs.example.com" }),
      }),
      "prod",
    );
    assert.ok(result.ok, result.ok ? "" : result.problems.join("\n"));
    assert.equal(result.plain.receiver.domainName, "logs.example.com");
    assert.equal(result.plain.receiver.hostedZoneId, undefined);
    const problems = problemsOf({
      environment: plain("dev"),
      receiver: plain({ hostedZoneId: "Z0EXAMPLE" }),
    });
    assert.ok(
      problems.some(
        (p) => p.includes("receiver.hostedZoneId") && p.includes("hostedZoneId needs domainName"),
      ),
      problems.join("\n"),
    );
  });

  it("prod: defaults are HA (2..8 tasks, NAT per AZ, retained data) once the required secrets are set", () => {
    const result = parseSettings(
      config({ environment: plain("prod"), ...PROD_ENDPOINT, ...PROD_SECRETS }),
      "prod",
    );
    assert.ok(result.ok);
    assert.equal(result.plain.receiver.minTasks, 2);
    assert.equal(result.plain.receiver.maxTasks, 8);
    assert.equal(result.plain.network.natGateways, "OnePerAz");
    assert.equal(result.plain.retainData, true);
    assert.deepEqual(result.secrets.alertEmails, ["oncall@example.com"]);
  });

  it("merges a partial object over the defaults, deeply", () => {
    const result = parseSettings(
      config({ environment: plain("dev"), observability: plain({ openSearch: { instanceCount: 2 } }) }),
      "dev",
    );
    assert.ok(result.ok);
    assert.equal(result.plain.observability.openSearch.instanceCount, 2);
    assert.equal(result.plain.observability.openSearch.instanceType, "t3.small.search");
  });

  it("the defaults give every archive prefix a lifecycle rule, in both environments", () => {
    for (const environment of ["dev", "prod"] as const) {
      const prefixes = ENVIRONMENT_DEFAULTS[environment].archive.lifecycle.map((rule) => rule.prefix).sort();
      assert.deepEqual(prefixes, Object.values(ARCHIVE_PREFIXES).sort(), environment);
    }
  });

  it("refused documents of every indexer are kept at least as long as CloudTrail's; the preview not longer than raw/", () => {
    for (const environment of ["dev", "prod"] as const) {
      const days = (prefix: string) =>
        ENVIRONMENT_DEFAULTS[environment].archive.lifecycle.find((rule) => rule.prefix === prefix)!
          .expireAfterDays;
      const cloudTrail = days(ARCHIVE_PREFIXES.cloudTrailFailed);
      for (const prefix of [
        ARCHIVE_PREFIXES.logsFailed,
        ARCHIVE_PREFIXES.flowLogsFailed,
        ARCHIVE_PREFIXES.findingsFailed,
      ]) {
        assert.ok(days(prefix) >= cloudTrail, `${environment}: ${prefix} ${days(prefix)} < ${cloudTrail}`);
      }
      assert.ok(days(ARCHIVE_PREFIXES.openSearchPreview) <= days(ARCHIVE_PREFIXES.raw), environment);
    }
  });

  it("names the missing environment and the command that sets it", () => {
    assert.deepEqual(problemsOf({}, "prod"), [
      "log-platform:environment is missing\n      fix: pulumi config set environment prod",
    ]);
  });

  it("lists every problem at once, each with its fix", () => {
    const problems = problemsOf({
      environment: plain("dev"),
      logRetentionDays: plain(13),
      receiver: plain({ minTasks: 3, maxTasks: 2, allowedCidrs: ["10.0.0.0"] }),
      namePrefx: plain("oops"),
    });
    assert.equal(problems.length, 4, problems.join("\n"));
    assert.ok(
      problems.some((p) =>
        p.startsWith('log-platform:namePrefx is not a setting of this project. Did you mean "namePrefix"?'),
      ),
    );
    assert.ok(
      problems.some(
        (p) =>
          p.startsWith("log-platform:logRetentionDays: must be one of 1, 3, 5, 7, 14") &&
          p.includes("(got 13)") &&
          p.endsWith("fix: pulumi config set logRetentionDays 14"),
      ),
      problems.join("\n"),
    );
    assert.ok(
      problems.some(
        (p) =>
          p.startsWith("log-platform:receiver.allowedCidrs[0]: must be an IPv4 CIDR block") &&
          p.includes("fix: pulumi config set --path 'receiver.allowedCidrs[0]' 0.0.0.0/0"),
      ),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) =>
        p.startsWith("log-platform:receiver.maxTasks: maxTasks must be at least minTasks (got 2)"),
      ),
      problems.join("\n"),
    );
  });

  it("an imported certificate needs receiver.domainName, which it must cover (dev too)", () => {
    const withCertificate = { environment: plain("dev"), ...PROD_SECRETS };
    assert.deepEqual(
      problemsOf(withCertificate).map((p) => p.split(":").slice(0, 2).join(":")),
      ["log-platform:receiver.domainName is required with receiverTlsCertificate"],
    );
    const elsewhere = plain({ domainName: "intake.example.org", hostedZoneId: "Z0EXAMPLE" });
    assert.deepEqual(problemsOf({ ...withCertificate, receiver: elsewhere }), [
      "log-platform:receiverTlsCertificate does not cover receiver.domainName intake.example.org: the certificate covers logs.example.com, not intake.example.org (a wildcard stands for exactly one label). Fluent Bit and log-sender would refuse the connection.\n      fix: pulumi config set --path receiver.domainName <a name it covers>, or pulumi config set --secret receiverTlsCertificate < fullchain.pem with a certificate for intake.example.org",
    ]);
    assert.ok(parseSettings(config({ ...withCertificate, ...PROD_ENDPOINT }), "dev").ok);
    // Without a certificate dev needs no name (the self-signed one names the NLB).
    assert.ok(parseSettings(config({ environment: plain("dev") }), "dev").ok);
  });

  it("prod: lists each missing required secret with its --secret command", () => {
    const problems = problemsOf({ environment: plain("prod") }, "prod");
    assert.deepEqual(
      problems.map((p) => p.split("\n")[0]),
      [
        "log-platform:alertEmails is required in prod.",
        "log-platform:receiverTlsCertificate is required in prod.",
        "log-platform:receiverTlsPrivateKey is required in prod.",
        "log-platform:ingestTokens is required in prod.",
        "log-platform:receiver.domainName is required in prod: agents are given this name and verify the endpoint's certificate against it, and no certificate can name the load balancer's *.elb.amazonaws.com name.",
      ],
    );
    assert.ok(problems[0]!.includes(`fix: pulumi config set --secret alertEmails '["ops@example.com"]'`));
  });

  it("refuses a secret stored in clear text, and never echoes secret values", () => {
    const problems = problemsOf({
      environment: plain("dev"),
      alertEmails: plain(["not-an-address"]),
    });
    assert.ok(
      problems.some((p) =>
        p.startsWith("log-platform:alertEmails is stored in clear text; it must be a secret."),
      ),
    );
    const invalid = problems.find((p) => p.startsWith("log-platform:alertEmails[0]:"));
    assert.ok(invalid !== undefined, problems.join("\n"));
    assert.ok(invalid.includes("must be an e-mail address"));
    assert.ok(!problems.join("\n").includes("not-an-address"), "secret value leaked into the error");
  });

  it("requires the TLS certificate and key together and validates their PEM shape", () => {
    const problems = problemsOf({ environment: plain("dev"), receiverTlsCertificate: secret("not a pem") });
    assert.ok(problems.some((p) => p.startsWith("log-platform:receiverTlsCertificate: must be a PEM block")));
    assert.ok(
      problems.some((p) =>
        p.startsWith("log-platform:receiverTlsCertificate and receiverTlsPrivateKey must be set together"),
      ),
    );
  });

  it("Grafana is off in both environments until turned on, and then needs an identity source", () => {
    // An AMG workspace fails to create without IAM Identity Center (AWS_SSO) or a
    // SAML IdP, so turning it on is the operator's explicit step.
    assert.equal(ENVIRONMENT_DEFAULTS.dev.observability.grafana.enabled, false);
    assert.equal(ENVIRONMENT_DEFAULTS.prod.observability.grafana.enabled, false);
    const problems = problemsOf({
      environment: plain("dev"),
      observability: plain({ grafana: { enabled: true, authenticationProviders: [] } }),
    });
    assert.ok(
      problems.some(
        (p) => p.includes("observability.grafana.authenticationProviders") && p.includes("identity source"),
      ),
      problems.join("\n"),
    );
  });

  describe("costExport", () => {
    it("off in dev, on in prod (daily, per resource); merged over the defaults", () => {
      assert.deepEqual(ENVIRONMENT_DEFAULTS.dev.costExport, {
        enabled: false,
        timeGranularity: "DAILY",
        includeResources: true,
        expireAfterDays: 30,
      });
      assert.deepEqual(ENVIRONMENT_DEFAULTS.prod.costExport, {
        enabled: true,
        timeGranularity: "DAILY",
        includeResources: true,
        expireAfterDays: 1096,
      });
      const result = parseSettings(
        config({
          environment: plain("dev"),
          costExport: plain({ enabled: true, timeGranularity: "HOURLY" }),
        }),
        "dev",
      );
      assert.ok(result.ok);
      assert.deepEqual(result.plain.costExport, {
        enabled: true,
        timeGranularity: "HOURLY",
        includeResources: true,
        expireAfterDays: 30,
      });
    });

    it("lists every invalid value with the setting's path", () => {
      const problems = problemsOf({
        environment: plain("dev"),
        costExport: plain({
          enabled: "yes",
          timeGranularity: "WEEKLY",
          expireAfterDays: 0,
          includeResource: true,
        }),
      });
      for (const path of ["costExport.enabled", "costExport.timeGranularity", "costExport.expireAfterDays"]) {
        assert.ok(
          problems.some((p) => p.includes(path)),
          `${path} missing in: ${problems.join("; ")}`,
        );
      }
      assert.ok(
        problems.some((p) => p.includes("includeResource")),
        `unknown key missing in: ${problems.join("; ")}`,
      );
    });
  });

  it("rejects ingest tokens that are short or share a name", () => {
    const problems = problemsOf({
      environment: plain("dev"),
      ingestTokens: secret([
        { name: "a", token: "short" },
        { name: "a", token: "x".repeat(40) },
      ]),
    });
    assert.ok(problems.some((p) => p.includes("tokens must be at least 32 characters")));
    assert.ok(problems.some((p) => p.includes("token names must be unique")));
  });

  it("reports structured values that are not valid JSON", () => {
    const problems = problemsOf({
      environment: plain("dev"),
      receiver: { value: "{not json", secret: false },
    });
    assert.ok(problems.includes("log-platform:receiver is not valid JSON/YAML structured data."));
  });

  describe("search", () => {
    it("defaults: every part on, dev 14/14/14/30 and prod 90/90/90/365 days, GuardDuty and Security Hub existing", () => {
      const retention = (environment: "dev" | "prod") => {
        const s = ENVIRONMENT_DEFAULTS[environment].search;
        return [
          s.logs.retentionDays,
          s.logs.accessRetentionDays,
          s.flowLogs.retentionDays,
          s.findings.retentionDays,
        ];
      };
      assert.deepEqual(retention("dev"), [14, 14, 14, 30]);
      assert.deepEqual(retention("prod"), [90, 90, 90, 365]);
      for (const environment of ["dev", "prod"] as const) {
        const s = ENVIRONMENT_DEFAULTS[environment].search;
        assert.deepEqual(
          [
            s.logs.enabled,
            s.flowLogs.enabled,
            s.findings.enabled,
            s.findings.guardDuty,
            s.findings.securityHub,
          ],
          [true, true, true, "existing", "existing"],
          environment,
        );
        assert.equal(s.findings.alertSeverity, "HIGH");
        // The log indexer reads the same stream as the transformer, with the same batching.
        assert.equal(s.logs.batchSize, ENVIRONMENT_DEFAULTS[environment].accessLogs.batchSize);
      }
    });

    it("merges a partial search object over the defaults, deeply", () => {
      const result = parseSettings(
        config({
          environment: plain("prod"),
          ...PROD_SECRETS,
          ...PROD_ENDPOINT,
          search: plain({ findings: { guardDuty: "create" } }),
        }),
        "prod",
      );
      assert.ok(result.ok, result.ok ? "" : result.problems.join("; "));
      assert.equal(result.plain.search.findings.guardDuty, "create");
      assert.equal(result.plain.search.findings.securityHub, "existing");
      assert.equal(result.plain.search.logs.retentionDays, 90);
    });

    it("rejects unknown keys, bad modes and out-of-range values with the setting's path", () => {
      const problems = problemsOf({
        environment: plain("dev"),
        search: plain({
          logs: { retentionDays: 0, batchSiz: 10 },
          findings: { guardDuty: "maybe", alertSeverity: "INFORMATIONAL" },
        }),
      });
      for (const path of [
        "search.logs.retentionDays",
        "search.findings.guardDuty",
        "search.findings.alertSeverity",
      ]) {
        assert.ok(
          problems.some((p) => p.includes(path)),
          `${path} missing in: ${problems.join("; ")}`,
        );
      }
      assert.ok(
        problems.some((p) => p.includes("batchSiz")),
        `unknown key missing in: ${problems.join("; ")}`,
      );
    });
  });

  describe("tracing", () => {
    it("defaults: on in both, every trace in dev, 1 % in prod", () => {
      const dev = parseSettings(config({ environment: plain("dev") }), "dev", "eu-west-1");
      assert.ok(dev.ok, dev.ok ? "" : dev.problems.join("; "));
      assert.deepEqual(dev.plain.tracing, { enabled: true, sampleRatio: 1 });
      const prod = parseSettings(
        config({ environment: plain("prod"), ...PROD_SECRETS, ...PROD_ENDPOINT }),
        "prod",
        "eu-west-1",
      );
      assert.ok(prod.ok, prod.ok ? "" : prod.problems.join("; "));
      assert.deepEqual(prod.plain.tracing, { enabled: true, sampleRatio: 0.01 });
    });

    it("merges a partial tracing object over the defaults", () => {
      const result = parseSettings(
        config({ environment: plain("dev"), tracing: plain({ sampleRatio: 0.2 }) }),
        "dev",
      );
      assert.ok(result.ok, result.ok ? "" : result.problems.join("; "));
      assert.deepEqual(result.plain.tracing, { enabled: true, sampleRatio: 0.2 });
    });

    it("lists a ratio outside 0..1 and a misspelled key along with the other problems", () => {
      const problems = problemsOf({
        environment: plain("dev"),
        tracing: plain({ sampleRatio: 1.5, enable: false }),
        logRetentionDays: plain(13),
      });
      assert.ok(
        problems.some((p) =>
          /^log-platform:tracing\.sampleRatio: must be a share from 0 to 1 \(1 keeps every trace\) \(got 1\.5\)\n\s+fix: pulumi config set --path 'tracing\.sampleRatio' 1$/.test(
            p,
          ),
        ),
        problems.join("\n"),
      );
      assert.ok(
        problems.some((p) => p.includes("enable")),
        problems.join("\n"),
      );
      assert.ok(
        problems.some((p) => p.startsWith("log-platform:logRetentionDays")),
        problems.join("\n"),
      );
      assert.ok(
        problemsOf({ environment: plain("dev"), tracing: plain({ sampleRatio: -0.1 }) }).some((p) =>
          p.includes("tracing.sampleRatio: must be a share from 0 to 1 (0.05 keeps 5 % of the traces)"),
        ),
      );
    });

    it("refuses tracing in a region without the ADOT Lambda layer, and says how to turn it off", () => {
      const problems = parseSettings(config({ environment: plain("dev") }), "dev", "il-central-1");
      assert.equal(problems.ok, false);
      assert.deepEqual(problems.ok ? [] : problems.problems.map((p) => p.split("\n")[1]?.trim()), [
        "fix: pulumi config set --path tracing.enabled false",
      ]);
      assert.match(problems.ok ? "" : problems.problems[0]!, /not published in il-central-1/);
      const off = parseSettings(
        config({ environment: plain("dev"), tracing: plain({ enabled: false }) }),
        "dev",
        "il-central-1",
      );
      assert.ok(off.ok, "without tracing the region does not matter");
    });
  });
});

describe("readStackConfig (the running stack's config)", () => {
  let saved: Record<string, string>;
  before(() => {
    saved = pulumi.runtime.allConfig();
    // As the language host hands config to a program: full keys, and which of them were stored with --secret.
    pulumi.runtime.setAllConfig(
      {
        "log-platform:environment": "dev",
        "log-platform:namePrefx": "typo",
        "log-platform:alertEmails": '["ops@example.com"]',
        "log-platform:ingestTokens": '[{"name":"office","token":"t"}]',
        "aws:region": "eu-west-1",
      },
      ["log-platform:ingestTokens"],
    );
  });
  after(() => pulumi.runtime.setAllConfig(saved, []));

  it("reads every key of the project (misspelled ones too), with whether it is stored encrypted", () => {
    assert.deepEqual(
      Object.fromEntries(readStackConfig()),
      {
        environment: { value: "dev", secret: false },
        namePrefx: { value: "typo", secret: false },
        alertEmails: { value: '["ops@example.com"]', secret: false },
        ingestTokens: { value: '[{"name":"office","token":"t"}]', secret: true },
      },
      "other namespaces (aws:) are not this project's settings",
    );
  });

  it("so a secret set without --secret is refused along with every other problem", () => {
    const result = parseSettings(readStackConfig(), "dev");
    assert.ok(!result.ok);
    const firstLines = result.problems.map((p) => p.split("\n")[0] ?? "");
    assert.ok(firstLines.includes("log-platform:alertEmails is stored in clear text; it must be a secret."));
    assert.ok(
      firstLines.some((l) => l.startsWith("log-platform:namePrefx is not a setting of this project.")),
    );
    assert.ok(firstLines.some((l) => l.includes("tokens must be at least 32 characters")));
    assert.ok(!firstLines.some((l) => l.startsWith("log-platform:ingestTokens is stored in clear text")));
  });
});
