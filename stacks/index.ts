/**
 * Entry point of the Pulumi program: settings → platform → stack outputs.
 * Kept thin so that tests and the offline plan call `buildPlatform` directly.
 */
import { buildPlatform } from "./platform";
import { loadSettings } from "./settings";

const platform = buildPlatform(loadSettings());

export const environment = platform.environment;
export const archiveBucketName = platform.archiveBucketName;
export const accessLogBucketName = platform.accessLogBucketName;
export const archiveKeyArn = platform.archiveKeyArn;
export const alertTopicArn = platform.alertTopicArn;
export const ingestStreamName = platform.ingestStreamName;
export const receiverEndpoint = platform.receiverEndpoint;
export const receiverTokensSecretArn = platform.receiverTokensSecretArn;
export const agentConfigs = platform.agentConfigs;
export const receiverCaCertificatePem = platform.receiverCaCertificatePem;
export const accessLogTable = platform.accessLogTable;
export const flowLogGroupName = platform.flowLogGroupName;
export const cloudTrailBucketName = platform.cloudTrailBucketName;
export const grafanaUrl = platform.grafanaUrl;
export const openSearchEndpoint = platform.openSearchEndpoint;
export const openSearchMasterUserSecretArn = platform.openSearchMasterUserSecretArn;
export const prometheusRemoteWriteUrl = platform.prometheusRemoteWriteUrl;
