/**
 * A trail file as a busy account really writes it: mostly small management
 * events (about 1.1 KB each), some S3 data events, console logins and denied
 * calls, and a rare very large `requestParameters` (an inline policy).
 *
 * The shapes are the test fixtures (apps/cloudtrail-indexer/test/fixtures.ts,
 * from documented examples) plus an S3 `GetObject` data event shaped like the
 * AWS documentation's data event example (Amazon S3 user guide, "CloudTrail
 * log file entries for Amazon S3": `eventCategory: "Data"`,
 * `managementEvent: false`, object and bucket in `resources`).
 */
import { randomUUID } from "node:crypto";
import type { CloudTrailEvent } from "../../../apps/cloudtrail-indexer/src/split";
import {
  ACCESS_DENIED,
  ASSUME_ROLE_BY_SERVICE,
  CONSOLE_LOGIN,
  LARGE_REQUEST_PARAMETERS,
  variant,
} from "../../../apps/cloudtrail-indexer/test/fixtures";

const ACCOUNT = "111122223333";

/** An S3 `GetObject` data event (eventVersion 1.10). */
export const S3_GET_OBJECT: CloudTrailEvent = {
  eventVersion: "1.10",
  userIdentity: {
    type: "AssumedRole",
    principalId: "AROAEXAMPLEEXAMPLE04:i-0123456789abcdef0",
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app-instance/i-0123456789abcdef0`,
    accountId: ACCOUNT,
    accessKeyId: "ASIAEXAMPLEEXAMPLE04",
    sessionContext: {
      sessionIssuer: {
        type: "Role",
        principalId: "AROAEXAMPLEEXAMPLE04",
        arn: `arn:aws:iam::${ACCOUNT}:role/app-instance`,
        accountId: ACCOUNT,
        userName: "app-instance",
      },
      attributes: { creationDate: "2024-03-01T06:00:00Z", mfaAuthenticated: "false" },
      ec2RoleDelivery: "2.0",
    },
  },
  eventTime: "2024-03-01T12:00:02Z",
  eventSource: "s3.amazonaws.com",
  eventName: "GetObject",
  awsRegion: "us-east-1",
  sourceIPAddress: "10.0.12.34",
  userAgent:
    "[aws-sdk-java/2.25.6 Linux/6.1.79 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy]",
  requestParameters: {
    bucketName: "app-assets",
    Host: "app-assets.s3.us-east-1.amazonaws.com",
    key: "images/2024/03/01/product-8f14e45f.png",
  },
  responseElements: null,
  // The S3 request details, as on the denied S3 call of the fixtures.
  additionalEventData: { ...(ACCESS_DENIED.additionalEventData as object), bytesTransferredOut: 28441 },
  requestID: "07D681123BD12AED",
  eventID: "f2b287f3-0df1-4e6b-a2f4-c4bdfed47657",
  readOnly: true,
  resources: [
    { type: "AWS::S3::Object", ARN: "arn:aws:s3:::app-assets/images/2024/03/01/product-8f14e45f.png" },
    { accountId: ACCOUNT, type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::app-assets" },
  ],
  eventType: "AwsApiCall",
  managementEvent: false,
  recipientAccountId: ACCOUNT,
  eventCategory: "Data",
  tlsDetails: {
    tlsVersion: "TLSv1.3",
    cipherSuite: "TLS_AES_128_GCM_SHA256",
    clientProvidedHostHeader: "app-assets.s3.us-east-1.amazonaws.com",
  },
};

/**
 * Record `n` of the file, per 1,000: 800 service `AssumeRole` calls, 100 S3
 * data events, 50 denied calls, 48 console logins, 2 inline-policy updates
 * (about 60 KB each). Request ids, client addresses and object keys vary so
 * the file compresses like a real trail.
 */
export function realShapesRecordAt(n: number): CloudTrailEvent {
  const slot = n % 1000;
  const base =
    slot < 800
      ? ASSUME_ROLE_BY_SERVICE
      : slot < 900
        ? S3_GET_OBJECT
        : slot < 950
          ? ACCESS_DENIED
          : slot < 998
            ? CONSOLE_LOGIN
            : LARGE_REQUEST_PARAMETERS;
  const octet = (): number => Math.floor(Math.random() * 256);
  const record: Record<string, unknown> = { ...variant(base, n), requestID: randomUUID() };
  if (base.sharedEventID !== undefined) record.sharedEventID = randomUUID();
  if (base !== ASSUME_ROLE_BY_SERVICE) record.sourceIPAddress = `${octet()}.${octet()}.${octet()}.${octet()}`;
  if (base === S3_GET_OBJECT) {
    const key = `images/2024/03/01/product-${randomUUID().slice(0, 8)}.png`;
    record.requestParameters = { ...(base.requestParameters as object), key };
    record.resources = [
      { type: "AWS::S3::Object", ARN: `arn:aws:s3:::app-assets/${key}` },
      { accountId: ACCOUNT, type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::app-assets" },
    ];
  }
  return record;
}
