/**
 * Drops a CloudTrail log file into the local platform's trail bucket, where
 * CloudTrail would put it, so that the S3 → SNS → SQS → indexer path runs:
 *
 *   npx ts-node --transpile-only scripts/local/put-cloudtrail-sample.ts --endpoint http://127.0.0.1:<s3 port>
 *
 * The file holds a handful of management events shaped as CloudTrail writes
 * them (a console sign-in with MFA, a failed one, an AccessDenied API call, a
 * service assuming a role, a CLI call, a bucket policy change), with fresh
 * event ids and times, so every run adds new events.
 */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { randomBytes, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

/** Where and when the trail is. */
export interface TrailContext {
  readonly account: string;
  readonly region: string;
  /** Time of the file; events fall in the minutes before it. */
  readonly now: Date;
}

/** One CloudTrail log file ready to upload. */
export interface TrailFile {
  readonly key: string;
  /** `{"Records":[…]}` gzip. */
  readonly body: Buffer;
  readonly events: readonly Record<string, unknown>[];
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `AWSLogs/<account>/<CloudTrail|CloudTrail-Digest>/<region>/YYYY/MM/DD/`, in UTC as CloudTrail does. */
function folder(kind: "CloudTrail" | "CloudTrail-Digest", { account, region, now }: TrailContext): string {
  const day = `${now.getUTCFullYear()}/${pad(now.getUTCMonth() + 1)}/${pad(now.getUTCDate())}`;
  return `AWSLogs/${account}/${kind}/${region}/${day}/`;
}

/** `YYYYMMDDTHHmm` + seconds when asked, UTC. */
function stamp(now: Date, seconds: boolean): string {
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  return `${date}T${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${seconds ? pad(now.getUTCSeconds()) : ""}Z`;
}

/** The key CloudTrail gives a log file: `…/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 random>.json.gz`. */
export function trailFileKey(context: TrailContext): string {
  const unique = randomBytes(12).toString("base64url").slice(0, 16);
  return `${folder("CloudTrail", context)}${context.account}_CloudTrail_${context.region}_${stamp(context.now, false)}_${unique}.json.gz`;
}

/** The key CloudTrail gives a digest file (hashes of the log files, no events). */
export function digestFileKey(context: TrailContext, trailName = "management"): string {
  const { account, region, now } = context;
  return `${folder("CloudTrail-Digest", context)}${account}_CloudTrail-Digest_${region}_${trailName}_${region}_${stamp(now, true)}.json.gz`;
}

/** CloudTrail's time format: seconds precision, `Z`. */
const eventTime = (now: Date, secondsBefore: number) =>
  new Date(now.getTime() - secondsBefore * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The sample events (see the file comment), newest last. */
export function sampleEvents(context: TrailContext): Record<string, unknown>[] {
  const { account, region, now } = context;
  const alice = {
    type: "IAMUser",
    principalId: "AIDAEXAMPLEALICE0001",
    arn: `arn:aws:iam::${account}:user/alice`,
    accountId: account,
    userName: "alice",
  };
  const browser =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
  const common = (secondsBefore: number) => ({
    eventTime: eventTime(now, secondsBefore),
    eventID: randomUUID(),
    recipientAccountId: account,
  });
  return [
    {
      eventVersion: "1.09",
      userIdentity: {
        type: "IAMUser",
        principalId: "AIDAEXAMPLEBOB000001",
        accountId: account,
        accessKeyId: "",
        userName: "bob",
      },
      ...common(290),
      eventSource: "signin.amazonaws.com",
      eventName: "ConsoleLogin",
      awsRegion: "us-east-1",
      sourceIPAddress: "198.51.100.77",
      userAgent: browser,
      errorMessage: "Failed authentication",
      requestParameters: null,
      responseElements: { ConsoleLogin: "Failure" },
      additionalEventData: {
        LoginTo: "https://console.aws.amazon.com/console/home",
        MobileVersion: "No",
        MFAUsed: "No",
      },
      eventType: "AwsConsoleSignIn",
      managementEvent: true,
      eventCategory: "Management",
    },
    {
      eventVersion: "1.09",
      userIdentity: alice,
      ...common(240),
      eventSource: "signin.amazonaws.com",
      eventName: "ConsoleLogin",
      awsRegion: "us-east-1",
      sourceIPAddress: "203.0.113.25",
      userAgent: browser,
      requestParameters: null,
      responseElements: { ConsoleLogin: "Success" },
      additionalEventData: {
        LoginTo: "https://console.aws.amazon.com/console/home",
        MobileVersion: "No",
        MFAIdentifier: `arn:aws:iam::${account}:mfa/alice-phone`,
        MFAUsed: "Yes",
      },
      eventType: "AwsConsoleSignIn",
      managementEvent: true,
      eventCategory: "Management",
    },
    {
      eventVersion: "1.08",
      userIdentity: { type: "AWSService", invokedBy: "lambda.amazonaws.com" },
      ...common(180),
      eventSource: "sts.amazonaws.com",
      eventName: "AssumeRole",
      awsRegion: region,
      sourceIPAddress: "lambda.amazonaws.com",
      userAgent: "lambda.amazonaws.com",
      requestParameters: {
        roleArn: `arn:aws:iam::${account}:role/service-role/cloudtrail-indexer`,
        roleSessionName: "cloudtrail-indexer",
        durationSeconds: 3600,
      },
      responseElements: {
        credentials: { accessKeyId: "ASIAEXAMPLEEXAMPLE01", expiration: eventTime(now, -3420) },
        assumedRoleUser: {
          assumedRoleId: "AROAEXAMPLEEXAMPLE01:cloudtrail-indexer",
          arn: `arn:aws:sts::${account}:assumed-role/cloudtrail-indexer/cloudtrail-indexer`,
        },
      },
      requestID: randomUUID(),
      readOnly: true,
      resources: [
        {
          accountId: account,
          type: "AWS::IAM::Role",
          ARN: `arn:aws:iam::${account}:role/service-role/cloudtrail-indexer`,
        },
      ],
      eventType: "AwsApiCall",
      managementEvent: true,
      sharedEventID: randomUUID(),
      eventCategory: "Management",
    },
    {
      eventVersion: "1.08",
      userIdentity: { ...alice, accessKeyId: "ASIAEXAMPLEALICE0001" },
      ...common(120),
      eventSource: "ec2.amazonaws.com",
      eventName: "DescribeInstances",
      awsRegion: region,
      sourceIPAddress: "203.0.113.25",
      userAgent: "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8",
      requestParameters: { instancesSet: {}, filterSet: {} },
      responseElements: null,
      requestID: randomUUID(),
      readOnly: true,
      eventType: "AwsApiCall",
      managementEvent: true,
      eventCategory: "Management",
    },
    {
      eventVersion: "1.08",
      userIdentity: { ...alice, accessKeyId: "ASIAEXAMPLEALICE0001" },
      ...common(60),
      eventSource: "iam.amazonaws.com",
      eventName: "CreateUser",
      awsRegion: "us-east-1",
      sourceIPAddress: "203.0.113.25",
      userAgent: "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8",
      errorCode: "AccessDenied",
      errorMessage: `User: arn:aws:iam::${account}:user/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${account}:user/mallory because no identity-based policy allows the iam:CreateUser action`,
      requestParameters: null,
      responseElements: null,
      requestID: randomUUID(),
      readOnly: false,
      eventType: "AwsApiCall",
      managementEvent: true,
      eventCategory: "Management",
    },
    {
      eventVersion: "1.09",
      userIdentity: { ...alice, accessKeyId: "ASIAEXAMPLEALICE0001" },
      ...common(5),
      eventSource: "s3.amazonaws.com",
      eventName: "PutBucketPolicy",
      awsRegion: region,
      sourceIPAddress: "203.0.113.25",
      userAgent: "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750]",
      requestParameters: {
        bucketName: "reports-example",
        Host: "reports-example.s3.amazonaws.com",
        bucketPolicy: {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: ["arn:aws:s3:::reports-example", "arn:aws:s3:::reports-example/*"],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        },
        policy: "",
      },
      responseElements: null,
      additionalEventData: {
        SignatureVersion: "SigV4",
        AuthenticationMethod: "AuthHeader",
        bytesTransferredIn: 0,
      },
      requestID: randomUUID(),
      readOnly: false,
      resources: [{ accountId: account, type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::reports-example" }],
      eventType: "AwsApiCall",
      managementEvent: true,
      eventCategory: "Management",
    },
  ];
}

/** A gzip log file of {@link sampleEvents} under its CloudTrail key. */
export function sampleTrailFile(context: TrailContext): TrailFile {
  const events = sampleEvents(context);
  return { key: trailFileKey(context), body: gzipSync(JSON.stringify({ Records: events })), events };
}

const USAGE = `usage: put-cloudtrail-sample.ts --endpoint http://127.0.0.1:<port> [--bucket cloudtrail] [--account 123456789012] [--region us-east-1]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      endpoint: { type: "string" },
      bucket: { type: "string", default: "cloudtrail" },
      account: { type: "string", default: "123456789012" },
      region: { type: "string", default: "us-east-1" },
    },
  });
  if (values.endpoint === undefined)
    throw new Error(`--endpoint is required (the s3 line of npm start)\n${USAGE}`);
  if (!/^\d{12}$/.test(values.account)) throw new Error(`--account must be 12 digits, got ${values.account}`);
  const file = sampleTrailFile({ account: values.account, region: values.region, now: new Date() });
  const s3 = new S3Client({
    endpoint: values.endpoint,
    region: values.region,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  try {
    await s3.send(new PutObjectCommand({ Bucket: values.bucket, Key: file.key, Body: file.body }));
  } finally {
    s3.destroy();
  }
  console.log(`put s3://${values.bucket}/${file.key} (${file.events.length} events):`);
  for (const event of file.events) console.log(`  ${String(event.eventID)}  ${String(event.eventName)}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
