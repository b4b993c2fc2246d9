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

export type Operation = RevokeSecurityGroupIngress;

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
