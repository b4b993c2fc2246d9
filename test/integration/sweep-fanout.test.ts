/**
 * The deployed sweep, end to end against moto: the planner Lambda handler puts one message per
 * (account, region, kind) on a real SQS queue, the worker Lambda handler is driven by the event
 * source mapping's contract (test/support/sqs-lambda.ts), and the run's counters live in the state
 * table. What a user notices: every unit is swept once, the run says it is complete, violations are
 * reverted, compliant resources stay out of the audit trail, and an unreachable account is counted
 * failed (not lost). A new run superseding an unfinished one: sweep-fanout-supersede.test.ts.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { dynamoAuditStore, type SweepRun } from '@driftguard/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoEndpoint } from '../support/aws';
import { type FanoutScene, fanoutScene, ingressCidrs } from '../support/sweep-fanout';

describe.skipIf(!motoEndpoint)('sweep fan-out: planner → SQS → worker (moto)', () => {
  let scene: FanoutScene;

  beforeAll(async () => {
    scene = await fanoutScene({
      accounts: ['262000000001', '262000000002'],
      // Its member role cannot be assumed: every unit of it fails.
      denied: '262000000003',
      regions: ['eu-north-1', 'ca-central-1'],
    });
  }, 120_000);

  afterAll(async () => {
    await scene?.proxy.close();
  });

  let first: { runId: string; planned: number };
  let run: SweepRun | undefined;

  it('plans one message per account × region × kind, S3 kinds once per account', async () => {
    first = await scene.planner();
    expect(first.planned).toBe(scene.unitsFor(3));
    const { Attributes } = await scene.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: scene.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Number(Attributes?.ApproximateNumberOfMessages)).toBe(first.planned);
    expect(await scene.runs.get(first.runId)).toMatchObject({ planned: first.planned, done: 0, failed: 0 });
  });

  it('works every unit once, reverts the violations and completes the run, counting the unreachable account failed', async () => {
    await scene.work();
    run = await scene.runs.get(first.runId);
    expect(run).toMatchObject({
      planned: scene.unitsFor(3),
      done: scene.unitsFor(2),
      // Every unit of the account whose role cannot be assumed, each after its last delivery.
      failed: scene.unitsFor(1),
    });
    expect(run?.completedAt).toBeDefined();
    expect(run?.violations).toBeGreaterThanOrEqual(scene.groups.length);
    for (const { ec2, open, closed } of scene.groups) {
      expect(await ingressCidrs(ec2, open)).toEqual([]);
      expect(await ingressCidrs(ec2, closed)).toEqual(['10.1.0.0/16']);
    }
  }, 180_000);

  it('writes the violations to the audit trail, and none of the compliant resources it judged', async () => {
    const audit = dynamoAuditStore(scene.ddb, scene.table, { retentionDays: 1 });
    const records = await audit.list({ since: new Date(Date.now() - 3_600_000) });
    const swept = records.filter((record) => record.actorType === 'driftguard-sweep');
    expect(swept.length).toBeGreaterThanOrEqual(scene.groups.length);
    expect(swept.every((record) => record.verdict === 'violation')).toBe(true);
    // The compliant groups were judged (counted as resources) but not recorded.
    const closed = new Set(scene.groups.map((group) => group.closed));
    expect(swept.some((record) => closed.has(record.eventId.split(':').at(-1) ?? ''))).toBe(false);
    expect(run?.resources ?? 0).toBeGreaterThan(swept.length);
  });
});
