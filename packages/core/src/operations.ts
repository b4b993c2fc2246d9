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

export type Operation =
  | RevokeSecurityGroupIngress
  | RestoreSecurityGroupRules
  | RevokeDefaultSecurityGroupRules
  | RejectVpcPeeringConnection
  | DeleteVpcPeeringConnection
  | ModifyVpcEndpointServicePermissions
  | ModifyVpcEndpointServiceConfiguration;

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
