import type { Change } from '../events/change';
import { isRecord, pick, setEntries, setItems, toInt, toStr, unwrap } from '../events/ec2-sets';
import type { IngressRule } from './sg-rule';
import { fromRuleRequest, type SecurityGroupRuleRequest } from './sg-rule-snapshot';

export interface AddedRules {
  groupId?: string;
  groupName?: string;
  rules: IngressRule[];
  /** True when the rule ids came from CloudTrail's securityGroupRuleSet. */
  withIds: boolean;
}

/**
 * Rules an AuthorizeSecurityGroupIngress/Egress call added: from `securityGroupRuleSet` when present
 * (exact ids), else the request. For egress rules `source` is the destination.
 */
export function addedRules(change: Change, direction: 'ingress' | 'egress'): AddedRules {
  const request = change.request;
  const egress = direction === 'egress';
  const reported = setItems(change.response.securityGroupRuleSet).filter(
    (item) => (item.isEgress === true || item.isEgress === 'true') === egress,
  );
  const requestGroupId = toStr(request.groupId);
  if (reported.length > 0) {
    const rules = reported.flatMap((item): IngressRule[] => {
      const source = sourceOfReported(item);
      if (!source) return [];
      const rule: IngressRule = {
        ruleId: toStr(item.securityGroupRuleId),
        protocol: String(item.ipProtocol ?? '-1'),
        fromPort: toInt(item.fromPort),
        toPort: toInt(item.toPort),
        source,
      };
      // Assigned, not spread in: a literal with a spread takes V8's slow path on Node 20.
      const description = toStr(item.description);
      if (description) rule.description = description;
      return [rule];
    });
    const groupName = toStr(request.groupName);
    const added: Partial<AddedRules> = { groupId: toStr(reported[0]?.groupId) ?? requestGroupId };
    if (groupName) added.groupName = groupName;
    added.rules = rules;
    added.withIds = true;
    return added as AddedRules;
  }
  return {
    groupId: requestGroupId,
    groupName: toStr(request.groupName),
    rules: rulesFromRequest(request),
    withIds: false,
  };
}

/** Rules the call added: from `securityGroupRuleSet` when present (exact ids), else the request. */
export function addedIngressRules(change: Change): AddedRules {
  return addedRules(change, 'ingress');
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

/** Where a permission of the request lists its sources, and how each item names one. */
const REQUEST_SOURCES: readonly [string, (item: Record<string, unknown>) => IngressRule['source']][] = [
  ['ipRanges', (item) => ({ kind: 'ipv4', cidr: String(item.cidrIp ?? '') })],
  ['ipv6Ranges', (item) => ({ kind: 'ipv6', cidr: String(item.cidrIpv6 ?? '') })],
  ['prefixListIds', (item) => ({ kind: 'prefix-list', id: String(item.prefixListId ?? '') })],
  ['groups', (item) => ({ kind: 'security-group', id: String(item.groupId ?? item.groupName ?? '') })],
];

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
    const protocol = String(permission.ipProtocol ?? '-1');
    const fromPort = toInt(permission.fromPort);
    const toPort = toInt(permission.toPort);
    return REQUEST_SOURCES.flatMap(([set, sourceOf]) =>
      setItems(permission[set]).map((item): IngressRule => {
        const description = toStr(item.description);
        const source = sourceOf(item);
        // Built whole: a spread copy with keys added takes V8's slow path on Node 20 (per rule).
        return description
          ? { protocol, fromPort, toPort, source, description }
          : { protocol, fromPort, toPort, source };
      }),
    );
  });
}

/** One rule as a ModifySecurityGroupRules call set it. */
export interface ModifiedRule {
  ruleId: string;
  rule?: IngressRule;
}

/**
 * The rules a ModifySecurityGroupRules call set. The record wraps its parameters
 * (`ModifySecurityGroupRulesRequest`, PascalCase) and names each entry `SecurityGroupRule`
 * (an object for one entry, an array for several) holding `SecurityGroupRuleId` and the new
 * `SecurityGroupRule`; unwrapped and camelCase forms are read too.
 */
export function modifiedRules(change: Change): { groupId?: string; rules: ModifiedRule[] } {
  const request = unwrap(change.request, 'ModifySecurityGroupRulesRequest');
  const groupId = toStr(pick(request, 'GroupId', 'groupId'));
  const items = setEntries(pick(request, 'SecurityGroupRule', 'SecurityGroupRules', 'securityGroupRuleSet'));
  const rules = items.flatMap((item): ModifiedRule[] => {
    const ruleId = toStr(pick(item, 'SecurityGroupRuleId', 'securityGroupRuleId'));
    if (!ruleId) return [];
    const body = pick(item, 'SecurityGroupRule', 'securityGroupRule');
    if (!isRecord(body)) return [{ ruleId }];
    const text = (...keys: string[]) => toStr(pick(body, ...keys));
    const fromPort = toInt(pick(body, 'FromPort', 'fromPort'));
    const toPort = toInt(pick(body, 'ToPort', 'toPort'));
    const description = text('Description', 'description');
    const request: SecurityGroupRuleRequest = {
      IpProtocol: String(pick(body, 'IpProtocol', 'ipProtocol') ?? '-1'),
      ...(fromPort !== undefined ? { FromPort: fromPort } : {}),
      ...(toPort !== undefined ? { ToPort: toPort } : {}),
      ...(text('CidrIpv4', 'cidrIpv4') ? { CidrIpv4: text('CidrIpv4', 'cidrIpv4') } : {}),
      ...(text('CidrIpv6', 'cidrIpv6') ? { CidrIpv6: text('CidrIpv6', 'cidrIpv6') } : {}),
      ...(text('PrefixListId', 'prefixListId') ? { PrefixListId: text('PrefixListId', 'prefixListId') } : {}),
      ...(text('ReferencedGroupId', 'referencedGroupId')
        ? { ReferencedGroupId: text('ReferencedGroupId', 'referencedGroupId') }
        : {}),
      ...(description !== undefined ? { Description: description } : {}),
    };
    const rule = fromRuleRequest(request, ruleId);
    return [rule ? { ruleId, rule } : { ruleId }];
  });
  return { ...(groupId ? { groupId } : {}), rules };
}
