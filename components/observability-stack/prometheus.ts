import * as fs from "node:fs";
import * as path from "node:path";

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { ampAlertManagerDefinition, renderAlertmanagerConfig } from "../../apps/dashboards/src/alertmanager";
import type { AwsContext } from "../lib/iam";
import { createEncryptedLogGroup } from "../lib/log-group";
import type { Tags } from "../lib/tags";

/** Prometheus rule files, one rule group namespace each (`rules/tests/` holds promtool tests, not rules). */
export const RULES_DIR = path.resolve(__dirname, "../../apps/dashboards/rules");

export interface RuleNamespace {
  /** Namespace name: the file name without `.yml`. */
  readonly name: string;
  /** The file's text, as AMP takes it. */
  readonly data: string;
}

/** Every `*.yml` in `dir`, sorted by name, as a rule group namespace. */
export function readRuleNamespaces(dir: string = RULES_DIR): RuleNamespace[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".yml"))
    .map((entry) => entry.name)
    .sort()
    .map((file) => ({
      name: file.slice(0, -".yml".length),
      data: fs.readFileSync(path.join(dir, file), "utf8"),
    }));
}

/** The remote-write URL of a workspace from its Prometheus endpoint (which ends in `/`). */
export function remoteWriteUrl(prometheusEndpoint: string): string {
  return `${prometheusEndpoint.replace(/\/?$/, "/")}api/v1/remote_write`;
}

export interface PrometheusArgs {
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly alarmTopicArn: pulumi.Input<string>;
  readonly logRetentionDays: number;
  readonly tags: Tags;
}

export interface Prometheus {
  readonly workspace: aws.amp.Workspace;
  readonly remoteWriteUrl: pulumi.Output<string>;
}

/**
 * An AMP workspace encrypted with the archive key, logging rule and
 * alertmanager errors to a KMS log group; the repository's rule files as rule
 * group namespaces; alertmanager routing every alert to the alert topic.
 */
export function createPrometheus(
  name: string,
  args: PrometheusArgs,
  ctx: pulumi.Output<AwsContext>,
  parent: pulumi.Resource,
): Prometheus {
  const logGroup = createEncryptedLogGroup(
    `${name}-amp-logs`,
    {
      // Vended-log groups under this prefix share one resource policy instead of adding one each.
      logGroupName: `/aws/vendedlogs/prometheus/${name}`,
      retentionInDays: args.logRetentionDays,
      kmsKeyArn: args.kmsKeyArn,
      tags: args.tags,
    },
    parent,
  );
  const workspace = new aws.amp.Workspace(
    `${name}-amp`,
    {
      alias: name,
      kmsKeyArn: args.kmsKeyArn,
      loggingConfiguration: { logGroupArn: pulumi.interpolate`${logGroup.arn}:*` },
      tags: { ...args.tags },
    },
    { parent },
  );
  for (const namespace of readRuleNamespaces()) {
    new aws.amp.RuleGroupNamespace(
      `${name}-rules-${namespace.name}`,
      { workspaceId: workspace.id, name: namespace.name, data: namespace.data, tags: { ...args.tags } },
      { parent },
    );
  }
  new aws.amp.AlertManagerDefinition(
    `${name}-alertmanager`,
    {
      workspaceId: workspace.id,
      // Throws (failing the preview) on a malformed ARN, a topic in another region or an unfilled placeholder.
      definition: pulumi
        .all([args.alarmTopicArn, ctx])
        .apply(([topicArn, c]) => ampAlertManagerDefinition(renderAlertmanagerConfig(topicArn, c.region))),
    },
    { parent },
  );
  return { workspace, remoteWriteUrl: workspace.prometheusEndpoint.apply(remoteWriteUrl) };
}
