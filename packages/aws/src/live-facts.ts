import {
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import type {
  LiveFactQuery,
  LiveFacts,
  Lookup,
  SecurityGroupFact,
  SecurityGroupRuleFact,
} from '@driftguard/core';
import { awsErrorCode, errorMessage, LiveFactsError } from './errors';
import type { AccountClients } from './executor';

/** Reads the live state guardrails asked for (core's `liveFactQueries`) in the member account. */
export type LiveFactReader = (queries: readonly LiveFactQuery[]) => Promise<LiveFacts>;

async function readGroup(ec2: EC2Client, groupId: string): Promise<Lookup<SecurityGroupFact>> {
  try {
    const { SecurityGroups } = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    const group = SecurityGroups?.find((candidate) => candidate.GroupId === groupId);
    if (!group) return { status: 'missing' };
    return {
      status: 'found',
      value: { groupId, groupName: group.GroupName ?? '', ...(group.VpcId ? { vpcId: group.VpcId } : {}) },
    };
  } catch (error) {
    if (awsErrorCode(error) === 'InvalidGroup.NotFound') return { status: 'missing' };
    throw error;
  }
}

async function readRule(ec2: EC2Client, ruleId: string): Promise<Lookup<SecurityGroupRuleFact>> {
  try {
    const { SecurityGroupRules } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId] }),
    );
    const rule = SecurityGroupRules?.find((candidate) => candidate.SecurityGroupRuleId === ruleId);
    if (!rule?.GroupId) return { status: 'missing' };
    return { status: 'found', value: { ruleId, groupId: rule.GroupId, isEgress: rule.IsEgress === true } };
  } catch (error) {
    if (awsErrorCode(error) === 'InvalidSecurityGroupRuleId.NotFound') return { status: 'missing' };
    throw error;
  }
}

/**
 * One read per resource, in the account and region of the change, with the same per-account
 * clients (assumed remediation role) the executor uses. A resource that no longer exists is an
 * answer (`missing`); any other failure throws LiveFactsError.
 */
export function liveFactReader(clients: AccountClients): LiveFactReader {
  return async (queries) => {
    const securityGroups = new Map<string, Lookup<SecurityGroupFact>>();
    const securityGroupRules = new Map<string, Lookup<SecurityGroupRuleFact>>();
    for (const query of queries) {
      try {
        const ec2 = await clients.get(EC2Client, query.target);
        if (query.kind === 'security-group')
          securityGroups.set(query.groupId, await readGroup(ec2, query.groupId));
        else securityGroupRules.set(query.ruleId, await readRule(ec2, query.ruleId));
      } catch (error) {
        const what = query.kind === 'security-group' ? query.groupId : query.ruleId;
        const code = awsErrorCode(error);
        throw new LiveFactsError(
          `cannot read ${what} in ${query.target.account}/${query.target.region} to judge the change: ${code ? `${code}: ` : ''}${errorMessage(error)}`,
          { cause: error },
        );
      }
    }
    return { securityGroups, securityGroupRules };
  };
}
