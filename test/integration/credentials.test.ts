import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { accountClients, accountCredentials } from '@driftguard/aws';
import { describe, expect, it } from 'vitest';
import { credentialsInAccount, ec2Client, HOME_ACCOUNT, motoEndpoint, stsClient } from '../support/aws';

describe.skipIf(!motoEndpoint)('per-account credentials against moto', () => {
  it('acts in a member account through its remediation role, and with its own credentials at home', async () => {
    const member = '210987654321';
    const memberEc2 = ec2Client('us-east-1', await credentialsInAccount(member));
    const { Vpc } = await memberEc2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const { GroupId } = await memberEc2.send(
      new CreateSecurityGroupCommand({ GroupName: 'member-only', Description: 'd', VpcId: Vpc?.VpcId }),
    );

    const credentialsFor = accountCredentials({ sts: stsClient(), roleName: 'DriftGuardRemediation' });
    expect(await credentialsFor(HOME_ACCOUNT)).toBeUndefined();
    const assumed = await credentialsFor(member);
    expect(assumed?.sessionToken).toBeTruthy();
    // Cached: the same session is reused until shortly before it expires.
    expect(await credentialsFor(member)).toBe(assumed);

    const clients = accountClients({ credentialsFor, endpoint: motoEndpoint });
    const ec2 = await clients.get(EC2Client, { account: member, region: 'us-east-1' });
    const { SecurityGroups } = await ec2.send(
      new DescribeSecurityGroupsCommand({ GroupIds: [GroupId as string] }),
    );
    expect(SecurityGroups?.[0]?.OwnerId).toBe(member);
  });

  it('assumes the remediation role at home too when asked (deployed: the central role holds no remediation actions)', async () => {
    const credentialsFor = accountCredentials({
      sts: stsClient(),
      roleName: 'DriftGuardRemediation',
      homeAccount: HOME_ACCOUNT,
      assumeAtHome: true,
    });
    const assumed = await credentialsFor(HOME_ACCOUNT);
    expect(assumed?.sessionToken).toBeTruthy();
  });
});
