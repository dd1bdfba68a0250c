/**
 * CloudTrail records with the shapes CloudTrail really writes (field order,
 * nesting, null vs absent), taken from documented examples with the account
 * ids and keys replaced. Tests and the benchmark build their log files from
 * these.
 */
import { gzipSync } from "node:zlib";
import type { CloudTrailEvent } from "../src/split";

const ACCOUNT = "111122223333";

/** `sts:AssumeRole` called by a service (eventVersion 1.08, no `errorCode`). */
export const ASSUME_ROLE_BY_SERVICE: CloudTrailEvent = {
  eventVersion: "1.08",
  userIdentity: { type: "AWSService", invokedBy: "lambda.amazonaws.com" },
  eventTime: "2024-03-01T12:00:01Z",
  eventSource: "sts.amazonaws.com",
  eventName: "AssumeRole",
  awsRegion: "us-east-1",
  sourceIPAddress: "lambda.amazonaws.com",
  userAgent: "lambda.amazonaws.com",
  requestParameters: {
    roleArn: `arn:aws:iam::${ACCOUNT}:role/service-role/indexer-role`,
    roleSessionName: "indexer-session",
    durationSeconds: 3600,
  },
  responseElements: {
    credentials: {
      accessKeyId: "ASIAEXAMPLEEXAMPLE01",
      sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE",
      expiration: "Mar 1, 2024, 1:00:01 PM",
    },
    assumedRoleUser: {
      assumedRoleId: "AROAEXAMPLEEXAMPLE01:indexer-session",
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/indexer-role/indexer-session`,
    },
  },
  requestID: "5a2f9b7e-0d1c-4b6a-9f3e-1c2d3e4f5a6b",
  eventID: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
  readOnly: true,
  resources: [
    {
      accountId: ACCOUNT,
      type: "AWS::IAM::Role",
      ARN: `arn:aws:iam::${ACCOUNT}:role/service-role/indexer-role`,
    },
  ],
  eventType: "AwsApiCall",
  managementEvent: true,
  recipientAccountId: ACCOUNT,
  sharedEventID: "7d6c5b4a-3928-4716-a5b4-c3d2e1f0a9b8",
  eventCategory: "Management",
};

/** `signin:ConsoleLogin` with `additionalEventData.MFAUsed` (eventVersion 1.09, `responseElements.ConsoleLogin`). */
export const CONSOLE_LOGIN: CloudTrailEvent = {
  eventVersion: "1.09",
  userIdentity: {
    type: "IAMUser",
    principalId: "AIDAEXAMPLEEXAMPLE01",
    arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
    accountId: ACCOUNT,
    userName: "alice",
  },
  eventTime: "2024-03-01T08:15:42Z",
  eventSource: "signin.amazonaws.com",
  eventName: "ConsoleLogin",
  awsRegion: "us-east-1",
  sourceIPAddress: "203.0.113.25",
  userAgent:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
  requestParameters: null,
  responseElements: { ConsoleLogin: "Success" },
  additionalEventData: {
    LoginTo: "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
    MobileVersion: "No",
    MFAIdentifier: `arn:aws:iam::${ACCOUNT}:mfa/alice-phone`,
    MFAUsed: "Yes",
  },
  eventID: "3b2a1908-f7e6-4d5c-b4a3-9281706f5e4d",
  readOnly: false,
  eventType: "AwsConsoleSignIn",
  managementEvent: true,
  recipientAccountId: ACCOUNT,
  eventCategory: "Management",
  tlsDetails: {
    tlsVersion: "TLSv1.3",
    cipherSuite: "TLS_AES_128_GCM_SHA256",
    clientProvidedHostHeader: "signin.aws.amazon.com",
  },
};

/** A denied call: `errorCode` / `errorMessage`, `responseElements: null`, an assumed-role session context. */
export const ACCESS_DENIED: CloudTrailEvent = {
  eventVersion: "1.09",
  userIdentity: {
    type: "AssumedRole",
    principalId: "AROAEXAMPLEEXAMPLE02:bob@example.com",
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ReadOnly/bob@example.com`,
    accountId: ACCOUNT,
    accessKeyId: "ASIAEXAMPLEEXAMPLE02",
    sessionContext: {
      sessionIssuer: {
        type: "Role",
        principalId: "AROAEXAMPLEEXAMPLE02",
        arn: `arn:aws:iam::${ACCOUNT}:role/ReadOnly`,
        accountId: ACCOUNT,
        userName: "ReadOnly",
      },
      attributes: { creationDate: "2024-03-01T09:00:00Z", mfaAuthenticated: "false" },
    },
  },
  eventTime: "2024-03-01T09:30:12Z",
  eventSource: "s3.amazonaws.com",
  eventName: "GetBucketPolicy",
  awsRegion: "eu-west-1",
  sourceIPAddress: "198.51.100.7",
  userAgent: "[aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8]",
  errorCode: "AccessDenied",
  errorMessage: "Access Denied",
  requestParameters: {
    bucketName: "payroll-exports",
    Host: "payroll-exports.s3.eu-west-1.amazonaws.com",
    policy: "",
  },
  responseElements: null,
  additionalEventData: {
    SignatureVersion: "SigV4",
    CipherSuite: "TLS_AES_128_GCM_SHA256",
    bytesTransferredIn: 0,
    AuthenticationMethod: "AuthHeader",
    "x-amz-id-2": "EXAMPLEyuh0aVu2hUmo1Ks/2ZEXAMPLE=",
    bytesTransferredOut: 243,
  },
  requestID: "EXAMPLE9C7A1B2C3",
  eventID: "9e8d7c6b-5a49-4837-a261-5f4e3d2c1b0a",
  readOnly: true,
  resources: [{ accountId: ACCOUNT, type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::payroll-exports" }],
  eventType: "AwsApiCall",
  managementEvent: true,
  recipientAccountId: ACCOUNT,
  eventCategory: "Management",
  tlsDetails: {
    tlsVersion: "TLSv1.3",
    cipherSuite: "TLS_AES_128_GCM_SHA256",
    clientProvidedHostHeader: "payroll-exports.s3.eu-west-1.amazonaws.com",
  },
};

/** `iam:PutRolePolicy` with a large inline policy document (~40 KB of `requestParameters`, URL-encoded like CloudTrail writes it). */
export const LARGE_REQUEST_PARAMETERS: CloudTrailEvent = {
  eventVersion: "1.08",
  userIdentity: {
    type: "AssumedRole",
    principalId: "AROAEXAMPLEEXAMPLE03:terraform",
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Deployer/terraform`,
    accountId: ACCOUNT,
    accessKeyId: "ASIAEXAMPLEEXAMPLE03",
    sessionContext: {
      sessionIssuer: {
        type: "Role",
        principalId: "AROAEXAMPLEEXAMPLE03",
        arn: `arn:aws:iam::${ACCOUNT}:role/Deployer`,
        accountId: ACCOUNT,
        userName: "Deployer",
      },
      webIdFederationData: {},
      attributes: { creationDate: "2024-03-01T10:00:00Z", mfaAuthenticated: "false" },
    },
  },
  eventTime: "2024-03-01T10:01:02Z",
  eventSource: "iam.amazonaws.com",
  eventName: "PutRolePolicy",
  awsRegion: "us-east-1",
  sourceIPAddress: "192.0.2.10",
  userAgent:
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.40.0",
  requestParameters: {
    roleName: "app-role",
    policyName: "app-inline",
    policyDocument: encodeURIComponent(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: Array.from({ length: 300 }, (_, i) => ({
          Sid: `Allow${i}`,
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:PutObject"],
          Resource: `arn:aws:s3:::bucket-${i}/*`,
        })),
      }),
    ),
  },
  responseElements: null,
  requestID: "d1c2b3a4-9586-4776-8695-a4b3c2d1e0f9",
  eventID: "6c5b4a39-2817-4f6e-9d8c-7b6a59483726",
  readOnly: false,
  eventType: "AwsApiCall",
  managementEvent: true,
  recipientAccountId: ACCOUNT,
  eventCategory: "Management",
};

/** All record shapes above, in the order a log file of the tests contains them. */
export const REAL_RECORDS: readonly CloudTrailEvent[] = [
  ASSUME_ROLE_BY_SERVICE,
  CONSOLE_LOGIN,
  ACCESS_DENIED,
  LARGE_REQUEST_PARAMETERS,
];

/** A CloudTrail log file as CloudTrail delivers it: compact JSON `{"Records":[…]}`, gzip. */
export function logFile(records: readonly unknown[]): Buffer {
  return gzipSync(JSON.stringify({ Records: records }));
}

/** The same event with another id and time (for files of many distinct events). */
export function variant(base: CloudTrailEvent, n: number, day = "2024-03-01"): CloudTrailEvent {
  const seconds = n % 86_400;
  const time = new Date(Date.parse(`${day}T00:00:00Z`) + seconds * 1000).toISOString().replace(".000Z", "Z");
  const id = n.toString(16).padStart(12, "0");
  return { ...base, eventID: `${String(base.eventID).slice(0, 24)}${id}`, eventTime: time };
}

/** The key CloudTrail gives a log file (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/…json.gz`). */
export function trailKey(name: string, day = "2024/03/01"): string {
  return `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/${day}/${ACCOUNT}_CloudTrail_us-east-1_20240301T1200Z_${name}.json.gz`;
}

/** The key of a digest file, which the indexer must skip. */
export function digestKey(name: string): string {
  return `AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2024/03/01/${ACCOUNT}_CloudTrail-Digest_us-east-1_trail_us-east-1_20240301T120000Z_${name}.json.gz`;
}
