import type { PortSpec, SgOpenIngressConfig } from '../config';
import type { Change } from '../events/change';
import { isRecord, setItems, toInt, toStr } from '../events/ec2-sets';
import { cidrWithin, isAnyAddress, parseCidr } from '../net/cidr';
import type { IpPermission, Operation, Target } from '../operations';
import type { Offense, ResourceRef, Severity, Verdict } from '../verdict';
import { maxSeverity } from '../verdict';
import type { Guardrail } from './guardrail';

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
}

export type RuleClassification =
  | { status: 'trusted'; reason: string }
  | { status: 'allowlisted'; reason: string }
  | { status: 'offending'; severity: Severity; reason: string; remediable: boolean };

export interface ClassifyOptions {
  groupId?: string;
  trustedCidrs: readonly string[];
  rule: SgOpenIngressConfig;
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

function portsAllowed(rule: IngressRule, specs: readonly PortSpec[]): boolean {
  const protocol = normalizeProtocol(rule.protocol);
  if (protocol !== 'tcp' && protocol !== 'udp') return false;
  const { from, to } = portRange(rule);
  return specs.some((spec) => {
    const [low, high] = typeof spec === 'number' ? [spec, spec] : spec.split('-').map(Number);
    return low !== undefined && high !== undefined && from >= low && to <= high;
  });
}

/**
 * The heart of the guardrail, shared by event evaluation and by the executor's re-read of live
 * state: is this one ingress rule open beyond the trust zone?
 */
export function classifyIngressRule(rule: IngressRule, options: ClassifyOptions): RuleClassification {
  const { source } = rule;
  if (source.kind === 'security-group') {
    return { status: 'trusted', reason: `source is security group ${source.id}` };
  }
  if (source.kind === 'prefix-list') {
    if (options.rule.trustedPrefixLists.includes(source.id)) {
      return { status: 'trusted', reason: `prefix list ${source.id} is trusted` };
    }
    return {
      status: 'offending',
      severity: 'medium',
      remediable: false,
      reason: `${describeRule(rule)}: prefix list ${source.id} is not in trustedPrefixLists, its entries cannot be checked`,
    };
  }
  const cidr = parseCidr(source.cidr);
  if (!cidr) {
    return {
      status: 'offending',
      severity: 'high',
      remediable: true,
      reason: `${describeRule(rule)}: unparseable CIDR`,
    };
  }
  const trusted = options.trustedCidrs.find((text) => {
    const outer = parseCidr(text);
    return outer !== undefined && cidrWithin(cidr, outer);
  });
  if (trusted) return { status: 'trusted', reason: `${source.cidr} is within trusted ${trusted}` };
  if (options.groupId && options.rule.allowedSecurityGroups.includes(options.groupId)) {
    return { status: 'allowlisted', reason: `${options.groupId} is in allowedSecurityGroups` };
  }
  const allowedPorts = options.groupId ? options.rule.allowedPorts[options.groupId] : undefined;
  if (allowedPorts && portsAllowed(rule, allowedPorts)) {
    return {
      status: 'allowlisted',
      reason: `${describeRule(rule)} is in allowedPorts of ${options.groupId}`,
    };
  }
  const protocol = normalizeProtocol(rule.protocol);
  const { from, to } = portRange(rule);
  // ICMP and other port-less protocols reach no admin service; only tcp/udp ranges are checked.
  const hasPorts = protocol === 'tcp' || protocol === 'udp';
  const criticalPort = hasPorts
    ? options.rule.criticalPorts.find((port) => port >= from && port <= to)
    : undefined;
  const internet = isAnyAddress(cidr);
  if (internet && (protocol === 'all' || criticalPort !== undefined)) {
    const what = protocol === 'all' ? 'every protocol and port' : `admin/database port ${criticalPort}`;
    return {
      status: 'offending',
      severity: 'critical',
      remediable: true,
      reason: `${describeRule(rule)}: ${what} open to the whole internet`,
    };
  }
  return {
    status: 'offending',
    severity: 'high',
    remediable: true,
    reason: `${describeRule(rule)}: ${source.cidr} is outside the trusted networks`,
  };
}

interface AddedRules {
  groupId?: string;
  groupName?: string;
  rules: IngressRule[];
  /** True when the rule ids came from CloudTrail's securityGroupRuleSet. */
  withIds: boolean;
}

/** Rules the call added: from `securityGroupRuleSet` when present (exact ids), else the request. */
export function addedIngressRules(change: Change): AddedRules {
  const request = change.request;
  const reported = setItems(change.response.securityGroupRuleSet).filter((item) => item.isEgress !== true);
  const requestGroupId = toStr(request.groupId);
  if (reported.length > 0) {
    const rules = reported.flatMap((item): IngressRule[] => {
      const source = sourceOfReported(item);
      if (!source) return [];
      return [
        {
          ruleId: toStr(item.securityGroupRuleId),
          protocol: String(item.ipProtocol ?? '-1'),
          fromPort: toInt(item.fromPort),
          toPort: toInt(item.toPort),
          source,
        },
      ];
    });
    return { groupId: toStr(reported[0]?.groupId) ?? requestGroupId, rules, withIds: true };
  }
  return {
    groupId: requestGroupId,
    groupName: toStr(request.groupName),
    rules: rulesFromRequest(request),
    withIds: false,
  };
}

function sourceOfReported(item: Record<string, unknown>): IngressRule['source'] | undefined {
  const cidrIpv4 = toStr(item.cidrIpv4);
  if (cidrIpv4) return { kind: 'ipv4', cidr: cidrIpv4 };
  const cidrIpv6 = toStr(item.cidrIpv6);
  if (cidrIpv6) return { kind: 'ipv6', cidr: cidrIpv6 };
  const prefixList = toStr(item.prefixListId);
  if (prefixList) return { kind: 'prefix-list', id: prefixList };
  const referenced = isRecord(item.referencedGroupInfo) ? toStr(item.referencedGroupInfo.groupId) : undefined;
  if (referenced) return { kind: 'security-group', id: referenced };
  return undefined;
}

function rulesFromRequest(request: Record<string, unknown>): IngressRule[] {
  const permissions = setItems(request.ipPermissions);
  // The legacy form of the API puts one permission at the top level (CidrIp, IpProtocol, ports).
  if (permissions.length === 0 && (request.cidrIp !== undefined || request.ipProtocol !== undefined)) {
    permissions.push({
      ...request,
      ipRanges: request.cidrIp ? { items: [{ cidrIp: request.cidrIp }] } : undefined,
    });
  }
  return permissions.flatMap((permission) => {
    const base = {
      protocol: String(permission.ipProtocol ?? '-1'),
      fromPort: toInt(permission.fromPort),
      toPort: toInt(permission.toPort),
    };
    const sources: IngressRule['source'][] = [
      ...setItems(permission.ipRanges).map((r) => ({ kind: 'ipv4' as const, cidr: String(r.cidrIp ?? '') })),
      ...setItems(permission.ipv6Ranges).map((r) => ({
        kind: 'ipv6' as const,
        cidr: String(r.cidrIpv6 ?? ''),
      })),
      ...setItems(permission.prefixListIds).map((r) => ({
        kind: 'prefix-list' as const,
        id: String(r.prefixListId ?? ''),
      })),
      ...setItems(permission.groups).map((r) => ({
        kind: 'security-group' as const,
        id: String(r.groupId ?? r.groupName ?? ''),
      })),
    ];
    return sources.map((source) => ({ ...base, source }));
  });
}

/** The exact permission that re-creates one rule, for revoking by permission. */
export function toIpPermission(rule: IngressRule): IpPermission {
  const permission: IpPermission = { IpProtocol: rule.protocol };
  if (rule.fromPort !== undefined) permission.FromPort = rule.fromPort;
  if (rule.toPort !== undefined) permission.ToPort = rule.toPort;
  if (rule.source.kind === 'ipv4') permission.IpRanges = [{ CidrIp: rule.source.cidr }];
  if (rule.source.kind === 'ipv6') permission.Ipv6Ranges = [{ CidrIpv6: rule.source.cidr }];
  if (rule.source.kind === 'prefix-list') permission.PrefixListIds = [{ PrefixListId: rule.source.id }];
  return permission;
}

export function securityGroupRef(
  target: Target,
  group: { groupId?: string; groupName?: string },
): ResourceRef {
  if (group.groupId) {
    return {
      type: 'AWS::EC2::SecurityGroup',
      id: group.groupId,
      arn: `arn:aws:ec2:${target.region}:${target.account}:security-group/${group.groupId}`,
    };
  }
  return { type: 'AWS::EC2::SecurityGroup', id: group.groupName ?? 'unknown' };
}

function revokeOperation(target: Target, added: AddedRules, offending: IngressRule[]): Operation | undefined {
  if (offending.length === 0) return undefined;
  const ids = offending.map((rule) => rule.ruleId).filter((id): id is string => id !== undefined);
  if (added.groupId && ids.length === offending.length) {
    return {
      service: 'ec2',
      operation: 'RevokeSecurityGroupIngress',
      target,
      input: { GroupId: added.groupId, SecurityGroupRuleIds: ids },
    };
  }
  const IpPermissions = offending.map(toIpPermission);
  if (added.groupId) {
    return {
      service: 'ec2',
      operation: 'RevokeSecurityGroupIngress',
      target,
      input: { GroupId: added.groupId, IpPermissions },
    };
  }
  if (added.groupName) {
    return {
      service: 'ec2',
      operation: 'RevokeSecurityGroupIngress',
      target,
      input: { GroupName: added.groupName, IpPermissions },
    };
  }
  return undefined;
}

export const sgOpenIngress: Guardrail = {
  id: 'sg-open-ingress',
  title: 'Security group open beyond trusted networks',
  severity: 'high',
  defaultMode: 'revert',
  rationale:
    'Zero trust admits no network as trusted by default: an ingress rule from the internet (or any CIDR outside your own ranges) bypasses identity-aware access such as SSM Session Manager, Verified Access or PrivateLink, and is the first thing scanners find.',
  docs: {
    violation:
      'An added ingress rule whose source is an IPv4/IPv6 CIDR outside `trustedCidrs` (default RFC 1918, 100.64.0.0/10, fc00::/7), unless the group is in `allowedSecurityGroups` or the ports are in `allowedPorts` for that group. All protocols, or an admin/database port (`criticalPorts`), from 0.0.0.0/0 or ::/0 is critical. A prefix list not in `trustedPrefixLists` is alerted on (its entries cannot be judged), never reverted.',
    revert:
      'RevokeSecurityGroupIngress with the offending SecurityGroupRuleIds only (from the CloudTrail response; when the record has none, the executor finds the ids by matching the exact permission). Compliant rules added by the same call stay.',
  },
  triggers: [{ eventSource: 'ec2.amazonaws.com', eventNames: ['AuthorizeSecurityGroupIngress'] }],
  evaluate(change: Change, { config }): Verdict {
    const settings = config.rules['sg-open-ingress'];
    const added = addedIngressRules(change);
    const target = { account: change.account, region: change.region };
    const resource = securityGroupRef(target, added);
    if (added.rules.length === 0) {
      return { kind: 'not-applicable', summary: 'the call added no ingress rule driftguard can read' };
    }
    const offenses: Offense[] = [];
    const offending: IngressRule[] = [];
    for (const [index, rule] of added.rules.entries()) {
      const verdict = classifyIngressRule(rule, {
        groupId: added.groupId,
        trustedCidrs: config.trustedCidrs,
        rule: settings,
      });
      if (verdict.status !== 'offending') continue;
      offenses.push({
        id: rule.ruleId ?? `permission-${index}`,
        severity: verdict.severity,
        reason: verdict.reason,
        remediable: verdict.remediable,
      });
      if (verdict.remediable) offending.push(rule);
    }
    if (offenses.length === 0) {
      return {
        kind: 'compliant',
        resource,
        summary: `${added.rules.length} added ingress rule(s), all within trusted networks or allowlisted`,
      };
    }
    const operation = revokeOperation(target, added, offending);
    return {
      kind: 'violation',
      severity: maxSeverity(offenses.map((offense) => offense.severity)),
      resource,
      summary: `${offenses.length} of ${added.rules.length} added ingress rule(s) on ${resource.id} open beyond trusted networks`,
      offenses,
      remediation: operation ? [operation] : [],
    };
  },
};
