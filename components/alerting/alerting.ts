import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { awsContext } from "../lib/aws-context";
import type { Tags } from "../lib/tags";
import { alertTopicPolicy } from "./topic-policy";

export interface AlertingArgs {
  /**
   * Bring your own topic: alarms of the platform publish to this ARN and no
   * topic is created. Default: a new KMS-encrypted topic.
   */
  readonly topicArn?: pulumi.Input<string>;
  /** KMS key that encrypts a created topic. Required unless `topicArn` is given. */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /**
   * E-mail addresses subscribed to the topic, each a secret (addresses are
   * personal data and stay encrypted in state). Each address must confirm the
   * subscription e-mail AWS sends. Default: none.
   */
  readonly emails?: readonly pulumi.Input<string>[];
  /** Name of a created topic. Default: auto-named from the component name. */
  readonly topicName?: string;
  /** Tags for every resource. Default: none. */
  readonly tags?: Tags;
}

/**
 * Where the platform's alarms go: an SNS topic (created, or brought by the
 * user) with e-mail subscriptions.
 */
export class Alerting extends pulumi.ComponentResource {
  /** ARN alarms publish to. */
  public readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: AlertingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("log-platform:alerting:Alerting", name, {}, opts);
    if (args.topicArn === undefined && args.kmsKeyArn === undefined) {
      throw new Error(
        `Alerting "${name}": give either topicArn (bring your own topic) or kmsKeyArn (to create one)`,
      );
    }
    if (args.topicArn !== undefined && args.topicName !== undefined) {
      throw new Error(`Alerting "${name}": topicName names a created topic and cannot be used with topicArn`);
    }

    this.topicArn = args.topicArn === undefined ? this.createTopic(name, args) : pulumi.output(args.topicArn);

    (args.emails ?? []).forEach((email, index) => {
      // Named by position, never by address: resource names are stored in clear text.
      new aws.sns.TopicSubscription(
        `${name}-email-${index}`,
        { topic: this.topicArn, protocol: "email", endpoint: pulumi.secret(email) },
        { parent: this },
      );
    });

    this.registerOutputs({ topicArn: this.topicArn });
  }

  private createTopic(name: string, args: AlertingArgs): pulumi.Output<string> {
    const topic = new aws.sns.Topic(
      `${name}-topic`,
      {
        ...(args.topicName !== undefined ? { name: args.topicName } : {}),
        displayName: "log-platform alerts",
        kmsMasterKeyId: args.kmsKeyArn,
        tags: { ...(args.tags ?? {}) },
      },
      { parent: this },
    );
    const ctx = awsContext(this);
    new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      {
        arn: topic.arn,
        policy: pulumi.jsonStringify(
          pulumi.all([ctx, topic.arn]).apply(([c, arn]) => alertTopicPolicy(c, arn)),
        ),
      },
      { parent: this },
    );
    return topic.arn;
  }
}
