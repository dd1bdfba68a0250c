/**
 * The AWS calls each application of the platform makes in production, with
 * the credentials of its role, derived from the recorded program (the
 * function's environment, event source mappings, log group, the task
 * definition) and from the apps' own code run against recording fakes (the
 * S3 keys the transformer and the indexer write, the OpenSearch paths).
 *
 * Implied calls are listed with the AWS page that documents them; each is
 * cited where it is added.
 */
import { Readable } from "node:stream";

import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import type { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { parse as parseYaml } from "yaml";

import {
  createHandler as createTransformer,
  settingsFromEnvironment,
} from "../../apps/access-log-transformer/src/handler";
import { kinesisEvent, kinesisRecord } from "../../apps/access-log-transformer/test/helpers";
import { queueUrlFromArn } from "../../apps/cloudtrail-indexer/src/backoff";
import { ensureBootstrap } from "../../apps/cloudtrail-indexer/src/bootstrap";
import { createHandler as createIndexer } from "../../apps/cloudtrail-indexer/src/handler";
import { openSearchBulkSink } from "../../apps/cloudtrail-indexer/src/opensearch";
import { CONSOLE_LOGIN, logFile, REAL_RECORDS } from "../../apps/cloudtrail-indexer/test/fixtures";
import { parseIndexerEnv } from "../../apps/cloudtrail-indexer/src/config";
import type { IndexFamily } from "../../apps/lib/opensearch/index-family";
import { ensureIndexFamily } from "../../apps/lib/opensearch/index-family";
import { openSearchBulkSink as bulkSink } from "../../apps/lib/opensearch/sink";
import type { HttpResponse, OpenSearchTransport } from "../../apps/lib/signed-http";
import { parseBootstrapEvent } from "../../apps/opensearch-bootstrap/src/handler";
import { SECURITY_API, securityRequests } from "../../apps/opensearch-bootstrap/src/security";
import { MOCK_ACCOUNT, MOCK_REGION } from "../lib/mocks";
import type { Call, Known, RecordedProgram } from "./recorded-policies";

/** An application and the calls it makes with its role. */
export interface AppRole {
  readonly app: string;
  readonly roleArn: string;
  readonly calls: readonly Call[];
}

const LOG_STREAM = "2026/12/03/[$LATEST]0123456789abcdef";

function env(fn: Known): Record<string, string> {
  return (fn.props.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {};
}

/** The KMS key a resource is encrypted with, from its recorded inputs. */
function keyOf(program: RecordedProgram, type: string, arn: string, input: string): string {
  const key = program.byArn(type, arn).props[input];
  if (typeof key !== "string") throw new Error(`${arn} has no ${input}: not encrypted with a key of ours`);
  return key;
}

/**
 * Writing to one log group's streams. The resource of both actions is the
 * stream's ARN, `log-group:<name>:log-stream:<stream>`.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html
 */
function logCalls(program: RecordedProgram, groupName: string, why: string): Call[] {
  const group = program.one(
    "aws:cloudwatch/logGroup:LogGroup",
    `named ${groupName}`,
    (g) => g.state.name === groupName,
  );
  const stream = `${group.state.arn as string}:log-stream:${LOG_STREAM}`;
  return ["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({ why, action, resource: stream }));
}

/**
 * An object written to (read from) a bucket with default SSE-KMS encryption:
 * S3 asks KMS for a data key (to decrypt it) with the caller's permissions,
 * so the caller needs kms:GenerateDataKey (kms:Decrypt) on the key,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
 * The apps send no encryption header: the bucket's default encryption applies
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html),
 * so the request carries no `s3:x-amz-server-side-encryption*` condition key.
 * The key is the bucket's default; CloudTrail writes its files with the
 * trail's key, which the program sets to the same key.
 */
export function s3Calls(
  program: RecordedProgram,
  verb: "Put" | "Get",
  bucketName: string,
  key: string,
  why: string,
): Call[] {
  const bucket = program.one(
    "aws:s3/bucket:Bucket",
    `named ${bucketName}`,
    (b) => b.state.bucket === bucketName,
  );
  const encryption = program.one(
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    `of ${bucketName}`,
    (e) => [bucket.name, `${bucket.name}-id`, bucketName].includes(e.props.bucket as string),
  );
  const rule = (
    encryption.props.rules as { applyServerSideEncryptionByDefault?: { kmsMasterKeyId?: string } }[]
  )[0];
  const keyArn = rule?.applyServerSideEncryptionByDefault?.kmsMasterKeyId;
  if (keyArn === undefined) throw new Error(`${bucketName} has no default KMS key`);
  const viaS3 = { "kms:ViaService": `s3.${MOCK_REGION}.amazonaws.com` };
  return [
    { why, action: `s3:${verb}Object`, resource: `arn:aws:s3:::${bucketName}/${key}` },
    verb === "Put"
      ? { why: `${why} (SSE-KMS data key)`, action: "kms:GenerateDataKey", resource: keyArn, context: viaS3 }
      : { why: `${why} (SSE-KMS decryption)`, action: "kms:Decrypt", resource: keyArn, context: viaS3 },
  ];
}

/**
 * Whether an ADOT collector configuration exports traces with the awsxray
 * exporter, which calls PutTraceSegments only (no telemetry records unless
 * configured), with the credentials of the task or function:
 * https://aws-otel.github.io/docs/getting-started/lambda/lambda-custom-configuration
 */
function exportsToXRay(config: string | undefined): boolean {
  if (config === undefined) return false;
  const parsed = parseYaml(config) as {
    exporters?: Record<string, unknown>;
    service?: { pipelines?: { traces?: { exporters?: string[] } } };
  };
  return (
    parsed.exporters?.awsxray !== undefined &&
    (parsed.service?.pipelines?.traces?.exporters ?? []).includes("awsxray")
  );
}

/**
 * What Lambda does with a function's execution role, whatever the code:
 * logs to the configured group, X-Ray segments (tracing is Active), and the
 * event source mappings' polling and on-failure destinations.
 *
 * - Kinesis mapping: https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-create.html
 *   (DescribeStream, DescribeStreamSummary, GetRecords, GetShardIterator,
 *   ListShards; SubscribeToShard only for enhanced fan-out, not used), and the
 *   stream's key: consumers of an encrypted stream need kms:Decrypt,
 *   https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html
 * - SQS mapping: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 *   (ReceiveMessage, DeleteMessage, GetQueueAttributes), and kms:Decrypt for
 *   an encrypted queue,
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
 * - SQS on-failure destination: sqs:SendMessage, and for an encrypted queue
 *   kms:GenerateDataKey + kms:Decrypt (as for any producer, same SQS page),
 *   https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
 * - Asynchronous invocation's on-failure destination (a subscription filter
 *   invokes asynchronously): Lambda sends with the execution role,
 *   sqs:SendMessage, and kms:GenerateDataKey + kms:Decrypt for an encrypted queue,
 *   https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 * - X-Ray: https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
 */
export function lambdaCalls(program: RecordedProgram, fn: Known): Call[] {
  const calls: Call[] = [];
  const logGroup = (fn.props.loggingConfig as { logGroup?: string } | undefined)?.logGroup;
  if (logGroup === undefined) throw new Error(`${fn.name} logs to no configured group`);
  calls.push(...logCalls(program, logGroup, `${fn.name} logs`));
  if ((fn.props.tracingConfig as { mode?: string } | undefined)?.mode === "Active") {
    for (const action of ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]) {
      calls.push({ why: `${fn.name} traces`, action, resource: "*" });
    }
  }
  // The ADOT collector extension exports the app's spans with the execution role.
  if (exportsToXRay(env(fn).ADOT_COLLECTOR_CONFIG)) {
    calls.push({
      why: `${fn.name} collector layer exports spans`,
      action: "xray:PutTraceSegments",
      resource: "*",
    });
  }
  const mappings = program
    .ofType("aws:lambda/eventSourceMapping:EventSourceMapping")
    .filter((m) => [fn.state.arn, fn.name].includes(m.props.functionName as string));
  for (const mapping of mappings) {
    const source = mapping.props.eventSourceArn as string;
    const why = `event source mapping ${mapping.name}`;
    if (source.startsWith("arn:aws:kinesis:")) {
      for (const action of [
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
      ]) {
        calls.push({ why, action, resource: source });
      }
      const key = keyOf(program, "aws:kinesis/stream:Stream", source, "kmsKeyId");
      calls.push({ why: `${why} (stream records)`, action: "kms:Decrypt", resource: key });
    } else if (source.startsWith("arn:aws:sqs:")) {
      for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]) {
        calls.push({ why, action, resource: source });
      }
      const key = keyOf(program, "aws:sqs/queue:Queue", source, "kmsMasterKeyId");
      calls.push({ why: `${why} (queue messages)`, action: "kms:Decrypt", resource: key });
    } else {
      throw new Error(`${mapping.name}: no calls known for the event source ${source}`);
    }
    const destination = (
      mapping.props.destinationConfig as { onFailure?: { destinationArn?: string } } | undefined
    )?.onFailure?.destinationArn;
    if (destination !== undefined) calls.push(...failureQueueCalls(program, destination, why));
  }
  const asyncConfigs = program
    .ofType("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
    .filter((c) => [fn.state.arn, fn.state.name, fn.name].includes(c.props.functionName as string));
  for (const config of asyncConfigs) {
    const destination = (
      config.props.destinationConfig as { onFailure?: { destination?: string } } | undefined
    )?.onFailure?.destination;
    if (destination !== undefined) {
      calls.push(...failureQueueCalls(program, destination, `asynchronous invocation ${config.name}`));
    }
  }
  return calls;
}

/** Lambda sending a failed batch's or event's record to an (encrypted) SQS on-failure destination. */
function failureQueueCalls(program: RecordedProgram, destination: string, why: string): Call[] {
  if (!destination.startsWith("arn:aws:sqs:")) throw new Error(`${why}: unknown destination ${destination}`);
  const key = keyOf(program, "aws:sqs/queue:Queue", destination, "kmsMasterKeyId");
  return [
    { why: `${why} on-failure destination`, action: "sqs:SendMessage", resource: destination },
    { why: `${why} on-failure destination (encrypted queue)`, action: "kms:GenerateDataKey", resource: key },
    { why: `${why} on-failure destination (encrypted queue)`, action: "kms:Decrypt", resource: key },
  ];
}

/** A fake S3 client: records every command, and answers GetObject with `body`. */
function recordingS3(body: () => Buffer): {
  client: S3Client;
  commands: (GetObjectCommand | PutObjectCommand)[];
} {
  const commands: (GetObjectCommand | PutObjectCommand)[] = [];
  const client = {
    send(command: GetObjectCommand | PutObjectCommand): Promise<unknown> {
      commands.push(command);
      return Promise.resolve(command instanceof GetObjectCommand ? { Body: Readable.from(body()) } : {});
    },
  };
  return { client: client as unknown as S3Client, commands };
}

/** S3 calls of recorded SDK commands (PutObject / GetObject, default encryption). */
function callsOfCommands(
  program: RecordedProgram,
  commands: readonly (GetObjectCommand | PutObjectCommand)[],
  app: string,
): Call[] {
  return commands.flatMap((command) => {
    const { Bucket, Key } = command.input;
    if (Bucket === undefined || Key === undefined)
      throw new Error(`${app}: S3 command without bucket or key`);
    if (command instanceof PutObjectCommand && command.input.ServerSideEncryption !== undefined) {
      throw new Error(`${app} now sends an encryption header: model it in s3Calls`);
    }
    const verb = command instanceof PutObjectCommand ? "Put" : "Get";
    return s3Calls(program, verb, Bucket, Key, `${app} ${verb}Object ${Key}`);
  });
}

/** The one Lambda function whose code is the given app (by name suffix). */
function functionNamed(program: RecordedProgram, suffix: string): Known {
  return program.one("aws:lambda/function:Function", `ending in ${suffix}`, (f) => f.name.endsWith(suffix));
}

/** The access-log transformer: its handler run on a batch with a parsed and a rejected line. */
export async function transformerRole(program: RecordedProgram): Promise<AppRole> {
  const fn = functionNamed(program, "-access-logs-transformer");
  const { client, commands } = recordingS3(() => Buffer.alloc(0));
  const handler = createTransformer({
    s3: client,
    ...settingsFromEnvironment(env(fn)),
    logger: { info() {}, error() {} },
  });
  const line = '198.51.100.4 - - [10/Mar/2024:06:10:00 +0000] "GET / HTTP/1.1" 200 10 "-" "curl/8.4.0"';
  const result = await handler(
    kinesisEvent([kinesisRecord({ sequenceNumber: "100", data: `${line}\nnot an access log` })]),
  );
  if (result.batchItemFailures.length > 0) throw new Error("the transformer failed its batch");
  return {
    app: "access-log-transformer",
    roleArn: fn.props.role as string,
    calls: [...lambdaCalls(program, fn), ...callsOfCommands(program, commands, "transformer")],
  };
}

/** A transport that records `METHOD path` and answers like a domain without the template, policy or security setup yet. */
function recordingTransport(): {
  transport: OpenSearchTransport;
  requests: { method: string; path: string }[];
} {
  const requests: { method: string; path: string }[] = [];
  const transport: OpenSearchTransport = {
    request(method, path): Promise<HttpResponse> {
      requests.push({ method, path });
      const body = path.endsWith("/_bulk") ? '{"errors":false,"items":[]}' : "{}";
      return Promise.resolve({ statusCode: method === "GET" ? 404 : 200, body });
    },
  };
  return { transport, requests };
}

/**
 * OpenSearch requests are authorized as `es:ESHttp<Method>` on
 * `arn:aws:es:<region>:<account>:domain/<name>/<path>`.
 * https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ac.html
 */
function openSearchCalls(
  program: RecordedProgram,
  endpoint: string,
  requests: readonly { method: string; path: string }[],
  app: string,
): Call[] {
  const host = endpoint.replace(/^https?:\/\//, "").replace(/\/$/, "");
  const domain = program.one("aws:opensearch/domain:Domain", `at ${host}`, (d) => d.state.endpoint === host);
  const base = `arn:aws:es:${MOCK_REGION}:${MOCK_ACCOUNT}:domain/${domain.props.domainName as string}`;
  return requests.map(({ method, path }) => ({
    why: `${app} ${method} ${path}`,
    action: `es:ESHttp${method.charAt(0)}${method.slice(1).toLowerCase()}`,
    resource: `${base}${path.split("?")[0]!}`,
  }));
}

/**
 * The CloudTrail indexer: its handler run on one SQS message announcing a
 * trail file (read, split, archived, one record refused) and one it cannot
 * read (failed, so backed off with ChangeMessageVisibility on its queue),
 * then the OpenSearch calls of its bootstrap and of one `_bulk`.
 */
export async function indexerRole(program: RecordedProgram): Promise<AppRole> {
  const fn = functionNamed(program, "-cloudtrail-indexer");
  const config = parseIndexerEnv({ ...env(fn), AWS_REGION: MOCK_REGION });
  // The messages announce objects of the bucket whose notifications feed the topic of the indexer's queue.
  const notification = program.one(
    "aws:s3/bucketNotification:BucketNotification",
    "of the trail bucket",
    () => true,
  );
  const trailBucket = program.one(
    "aws:s3/bucket:Bucket",
    `with id ${String(notification.props.bucket)}`,
    (b) => [b.name, `${b.name}-id`, b.state.bucket].includes(notification.props.bucket),
  ).state.bucket as string;
  // CloudTrail's key layout: AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>.
  const trailKey = `AWSLogs/${MOCK_ACCOUNT}/CloudTrail/${MOCK_REGION}/2024/03/01/${MOCK_ACCOUNT}_CloudTrail_${MOCK_REGION}_20240301T1200Z_a1.json.gz`;
  const unindexable = { ...CONSOLE_LOGIN, eventID: undefined };
  const { client, commands } = recordingS3(() => logFile([...REAL_RECORDS, unindexable]));
  const mapping = program.one("aws:lambda/eventSourceMapping:EventSourceMapping", `of ${fn.name}`, (m) =>
    [fn.state.arn, fn.name].includes(m.props.functionName),
  );
  const queueArn = mapping.props.eventSourceArn as string;
  const visibility: ChangeMessageVisibilityCommand[] = [];
  const handler = createIndexer({
    s3: client,
    sqs: {
      send: (command) => {
        visibility.push(command);
        return Promise.resolve({});
      },
    },
    archiveBucket: config.archiveBucket,
    eventsPrefix: config.eventsPrefix,
    failedPrefix: config.failedPrefix,
    indexPrefix: config.indexPrefix,
  });
  const body = {
    Type: "Notification",
    Message: JSON.stringify({
      Records: [
        {
          eventSource: "aws:s3",
          eventName: "ObjectCreated:Put",
          s3: { bucket: { name: trailBucket }, object: { key: trailKey } },
        },
      ],
    }),
  };
  const record = {
    eventSourceARN: queueArn,
    receiptHandle: "r",
    attributes: { ApproximateReceiveCount: "1" },
  };
  const event = {
    Records: [
      { ...record, messageId: "m1", body: JSON.stringify(body) },
      { ...record, messageId: "unreadable", body: "not a notification" },
    ],
  } as unknown as SQSEvent;
  const result = await handler(event);
  if (result.batchItemFailures.map((f) => f.itemIdentifier).join() !== "unreadable") {
    throw new Error(
      `the indexer failed ${JSON.stringify(result.batchItemFailures)}, not only the unreadable message`,
    );
  }
  const calls = [...lambdaCalls(program, fn), ...callsOfCommands(program, commands, "indexer")];
  for (const { input } of visibility) {
    if (input.QueueUrl !== queueUrlFromArn(queueArn)) throw new Error(`backoff on ${input.QueueUrl}`);
    calls.push({
      why: "indexer backs off a failed message",
      action: "sqs:ChangeMessageVisibility",
      resource: queueArn,
    });
  }
  if (config.openSearch !== undefined) {
    const { transport, requests } = recordingTransport();
    await ensureBootstrap(transport, config.indexPrefix, config.retentionDays);
    await openSearchBulkSink(transport).bulk(Buffer.from("{}\n"));
    calls.push(...openSearchCalls(program, config.openSearch.endpoint, requests, "indexer"));
  }
  return { app: "cloudtrail-indexer", roleArn: fn.props.role as string, calls };
}

/**
 * The log indexer's three functions (apps/log-indexer), from their
 * environment and what their handlers do with it:
 * refused documents go to one gzip NDJSON object per batch under
 * `FAILED_PREFIX` (`<prefix>year=YYYY/month=MM/day=DD/<name>.json.gz`);
 * with `OPENSEARCH_ENDPOINT` each installs its families' templates and ISM
 * policies (the shared `ensureIndexFamily`, run here against a recording
 * transport) and POSTs `_bulk`; without it, documents go to the preview
 * prefix instead. The findings function also publishes severe findings to
 * `ALERT_TOPIC_ARN`: for an encrypted topic, publishers need
 * kms:GenerateDataKey and kms:Decrypt on its key,
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
 */
async function logIndexerCalls(
  program: RecordedProgram,
  fn: Known,
  app: string,
  familyPrefixes: readonly string[],
): Promise<Call[]> {
  const variables = env(fn);
  const bucket = variables.ARCHIVE_BUCKET;
  const failedPrefix = variables.FAILED_PREFIX;
  if (bucket === undefined || failedPrefix === undefined)
    throw new Error(`${fn.name}: no ARCHIVE_BUCKET/FAILED_PREFIX`);
  const calls = [
    ...lambdaCalls(program, fn),
    ...s3Calls(
      program,
      "Put",
      bucket,
      `${failedPrefix}year=2026/month=12/day=04/batch-1.json.gz`,
      `${app} refused documents`,
    ),
  ];
  const endpoint = variables.OPENSEARCH_ENDPOINT;
  if (endpoint === undefined) {
    for (const prefix of familyPrefixes) {
      calls.push(
        ...s3Calls(
          program,
          "Put",
          bucket,
          `opensearch-preview/${prefix}-2026.12.04/0a1b2c.ndjson`,
          `${app} preview`,
        ),
      );
    }
  } else {
    const { transport, requests } = recordingTransport();
    for (const prefix of familyPrefixes) {
      // Only the paths reach IAM: the family's template and retention policy are named after its prefix.
      const family: IndexFamily = { name: prefix, prefix, mappings: {}, version: 1, retentionDays: 14 };
      await ensureIndexFamily(transport, family, Number(variables.INDEX_REPLICAS ?? "1"));
    }
    await bulkSink(transport).bulk(Buffer.from("{}\n"));
    calls.push(...openSearchCalls(program, endpoint, requests, app));
  }
  const topicArn = variables.ALERT_TOPIC_ARN;
  if (topicArn !== undefined) {
    const key = keyOf(program, "aws:sns/topic:Topic", topicArn, "kmsMasterKeyId");
    const viaSns = { "kms:ViaService": `sns.${MOCK_REGION}.amazonaws.com` };
    calls.push(
      { why: `${app} alerts on a severe finding`, action: "sns:Publish", resource: topicArn },
      {
        why: `${app} alerts (encrypted topic)`,
        action: "kms:GenerateDataKey",
        resource: key,
        context: viaSns,
      },
      { why: `${app} alerts (encrypted topic)`, action: "kms:Decrypt", resource: key, context: viaSns },
    );
  }
  return calls;
}

/** The log indexer's Kinesis function: the ingest stream (its mapping) → `logs-*`, `access-*`. */
export async function logsIndexerRole(program: RecordedProgram): Promise<AppRole> {
  const fn = functionNamed(program, "-search-logs");
  return {
    app: "log-indexer (Kinesis)",
    roleArn: fn.props.role as string,
    calls: await logIndexerCalls(program, fn, "logs indexer", ["logs", "access"]),
  };
}

/** The log indexer's flow-log function: the flow-log group's subscription → `vpcflow-*`. */
export async function flowLogsIndexerRole(program: RecordedProgram): Promise<AppRole> {
  const fn = functionNamed(program, "-search-flow");
  return {
    app: "log-indexer (flow logs)",
    roleArn: fn.props.role as string,
    calls: await logIndexerCalls(program, fn, "flow-log indexer", ["vpcflow"]),
  };
}

/** The log indexer's findings function: its queue (its mapping) → `findings-*`, severe ones to the topic. */
export async function findingsIndexerRole(program: RecordedProgram): Promise<AppRole> {
  const fn = functionNamed(program, "-search-findings");
  return {
    app: "log-indexer (findings)",
    roleArn: fn.props.role as string,
    calls: await logIndexerCalls(program, fn, "findings indexer", ["findings"]),
  };
}

/**
 * The OpenSearch bootstrap: GetSecretValue on its master secret (and the
 * secret's key: Secrets Manager decrypts with the caller's permissions,
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html),
 * then the security API PUTs for the payload the program invokes it with.
 */
export function bootstrapRole(program: RecordedProgram): AppRole {
  const fn = functionNamed(program, "-opensearch-bootstrap");
  const variables = env(fn);
  const secretArn = variables.MASTER_SECRET_ARN!;
  const secret = program.byArn("aws:secretsmanager/secret:Secret", secretArn);
  const version = program.one("aws:secretsmanager/secretVersion:SecretVersion", `of ${secret.name}`, (v) =>
    [secret.name, `${secret.name}-id`, secretArn].includes(v.props.secretId as string),
  );
  const { username } = JSON.parse(version.props.secretString as string) as { username: string };
  const invocation = program.one("aws:lambda/invocation:Invocation", `of ${fn.name}`, (i) =>
    [fn.name, fn.state.name, fn.state.arn].includes(i.props.functionName),
  );
  const payload = parseBootstrapEvent(JSON.parse(invocation.props.input as string));
  const requests = [
    { method: "PUT", path: `${SECURITY_API}/internalusers/${encodeURIComponent(username)}` },
    ...securityRequests({ ...payload, adminUser: username, masterRoleArn: variables.MASTER_ROLE_ARN! }),
  ];
  return {
    app: "opensearch-bootstrap",
    roleArn: fn.props.role as string,
    calls: [
      ...lambdaCalls(program, fn),
      {
        why: "bootstrap reads the master user",
        action: "secretsmanager:GetSecretValue",
        resource: secretArn,
      },
      {
        why: "bootstrap reads the master user (secret's key)",
        action: "kms:Decrypt",
        resource: secret.props.kmsKeyId as string,
      },
      ...openSearchCalls(program, variables.OPENSEARCH_ENDPOINT!, requests, "bootstrap"),
    ],
  };
}

interface ContainerDefinition {
  readonly name: string;
  readonly image: string;
  readonly environment?: readonly { name: string; value: string }[];
  readonly secrets?: readonly { name: string; valueFrom: string }[];
  readonly logConfiguration?: { logDriver: string; options: Record<string, string> };
}

/**
 * The receiver's task: the task role puts records into the stream named by
 * STREAM_NAME (kms:GenerateDataKey for an encrypted stream,
 * https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html)
 * and the ADOT sidecar remote-writes to its AMP workspace
 * (https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-and-IAM.html)
 * and, with traces, sends segments to X-Ray (xray:PutTraceSegments);
 * the execution role is what ECS uses to start it: pull from ECR, write the
 * awslogs groups, inject the secrets (and decrypt them with their key),
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
 */
export function receiverRoles(program: RecordedProgram): { task: AppRole; execution: AppRole } {
  const definition = program.one("aws:ecs/taskDefinition:TaskDefinition", "of the receiver", (t) =>
    t.name.endsWith("-receiver-task"),
  );
  const containers = JSON.parse(definition.props.containerDefinitions as string) as ContainerDefinition[];
  const task: Call[] = [];
  const execution: Call[] = [];
  for (const container of containers) {
    const variables = Object.fromEntries((container.environment ?? []).map((e) => [e.name, e.value]));
    if (variables.STREAM_NAME !== undefined) {
      const stream = program.one(
        "aws:kinesis/stream:Stream",
        `named ${variables.STREAM_NAME}`,
        (s) => s.state.name === variables.STREAM_NAME,
      );
      const arn = stream.state.arn as string;
      task.push(
        { why: `${container.name} PutRecords`, action: "kinesis:PutRecords", resource: arn },
        {
          why: `${container.name} PutRecords (encrypted stream)`,
          action: "kms:GenerateDataKey",
          resource: keyOf(program, "aws:kinesis/stream:Stream", arn, "kmsKeyId"),
        },
      );
    }
    const remoteWrite =
      variables.AOT_CONFIG_CONTENT === undefined
        ? undefined
        : (
            parseYaml(variables.AOT_CONFIG_CONTENT) as {
              exporters?: { prometheusremotewrite?: { endpoint?: string } };
            }
          ).exporters?.prometheusremotewrite;
    if (remoteWrite !== undefined) {
      const url = remoteWrite.endpoint;
      if (url === undefined) throw new Error(`${container.name} has no remote-write endpoint`);
      const workspace = program.one("aws:amp/workspace:Workspace", `behind ${url}`, (w) =>
        url.startsWith(w.state.prometheusEndpoint as string),
      );
      task.push({
        why: `${container.name} remote-writes metrics`,
        action: "aps:RemoteWrite",
        resource: workspace.state.arn as string,
      });
    }
    if (exportsToXRay(variables.AOT_CONFIG_CONTENT)) {
      task.push({ why: `${container.name} exports spans`, action: "xray:PutTraceSegments", resource: "*" });
    }
    const image = program.ofType("awsx:ecr:Image").find((i) => i.state.imageUri === container.image);
    if (image !== undefined) {
      const repository = program.one(
        "aws:ecr/repository:Repository",
        `at ${String(image.props.repositoryUrl)}`,
        (r) => r.state.repositoryUrl === image.props.repositoryUrl,
      );
      // https://docs.aws.amazon.com/AmazonECR/latest/userguide/security_iam_id-based-policy-examples.html
      execution.push({ why: `pull ${container.image}`, action: "ecr:GetAuthorizationToken", resource: "*" });
      for (const action of [
        "ecr:BatchCheckLayerAvailability",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage",
      ]) {
        execution.push({ why: `pull ${container.image}`, action, resource: repository.state.arn as string });
      }
    }
    const logging = container.logConfiguration;
    if (logging?.logDriver === "awslogs") {
      execution.push(...logCalls(program, logging.options["awslogs-group"]!, `${container.name} awslogs`));
    }
    for (const secret of container.secrets ?? []) {
      // valueFrom may name a JSON key of the secret (`<arn>:<key>::`); IAM sees the secret's ARN.
      const arn = secret.valueFrom.split(":").slice(0, 7).join(":");
      const known = program.byArn("aws:secretsmanager/secret:Secret", arn);
      execution.push(
        {
          why: `inject ${secret.name} into ${container.name}`,
          action: "secretsmanager:GetSecretValue",
          resource: arn,
        },
        {
          why: `inject ${secret.name} into ${container.name} (secret's key)`,
          action: "kms:Decrypt",
          resource: known.props.kmsKeyId as string,
        },
      );
    }
  }
  return {
    task: { app: "log-receiver (task role)", roleArn: definition.props.taskRoleArn as string, calls: task },
    execution: {
      app: "log-receiver (execution role)",
      roleArn: definition.props.executionRoleArn as string,
      calls: execution,
    },
  };
}
