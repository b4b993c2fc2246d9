import {
  DescribeManagedPrefixListsCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
  GetManagedPrefixListEntriesCommand,
  ModifyManagedPrefixListCommand,
} from '@aws-sdk/client-ec2';
import { cloudTrailEvent } from '../../packages/cli/src/simulate/cloudtrail';
import { HOME_ACCOUNT } from './aws';

/** The ids of a group's ingress rules (a rule whose source is a list, among them). */
export async function ingressRuleIds(ec2: EC2Client, groupId: string): Promise<string[]> {
  const { SecurityGroupRules } = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (SecurityGroupRules ?? [])
    .filter((rule) => !rule.IsEgress)
    .map((rule) => rule.SecurityGroupRuleId as string);
}

/** The list's entries, sorted. */
export async function prefixListEntries(ec2: EC2Client, PrefixListId: string): Promise<string[]> {
  const { Entries } = await ec2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId }));
  return (Entries ?? []).map((entry) => entry.Cidr as string).sort();
}

export async function prefixListVersion(ec2: EC2Client, PrefixListId: string): Promise<number> {
  const { PrefixLists } = await ec2.send(
    new DescribeManagedPrefixListsCommand({ PrefixListIds: [PrefixListId] }),
  );
  return Number(PrefixLists?.[0]?.Version);
}

/**
 * ModifyManagedPrefixList adding entries, for real (in the home account, or with `ec2`'s
 * credentials), and its record as CloudTrail writes it: the wrapped request with one `AddEntry`
 * object per entry (a single object for one), as in the published record the evaluator cases
 * follow.
 */
export async function addPrefixListEntries(
  ec2: EC2Client,
  PrefixListId: string,
  cidrs: string[],
  options: { account?: string; region?: string } = {},
) {
  const CurrentVersion = await prefixListVersion(ec2, PrefixListId);
  const AddEntries = cidrs.map((Cidr) => ({ Cidr, Description: 'added' }));
  const { PrefixList } = await ec2.send(
    new ModifyManagedPrefixListCommand({ PrefixListId, CurrentVersion, AddEntries }),
  );
  const recorded = cidrs.map((cidr, index) => ({ Description: 'added', cidr, tag: String(index + 1) }));
  return cloudTrailEvent({
    eventSource: 'ec2.amazonaws.com',
    eventName: 'ModifyManagedPrefixList',
    account: options.account ?? HOME_ACCOUNT,
    region: options.region ?? 'us-east-1',
    requestParameters: {
      ModifyManagedPrefixListRequest: {
        AddEntry: recorded.length === 1 ? recorded[0] : recorded,
        PrefixListId,
        CurrentVersion: String(CurrentVersion),
      },
    },
    responseElements: {
      ModifyManagedPrefixListResponse: {
        prefixList: {
          prefixListId: PrefixListId,
          version: String(PrefixList?.Version),
          state: PrefixList?.State,
        },
      },
    },
  });
}
