import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeNetworkInterfacesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoExemptionStore, ensureStateTable } from '@driftguard/aws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { guardDutyFindingEvent, instanceResource } from '../../packages/cli/src/simulate/guardduty';
import { dynamoClient, ec2Client, HOME_ACCOUNT, motoEndpoint, unique } from '../support/aws';
import { createGroup, createNetwork, runInstance } from '../support/guardduty';

/**
 * The attack (security review, December): whoever can write exemption items plants an "event"
 * under an ended exemption; the expiry function used to replay the stored text through the
 * privileged pipeline, so a forged GuardDuty finding isolated an instance in another account.
 * The items are written here with plain PutItem, as that attacker would (moto does not enforce
 * the table's resource policy, which now denies them: test/infra/central-stack.test.ts).
 */
const REGION = 'us-east-1';
const EXEMPTED_ACCOUNT = '111122223333';
const HOUR = 3_600_000;

async function interfaceGroups(ec2: EC2Client, instanceId: string): Promise<string[]> {
  const { NetworkInterfaces } = await ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }],
    }),
  );
  return (NetworkInterfaces ?? []).flatMap((eni) =>
    (eni.Groups ?? []).map((group) => group.GroupId as string),
  );
}

describe.skipIf(!motoEndpoint)('exemption expiry: planted items are never replayed (handler, moto)', () => {
  const table = unique('driftguard-forgery');
  const saved = { ...process.env };
  const names = [
    'AWS_ENDPOINT_URL',
    'AWS_REGION',
    'DRIFTGUARD_TABLE',
    'DRIFTGUARD_CONFIG',
    'DRIFTGUARD_READ_ORGANIZATION',
  ];
  afterAll(() => {
    for (const key of names) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });
  beforeAll(async () => {
    await ensureStateTable(dynamoClient(), table);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: motoEndpoint,
      AWS_REGION: REGION,
      DRIFTGUARD_TABLE: table,
      // The isolate playbook is on: a replayed finding would act.
      DRIFTGUARD_CONFIG: JSON.stringify({
        exemptions: { enabled: true },
        rules: {
          'guardduty-finding': {
            playbookMinimumSeverity: 'high',
            playbooks: { 'isolate-instance': ['Backdoor:EC2/*'] },
          },
        },
      }),
      DRIFTGUARD_READ_ORGANIZATION: 'false',
    });
  });

  it('a forged finding and an out-of-scope reference under an ended exemption: refused, logged, nothing isolated', async () => {
    const ec2 = ec2Client(REGION);
    const network = await createNetwork(ec2);
    const web = await createGroup(ec2, network.vpcId, 443);
    const instance = await runInstance(ec2, network, [web]);
    const instanceId = instance.InstanceId as string;
    const before = await interfaceGroups(ec2, instanceId);

    // An exemption for another account, ended an hour ago, due for its re-check.
    const ddb = DynamoDBDocumentClient.from(dynamoClient());
    const id = unique('ex');
    const grantedAt = new Date(Date.now() - 3 * HOUR).toISOString();
    const endsAt = new Date(Date.now() - HOUR).toISOString();
    const exemption = {
      id,
      account: EXEMPTED_ACCOUNT,
      reason: 'a window that has closed',
      ticket: 'CHG-1',
      requester: 'alice',
      approver: 'bob',
      grantedAt,
      expiresAt: endsAt,
    };
    const put = (item: Record<string, unknown>) => ddb.send(new PutCommand({ TableName: table, Item: item }));
    await put({ pk: `EXEMPTION#${EXEMPTED_ACCOUNT}`, sk: id, exemption, endsAt, uses: 1 });
    await put({
      pk: 'EXEMPTION#DUE',
      sk: `${endsAt}#${EXEMPTED_ACCOUNT}#${id}`,
      account: EXEMPTED_ACCOUNT,
      id,
      endsAt,
    });
    // 1. The stored-event format: a forged GuardDuty finding about an instance in another account.
    const forged = guardDutyFindingEvent({
      type: 'Backdoor:EC2/C&CActivity.B!DNS',
      severity: 9.2,
      account: HOME_ACCOUNT,
      region: REGION,
      resource: instanceResource(instance),
    });
    await put({
      pk: `EXEMPTION#${EXEMPTED_ACCOUNT}#${id}`,
      sk: 'TRIGGER#forged-finding',
      eventId: 'forged-finding',
      eventTime: grantedAt,
      rule: 'guardduty-finding',
      resource: instanceId,
      usedAt: grantedAt,
      event: JSON.stringify(forged),
    });
    // 2. A well-formed reference, but to a resource in an account the exemption does not cover.
    await put({
      pk: `EXEMPTION#${EXEMPTED_ACCOUNT}#${id}`,
      sk: 'TRIGGER#out-of-scope',
      eventId: 'out-of-scope',
      eventTime: grantedAt,
      kind: 'change',
      account: HOME_ACCOUNT,
      region: REGION,
      rule: 'sg-open-ingress',
      resource: web,
      usedAt: grantedAt,
    });

    // The handler's warnings (Powertools Logger, a JSON line each in Lambda).
    const logged = vi.spyOn(Logger.prototype, 'warn');
    const { handler } = await import('../../packages/functions/src/exemption-expiry');
    const result = await handler().catch((error: unknown) => error);
    const lines = logged.mock.calls.map(([chunk]) => String(chunk)).join('');
    logged.mockRestore();

    // Nothing was isolated: the instance keeps its groups.
    expect(await interfaceGroups(ec2, instanceId)).toEqual(before);
    expect(result).toEqual({ checked: 1, incomplete: 0 });
    const record = await dynamoExemptionStore(ddb, table).get(EXEMPTED_ACCOUNT, id);
    expect(record?.recheck).toEqual([
      expect.objectContaining({ eventId: 'forged-finding', outcome: 'refused' }),
      expect.objectContaining({
        eventId: 'out-of-scope',
        outcome: 'refused',
        summary: `account ${HOME_ACCOUNT} is outside the exemption (account ${EXEMPTED_ACCOUNT})`,
      }),
    ]);
    expect(lines).toContain(
      `reference out-of-scope refused: account ${HOME_ACCOUNT} is outside the exemption (account ${EXEMPTED_ACCOUNT})`,
    );
    expect(lines).toContain('reference forged-finding refused: not a reference');
  }, 120_000);
});
