import {
  DescribeManagedPrefixListsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  paginateGetManagedPrefixListEntries,
} from '@aws-sdk/client-ec2';
import type {
  LiveFactQuery,
  LiveFacts,
  Lookup,
  PrefixListFact,
  PrefixListReference,
  PrefixListUse,
  SecurityGroupFact,
  SecurityGroupRuleFact,
} from '@driftguard/core';
import { awsErrorCode, errorMessage, LiveFactsError } from './errors';
import type { AccountClients } from './executor';
import { ingressRulesUsing } from './prefix-list-rules';
import { sharedPrefixListUses } from './shared-prefix-lists';

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
 * A managed prefix list's owner, version and current entries. AWS-managed lists (owner `AWS`) are
 * not judged entry by entry, so their entries are not read.
 */
export async function readPrefixList(ec2: EC2Client, prefixListId: string): Promise<Lookup<PrefixListFact>> {
  try {
    const { PrefixLists } = await ec2.send(
      new DescribeManagedPrefixListsCommand({ PrefixListIds: [prefixListId] }),
    );
    const list = PrefixLists?.find((candidate) => candidate.PrefixListId === prefixListId);
    if (!list || list.State === 'delete-complete') return { status: 'missing' };
    const ownerId = list.OwnerId ?? '';
    const cidrs: string[] = [];
    if (ownerId !== 'AWS') {
      for await (const page of paginateGetManagedPrefixListEntries(
        { client: ec2 },
        { PrefixListId: prefixListId },
      )) {
        for (const entry of page.Entries ?? []) if (entry.Cidr) cidrs.push(entry.Cidr);
      }
    }
    return {
      status: 'found',
      value: {
        prefixListId,
        ownerId,
        ...(list.PrefixListName ? { name: list.PrefixListName } : {}),
        ...(list.Version !== undefined ? { version: Number(list.Version) } : {}),
        ...(list.State ? { state: list.State } : {}),
        cidrs,
      },
    };
  } catch (error) {
    if (awsErrorCode(error) === 'InvalidPrefixListID.NotFound') return { status: 'missing' };
    throw error;
  }
}

/**
 * The ingress rules whose source is the list: of its own account and region, every rule read and
 * matched here rather than asking EC2 for the list's associations (GetManagedPrefixListAssociations)
 * or filtering by `ip-permission.prefix-list-id` (the rule ids and ports are what the judgement
 * needs, and the local emulator implements neither); and, for a list shared through RAM, of the
 * accounts that use it (`sharedPrefixListUses`). The two reads do not depend on each other.
 */
async function prefixListUses(
  clients: AccountClients,
  ec2: EC2Client,
  target: LiveFactQuery['target'],
  prefixListId: string,
): Promise<PrefixListUse[]> {
  const [own, elsewhere] = await Promise.all([
    ingressRulesUsing(ec2, prefixListId),
    sharedPrefixListUses(clients, target, prefixListId),
  ]);
  return [...own, ...elsewhere];
}

function queryId(query: LiveFactQuery): string {
  if (query.kind === 'security-group') return query.groupId;
  return query.kind === 'security-group-rule' ? query.ruleId : query.prefixListId;
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
    const prefixLists = new Map<string, Lookup<PrefixListFact>>();
    const prefixListReferences = new Map<string, PrefixListUse[]>();
    for (const query of queries) {
      try {
        const ec2 = await clients.get(EC2Client, query.target);
        if (query.kind === 'security-group')
          securityGroups.set(query.groupId, await readGroup(ec2, query.groupId));
        else if (query.kind === 'security-group-rule')
          securityGroupRules.set(query.ruleId, await readRule(ec2, query.ruleId));
        else if (query.kind === 'prefix-list')
          prefixLists.set(query.prefixListId, await readPrefixList(ec2, query.prefixListId));
        else
          prefixListReferences.set(
            query.prefixListId,
            await prefixListUses(clients, ec2, query.target, query.prefixListId),
          );
      } catch (error) {
        const what = queryId(query);
        const code = awsErrorCode(error);
        throw new LiveFactsError(
          `cannot read ${what} in ${query.target.account}/${query.target.region} to judge the change: ${code ? `${code}: ` : ''}${errorMessage(error)}`,
          { cause: error },
        );
      }
    }
    return { securityGroups, securityGroupRules, prefixLists, prefixListReferences };
  };
}
