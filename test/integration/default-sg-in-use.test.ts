import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  type AccountClients,
  accountCredentials,
  createExecutor,
  createPipeline,
  liveFactReader,
} from '@driftguard/aws';
import { defaultConfig } from '@driftguard/core';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeIngressEvent,
  authorizeIngressForReal,
  cloudTrailEvent,
} from '../../packages/cli/src/simulate/cloudtrail';
import { authorizeEgressEvent, authorizeEgressForReal } from '../../packages/cli/src/simulate/ec2-network';
import { clientOptions, ec2Client, HOME_ACCOUNT, motoEndpoint, stsClient, unique } from '../support/aws';
import { networkPipeline } from '../support/network';

const REGION = 'us-east-1';

async function defaultGroupOf(ec2: EC2Client, vpcId: string): Promise<string> {
  const { SecurityGroups } = await ec2.send(
    new DescribeSecurityGroupsCommand({
      Filters: [
        { Name: 'vpc-id', Values: [vpcId] },
        { Name: 'group-name', Values: ['default'] },
      ],
    }),
  );
  return SecurityGroups?.[0]?.GroupId as string;
}

async function rules(ec2: EC2Client, groupId: string): Promise<string[]> {
  const { SecurityGroupRules } = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (SecurityGroupRules ?? [])
    .map(
      (rule) =>
        `${rule.IsEgress ? 'egress' : 'ingress'} ${rule.IpProtocol}/${rule.FromPort} ${rule.CidrIpv4 ?? rule.CidrIpv6 ?? rule.ReferencedGroupInfo?.GroupId}`,
    )
    .sort();
}

describe.skipIf(!motoEndpoint)('default-sg-in-use against moto', () => {
  let ec2: EC2Client;
  beforeAll(() => {
    ec2 = ec2Client(REGION);
  });

  it('ingress and egress rules added to a VPC default group by id are revoked; its original egress rule and another group stay', async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.41.0.0/16' }));
    const vpcId = Vpc?.VpcId as string;
    const groupId = await defaultGroupOf(ec2, vpcId);
    const { GroupId: appGroup } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('app'), Description: 'app', VpcId: vpcId }),
    );
    const original = await rules(ec2, groupId);
    const ingress = [
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    ];
    const egress = [
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.41.0.2/32' }] },
    ];
    const addedIngress = await authorizeIngressForReal(ec2, groupId, ingress);
    const addedEgress = await authorizeEgressForReal(ec2, groupId, egress);
    // The same compliant rule on an ordinary group of the same VPC.
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: appGroup, IpPermissions: ingress }));
    const where = { account: HOME_ACCOUNT, region: REGION };
    const pipeline = networkPipeline();

    const inResult = await pipeline.process(
      authorizeIngressEvent({ ...where, groupId, permissions: ingress, addedRules: addedIngress }),
    );
    const outResult = await pipeline.process(
      authorizeEgressEvent({ ...where, groupId, permissions: egress, addedRules: addedEgress }),
    );

    expect(inResult.assessment).toMatchObject({
      status: 'violation',
      rule: 'default-sg-in-use',
      severity: 'high',
    });
    expect(inResult.assessment.reason).toContain(`default group of ${vpcId} (read live)`);
    expect(inResult.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(outResult.assessment.operations).toEqual([
      expect.objectContaining({
        operation: 'RevokeDefaultSecurityGroupRules',
        input: {
          GroupId: groupId,
          IsEgress: true,
          SecurityGroupRuleIds: addedEgress.map((rule) => rule.SecurityGroupRuleId),
        },
      }),
    ]);
    expect(outResult.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(outResult.outcome.results[0]?.changed).toHaveLength(2);
    expect(await rules(ec2, groupId)).toEqual(original);
    expect(await rules(ec2, appGroup as string)).toContain('ingress tcp/5432 10.0.0.0/8');
  });

  it('the same call on an ordinary group is compliant after the live read; nothing is revoked', async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('db'), Description: 'db', VpcId: Vpc?.VpcId }),
    );
    const groupId = GroupId as string;
    const ingress = [
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
    ];
    const addedRules = await authorizeIngressForReal(ec2, groupId, ingress);

    const result = await networkPipeline().process(
      authorizeIngressEvent({
        account: HOME_ACCOUNT,
        region: REGION,
        groupId,
        permissions: ingress,
        addedRules,
      }),
    );

    expect(result.assessment.status).toBe('compliant');
    expect(result.assessment.results.find((r) => r.rule === 'default-sg-in-use')?.verdict.summary).toContain(
      'not a VPC default group',
    );
    expect(await rules(ec2, groupId)).toContain('ingress tcp/5432 10.0.0.0/8');
  });

  it('ssh from the internet on a default group: both guardrails revert the same rule; it is revoked once and verified', async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.43.0.0/16' }));
    const groupId = await defaultGroupOf(ec2, Vpc?.VpcId as string);
    const original = await rules(ec2, groupId);
    const open = [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];
    const addedRules = await authorizeIngressForReal(ec2, groupId, open);

    const result = await networkPipeline().process(
      authorizeIngressEvent({
        account: HOME_ACCOUNT,
        region: REGION,
        groupId,
        permissions: open,
        addedRules,
      }),
    );

    expect(result.assessment).toMatchObject({ rule: 'sg-open-ingress', severity: 'critical' });
    expect(result.outcome.results.map((r) => [r.operation.operation, r.status])).toEqual([
      ['RevokeSecurityGroupIngress', 'applied'],
      ['RevokeDefaultSecurityGroupRules', 'already-compliant'],
    ]);
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await rules(ec2, groupId)).toEqual(original);
  });

  it('by name "default" in the default VPC, an older record without rule ids: revoked by exact permission', async () => {
    // A region no other suite uses, so the only group called "default" reachable by name is the
    // default VPC's (moto creates a default VPC per region).
    const region = 'ap-southeast-2';
    const local = ec2Client(region);
    const { Vpcs } = await local.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }),
    );
    const groupId = await defaultGroupOf(local, Vpcs?.[0]?.VpcId as string);
    const before = await rules(local, groupId);
    const permission = {
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6379,
      IpRanges: [{ CidrIp: '10.99.0.0/16' }],
    };
    await local.send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [permission] }),
    );
    expect(await rules(local, groupId)).toContain('ingress tcp/6379 10.99.0.0/16');
    const event = cloudTrailEvent({
      eventSource: 'ec2.amazonaws.com',
      eventName: 'AuthorizeSecurityGroupIngress',
      account: HOME_ACCOUNT,
      region,
      requestParameters: {
        groupName: 'default',
        ipPermissions: {
          items: {
            ipProtocol: 'tcp',
            fromPort: 6379,
            toPort: 6379,
            groups: {},
            ipRanges: { items: { cidrIp: '10.99.0.0/16' } },
            ipv6Ranges: {},
            prefixListIds: {},
          },
        },
      },
      responseElements: { requestId: 'b7e1c0de-0000-4000-8000-000000000001', _return: true },
    });

    const result = await networkPipeline().process(event);

    expect(result.assessment.operations).toEqual([
      expect.objectContaining({
        operation: 'RevokeDefaultSecurityGroupRules',
        input: { GroupName: 'default', IsEgress: false, IpPermissions: [{ ...permission }] },
      }),
    ]);
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(await rules(local, groupId)).toEqual(before);
  });

  it('without the live read (no reader wired) a rule on a default group by id is left alone: never guessed', async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.44.0.0/16' }));
    const groupId = await defaultGroupOf(ec2, Vpc?.VpcId as string);
    const ingress = [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }];
    const addedRules = await authorizeIngressForReal(ec2, groupId, ingress);

    const result = await networkPipeline({ liveFacts: false }).process(
      authorizeIngressEvent({
        account: HOME_ACCOUNT,
        region: REGION,
        groupId,
        permissions: ingress,
        addedRules,
      }),
    );

    expect(result.assessment.results.find((r) => r.rule === 'default-sg-in-use')?.verdict.summary).toContain(
      'needs live confirmation',
    );
    expect(result.outcome.results).toEqual([]);
    expect(await rules(ec2, groupId)).toContain('ingress tcp/443 10.0.0.0/8');
  });

  it('the executor confirms the name live: a plan naming an ordinary group revokes nothing there', async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.45.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('web'), Description: 'web', VpcId: Vpc?.VpcId }),
    );
    const groupId = GroupId as string;
    const ingress = [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }];
    const [added] = await authorizeIngressForReal(ec2, groupId, ingress);
    const config = defaultConfig();
    const execute = createExecutor({
      config,
      credentialsFor: accountCredentials({
        sts: stsClient(),
        roleName: config.remediationRoleName,
        homeAccount: HOME_ACCOUNT,
      }),
      endpoint: clientOptions().endpoint,
    });

    const result = await execute({
      service: 'ec2',
      operation: 'RevokeDefaultSecurityGroupRules',
      target: { account: HOME_ACCOUNT, region: REGION },
      input: {
        GroupId: groupId,
        IsEgress: false,
        SecurityGroupRuleIds: [added?.SecurityGroupRuleId as string],
      },
    });

    expect(result).toMatchObject({ status: 'already-compliant', verified: true });
    expect(result.detail).toContain('not a default group');
    expect(await rules(ec2, groupId)).toContain('ingress tcp/443 10.0.0.0/8');
  });
});

describe('default-sg-in-use live read and executor on AWS answers moto does not give (client mock)', () => {
  const client = () => new EC2Client({ region: REGION });

  it('client mock: a throttled live read is not guessed: the pipeline throws so SQS retries the event', async () => {
    const ec2 = client();
    mockClient(ec2)
      .on(DescribeSecurityGroupsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' }));
    const clients: AccountClients = { get: async () => ec2 as never };
    const pipeline = createPipeline({
      config: defaultConfig(),
      execute: createExecutor({ config: defaultConfig(), credentialsFor: async () => undefined, clients }),
      liveFacts: liveFactReader(clients),
    });
    const event = authorizeIngressEvent({
      account: HOME_ACCOUNT,
      region: REGION,
      groupId: 'sg-0d0d0d0d0d0d0d0d0',
      permissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    });
    await expect(pipeline.process(event)).rejects.toThrow(
      /cannot read sg-0d0d0d0d0d0d0d0d0.*RequestLimitExceeded/,
    );
  });
});
