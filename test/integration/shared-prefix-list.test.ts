/**
 * A managed prefix list shared through AWS RAM, edited by its owner: the edit is recorded in the
 * owner's account only, yet it opens the groups of every account that uses the list. Through the
 * real evaluate handler against moto: lists, shares, groups and rules are made for real; moto does
 * not implement GetManagedPrefixListAssociations, so that one call goes to a loopback stand-in that
 * answers it from moto's state (test/support/prefix-list-associations.ts).
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateManagedPrefixListCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateResourceShareCommand, RAMClient } from '@aws-sdk/client-ram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientOptions,
  credentialsInAccount,
  ec2Client,
  HOME_ACCOUNT,
  motoEndpoint,
  unique,
} from '../support/aws';
import { type EvaluateHandlerOnMoto, evaluateHandlerOnMoto } from '../support/evaluate-handler';
import { type FaultProxy, startFaultProxy } from '../support/faults';
import {
  type PrefixListAssociations,
  routePrefixListAssociations,
  startPrefixListAssociations,
} from '../support/prefix-list-associations';
import { addPrefixListEntries, ingressRuleIds, prefixListEntries } from '../support/prefix-lists';

const REGION = 'us-east-1';
/** A member account the list is shared with, whose remediation role driftguard can assume. */
const CONSUMER = '210987654321';
/** A member account the list is shared with, whose role denies driftguard (or is missing). */
const UNREADABLE = '310987654321';

describe.skipIf(!motoEndpoint)(
  'a prefix list shared through RAM, edited by its owner (real handler, moto)',
  () => {
    let handler: EvaluateHandlerOnMoto;
    let owner: EC2Client;
    let proxy: FaultProxy;
    let associations: PrefixListAssociations;

    const run = (event: Record<string, unknown>) => handler.run(event);

    /** A list of the owner (home account) holding `cidrs`, shared with `accounts` through RAM. */
    async function sharedList(name: string, cidrs: string[], accounts: string[]): Promise<string> {
      const { PrefixList } = await owner.send(
        new CreateManagedPrefixListCommand({
          PrefixListName: unique(name),
          AddressFamily: 'IPv4',
          MaxEntries: 10,
          Entries: cidrs.map((Cidr) => ({ Cidr })),
        }),
      );
      if (accounts.length > 0)
        await new RAMClient(clientOptions(REGION)).send(
          new CreateResourceShareCommand({
            name: unique(`${name}-share`),
            resourceArns: [PrefixList?.PrefixListArn as string],
            principals: accounts,
          }),
        );
      return PrefixList?.PrefixListId as string;
    }

    /** A group of `account` with an ssh rule whose source is the list, made in that account. */
    async function sshFromList(account: string, PrefixListId: string) {
      const ec2 = ec2Client(REGION, await credentialsInAccount(account));
      const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }));
      const { GroupId } = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: unique('bastion'),
          Description: 'bastion',
          VpcId: Vpc?.VpcId,
        }),
      );
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListIds: [{ PrefixListId }] }],
        }),
      );
      return { ec2, groupId: GroupId as string };
    }

    beforeAll(async () => {
      owner = ec2Client(REGION);
      associations = await startPrefixListAssociations({
        region: REGION,
        accounts: [HOME_ACCOUNT, CONSUMER, UNREADABLE],
      });
      proxy = await startFaultProxy(
        motoEndpoint as string,
        { deniedAccounts: [UNREADABLE] },
        { route: routePrefixListAssociations(associations) },
      );
      handler = await evaluateHandlerOnMoto({
        config: { organizationId: 'o-a1b2c3d4e5' },
        endpoint: proxy.endpoint,
      });
    });
    afterAll(async () => {
      await proxy?.close();
      await associations?.close();
    });

    it('the owner adds 0.0.0.0/0 to a list another account’s ssh rule uses: the entry is removed in the owner’s list; the consumer’s rule stays', async () => {
      const list = await sharedList('bastion-sources', ['10.0.0.0/8'], [CONSUMER]);
      const consumer = await sshFromList(CONSUMER, list);
      const rulesBefore = await ingressRuleIds(consumer.ec2, consumer.groupId);

      await run(await addPrefixListEntries(owner, list, ['0.0.0.0/0']));

      expect(await prefixListEntries(owner, list)).toEqual(['10.0.0.0/8']);
      expect(await ingressRuleIds(consumer.ec2, consumer.groupId)).toEqual(rulesBefore);
      expect(associations.asked).toContain(list);
    });

    it('a consumer whose rules driftguard cannot read (its role denies): the entry is removed all the same', async () => {
      const list = await sharedList('partner-sources', ['10.0.0.0/8'], [UNREADABLE]);
      await sshFromList(UNREADABLE, list);

      await run(await addPrefixListEntries(owner, list, ['198.51.100.0/24']));

      expect(await prefixListEntries(owner, list)).toEqual(['10.0.0.0/8']);
    });

    it('a list in no share: one RAM read, no association read, and an entry no rule uses stays', async () => {
      const list = await sharedList('unshared', ['10.0.0.0/8'], []);

      await run(await addPrefixListEntries(owner, list, ['203.0.113.0/24']));

      expect(await prefixListEntries(owner, list)).toEqual(['10.0.0.0/8', '203.0.113.0/24']);
      expect(associations.asked).not.toContain(list);
    });
  },
);
