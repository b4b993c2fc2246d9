import { EC2Client, paginateGetManagedPrefixListAssociations } from '@aws-sdk/client-ec2';
import type { PrefixListUse, Target } from '@driftguard/core';
import type { AccountClients } from './account-clients';
import { awsErrorCode, CredentialsError, errorMessage } from './errors';
import { ingressRulesUsing } from './prefix-list-rules';

/**
 * Answers that mean driftguard cannot read the consuming account (its role is missing, does not
 * trust driftguard, or is denied; the account is outside the organization). Anything else —
 * throttling, a timeout — is thrown, so the change is judged again on a retry.
 */
const CANNOT_READ = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthFailure',
  'InvalidClientTokenId',
  'OptInRequired',
]);

/** The AWS code that says the account cannot be read, from the call or from the role assumption. */
function cannotReadCode(error: unknown): string | undefined {
  const code = awsErrorCode(error instanceof CredentialsError ? error.cause : error);
  return code && CANNOT_READ.has(code) ? code : undefined;
}

/** The security groups of other accounts that use the list, by account (EC2's own answer). */
async function groupsElsewhere(
  ec2: EC2Client,
  target: Target,
  prefixListId: string,
): Promise<Map<string, string[]>> {
  const byAccount = new Map<string, string[]>();
  const pages = paginateGetManagedPrefixListAssociations({ client: ec2 }, { PrefixListId: prefixListId });
  for await (const page of pages) {
    for (const association of page.PrefixListAssociations ?? []) {
      const account = association.ResourceOwner;
      const groupId = association.ResourceId;
      if (!account || account === target.account || !groupId?.startsWith('sg-')) continue;
      byAccount.set(account, [...(byAccount.get(account) ?? []), groupId]);
    }
  }
  return byAccount;
}

/** The ingress rules of those groups, read in their own account, whose source is the list. */
async function rulesInAccount(
  clients: AccountClients,
  target: Target,
  prefixListId: string,
  groupIds: string[],
): Promise<PrefixListUse[]> {
  try {
    const ec2 = await clients.get(EC2Client, target);
    const uses: PrefixListUse[] = [];
    // EC2 takes at most 200 values per filter.
    for (let start = 0; start < groupIds.length; start += 200) {
      const filters = [{ Name: 'group-id', Values: groupIds.slice(start, start + 200) }];
      uses.push(...(await ingressRulesUsing(ec2, prefixListId, filters, target.account)));
    }
    return uses;
  } catch (error) {
    const code = cannotReadCode(error);
    if (!code) throw error;
    const unreadable = `${code}: ${errorMessage(error)}`;
    return groupIds.map((groupId) => ({ groupId, account: target.account, unreadable }));
  }
}

/**
 * The rules of other accounts whose source is a list shared through AWS RAM. Its owner's
 * ModifyManagedPrefixList is recorded in the owner's account only, yet it opens every consuming
 * group: without this, an owner could open another account's ssh to the internet and only that
 * account's next sweep would see it. A list in no share costs one RAM read. The referencing groups
 * come from EC2 (GetManagedPrefixListAssociations, in the owner's account); their rules are read
 * in each consuming account with driftguard's role there. A group that cannot be read is returned
 * as such (core judges it as admitting the entry on any port), never dropped.
 */
export async function sharedPrefixListUses(
  clients: AccountClients,
  target: Target,
  prefixListId: string,
): Promise<PrefixListUse[]> {
  // Loaded with the first prefix-list change of a container: most events never need RAM.
  const { isShared } = await import('./ram-shares');
  if (!(await isShared(clients, target, prefixListId))) return [];
  const ec2 = await clients.get(EC2Client, target);
  const uses: PrefixListUse[] = [];
  for (const [account, groupIds] of await groupsElsewhere(ec2, target, prefixListId))
    uses.push(...(await rulesInAccount(clients, { account, region: target.region }, prefixListId, groupIds)));
  return uses;
}
