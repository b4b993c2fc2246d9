import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  AuthorizeSecurityGroupEgressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  ModifySecurityGroupRulesCommand,
  type SecurityGroupRule,
  type SecurityGroupRuleRequest,
} from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type AccountClients,
  createExecutor,
  dynamoSnapshotStore,
  memorySnapshotStore,
  type SnapshotStore,
} from '@driftguard/aws';
import { defaultConfig, parseConfig, SG_RULE_SNAPSHOT_KIND } from '@driftguard/core';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { authorizeIngressEvent, authorizeIngressForReal } from '../../packages/cli/src/simulate/cloudtrail';
import { modifySecurityGroupRulesEvent } from '../../packages/cli/src/simulate/ec2-network';
import { dynamoClient, ec2Client, HOME_ACCOUNT, motoEndpoint, unique } from '../support/aws';
import { networkPipeline } from '../support/network';

const REGION = 'us-east-1';
const where = { account: HOME_ACCOUNT, region: REGION };

async function ruleById(ec2: EC2Client, id: string): Promise<SecurityGroupRule | undefined> {
  try {
    const { SecurityGroupRules } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [id] }),
    );
    return SecurityGroupRules?.[0];
  } catch {
    return undefined;
  }
}

const summary = (rule: SecurityGroupRule | undefined) =>
  rule &&
  `${rule.IpProtocol}/${rule.FromPort}-${rule.ToPort} ${rule.CidrIpv4 ?? rule.CidrIpv6} "${rule.Description ?? ''}"`;

/** A group with two compliant ingress rules, seen by driftguard (so their snapshots are stored). */
async function watchedGroup(ec2: EC2Client, pipeline: { process(e: unknown): Promise<unknown> }) {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.51.0.0/16' }));
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: unique('bastion'),
      Description: 'bastion',
      VpcId: Vpc?.VpcId,
    }),
  );
  const groupId = GroupId as string;
  const permissions = [
    {
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      IpRanges: [{ CidrIp: '10.20.0.0/16', Description: 'vpn' }],
    },
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
  ];
  const added = await authorizeIngressForReal(ec2, groupId, permissions);
  const ssh = added.find((rule) => rule.FromPort === 22) as SecurityGroupRule;
  const https = added.find((rule) => rule.FromPort === 443) as SecurityGroupRule;
  await pipeline.process(authorizeIngressEvent({ ...where, groupId, permissions, addedRules: added }));
  return { groupId, ssh: ssh.SecurityGroupRuleId as string, https: https.SecurityGroupRuleId as string };
}

/** A real ModifySecurityGroupRules and its CloudTrail event. */
async function modify(ec2: EC2Client, groupId: string, ruleId: string, rule: SecurityGroupRuleRequest) {
  const rules = [{ SecurityGroupRuleId: ruleId, SecurityGroupRule: rule }];
  await ec2.send(new ModifySecurityGroupRulesCommand({ GroupId: groupId, SecurityGroupRules: rules }));
  return modifySecurityGroupRulesEvent({ ...where, groupId, rules });
}

const OPEN_SSH = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '0.0.0.0/0', Description: 'temp' };

describe.skipIf(!motoEndpoint)('sg-open-ingress on ModifySecurityGroupRules against moto', () => {
  let ec2: EC2Client;
  beforeAll(() => {
    ec2 = ec2Client(REGION);
  });

  it('a rule seen compliant, then modified to ssh from the internet, is restored to its last-known-good version; the sibling is untouched', async () => {
    const snapshots = memorySnapshotStore();
    const pipeline = networkPipeline({ snapshots });
    const { groupId, ssh, https } = await watchedGroup(ec2, pipeline);
    expect(await snapshots.get(HOME_ACCOUNT, REGION, ssh, SG_RULE_SNAPSHOT_KIND)).toBeDefined();
    const siblingBefore = summary(await ruleById(ec2, https));
    const event = await modify(ec2, groupId, ssh, OPEN_SSH);
    expect(summary(await ruleById(ec2, ssh))).toBe('tcp/22-22 0.0.0.0/0 "temp"');

    const result = await pipeline.process(event);

    expect(result.assessment).toMatchObject({
      status: 'violation',
      rule: 'sg-open-ingress',
      severity: 'critical',
    });
    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(result.outcome.results[0]?.detail).toContain(`restored ${ssh} to the last-known-good rule`);
    // Same rule id, back to the trusted source and its description.
    expect(summary(await ruleById(ec2, ssh))).toBe('tcp/22-22 10.20.0.0/16 "vpn"');
    expect(summary(await ruleById(ec2, https))).toBe(siblingBefore);
  });

  it('with no last-known-good version the opened rule is revoked by id; the sibling stays', async () => {
    const pipeline = networkPipeline({ snapshots: memorySnapshotStore() });
    const { groupId, ssh, https } = await watchedGroup(ec2, networkPipeline());
    const event = await modify(ec2, groupId, ssh, OPEN_SSH);

    const result = await pipeline.process(event);

    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(result.outcome.results[0]?.detail).toContain(`revoked ${ssh} (no last-known-good version)`);
    expect(await ruleById(ec2, ssh)).toBeUndefined();
    expect(summary(await ruleById(ec2, https))).toBe('tcp/443-443 10.0.0.0/8 ""');
  });

  it("the snapshot store on moto's DynamoDB: a compliant modification becomes the version a later bad one is restored to", async () => {
    const tableName = unique('driftguard-state');
    const ddb = dynamoClient(REGION);
    await ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    const snapshots: SnapshotStore = dynamoSnapshotStore(DynamoDBDocumentClient.from(ddb), tableName);
    const pipeline = networkPipeline({ snapshots });
    const { groupId, ssh } = await watchedGroup(ec2, pipeline);
    const narrowed = {
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      CidrIpv4: '10.20.5.0/24',
      Description: 'jump',
    };
    const compliant = await pipeline.process(await modify(ec2, groupId, ssh, narrowed));
    expect(compliant.assessment.status).toBe('compliant');
    const stored = await snapshots.get(HOME_ACCOUNT, REGION, ssh, SG_RULE_SNAPSHOT_KIND);
    expect(JSON.parse(stored?.document ?? '{}').rule).toEqual(narrowed);

    const result = await pipeline.process(await modify(ec2, groupId, ssh, OPEN_SSH));

    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(summary(await ruleById(ec2, ssh))).toBe('tcp/22-22 10.20.5.0/24 "jump"');
  });

  it('an egress rule modified to the internet is out of scope (direction read live): untouched', async () => {
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.52.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: unique('egress'),
        Description: 'egress',
        VpcId: Vpc?.VpcId,
      }),
    );
    const groupId = GroupId as string;
    await ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: groupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
        ],
      }),
    );
    const { SecurityGroupRules } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
    );
    const egressId = SecurityGroupRules?.find((rule) => rule.IsEgress && rule.FromPort === 443)
      ?.SecurityGroupRuleId as string;
    const event = await modify(ec2, groupId, egressId, {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      CidrIpv4: '0.0.0.0/0',
    });

    const result = await networkPipeline({ snapshots: memorySnapshotStore() }).process(event);

    expect(result.assessment.status).toBe('not-applicable');
    expect(result.assessment.reason).toContain('is an egress rule');
    expect(summary(await ruleById(ec2, egressId))).toBe('tcp/443-443 0.0.0.0/0 ""');
  });

  it('a last-known-good version the current config no longer trusts is not restored: the rule is revoked instead', async () => {
    const snapshots = memorySnapshotStore();
    const { groupId, ssh } = await watchedGroup(ec2, networkPipeline({ snapshots }));
    // The organization stops trusting 10.0.0.0/8 (the snapshot's 10.20.0.0/16 falls out).
    const parsed = parseConfig({ trustedCidrs: ['192.168.0.0/16'] });
    if (!parsed.ok) throw new Error(parsed.reason);
    const event = await modify(ec2, groupId, ssh, OPEN_SSH);

    const result = await networkPipeline({ config: parsed.config, snapshots }).process(event);

    expect(result.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(result.outcome.results[0]?.detail).toContain(`revoked ${ssh}`);
    expect(await ruleById(ec2, ssh)).toBeUndefined();
  });
});

describe('ModifySecurityGroupRules restore on AWS answers moto does not give (client mock)', () => {
  it('client mock: a restore that does not read back as the snapshot is failed, not verified', async () => {
    const ec2 = new EC2Client({ region: REGION });
    const mock = mockClient(ec2);
    const open = {
      SecurityGroupRuleId: 'sgr-0000000000000a001',
      GroupId: 'sg-0123456789abcdef0',
      IsEgress: false,
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      CidrIpv4: '0.0.0.0/0',
    };
    // EC2 is eventually consistent: the first re-read after the modify can still show the old rule.
    mock.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [open] });
    mock.on(ModifySecurityGroupRulesCommand).resolves({ Return: true });
    const snapshots = memorySnapshotStore();
    await snapshots.put({
      account: HOME_ACCOUNT,
      region: REGION,
      resourceId: open.SecurityGroupRuleId,
      kind: SG_RULE_SNAPSHOT_KIND,
      document: JSON.stringify({
        groupId: open.GroupId,
        ruleId: open.SecurityGroupRuleId,
        rule: { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '10.20.0.0/16' },
      }),
      seenAt: '2024-03-01T10:00:00Z',
      source: 'event',
    });
    const clients: AccountClients = { get: async () => ec2 as never };
    const execute = createExecutor({
      config: defaultConfig(),
      credentialsFor: async () => undefined,
      clients,
      snapshots,
    });

    const result = await execute({
      service: 'ec2',
      operation: 'RestoreSecurityGroupRules',
      target: { account: HOME_ACCOUNT, region: REGION },
      input: { GroupId: open.GroupId, SecurityGroupRuleIds: [open.SecurityGroupRuleId] },
    });

    expect(result).toMatchObject({ status: 'failed', verified: false });
    expect(result.detail).toContain('does not read back as its last-known-good version');
    expect(mock.commandCalls(ModifySecurityGroupRulesCommand)[0]?.args[0].input).toEqual({
      GroupId: open.GroupId,
      SecurityGroupRules: [
        {
          SecurityGroupRuleId: open.SecurityGroupRuleId,
          SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '10.20.0.0/16' },
        },
      ],
    });
  });

  it('client mock: a corrupt snapshot document is never sent to EC2: the rule is revoked instead', async () => {
    const ec2 = new EC2Client({ region: REGION });
    const mock = mockClient(ec2);
    const open = {
      SecurityGroupRuleId: 'sgr-0000000000000a002',
      GroupId: 'sg-0123456789abcdef0',
      IsEgress: false,
      IpProtocol: '-1',
      CidrIpv4: '0.0.0.0/0',
    };
    mock
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({ SecurityGroupRules: [open] })
      .rejects(Object.assign(new Error('gone'), { name: 'InvalidSecurityGroupRuleId.NotFound' }));
    const snapshots = memorySnapshotStore();
    await snapshots.put({
      account: HOME_ACCOUNT,
      region: REGION,
      resourceId: open.SecurityGroupRuleId,
      kind: SG_RULE_SNAPSHOT_KIND,
      document: '{"rule": "not a rule"}',
      seenAt: '2024-03-01T10:00:00Z',
      source: 'event',
    });
    const execute = createExecutor({
      config: defaultConfig(),
      credentialsFor: async () => undefined,
      clients: { get: async () => ec2 as never },
      snapshots,
    });

    const result = await execute({
      service: 'ec2',
      operation: 'RestoreSecurityGroupRules',
      target: { account: HOME_ACCOUNT, region: REGION },
      input: { GroupId: open.GroupId, SecurityGroupRuleIds: [open.SecurityGroupRuleId] },
    });

    expect(result).toMatchObject({ status: 'applied', verified: true });
    expect(mock.commandCalls(ModifySecurityGroupRulesCommand)).toHaveLength(0);
  });
});
