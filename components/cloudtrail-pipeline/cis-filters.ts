/**
 * CIS AWS Foundations Benchmark monitoring controls (section "Monitoring",
 * controls 4.1–4.15 in v1.4 / 4.x in v3) as CloudWatch Logs metric filters
 * over the trail's log group. The patterns are CloudTrail JSON filter
 * patterns, quoted as the benchmark gives them.
 */
export interface CloudTrailAlarmFilter {
  /** Short name; resource names and the metric name derive from it. */
  readonly name: string;
  /** The CIS control it implements. */
  readonly control: string;
  readonly pattern: string;
  readonly metricName: string;
  readonly description: string;
}

/** Namespace of every CIS metric (the benchmark's own suggestion). */
export const CIS_NAMESPACE = "CISBenchmark";

export const CIS_FILTERS: readonly CloudTrailAlarmFilter[] = [
  {
    name: "unauthorized-api-calls",
    control: "4.1",
    pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    metricName: "UnauthorizedAPICalls",
    description: "API calls refused for missing permissions: probing, or a broken role.",
  },
  {
    name: "console-login-without-mfa",
    control: "4.2",
    pattern:
      '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    metricName: "ConsoleSignInWithoutMfa",
    description: "An IAM user signed in to the console without MFA.",
  },
  {
    name: "root-account-usage",
    control: "4.3",
    pattern:
      '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    metricName: "RootAccountUsage",
    description: "The root user did something.",
  },
  {
    name: "iam-policy-changes",
    control: "4.4",
    pattern:
      "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }",
    metricName: "IAMPolicyChanges",
    description: "An IAM policy was created, changed, attached or detached.",
  },
  {
    name: "cloudtrail-changes",
    control: "4.5",
    pattern:
      "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
    metricName: "CloudTrailConfigChanges",
    description: "A trail was created, changed, deleted, started or stopped.",
  },
  {
    name: "kms-key-disabled-or-deleted",
    control: "4.7",
    pattern:
      "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
    metricName: "KmsKeyDisabledOrScheduledForDeletion",
    description: "A customer-managed KMS key was disabled or scheduled for deletion.",
  },
  {
    name: "security-group-changes",
    control: "4.10",
    pattern:
      "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }",
    metricName: "SecurityGroupChanges",
    description: "A security group or one of its rules changed.",
  },
  {
    name: "nacl-changes",
    control: "4.11",
    pattern:
      "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }",
    metricName: "NetworkAclChanges",
    description: "A network ACL or one of its entries changed.",
  },
];
