import type * as pulumi from "@pulumi/pulumi";

import { Alerting } from "../components/alerting";
import { platformTags } from "../components/lib/tags";
import { LogArchive } from "../components/log-archive";
import type { Settings } from "./settings";

/** What a deployed environment exposes; nothing secret. */
export interface PlatformOutputs {
  readonly environment: string;
  readonly archiveBucketName: pulumi.Output<string>;
  readonly accessLogBucketName: pulumi.Output<string>;
  readonly archiveKeyArn: pulumi.Output<string>;
  readonly alertTopicArn: pulumi.Output<string>;
}

/** Composes the components of one environment from its validated settings. */
export function buildPlatform(settings: Settings): PlatformOutputs {
  const prefix = settings.namePrefix;
  const tags = platformTags(settings.environment, settings.tags);

  const archive = new LogArchive(`${prefix}-archive`, {
    retainData: settings.retainData,
    lifecycle: settings.archive.lifecycle,
    noncurrentVersionExpireDays: settings.archive.noncurrentVersionExpireDays,
    accessLogExpireDays: settings.archive.accessLogExpireDays,
    keyDeletionWindowDays: settings.archive.keyDeletionWindowDays,
    tags,
  });

  const alerting = new Alerting(`${prefix}-alerting`, {
    ...(settings.alerting.topicArn !== undefined
      ? { topicArn: settings.alerting.topicArn }
      : { kmsKeyArn: archive.keyArn }),
    emails: settings.secrets.alertEmails,
    tags,
  });

  return {
    environment: settings.environment,
    archiveBucketName: archive.bucketName,
    accessLogBucketName: archive.accessLogBucketName,
    archiveKeyArn: archive.keyArn,
    alertTopicArn: alerting.topicArn,
  };
}
