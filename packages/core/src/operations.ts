import type { LambdaOperation } from './lambda-operations';
import type { PlaybookOperation } from './playbook-operations';
import type { ResourcePolicyOperation } from './resource-policy-operations';
import type { ShareOperation } from './share-operations';
import type { UpdateAssumeRolePolicy } from './trust-operations';

/**
 * Typed remediation operations: the plan is data, so replay can print it, tests can assert it,
 * and the executor (packages/aws) is the only place that turns it into SDK calls.
 * `input` uses the SDK's own field names so a reader can map each operation to the API reference.
 */
export interface Target {
  account: string;
  region: string;
}

export interface IpPermission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: { CidrIp: string }[];
  Ipv6Ranges?: { CidrIpv6: string }[];
  PrefixListIds?: { PrefixListId: string }[];
  /** Security-group sources (only used to find rules by permission; never revoked for openness). */
  UserIdGroupPairs?: { GroupId: string }[];
}

export interface RevokeSecurityGroupIngress {
  service: 'ec2';
  operation: 'RevokeSecurityGroupIngress';
  target: Target;
  /**
   * By rule id when CloudTrail reported the ids of the rules the call added; otherwise by exact
   * permission, which the executor resolves to rule ids by describing the group.
   */
  input:
    | { GroupId: string; SecurityGroupRuleIds: string[] }
    | { GroupId: string; IpPermissions: IpPermission[] }
    | { GroupName: string; IpPermissions: IpPermission[] };
}

/**
 * sg-open-ingress on ModifySecurityGroupRules: put each rule back as it was last seen compliant
 * (ModifySecurityGroupRules with the snapshot-store document); a rule with no known good version
 * is revoked (RevokeSecurityGroupIngress by id). The executor re-reads each rule first and acts only
 * on ingress rules that are still open beyond trusted networks.
 */
export interface RestoreSecurityGroupRules {
  service: 'ec2';
  operation: 'RestoreSecurityGroupRules';
  target: Target;
  input: { GroupId: string; SecurityGroupRuleIds: string[] };
}

/**
 * default-sg-in-use: revoke the rules a call added to a VPC's default security group, by rule id
 * (RevokeSecurityGroupIngress / RevokeSecurityGroupEgress), or by exact permission for older
 * records without ids. The executor confirms live that the group's name is "default" before acting
 * (verify → act → verify), whatever the event said.
 */
export interface RevokeDefaultSecurityGroupRules {
  service: 'ec2';
  operation: 'RevokeDefaultSecurityGroupRules';
  target: Target;
  input:
    | { GroupId: string; IsEgress: boolean; SecurityGroupRuleIds: string[] }
    | { GroupId: string; IsEgress: boolean; IpPermissions: IpPermission[] }
    /** By name: the default VPC's group called "default" (AuthorizeSecurityGroupIngress by name). */
    | { GroupName: 'default'; IsEgress: false; IpPermissions: IpPermission[] };
}

/**
 * managed-prefix-list: take exactly these entries (the out-of-zone ones a call added) back out of
 * the list. The executor re-reads the list, removes only the CIDRs still present and still outside
 * the trusted networks (ModifyManagedPrefixList RemoveEntries, with the version it just read as
 * CurrentVersion, so a concurrent edit fails the call instead of being overwritten), and re-reads
 * the entries to verify they are gone.
 */
export interface RemoveManagedPrefixListEntries {
  service: 'ec2';
  operation: 'RemoveManagedPrefixListEntries';
  target: Target;
  input: { PrefixListId: string; Cidrs: string[] };
}

/**
 * vpc-peering. The plan names the expected call; the executor re-reads the connection and makes the
 * call its live state allows: Reject when it is pending acceptance and the target account is the
 * accepter (an accepter cannot delete a pending request), Delete otherwise. Both verify the final
 * state (rejected / deleted) with DescribeVpcPeeringConnections by id.
 */
export interface RejectVpcPeeringConnection {
  service: 'ec2';
  operation: 'RejectVpcPeeringConnection';
  target: Target;
  input: { VpcPeeringConnectionId: string };
}

export interface DeleteVpcPeeringConnection {
  service: 'ec2';
  operation: 'DeleteVpcPeeringConnection';
  target: Target;
  input: { VpcPeeringConnectionId: string };
}

/** vpc-endpoint-service: remove exactly the principals the change added and that offend. */
export interface ModifyVpcEndpointServicePermissions {
  service: 'ec2';
  operation: 'ModifyVpcEndpointServicePermissions';
  target: Target;
  input: { ServiceId: string; RemoveAllowedPrincipals: string[] };
}

/** vpc-endpoint-service: require acceptance of every endpoint connection again. */
export interface ModifyVpcEndpointServiceConfiguration {
  service: 'ec2';
  operation: 'ModifyVpcEndpointServiceConfiguration';
  target: Target;
  input: { ServiceId: string; AcceptanceRequired: true };
}

/**
 * What a policy revert re-checks live state with: the organization and the trust-zone accounts the
 * evaluated document named (the executor adds config.trustedAccounts and the target account).
 */
export interface ZoneSnapshot {
  organizationId?: string;
  accounts: string[];
}

/** A statement of the evaluated policy, found again in the live policy by content (else by Sid). */
export interface PolicyStatementRef {
  index: number;
  sid?: string;
  /** Canonical JSON of the statement (`statementFingerprint`). */
  fingerprint: string;
}

/**
 * s3-bucket-policy: the policy without the offending statements (Sids and order kept). The executor
 * re-reads the live policy and removes only the referenced statements that still offend; with
 * `restore: last-known-good` it puts the last compliant policy back instead, when one is known.
 */
export interface PutBucketPolicy {
  service: 's3';
  operation: 'PutBucketPolicy';
  target: Target;
  input: { Bucket: string; Policy: string };
  remove: PolicyStatementRef[];
  restore: 'remove-statements' | 'last-known-good';
  zone: ZoneSnapshot;
}

/** s3-bucket-policy: every statement offends, so nothing remains (same live re-check as PutBucketPolicy). */
export interface DeleteBucketPolicy {
  service: 's3';
  operation: 'DeleteBucketPolicy';
  target: Target;
  input: { Bucket: string };
  remove: PolicyStatementRef[];
  restore: 'remove-statements' | 'last-known-good';
  zone: ZoneSnapshot;
}

/**
 * s3-access-point-policy: the access point's policy without the offending statements (S3 Control
 * PutAccessPointPolicy). The executor re-reads the live policy and removes only the referenced
 * statements that still offend.
 */
export interface PutAccessPointPolicy {
  service: 's3control';
  operation: 'PutAccessPointPolicy';
  target: Target;
  input: { AccountId: string; Name: string; Policy: string };
  remove: PolicyStatementRef[];
  zone: ZoneSnapshot;
}

/** s3-access-point-policy: every statement offends, so nothing remains (same live re-check). */
export interface DeleteAccessPointPolicy {
  service: 's3control';
  operation: 'DeleteAccessPointPolicy';
  target: Target;
  input: { AccountId: string; Name: string };
  remove: PolicyStatementRef[];
  zone: ZoneSnapshot;
}

export interface PublicAccessBlockConfiguration {
  BlockPublicAcls: true;
  IgnorePublicAcls: true;
  BlockPublicPolicy: true;
  RestrictPublicBuckets: true;
}

/** s3-public-access-block (bucket): all four settings back on (S3 PutPublicAccessBlock). */
export interface PutPublicAccessBlock {
  service: 's3';
  operation: 'PutPublicAccessBlock';
  target: Target;
  input: { Bucket: string; PublicAccessBlockConfiguration: PublicAccessBlockConfiguration };
}

/** s3-public-access-block (account): all four settings back on (S3 Control PutPublicAccessBlock). */
export interface PutAccountPublicAccessBlock {
  service: 's3control';
  operation: 'PutAccountPublicAccessBlock';
  target: Target;
  input: { AccountId: string; PublicAccessBlockConfiguration: PublicAccessBlockConfiguration };
}

/**
 * vpc-endpoint-policy: ModifyVpcEndpoint with the configured baseline policy. With
 * `restore: last-known-good` the executor puts the last compliant policy back instead when one is
 * known and still compliant; it acts only while the live policy still violates.
 */
export interface ModifyVpcEndpointPolicy {
  service: 'ec2';
  operation: 'ModifyVpcEndpoint';
  target: Target;
  input: { VpcEndpointId: string; PolicyDocument: string };
  restore: 'last-known-good' | 'baseline';
  zone: ZoneSnapshot;
}

/** driftguard-integrity: a disabled forwarding rule enabled again (EventBridge EnableRule). */
export interface EnableForwardingRule {
  service: 'events';
  operation: 'EnableRule';
  target: Target;
  input: { Name: string; EventBusName: 'default' };
}

/** The one target the template gives every forwarding rule (footprint.ts). */
export interface ForwardingTarget {
  Id: string;
  Arn: string;
  RoleArn: string;
}

/**
 * driftguard-integrity: the forwarding rule's template target put back when missing or changed
 * (PutTargets), and the targets the change added removed (RemoveTargets of exactly those ids).
 */
export interface RestoreForwardingTarget {
  service: 'events';
  operation: 'RestoreForwardingTarget';
  target: Target;
  input: { Rule: string; EventBusName: 'default'; Target: ForwardingTarget; RemoveIds: string[] };
}

/** driftguard-integrity: the remediation role's trust policy put back exactly as the template writes it. */
export interface RestoreRemediationTrust {
  service: 'iam';
  operation: 'RestoreRemediationTrust';
  target: Target;
  input: { RoleName: string; PolicyDocument: string };
}

export type Operation =
  | PlaybookOperation
  | LambdaOperation
  | ShareOperation
  | ResourcePolicyOperation
  | UpdateAssumeRolePolicy
  | EnableForwardingRule
  | RestoreForwardingTarget
  | RestoreRemediationTrust
  | RevokeSecurityGroupIngress
  | RestoreSecurityGroupRules
  | RevokeDefaultSecurityGroupRules
  | RemoveManagedPrefixListEntries
  | RejectVpcPeeringConnection
  | DeleteVpcPeeringConnection
  | ModifyVpcEndpointServicePermissions
  | ModifyVpcEndpointServiceConfiguration
  | PutBucketPolicy
  | DeleteBucketPolicy
  | PutAccessPointPolicy
  | DeleteAccessPointPolicy
  | PutPublicAccessBlock
  | PutAccountPublicAccessBlock
  | ModifyVpcEndpointPolicy;

/** The outcome of one operation after the executor re-read live state. */
export interface OperationResult {
  operation: Operation;
  /** applied: changed and verified · already-compliant: nothing left to do · failed: see detail */
  status: 'applied' | 'already-compliant' | 'failed';
  /** True when a read after the change confirmed the offending state is gone. */
  verified: boolean;
  detail: string;
  /** What was actually changed (e.g. the rule ids revoked). */
  changed?: string[];
}
