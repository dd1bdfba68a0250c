/**
 * Finding events as AWS sends them, from AWS's own samples.
 *
 * - GuardDuty: the EventBridge envelope of a "GuardDuty Finding" from the
 *   GuardDuty User Guide, "Processing GuardDuty findings with Amazon
 *   EventBridge" (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html),
 *   whose `detail` is the finding object of the GuardDuty API Reference
 *   (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_Finding.html).
 *   The detail below is GuardDuty's generated sample finding
 *   (UnauthorizedAccess:EC2/SSHBruteForce, `additionalInfo.sample: true`) as
 *   AWS publishes it in aws-samples/amazon-guardduty-waf-acl
 *   (templates/gd2acl_test_event.json); the identifying fields that sample
 *   elides (schemaVersion, accountId, region, partition, arn) are filled in
 *   with the documentation's placeholder account and detector ids; the tag
 *   list is shortened to one tag.
 * - Security Hub: the "Security Hub Findings - Imported" envelope from the
 *   Security Hub User Guide, "EventBridge event formats for Security Hub CSPM"
 *   (https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-event-formats.html),
 *   with an ASFF finding imported from GuardDuty as AWS publishes it in
 *   aws-samples/aws-networkfirewall-guardduty (tests/securityhub-testevent.json,
 *   `ProductFields` and `Tags` abridged);
 *   and a control finding assembled from the examples of "Required top-level
 *   ASFF attributes" (https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html).
 */

/** Deep copy, so that tests can alter a sample without touching the others. */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** GuardDuty's sample finding (the `detail`). */
export const GUARDDUTY_FINDING = {
  schemaVersion: "2.0",
  accountId: "111122223333",
  region: "us-east-1",
  partition: "aws",
  id: "02be5693b63eea1d67e6f321c6aee4f3",
  arn: "arn:aws:guardduty:us-east-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0/finding/02be5693b63eea1d67e6f321c6aee4f3",
  type: "UnauthorizedAccess:EC2/SSHBruteForce",
  resource: {
    resourceType: "Instance",
    instanceDetails: {
      instanceId: "i-99999999",
      instanceType: "m3.xlarge",
      launchTime: "2016-08-02T02:05:06Z",
      platform: null,
      productCodes: [
        {
          productCodeId: "GeneratedFindingProductCodeId",
          productCodeType: "GeneratedFindingProductCodeType",
        },
      ],
      iamInstanceProfile: {
        arn: "GeneratedFindingInstanceProfileArn",
        id: "GeneratedFindingInstanceProfileId",
      },
      networkInterfaces: [
        {
          ipv6Addresses: [],
          networkInterfaceId: "eni-bfcffe88",
          privateDnsName: "GeneratedFindingPrivateDnsName",
          privateIpAddress: "10.0.0.1",
          privateIpAddresses: [
            { privateDnsName: "GeneratedFindingPrivateName", privateIpAddress: "10.0.0.1" },
          ],
          subnetId: "GeneratedFindingSubnetId",
          vpcId: "GeneratedFindingVPCId",
          securityGroups: [
            { groupName: "GeneratedFindingSecurityGroupName", groupId: "GeneratedFindingSecurityId" },
          ],
          publicDnsName: "GeneratedFindingPublicDNSName",
          publicIp: "198.51.100.0",
        },
      ],
      tags: [{ key: "GeneratedFindingInstaceTag1", value: "GeneratedFindingInstaceValue1" }],
      instanceState: "running",
      availabilityZone: "GeneratedFindingInstaceAvailabilityZone",
      imageId: "ami-99999999",
      imageDescription: "GeneratedFindingInstaceImageDescription",
    },
  },
  service: {
    serviceName: "guardduty",
    action: {
      actionType: "NETWORK_CONNECTION",
      networkConnectionAction: {
        connectionDirection: "INBOUND",
        remoteIpDetails: {
          ipAddressV4: "198.51.100.0",
          organization: {
            asn: "-1",
            asnOrg: "GeneratedFindingASNOrg",
            isp: "GeneratedFindingISP",
            org: "GeneratedFindingORG",
          },
          country: { countryName: "GeneratedFindingCountryName" },
          city: { cityName: "GeneratedFindingCityName" },
          geoLocation: { lat: 0, lon: 0 },
        },
        remotePortDetails: { port: 32794, portName: "Unknown" },
        localPortDetails: { port: 22, portName: "SSH" },
        protocol: "TCP",
        blocked: false,
      },
    },
    resourceRole: "TARGET",
    additionalInfo: { sample: true },
    eventFirstSeen: "2018-05-11T14:56:39.976Z",
    eventLastSeen: "2018-05-11T14:56:39.976Z",
    archived: false,
    count: 1,
  },
  severity: 2,
  createdAt: "2018-05-11T14:56:39.976Z",
  updatedAt: "2018-05-11T14:56:39.976Z",
  title: "198.51.100.0 is performing SSH brute force attacks against i-99999999. ",
  description:
    "198.51.100.0 is performing SSH brute force attacks against i-99999999. Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH password.",
};

/** The EventBridge event carrying {@link GUARDDUTY_FINDING} (envelope from the GuardDuty User Guide). */
export function guardDutyEvent(detail: unknown = GUARDDUTY_FINDING): Record<string, unknown> {
  return {
    version: "0",
    id: "cd2d702e-ab31-411b-9344-793ce56b1bc7",
    "detail-type": "GuardDuty Finding",
    source: "aws.guardduty",
    account: "111122223333",
    time: "1970-01-01T00:00:00Z",
    region: "us-east-1",
    resources: [],
    detail: clone(detail),
  };
}

/** A GuardDuty finding imported into Security Hub (ASFF). */
export const SECURITYHUB_GUARDDUTY_FINDING = {
  ProductArn: "arn:aws:securityhub:us-east-1::product/aws/guardduty",
  Types: ["Software and Configuration Checks/Backdoor:EC2.C&CActivity.B"],
  SourceUrl:
    "https://us-east-1.console.aws.amazon.com/guardduty/home?region=us-east-1#/findings?macros=current&fId=1234680e481690b44f7cc7e221abcdef",
  Description:
    "EC2 instance i-99999999 is communicating outbound with a known Command & Control Server 198.51.100.0 located in GeneratedFindingCountryName.",
  SchemaVersion: "2018-10-08",
  GeneratorId: "arn:aws:guardduty:us-east-1:123456789012:detector/012343feb722b1388a5ddc6dd4abcdef",
  FirstObservedAt: "2021-01-05T01:15:01.549Z",
  CreatedAt: "2021-01-05T01:15:01.549Z",
  RecordState: "ACTIVE",
  Title: "EC2 instance i-99999999 communicating outbound with C&C Server.",
  Workflow: { Status: "NEW" },
  LastObservedAt: "2021-01-05T01:15:01.549Z",
  Severity: { Normalized: 80, Label: "HIGH", Product: 8 },
  UpdatedAt: "2021-01-05T01:15:01.549Z",
  WorkflowState: "NEW",
  ProductFields: {
    "aws/guardduty/service/action/actionType": "NETWORK_CONNECTION",
    "aws/guardduty/service/action/networkConnectionAction/connectionDirection": "OUTBOUND",
    "aws/guardduty/service/action/networkConnectionAction/remoteIpDetails/ipAddressV4": "198.51.100.0",
    "aws/guardduty/service/action/networkConnectionAction/remotePortDetails/port": "25",
    "aws/guardduty/service/archived": "false",
    "aws/guardduty/service/count": "1",
    "aws/guardduty/service/detectorId": "012343feb722b1388a5ddc6dd4abcdef",
    "aws/guardduty/service/eventFirstSeen": "2021-01-05T01:15:01.549Z",
    "aws/guardduty/service/eventLastSeen": "2021-01-05T01:15:01.549Z",
    "aws/guardduty/service/resourceRole": "TARGET",
    "aws/guardduty/service/serviceName": "guardduty",
    "aws/securityhub/FindingId":
      "arn:aws:securityhub:us-east-1::product/aws/guardduty/arn:aws:guardduty:us-east-1:123456789012:detector/012343feb722b1388a5ddc6dd4abcdef/finding/1234680e481690b44f7cc7e221abcdef",
    "aws/securityhub/ProductName": "GuardDuty",
    "aws/securityhub/CompanyName": "Amazon",
  },
  AwsAccountId: "123456789012",
  Id: "arn:aws:guardduty:us-east-1:123456789012:detector/012343feb722b1388a5ddc6dd4abcdef/finding/1234680e481690b44f7cc7e221abcdef",
  Resources: [
    {
      Partition: "aws",
      Type: "AwsEc2Instance",
      Details: {
        AwsEc2Instance: {
          Type: "m3.xlarge",
          VpcId: "GeneratedFindingVPCId",
          ImageId: "ami-99999999",
          IpV4Addresses: ["10.0.0.1", "198.51.100.0"],
          SubnetId: "GeneratedFindingSubnetId",
          LaunchedAt: "2016-08-02T02:05:06Z",
          IamInstanceProfileArn: "arn:aws:iam::123456789012:example/instance/profile",
        },
      },
      Region: "us-east-1",
      Id: "arn:aws:ec2:us-east-1:123456789012:instance/i-99999999",
      Tags: { GeneratedFindingInstaceTag1: "GeneratedFindingInstaceValue1" },
    },
  ],
};

/**
 * A Security Hub control finding (Config.1) from the attribute examples of
 * "Required top-level ASFF attributes"; the severity, title, types,
 * resource and times not shown there are filled in the same shape.
 */
export const SECURITYHUB_CONTROL_FINDING = {
  SchemaVersion: "2018-10-08",
  Id: "arn:aws:securityhub:eu-central-1:123456789012:security-control/iam.9/finding/ab6d6a26-a156-48f0-9403-115983e5a956",
  ProductArn: "arn:aws:securityhub:eu-central-1::product/aws/securityhub",
  GeneratorId: "security-control/Config.1",
  AwsAccountId: "111111111111",
  Types: ["Software and Configuration Checks/Industry and Regulatory Standards"],
  CreatedAt: "2017-03-22T13:22:13.933Z",
  UpdatedAt: "2017-04-22T13:22:13.933Z",
  Severity: { Label: "MEDIUM", Original: "MEDIUM" },
  FindingProviderFields: { Severity: { Label: "MEDIUM", Original: "MEDIUM" } },
  Title: "AWS Config should be enabled",
  Description: "This AWS control checks whether AWS Config is enabled in the current account and Region.",
  Resources: [
    { Type: "AwsAccount", Id: "AWS::::Account:111111111111", Partition: "aws", Region: "eu-central-1" },
  ],
  Compliance: { Status: "FAILED" },
  Workflow: { Status: "NEW" },
  RecordState: "ACTIVE",
};

/** A "Security Hub Findings - Imported" event (envelope from the Security Hub User Guide) carrying `findings`. */
export function securityHubEvent(
  findings: readonly unknown[] = [SECURITYHUB_GUARDDUTY_FINDING],
): Record<string, unknown> {
  return {
    version: "0",
    id: "12345abc-ca56-771b-cd1b-710550598e37",
    "detail-type": "Security Hub Findings - Imported",
    source: "aws.securityhub",
    account: "123456789012",
    time: "2021-01-05T01:20:33Z",
    region: "us-east-1",
    resources: [
      "arn:aws:securityhub:us-east-1::product/aws/guardduty/arn:aws:guardduty:us-east-1:123456789012:detector/012343feb722b1388a5ddc6dd4abcdef/finding/1234680e481690b44f7cc7e221abcdef",
    ],
    detail: { findings: clone(findings) },
  };
}

/**
 * A GuardDuty runtime-protection health event: same source, not a finding
 * (one of the non-finding detail types GuardDuty sends, per the EventBridge
 * events reference https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-guardduty.html).
 */
export const GUARDDUTY_HEALTH_EVENT = {
  version: "0",
  id: "0a1b2c3d-0000-4000-8000-000000000001",
  "detail-type": "GuardDuty Runtime Protection Unhealthy",
  source: "aws.guardduty",
  account: "111122223333",
  time: "2024-01-01T00:00:00Z",
  region: "us-east-1",
  resources: [],
  detail: {},
};
