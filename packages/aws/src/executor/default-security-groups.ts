import {
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import type { OperationResult, RevokeDefaultSecurityGroupRules } from '@driftguard/core';
import { awsErrorCode } from '../errors';
import type { ExecutorContext } from './index';
import { alreadyCompliant, applied, failed } from './results';
import { ALREADY_GONE, groupRules, matchesPermission } from './security-groups';

/** The group the operation names, read live; undefined when it no longer exists. */
async function liveGroup(
  ec2: EC2Client,
  input: RevokeDefaultSecurityGroupRules['input'],
): Promise<SecurityGroup | undefined> {
  if ('GroupId' in input) {
    try {
      const { SecurityGroups } = await ec2.send(
        new DescribeSecurityGroupsCommand({ GroupIds: [input.GroupId] }),
      );
      return SecurityGroups?.[0];
    } catch (error) {
      if (awsErrorCode(error) === 'InvalidGroup.NotFound') return undefined;
      throw error;
    }
  }
  // By name: the default VPC's group called "default" (what an AuthorizeSecurityGroupIngress by
  // name reaches).
  const { Vpcs } = await ec2.send(
    new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }),
  );
  const vpcId = Vpcs?.[0]?.VpcId;
  if (!vpcId) return undefined;
  const { SecurityGroups } = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: ['default'] },
      ],
    }),
  );
  return SecurityGroups?.[0];
}

/**
 * verify → act → verify for default-sg-in-use: confirm live that the group is a VPC's default group
 * (whatever the event said), find the rules the call added that still exist (by id, or by exact
 * permission for records without ids), revoke exactly those, and re-read to prove they are gone.
 */
export async function revokeDefaultSecurityGroupRules(
  operation: RevokeDefaultSecurityGroupRules,
  { clients }: ExecutorContext,
): Promise<OperationResult> {
  const ec2 = await clients.get(EC2Client, operation.target);
  const { input } = operation;
  const direction = input.IsEgress ? 'egress' : 'ingress';
  const group = await liveGroup(ec2, input);
  if (!group?.GroupId) {
    return alreadyCompliant(operation, 'security group no longer exists');
  }
  const groupId = group.GroupId;
  if (group.GroupName !== 'default') {
    return alreadyCompliant(
      operation,
      `${groupId} is "${group.GroupName}", not a default group: nothing to revoke`,
    );
  }
  const live = await groupRules(ec2, groupId, direction);
  const targeted =
    'SecurityGroupRuleIds' in input
      ? live.filter(
          (rule) => rule.SecurityGroupRuleId && input.SecurityGroupRuleIds.includes(rule.SecurityGroupRuleId),
        )
      : live.filter((rule) => input.IpPermissions.some((permission) => matchesPermission(rule, permission)));
  const ids = targeted.map((rule) => rule.SecurityGroupRuleId).filter((id): id is string => id !== undefined);
  if (ids.length === 0) {
    return alreadyCompliant(operation, `the added ${direction} rule(s) are no longer on ${groupId}`);
  }
  try {
    const request = { GroupId: groupId, SecurityGroupRuleIds: ids };
    if (input.IsEgress) await ec2.send(new RevokeSecurityGroupEgressCommand(request));
    else await ec2.send(new RevokeSecurityGroupIngressCommand(request));
  } catch (error) {
    if (!ALREADY_GONE.has(awsErrorCode(error) ?? '')) throw error;
  }
  const remaining = (await groupRules(ec2, groupId, direction)).filter(
    (rule) => rule.SecurityGroupRuleId && ids.includes(rule.SecurityGroupRuleId),
  );
  if (remaining.length > 0) {
    return failed(
      operation,
      `re-read of default group ${groupId} still shows ${remaining.map((rule) => rule.SecurityGroupRuleId).join(', ')}`,
    );
  }
  return applied(
    operation,
    `revoked ${direction} ${ids.join(', ')} on default group ${groupId} (${group.VpcId ?? 'its VPC'})`,
    ids,
  );
}
