import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { ampAlertManagerDefinition, renderAlertmanagerConfig } from "../../apps/dashboards/src/alertmanager";
import { awsContext } from "../lib/aws-context";
import { createEncryptedLogGroup } from "../lib/log-group";
import type { Tags } from "../lib/tags";
import { logRetentionProblems, throwIfInvalid } from "../lib/validation";
import { remoteWriteUrl } from "./remote-write";
import type { RuleNamespace } from "./rule-namespaces";
import { ruleNamespaceProblems } from "./rule-namespaces";

export interface PrometheusWorkspaceArgs {
  /** Key of the workspace and of its log group. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Topic alertmanager routes every alert to (same region). */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** Rule files, one rule group namespace each (no default: the content is the caller's). */
  readonly ruleNamespaces: readonly RuleNamespace[];
  /** Retention of the workspace's log group (a CloudWatch Logs value). No default: a stack setting. */
  readonly logRetentionDays: number;
  /** Tags for every resource. No default: a stack setting. */
  readonly tags: Tags;
}

/** Every problem with the args, so that one error can list them all. */
export function prometheusWorkspaceArgProblems(args: PrometheusWorkspaceArgs): string[] {
  return [
    ...logRetentionProblems("logRetentionDays", args.logRetentionDays),
    ...ruleNamespaceProblems(args.ruleNamespaces),
  ];
}

/**
 * Amazon Managed Service for Prometheus: a workspace encrypted with the given
 * key, logging rule and alertmanager errors to a KMS log group; the given
 * rule files as rule group namespaces; alertmanager routing every alert to
 * the alert topic.
 */
export class PrometheusWorkspace extends pulumi.ComponentResource {
  public readonly workspaceArn: pulumi.Output<string>;
  public readonly workspaceId: pulumi.Output<string>;
  /** Query endpoint, ending in `/`. */
  public readonly prometheusEndpoint: pulumi.Output<string>;
  /** Where the ADOT collectors remote-write. */
  public readonly remoteWriteUrl: pulumi.Output<string>;

  constructor(name: string, args: PrometheusWorkspaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:prometheus:PrometheusWorkspace", name, {}, opts);
    throwIfInvalid("PrometheusWorkspace", name, prometheusWorkspaceArgProblems(args));
    const ctx = awsContext(this);

    const logGroup = createEncryptedLogGroup(
      `${name}-amp-logs`,
      {
        // Vended-log groups under this prefix share one resource policy instead of adding one each.
        logGroupName: `/aws/vendedlogs/prometheus/${name}`,
        retentionInDays: args.logRetentionDays,
        kmsKeyArn: args.kmsKeyArn,
        tags: args.tags,
      },
      this,
    );
    const workspace = new aws.amp.Workspace(
      `${name}-amp`,
      {
        alias: name,
        kmsKeyArn: args.kmsKeyArn,
        loggingConfiguration: { logGroupArn: pulumi.interpolate`${logGroup.arn}:*` },
        tags: { ...args.tags },
      },
      { parent: this },
    );
    for (const namespace of args.ruleNamespaces) {
      new aws.amp.RuleGroupNamespace(
        `${name}-rules-${namespace.name}`,
        { workspaceId: workspace.id, name: namespace.name, data: namespace.data, tags: { ...args.tags } },
        { parent: this },
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
      { parent: this },
    );

    this.workspaceArn = workspace.arn;
    this.workspaceId = workspace.id;
    this.prometheusEndpoint = workspace.prometheusEndpoint;
    this.remoteWriteUrl = workspace.prometheusEndpoint.apply(remoteWriteUrl);
    this.registerOutputs({
      workspaceArn: this.workspaceArn,
      workspaceId: this.workspaceId,
      prometheusEndpoint: this.prometheusEndpoint,
      remoteWriteUrl: this.remoteWriteUrl,
    });
  }
}
