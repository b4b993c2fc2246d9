/**
 * What one sweep unit costs in DynamoDB calls, through the deployed worker handler against moto,
 * counted at a proxy by operation and kind of item (the key prefix). The sweep re-reads every
 * resource of the organization every run and nearly all of them are compliant and unchanged, so
 * what a compliant resource costs is multiplied by the whole organization (bench/sweep-sim.ts):
 *
 * - a compliant observation is not claimed (no DEDUPE write), a violation still is;
 * - a unit's last-known-good documents are read back in one BatchGetItem and only new or changed
 *   ones are written: an unchanged one costs no write, a changed one is written and survives.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  dynamoSnapshotStore,
  dynamoSweepRunStore,
  ensureStateTable,
  type Snapshot,
  type SweepRun,
} from '@driftguard/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsInAccount, dynamoClient, ec2Client, motoEndpoint, unique } from '../support/aws';
import { type FaultProxy, startFaultProxy } from '../support/faults';
import { lambdaContext, sqsRecord } from '../support/lambda';

const ACCOUNT = '263000000001';
const REGION = 'eu-south-2';
const COMPLIANT_GROUPS = 4;

/** DynamoDB calls by "Operation KIND", KIND the key prefix of the item(s) named. */
type Tally = Record<string, number>;

function labelOf(action: string, body: string): string {
  const request = JSON.parse(body) as {
    Key?: { pk?: { S?: string } };
    Item?: { pk?: { S?: string } };
    TransactItems?: Record<string, { Key?: { pk?: { S?: string } }; Item?: { pk?: { S?: string } } }>[];
    RequestItems?: Record<string, { Keys?: { pk?: { S?: string } }[] }>;
  };
  const named = [
    request.Key,
    request.Item,
    ...(request.TransactItems ?? []).flatMap((entry) => Object.values(entry).map((op) => op.Key ?? op.Item)),
    ...Object.values(request.RequestItems ?? {}).flatMap((table) => table.Keys ?? []),
  ];
  const kinds = new Set(named.flatMap((key) => (key?.pk?.S ? [key.pk.S.split('#')[0]] : [])));
  return `${action} ${[...kinds].join('+')}`;
}

describe.skipIf(!motoEndpoint)('DynamoDB calls of one sweep unit (worker handler, moto)', () => {
  const table = unique('unit-calls');
  const ddb = DynamoDBDocumentClient.from(dynamoClient());
  const runs = dynamoSweepRunStore(ddb, table);
  const snapshots = dynamoSnapshotStore(ddb, table);
  let tally: Tally = {};
  let proxy: FaultProxy;
  let ec2: EC2Client;
  let openGroup: string;
  let worker: typeof import('../../packages/functions/src/sweep-worker').handler;

  const addIngress = (groupId: string, cidr: string, port: number) =>
    ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] }],
      }),
    );

  /** One run of the security-groups unit of ACCOUNT/REGION through the worker handler. */
  async function sweepUnitOnce(): Promise<{ calls: Tally; run: SweepRun }> {
    const runId = unique('run');
    await runs.start({ runId, startedAt: new Date().toISOString(), planned: 1 });
    const unit = {
      runId,
      account: ACCOUNT,
      region: REGION,
      describer: 'security-groups',
      observedAt: new Date().toISOString(),
      regions: [REGION],
    };
    tally = {};
    const response = await worker({ Records: [sqsRecord(unique('m'), JSON.stringify(unit))] }, lambdaContext);
    expect(response.batchItemFailures).toEqual([]);
    const run = (await runs.get(runId)) as SweepRun;
    expect(run).toMatchObject({ done: 1, failed: 0, completedAt: expect.any(String) });
    return { calls: tally, run };
  }

  beforeAll(async () => {
    await ensureStateTable(dynamoClient(), table);
    ec2 = ec2Client(REGION, await credentialsInAccount(ACCOUNT));
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const group = async (index: number, cidr: string) => {
      const { GroupId = '' } = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: unique(`calls-${index}`),
          Description: 'calls',
          VpcId: Vpc?.VpcId,
        }),
      );
      await addIngress(GroupId, cidr, 443);
      return GroupId;
    };
    for (let index = 0; index < COMPLIANT_GROUPS; index++) await group(index, `10.${index}.0.0/16`);
    openGroup = await group(COMPLIANT_GROUPS, '0.0.0.0/0');
    proxy = await startFaultProxy(
      motoEndpoint as string,
      {
        hold: (call) => {
          if (call.service === 'dynamodb') {
            const label = labelOf(call.action, call.body ?? '{}');
            tally[label] = (tally[label] ?? 0) + 1;
          }
          return undefined;
        },
      },
      { serialize: (call) => call.service === 'dynamodb' },
    );
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: proxy.endpoint,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_SWEEP_MAX_RECEIVE_COUNT: '3',
    });
    ({ handler: worker } = await import('../../packages/functions/src/sweep-worker'));
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
  });

  it('claims the violations it reverts, and none of the compliant groups it judged', async () => {
    const first = await sweepUnitOnce();
    // The open group and the two default groups (moto gives each a rule): each claimed and completed once.
    expect(first.run.violations).toBe(3);
    expect(first.run.resources).toBe(COMPLIANT_GROUPS + 3);
    expect(first.calls['PutItem DEDUPE']).toBe(first.run.violations);
    expect(first.calls['UpdateItem DEDUPE']).toBe(first.run.violations);
    const { SecurityGroupRules = [] } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [openGroup] }] }),
    );
    expect(SecurityGroupRules.filter((rule) => !rule.IsEgress && rule.CidrIpv4 === '0.0.0.0/0')).toEqual([]);
    // Each compliant rule is now the last-known-good of its group, written in this first sweep.
    expect(first.calls['BatchGetItem SNAPSHOT']).toBe(1);
    expect(first.calls['PutItem SNAPSHOT']).toBe(COMPLIANT_GROUPS);
  }, 60_000);

  it('in the steady state writes nothing per resource: no claim, no unchanged last-known-good', async () => {
    const steady = await sweepUnitOnce();
    expect(steady.calls['PutItem DEDUPE'] ?? 0).toBe(0);
    expect(steady.calls['UpdateItem DEDUPE'] ?? 0).toBe(0);
    expect(steady.calls['PutItem SNAPSHOT'] ?? 0).toBe(0);
    expect(steady.calls['BatchGetItem SNAPSHOT']).toBe(1);
    // What is left per unit: the latest run id (cached per container), the unit's count, the run's totals.
    const perResource = Object.entries(steady.calls).filter(
      ([label]) => !label.endsWith(' SWEEP') && label !== 'BatchGetItem SNAPSHOT',
    );
    expect(perResource).toEqual([]);
  }, 60_000);

  it('writes a new or changed document, and the stored one is then the live one', async () => {
    const { SecurityGroupRules = [] } = await ec2.send(new DescribeSecurityGroupRulesCommand({}));
    const kept = SecurityGroupRules.find((rule) => rule.CidrIpv4 === '10.0.0.0/16')
      ?.SecurityGroupRuleId as string;
    const live = await snapshots.get(ACCOUNT, REGION, kept, 'sg-rule');
    expect(live).toBeDefined();
    // The stored document no longer matches the live rule, and a new compliant rule appears.
    await snapshots.put({ ...(live as Snapshot), document: '{"stale":true}' });
    const added = await addIngress(openGroup, '10.99.0.0/16', 8443);
    const addedId = added.SecurityGroupRules?.[0]?.SecurityGroupRuleId as string;

    const changed = await sweepUnitOnce();
    expect(changed.calls['PutItem SNAPSHOT']).toBe(2);
    expect(await snapshots.get(ACCOUNT, REGION, kept, 'sg-rule')).toMatchObject({ document: live?.document });
    expect(await snapshots.get(ACCOUNT, REGION, addedId, 'sg-rule')).toMatchObject({ source: 'sweep' });
  }, 60_000);
});
