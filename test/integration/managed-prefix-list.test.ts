/**
 * Managed prefix lists through the real evaluate handler against moto: lists and rules are made for
 * real, each CloudTrail record is built from what was called (moto emits no CloudTrail; the
 * ModifyManagedPrefixList record in the shape of a published real one, see the evaluator cases), and
 * what a user would notice is read back from EC2.
 */
import {
  CreateManagedPrefixListCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { prefixListsDescriber } from '@driftguard/aws';
import { beforeAll, describe, expect, it } from 'vitest';
import { authorizeIngressEvent, authorizeIngressForReal } from '../../packages/cli/src/simulate/cloudtrail';
import { ec2Client, HOME_ACCOUNT, motoEndpoint, unique } from '../support/aws';
import { type EvaluateHandlerOnMoto, evaluateHandlerOnMoto } from '../support/evaluate-handler';
import {
  addPrefixListEntries,
  ingressRuleIds,
  prefixListEntries,
  prefixListVersion,
} from '../support/prefix-lists';
import { sweptInHomeAccount } from '../support/sweep';

const REGION = 'us-east-1';

describe.skipIf(!motoEndpoint)('managed prefix lists through the evaluate handler against moto', () => {
  let handler: EvaluateHandlerOnMoto;
  let ec2: EC2Client;
  let vpcId: string;
  const run = (event: Record<string, unknown>) => handler.run(event);

  async function newList(name: string, cidrs: string[]): Promise<string> {
    const { PrefixList } = await ec2.send(
      new CreateManagedPrefixListCommand({
        PrefixListName: unique(name),
        AddressFamily: 'IPv4',
        MaxEntries: 10,
        Entries: cidrs.map((Cidr) => ({ Cidr })),
      }),
    );
    return PrefixList?.PrefixListId as string;
  }

  async function newGroup(name: string): Promise<string> {
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique(name), Description: name, VpcId: vpcId }),
    );
    return GroupId as string;
  }

  /** An ingress rule whose source is the list, for real, and its CloudTrail record. */
  async function referenceList(groupId: string, PrefixListId: string, port: number) {
    const permissions = [
      { IpProtocol: 'tcp', FromPort: port, ToPort: port, PrefixListIds: [{ PrefixListId }] },
    ];
    const addedRules = await authorizeIngressForReal(ec2, groupId, permissions);
    const event = authorizeIngressEvent({
      account: HOME_ACCOUNT,
      region: REGION,
      groupId,
      permissions,
      addedRules,
    });
    return { event, ruleIds: addedRules.map((rule) => rule.SecurityGroupRuleId as string) };
  }

  beforeAll(async () => {
    ec2 = ec2Client(REGION);
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.62.0.0/16' }));
    vpcId = Vpc?.VpcId as string;
    handler = await evaluateHandlerOnMoto({ config: {} });
  });

  it('an ssh rule whose source is a list holding 0.0.0.0/0 is revoked like a CIDR rule; a rule from an all-private list stays', async () => {
    const open = await newList('bastion-sources', ['10.0.0.0/8', '0.0.0.0/0']);
    const closed = await newList('vpc-ranges', ['10.0.0.0/8', '192.168.0.0/16']);
    const groupId = await newGroup('bastion');
    const bad = await referenceList(groupId, open, 22);
    const good = await referenceList(groupId, closed, 22);

    await run(bad.event);
    await run(good.event);

    expect(await ingressRuleIds(ec2, groupId)).toEqual(good.ruleIds);
  });

  it('entries outside the zone added to a list an https rule references: exactly the added ones are removed, read back, the rule and older entries stay', async () => {
    // 198.51.100.0/24 was in the list before the call (and the rule predates driftguard: the
    // sweep judges it): not this change's to take back.
    const list = await newList('partners', ['10.0.0.0/8', '198.51.100.0/24']);
    const groupId = await newGroup('web');
    const rule = await referenceList(groupId, list, 443);
    const before = await prefixListVersion(ec2, list);

    await run(await addPrefixListEntries(ec2, list, ['71.131.0.0/16', '10.9.0.0/16', '0.0.0.0/0']));

    expect(await prefixListEntries(ec2, list)).toEqual(['10.0.0.0/8', '10.9.0.0/16', '198.51.100.0/24']);
    // One change by the attacker, one by driftguard's exact RemoveEntries.
    expect(await prefixListVersion(ec2, list)).toBe(before + 2);
    expect(await ingressRuleIds(ec2, groupId)).toEqual(rule.ruleIds);
  });

  it('a list no security group references is left as it is (it opens nothing until a rule uses it)', async () => {
    const list = await newList('unused', ['10.0.0.0/8']);

    await run(await addPrefixListEntries(ec2, list, ['203.0.113.0/24']));

    expect(await prefixListEntries(ec2, list)).toEqual(['10.0.0.0/8', '203.0.113.0/24']);
  });

  it('the sweep finds a referenced list that already holds an outside range and the handler removes it', async () => {
    const list = await newList('legacy', ['10.0.0.0/8', '203.0.113.0/24']);
    const groupId = await newGroup('legacy');
    await referenceList(groupId, list, 5432);
    const swept = await sweptInHomeAccount([prefixListsDescriber], () => true);
    const found = swept.find((resource) => resource.resourceId === list);
    expect(found).toBeDefined();
    // AWS-managed lists (com.amazonaws.…, which moto creates too) are not the account's: never swept.
    const names = swept.map(
      (resource) =>
        (
          resource.event.detail as {
            requestParameters: { CreateManagedPrefixListRequest: { PrefixListName: string } };
          }
        ).requestParameters.CreateManagedPrefixListRequest.PrefixListName,
    );
    expect(names.filter((name) => name.startsWith('com.amazonaws.'))).toEqual([]);

    await run(found?.event as Record<string, unknown>);

    expect(await prefixListEntries(ec2, list)).toEqual(['10.0.0.0/8']);
  });
});
