import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { credentialsInAccount, ec2Client, motoEndpoint, unique } from '../support/aws';

const ACCOUNT = '260000000001';
const REGION = 'ap-southeast-2';

describe.skipIf(!motoEndpoint)('scheduled sweep Lambda handler (moto)', () => {
  let ec2: EC2Client;
  let groupId: string;

  beforeAll(async () => {
    ec2 = ec2Client(REGION, await credentialsInAccount(ACCOUNT));
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    ({ GroupId: groupId = '' } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('sched'), Description: 'sched', VpcId: Vpc?.VpcId }),
    ));
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    // The function wires itself from its environment on first invocation, as in Lambda.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: motoEndpoint,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
      DRIFTGUARD_SWEEP_ACCOUNTS: ACCOUNT,
      DRIFTGUARD_SWEEP_REGIONS: REGION,
    });
  });

  it('sweeps the configured accounts and regions through the pipeline and reports the totals', async () => {
    const { handler } = await import('../../packages/functions/src/sweep');
    const context = { getRemainingTimeInMillis: () => 900_000 } as Context;
    const result = await handler({}, context);
    expect(result.totals).toMatchObject({ failedUnits: 0, skippedUnits: 0, failedItems: 0 });
    expect(result.totals.reverted).toBeGreaterThanOrEqual(1);
    const { SecurityGroupRules = [] } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    expect(SecurityGroupRules.filter((rule) => !rule.IsEgress)).toEqual([]);
  }, 120_000);
});
