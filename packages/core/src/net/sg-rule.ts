import type { IpPermission } from '../operations';

/** One ingress rule as added by a call (or as it exists in live state). */
export interface IngressRule {
  /** sgr-…, known when CloudTrail reported it or when read from live state. */
  ruleId?: string;
  protocol: string;
  fromPort?: number;
  toPort?: number;
  source:
    | { kind: 'ipv4' | 'ipv6'; cidr: string }
    | { kind: 'prefix-list'; id: string }
    | { kind: 'security-group'; id: string };
  description?: string;
}

const PROTOCOL_NAMES: Record<string, string> = {
  '-1': 'all',
  '6': 'tcp',
  '17': 'udp',
  '1': 'icmp',
  '58': 'icmpv6',
};

export function normalizeProtocol(protocol: string): string {
  const lower = protocol.toLowerCase();
  return PROTOCOL_NAMES[lower] ?? lower;
}

/** The inclusive port range a rule opens; protocols without ports open everything. */
export function portRange(rule: IngressRule): { from: number; to: number } {
  const protocol = normalizeProtocol(rule.protocol);
  if ((protocol === 'tcp' || protocol === 'udp') && rule.fromPort !== undefined && rule.fromPort >= 0) {
    return { from: rule.fromPort, to: rule.toPort ?? rule.fromPort };
  }
  return { from: 0, to: 65535 };
}

export function describeRule(rule: IngressRule): string {
  const protocol = normalizeProtocol(rule.protocol);
  const { from, to } = portRange(rule);
  const ports =
    protocol === 'all' ? 'all traffic' : from === to ? `${protocol}/${from}` : `${protocol}/${from}-${to}`;
  const source = 'cidr' in rule.source ? rule.source.cidr : rule.source.id;
  return `${ports} from ${source}`;
}

/** The exact permission that re-creates one rule, for revoking by permission. */
export function toIpPermission(rule: IngressRule): IpPermission {
  const permission: IpPermission = { IpProtocol: rule.protocol };
  if (rule.fromPort !== undefined) permission.FromPort = rule.fromPort;
  if (rule.toPort !== undefined) permission.ToPort = rule.toPort;
  if (rule.source.kind === 'ipv4') permission.IpRanges = [{ CidrIp: rule.source.cidr }];
  if (rule.source.kind === 'ipv6') permission.Ipv6Ranges = [{ CidrIpv6: rule.source.cidr }];
  if (rule.source.kind === 'prefix-list') permission.PrefixListIds = [{ PrefixListId: rule.source.id }];
  if (rule.source.kind === 'security-group') permission.UserIdGroupPairs = [{ GroupId: rule.source.id }];
  return permission;
}
