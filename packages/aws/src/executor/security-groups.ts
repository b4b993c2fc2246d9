import {
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import {
  classifyIngressRule,
  type IngressRule,
  type IpPermission,
  type OperationResult,
  type RevokeSecurityGroupIngress,
} from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';

/** Errors meaning "the rule is already gone": the desired end state, not a failure. */
const ALREADY_GONE = new Set(['InvalidPermission.NotFound', 'InvalidSecurityGroupRuleId.NotFound']);

function toIngressRule(rule: SecurityGroupRule): IngressRule | undefined {
  const base = {
    ruleId: rule.SecurityGroupRuleId,
    protocol: rule.IpProtocol ?? '-1',
    fromPort: rule.FromPort,
    toPort: rule.ToPort,
  };
  if (rule.CidrIpv4) return { ...base, source: { kind: 'ipv4', cidr: rule.CidrIpv4 } };
  if (rule.CidrIpv6) return { ...base, source: { kind: 'ipv6', cidr: rule.CidrIpv6 } };
  if (rule.PrefixListId) return { ...base, source: { kind: 'prefix-list', id: rule.PrefixListId } };
  if (rule.ReferencedGroupInfo?.GroupId)
    return { ...base, source: { kind: 'security-group', id: rule.ReferencedGroupInfo.GroupId } };
  return undefined;
}

const samePort = (a: number | undefined, b: number | undefined) => (a ?? -1) === (b ?? -1);

function matchesPermission(rule: SecurityGroupRule, permission: IpPermission): boolean {
  if ((rule.IpProtocol ?? '-1') !== permission.IpProtocol) return false;
  if (
    permission.IpProtocol !== '-1' &&
    (!samePort(rule.FromPort, permission.FromPort) || !samePort(rule.ToPort, permission.ToPort))
  ) {
    return false;
  }
  return (
    permission.IpRanges?.some((range) => range.CidrIp === rule.CidrIpv4) === true ||
    permission.Ipv6Ranges?.some((range) => range.CidrIpv6 === rule.CidrIpv6) === true ||
    permission.PrefixListIds?.some((list) => list.PrefixListId === rule.PrefixListId) === true
  );
}

async function resolveGroupId(
  ec2: EC2Client,
  input: RevokeSecurityGroupIngress['input'],
): Promise<string | undefined> {
  if ('GroupId' in input) return input.GroupId;
  const { SecurityGroups } = await ec2.send(
    new DescribeSecurityGroupsCommand({ GroupNames: [input.GroupName] }),
  );
  return SecurityGroups?.[0]?.GroupId;
}

async function ingressRules(ec2: EC2Client, groupId: string): Promise<SecurityGroupRule[]> {
  const rules: SecurityGroupRule[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeSecurityGroupRulesCommand({
        Filters: [{ Name: 'group-id', Values: [groupId] }],
        NextToken,
      }),
    );
    rules.push(...(page.SecurityGroupRules ?? []).filter((rule) => rule.IsEgress !== true));
    NextToken = page.NextToken;
  } while (NextToken);
  return rules;
}

/**
 * verify → act → verify for one RevokeSecurityGroupIngress: re-read the group, keep only the
 * targeted rules that still exist and still violate (events arrive late, twice, out of order),
 * revoke them by id, and re-read to prove they are gone.
 */
export async function revokeSecurityGroupIngress(
  operation: RevokeSecurityGroupIngress,
  { clients, config }: ExecutorContext,
): Promise<OperationResult> {
  const ec2 = await clients.get(EC2Client, operation.target);
  const groupId = await resolveGroupId(ec2, operation.input);
  if (!groupId) {
    return {
      operation,
      status: 'already-compliant',
      verified: true,
      detail: 'security group no longer exists',
    };
  }
  const live = await ingressRules(ec2, groupId).catch((error: unknown) => {
    if (awsErrorCode(error) === 'InvalidGroup.NotFound') return [];
    throw error;
  });
  const targeted =
    'SecurityGroupRuleIds' in operation.input
      ? live.filter(
          (rule) =>
            rule.SecurityGroupRuleId &&
            (operation.input as { SecurityGroupRuleIds: string[] }).SecurityGroupRuleIds.includes(
              rule.SecurityGroupRuleId,
            ),
        )
      : live.filter((rule) =>
          (operation.input as { IpPermissions: IpPermission[] }).IpPermissions.some((p) =>
            matchesPermission(rule, p),
          ),
        );
  const settings = { groupId, trustedCidrs: config.trustedCidrs, rule: config.rules['sg-open-ingress'] };
  const stillOffending = targeted.filter((rule) => {
    const ingress = toIngressRule(rule);
    if (!ingress) return false;
    const verdict = classifyIngressRule(ingress, settings);
    return verdict.status === 'offending' && verdict.remediable;
  });
  const ids = stillOffending
    .map((rule) => rule.SecurityGroupRuleId)
    .filter((id): id is string => id !== undefined);
  if (ids.length === 0) {
    return {
      operation,
      status: 'already-compliant',
      verified: true,
      detail: `no offending rule left on ${groupId}`,
    };
  }
  try {
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ids }));
  } catch (error) {
    if (!ALREADY_GONE.has(awsErrorCode(error) ?? '')) throw error;
  }
  const after = await ingressRules(ec2, groupId);
  const remaining = after.filter(
    (rule) => rule.SecurityGroupRuleId && ids.includes(rule.SecurityGroupRuleId),
  );
  if (remaining.length > 0) {
    return {
      operation,
      status: 'failed',
      verified: false,
      detail: `re-read of ${groupId} still shows ${remaining.map((rule) => rule.SecurityGroupRuleId).join(', ')}`,
    };
  }
  return {
    operation,
    status: 'applied',
    verified: true,
    detail: `revoked ${ids.join(', ')} on ${groupId}`,
    changed: ids,
  };
}
