import { EC2Client, paginateDescribeManagedPrefixLists } from '@aws-sdk/client-ec2';
import { readPrefixList } from '../live-facts';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from './describer';

/**
 * Every customer-managed prefix list the account owns in the region, with its current entries,
 * as the CreateManagedPrefixList that would have made it (wrapped request, `Entry` with `cidr`,
 * as CloudTrail writes the newer EC2 calls). managed-prefix-list then reads which ingress rules
 * reference the list and judges each entry against them; a revert removes the offending entries.
 * AWS-managed lists (owner `AWS`) are not the account's to edit and are left out; rules that use
 * them are judged by the security-groups describer's changes (sg-open-ingress).
 */
export const prefixListsDescriber: Describer = {
  id: 'prefix-lists',
  rules: ['managed-prefix-list'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const ec2 = await scope.clients.get(EC2Client, { account: scope.account, region: scope.region });
    const filters = [{ Name: 'owner-id', Values: [scope.account] }];
    for await (const page of paginateDescribeManagedPrefixLists({ client: ec2 }, { Filters: filters })) {
      for (const summary of page.PrefixLists ?? []) {
        const id = summary.PrefixListId;
        if (!id || summary.OwnerId !== scope.account) continue;
        const list = await readPrefixList(ec2, id);
        if (list.status === 'missing' || list.value.cidrs.length === 0) continue;
        const entries = list.value.cidrs.map((cidr) => ({ cidr }));
        yield sweepEvent(scope, {
          eventSource: 'ec2.amazonaws.com',
          eventName: 'CreateManagedPrefixList',
          resourceId: id,
          requestParameters: {
            CreateManagedPrefixListRequest: {
              PrefixListName: list.value.name ?? id,
              Entry: entries.length === 1 ? entries[0] : entries,
            },
          },
          responseElements: {
            CreateManagedPrefixListResponse: {
              prefixList: { prefixListId: id, version: list.value.version, ownerId: summary.OwnerId },
            },
          },
        });
      }
    }
  },
};
