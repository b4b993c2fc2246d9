import { type EC2Client, type Filter, paginateDescribeSecurityGroupRules } from '@aws-sdk/client-ec2';
import type { PrefixListReference } from '@driftguard/core';

/**
 * The ingress rules (all of the account and region's, or those `filters` select) whose source is
 * the list, as core's references; `account` marks rules of another account than the list's.
 */
export async function ingressRulesUsing(
  ec2: EC2Client,
  prefixListId: string,
  filters?: Filter[],
  account?: string,
): Promise<PrefixListReference[]> {
  const references: PrefixListReference[] = [];
  const pages = paginateDescribeSecurityGroupRules(
    { client: ec2, pageSize: 1000 },
    filters ? { Filters: filters } : {},
  );
  for await (const page of pages) {
    for (const rule of page.SecurityGroupRules ?? []) {
      if (rule.IsEgress === true || rule.PrefixListId !== prefixListId) continue;
      if (!rule.GroupId || !rule.SecurityGroupRuleId) continue;
      const reference: PrefixListReference = {
        groupId: rule.GroupId,
        ruleId: rule.SecurityGroupRuleId,
        protocol: rule.IpProtocol ?? '-1',
      };
      if (rule.FromPort !== undefined) reference.fromPort = rule.FromPort;
      if (rule.ToPort !== undefined) reference.toPort = rule.ToPort;
      if (account !== undefined) reference.account = account;
      references.push(reference);
    }
  }
  return references;
}
