import {
  EC2Client,
  paginateDescribeSecurityGroupRules,
  paginateDescribeSecurityGroups,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { type Describer, type DescribeScope, ec2Set, type SweptResource, sweepEvent } from './describer';

/** A rule as CloudTrail's `securityGroupRuleSet` reports it (what the evaluators read). */
function ruleItem(rule: SecurityGroupRule): Record<string, unknown> {
  return {
    groupOwnerId: rule.GroupOwnerId,
    groupId: rule.GroupId,
    securityGroupRuleId: rule.SecurityGroupRuleId,
    isEgress: rule.IsEgress === true,
    ipProtocol: rule.IpProtocol,
    fromPort: rule.FromPort,
    toPort: rule.ToPort,
    ...(rule.CidrIpv4 ? { cidrIpv4: rule.CidrIpv4 } : {}),
    ...(rule.CidrIpv6 ? { cidrIpv6: rule.CidrIpv6 } : {}),
    ...(rule.PrefixListId ? { prefixListId: rule.PrefixListId } : {}),
    ...(rule.ReferencedGroupInfo?.GroupId
      ? {
          referencedGroupInfo: {
            groupId: rule.ReferencedGroupInfo.GroupId,
            userId: rule.ReferencedGroupInfo.UserId,
          },
        }
      : {}),
    ...(rule.Description ? { description: rule.Description } : {}),
  };
}

/**
 * Every security group with its rules. Each group's ingress rules become one
 * AuthorizeSecurityGroupIngress whose `securityGroupRuleSet` lists all of them (sg-open-ingress
 * judges each rule, and revokes the offending ones by id); a VPC default group also yields its
 * egress rules as an AuthorizeSecurityGroupEgress (default-sg-in-use: the default group stays
 * empty). Default groups are named in the request (`groupName: "default"`), which the evaluator
 * accepts as certain; the executor confirms the name live before acting.
 */
export const securityGroupsDescriber: Describer = {
  id: 'security-groups',
  rules: ['sg-open-ingress', 'default-sg-in-use'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const ec2 = await scope.clients.get(EC2Client, { account: scope.account, region: scope.region });
    const rules = new Map<string, SecurityGroupRule[]>();
    for await (const page of paginateDescribeSecurityGroupRules({ client: ec2, pageSize: 1000 }, {})) {
      for (const rule of page.SecurityGroupRules ?? []) {
        if (!rule.GroupId) continue;
        const list = rules.get(rule.GroupId) ?? [];
        list.push(rule);
        rules.set(rule.GroupId, list);
      }
    }
    for await (const page of paginateDescribeSecurityGroups({ client: ec2, pageSize: 1000 }, {})) {
      for (const group of page.SecurityGroups ?? []) {
        if (!group.GroupId) continue;
        const isDefault = group.GroupName === 'default';
        const own = rules.get(group.GroupId) ?? [];
        const directions = isDefault ? (['ingress', 'egress'] as const) : (['ingress'] as const);
        for (const direction of directions) {
          const items = own
            .filter((rule) => (rule.IsEgress === true) === (direction === 'egress'))
            .map(ruleItem);
          const set = ec2Set(items);
          if (!set) continue;
          yield sweepEvent(scope, {
            eventSource: 'ec2.amazonaws.com',
            eventName:
              direction === 'egress' ? 'AuthorizeSecurityGroupEgress' : 'AuthorizeSecurityGroupIngress',
            resourceId: group.GroupId,
            requestParameters: { groupId: group.GroupId, ...(isDefault ? { groupName: 'default' } : {}) },
            responseElements: { _return: true, securityGroupRuleSet: set },
          });
        }
      }
    }
  },
};
