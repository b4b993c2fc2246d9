import { CreateSecurityGroupCommand, CreateVpcCommand, type IpPermission } from '@aws-sdk/client-ec2';
import { ensureStateTable, runtimeFromEnv } from '@driftguard/aws';
import * as core from '@driftguard/core';
import { sgOpenIngress } from '@driftguard/core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { processRecord } from '../../packages/functions/src/evaluate';
import { dynamoClient, ec2Client, motoEndpoint, openIngress, unique } from '../support/aws';
import { sqsRecord } from '../support/lambda';

// Every importer of @driftguard/core (the pipeline, the dedupe wrapper) gets this counting copy.
vi.mock('@driftguard/core', async (original) => {
  const actual = await original<typeof import('@driftguard/core')>();
  return { ...actual, normalizeEvent: vi.fn(actual.normalizeEvent) };
});

const HTTPS_OPEN: IpPermission[] = [
  { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
];

describe.skipIf(!motoEndpoint)('the decision path is one pass (evaluate handler against moto)', () => {
  let table: string;
  beforeAll(async () => {
    table = unique('one-pass');
    await ensureStateTable(dynamoClient(), table);
  });

  it('normalizes each event once and evaluates it once, with the state table (dedupe, breaker, audit) wired', async () => {
    const runtime = runtimeFromEnv({
      AWS_ENDPOINT_URL: motoEndpoint,
      AWS_REGION: 'us-east-1',
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
    });
    const ec2 = ec2Client();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: unique('one'), Description: 'd', VpcId: Vpc?.VpcId }),
    );
    const normalize = vi.mocked(core.normalizeEvent);
    const evaluate = vi.spyOn(sgOpenIngress, 'evaluate');
    try {
      // Three openings of the same group: after the first revert the group has circuit-breaker
      // state, which used to make the pipeline decide each later event a second time.
      for (let i = 1; i <= 3; i++) {
        const { event } = await openIngress(ec2, GroupId as string, HTTPS_OPEN);
        normalize.mockClear();
        evaluate.mockClear();
        await processRecord(sqsRecord(`m-${i}`, JSON.stringify(event)), runtime);
        expect(normalize, `event #${i} normalized`).toHaveBeenCalledTimes(1);
        expect(evaluate, `event #${i} evaluated`).toHaveBeenCalledTimes(1);
      }
    } finally {
      evaluate.mockRestore();
    }
  });
});
