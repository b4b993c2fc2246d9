import { paginateGetResourceShareAssociations, RAMClient } from '@aws-sdk/client-ram';
import type { Target } from '@driftguard/core';
import type { AccountClients } from './account-clients';

/** The partition a region is in (an organization never spans partitions). */
function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Whether the list is in an AWS RAM share: only then can other accounts reference it. */
export async function isShared(
  clients: AccountClients,
  target: Target,
  prefixListId: string,
): Promise<boolean> {
  const ram = await clients.get(RAMClient, target);
  const resourceArn = `arn:${partitionOfRegion(target.region)}:ec2:${target.region}:${target.account}:prefix-list/${prefixListId}`;
  const pages = paginateGetResourceShareAssociations(
    { client: ram },
    { associationType: 'RESOURCE', resourceArn },
  );
  for await (const page of pages)
    for (const association of page.resourceShareAssociations ?? [])
      if (association.status === 'ASSOCIATED' || association.status === 'ASSOCIATING') return true;
  return false;
}
