import {
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcPeeringConnectionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  type AccountClients,
  type Describer,
  describersFor,
  forEachBounded,
  runSweep,
  type SweepHandled,
  securityGroupsDescriber,
  sweepEvent,
  vpcPeeringDescriber,
} from '@driftguard/aws';
import { assess, CATALOG, defaultConfig, normalizeCloudTrail } from '@driftguard/core';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';

const ec2Mock = mockClient(EC2Client);
afterEach(() => ec2Mock.reset());

const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const clients: AccountClients = { get: async () => ec2 as never };
const config = defaultConfig();

/** The report-only handler the CLI uses without --apply: normalize and assess, no AWS. */
async function assessOnly(event: Record<string, unknown>): Promise<SweepHandled> {
  const normalized = normalizeCloudTrail(event);
  if (!normalized.ok) throw new Error(normalized.reason);
  return { assessment: assess(normalized.change, config) };
}

const scope = {
  runId: 'run1',
  account: '111122223333',
  region: 'eu-west-1',
  regions: ['eu-west-1'],
  clients,
  observedAt: '2024-05-01T10:00:00Z',
};

describe('sweep describers', () => {
  it('page through every result (NextToken) and turn each group into the change its guardrails judge', async () => {
    const rule = (id: string, group: string, cidr: string, egress = false) => ({
      SecurityGroupRuleId: id,
      GroupId: group,
      IsEgress: egress,
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      CidrIpv4: cidr,
    });
    ec2Mock
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({ SecurityGroupRules: [rule('sgr-1', 'sg-web', '0.0.0.0/0')], NextToken: 'r2' })
      .resolvesOnce({
        SecurityGroupRules: [
          rule('sgr-2', 'sg-web', '10.0.0.0/8'),
          rule('sgr-3', 'sg-def', '0.0.0.0/0', true),
        ],
      });
    ec2Mock
      .on(DescribeSecurityGroupsCommand)
      .resolvesOnce({ SecurityGroups: [{ GroupId: 'sg-web', GroupName: 'web' }], NextToken: 'g2' })
      .resolvesOnce({ SecurityGroups: [{ GroupId: 'sg-def', GroupName: 'default', VpcId: 'vpc-1' }] });

    const swept = [];
    for await (const resource of securityGroupsDescriber.describe(scope)) swept.push(resource);

    // Two pages each: the second request carries the first page's token.
    const ruleCalls = ec2Mock.commandCalls(DescribeSecurityGroupRulesCommand);
    expect(ruleCalls).toHaveLength(2);
    expect(ruleCalls[1]?.args[0].input.NextToken).toBe('r2');
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(2);
    expect(
      swept.map((resource) => [
        resource.resourceId,
        (resource.event.detail as { eventName: string }).eventName,
      ]),
    ).toEqual([
      ['sg-web', 'AuthorizeSecurityGroupIngress'],
      ['sg-def', 'AuthorizeSecurityGroupEgress'],
    ]);
    const [web, defaultGroup] = await Promise.all(swept.map((resource) => assessOnly(resource.event)));
    expect(web?.assessment).toMatchObject({
      status: 'violation',
      rule: 'sg-open-ingress',
      severity: 'critical',
    });
    expect(web?.assessment.operations).toEqual([
      expect.objectContaining({
        operation: 'RevokeSecurityGroupIngress',
        input: { GroupId: 'sg-web', SecurityGroupRuleIds: ['sgr-1'] },
      }),
    ]);
    expect(web?.assessment.event).toMatchObject({ actor: 'driftguard-sweep', actorType: 'driftguard-sweep' });
    expect(defaultGroup?.assessment).toMatchObject({ status: 'violation', rule: 'default-sg-in-use' });
  });

  it('read a peering this account must still accept as the request it can only reject', async () => {
    ec2Mock.on(DescribeVpcPeeringConnectionsCommand).resolves({
      VpcPeeringConnections: [
        {
          VpcPeeringConnectionId: 'pcx-pending',
          Status: { Code: 'pending-acceptance' },
          RequesterVpcInfo: { OwnerId: '999988887777', VpcId: 'vpc-outside', Region: 'eu-west-1' },
          AccepterVpcInfo: { OwnerId: '111122223333', VpcId: 'vpc-ours', Region: 'eu-west-1' },
        },
        {
          VpcPeeringConnectionId: 'pcx-gone',
          Status: { Code: 'deleted' },
          RequesterVpcInfo: { OwnerId: '111122223333', VpcId: 'vpc-a' },
          AccepterVpcInfo: { OwnerId: '111122223333', VpcId: 'vpc-b' },
        },
      ],
    });
    const swept = [];
    for await (const resource of vpcPeeringDescriber.describe(scope)) swept.push(resource);
    expect(swept.map((resource) => resource.resourceId)).toEqual(['pcx-pending']);
    const { assessment } = await assessOnly(swept[0]?.event as Record<string, unknown>);
    expect(assessment).toMatchObject({ status: 'violation', rule: 'vpc-peering', severity: 'high' });
    expect(assessment.operations.map((operation) => operation.operation)).toEqual([
      'RejectVpcPeeringConnection',
    ]);
  });

  it('run for every guardrail of the catalog, and only for guardrails that exist', () => {
    const fed = new Set(describersFor(CATALOG).flatMap((describer) => describer.rules));
    for (const rule of ['sg-open-ingress', 'default-sg-in-use', 'vpc-peering', 'vpc-endpoint-service']) {
      expect(fed.has(rule)).toBe(true);
    }
    expect(describersFor([])).toEqual([]);
  });
});

/** A describer that yields `count` compliant-looking changes, or fails where told to. */
function fakeDescriber(
  id: string,
  options: { count: number; failIn?: string; failAfter?: number },
): Describer {
  return {
    id,
    rules: ['sg-open-ingress'],
    scope: 'region',
    async *describe(unit) {
      for (let index = 0; index < options.count; index++) {
        if (options.failIn === unit.account && index === (options.failAfter ?? 0)) {
          throw Object.assign(new Error(`not authorized in ${unit.account}`), { name: 'AccessDenied' });
        }
        yield sweepEvent(unit, {
          eventSource: 'ec2.amazonaws.com',
          eventName: 'AuthorizeSecurityGroupIngress',
          resourceId: `sg-${index}`,
          requestParameters: { groupId: `sg-${index}` },
          responseElements: {
            securityGroupRuleSet: {
              items: {
                groupId: `sg-${index}`,
                securityGroupRuleId: `sgr-${index}`,
                ipProtocol: 'tcp',
                fromPort: 443,
                toPort: 443,
                cidrIpv4: index % 2 === 0 ? '10.0.0.0/8' : '0.0.0.0/0',
              },
            },
          },
        });
      }
    },
  };
}

describe('runSweep', () => {
  it('a failing account is reported with its reason and does not stop the others', async () => {
    const progress: string[] = [];
    const report = await runSweep({
      accounts: ['111111111111', '222222222222', '333333333333'],
      regions: ['us-east-1', 'eu-west-1'],
      clients,
      describers: [fakeDescriber('fake', { count: 4, failIn: '222222222222', failAfter: 2 })],
      handle: assessOnly,
      onProgress: (event) => {
        if (event.kind === 'unit-finished') progress.push(`${event.done}/${event.total}`);
      },
    });
    expect(report.totals).toMatchObject({ units: 6, failedUnits: 2, skippedUnits: 0 });
    const failed = report.units.filter((unit) => unit.status === 'failed');
    expect(failed.map((unit) => [unit.account, unit.region])).toEqual([
      ['222222222222', 'us-east-1'],
      ['222222222222', 'eu-west-1'],
    ]);
    expect(failed[0]?.error).toBe('AccessDenied: not authorized in 222222222222');
    // 4 resources in each of the 4 healthy units, plus the 2 each failing unit judged before failing.
    expect(report.totals.resources).toBe(4 * 4 + 2 * 2);
    expect(report.totals.violations).toBe(2 * 4 + 2);
    expect(progress).toEqual(['1/6', '2/6', '3/6', '4/6', '5/6', '6/6']);
    expect(report.items.every((item) => item.eventId.startsWith(`driftguard-sweep:${report.runId}:`))).toBe(
      true,
    );
  });

  it('a change whose handling throws is an error item; its unit carries on', async () => {
    let calls = 0;
    const report = await runSweep({
      accounts: ['111111111111'],
      regions: ['us-east-1'],
      clients,
      describers: [fakeDescriber('fake', { count: 4 })],
      handle: async (event) => {
        calls += 1;
        if (calls === 2) throw new Error('audit table unavailable');
        return assessOnly(event);
      },
    });
    expect(report.units[0]?.status).toBe('ok');
    expect(report.items.map((item) => item.status).sort()).toEqual([
      'compliant',
      'compliant',
      'error',
      'violation',
    ]);
    expect(report.items.find((item) => item.status === 'error')?.summary).toBe('audit table unavailable');
    expect(report.totals.failedItems).toBe(1);
  });

  it('units not started before the deadline are reported skipped', async () => {
    let now = 0;
    const report = await runSweep({
      accounts: ['111111111111', '222222222222'],
      regions: ['us-east-1'],
      clients,
      describers: [fakeDescriber('fake', { count: 1 })],
      concurrency: 1,
      deadline: 5,
      now: () => now,
      handle: async (event) => {
        now += 10;
        return assessOnly(event);
      },
    });
    expect(report.units.map((unit) => unit.status)).toEqual(['ok', 'skipped']);
    expect(report.totals.skippedUnits).toBe(1);
  });

  it('bounds the changes in flight per unit', async () => {
    let inFlight = 0;
    let peak = 0;
    async function* source() {
      for (let index = 0; index < 20; index++) yield index;
    }
    await forEachBounded(source(), 3, async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight -= 1;
    });
    expect(peak).toBe(3);
  });
});
