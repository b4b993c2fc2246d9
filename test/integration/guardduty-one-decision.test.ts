import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoAuditStore, ensureStateTable, type Runtime, runtimeFromEnv } from '@driftguard/aws';
import { type Guardrail, guarddutyFinding } from '@driftguard/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { guardDutyFindingEvent, instanceResource } from '../../packages/cli/src/simulate/guardduty';
import { processRecord } from '../../packages/functions/src/evaluate';
import { dynamoClient, ec2Client, HOME_ACCOUNT, motoEndpoint, unique } from '../support/aws';
import { type Call, type FaultProxy, startFaultProxy } from '../support/faults';
import { createGroup, createNetwork, runInstance } from '../support/guardduty';
import { sqsRecord } from '../support/lambda';
import { configWith } from '../support/notify';

const REGION = 'us-east-1';
const config = configWith({
  rules: {
    'guardduty-finding': {
      playbookMinimumSeverity: 'high',
      playbooks: { 'isolate-instance': ['Backdoor:EC2/*'] },
    },
  },
});

/**
 * Lines two deliveries of one finding up the same way on every run: (1) reads of the finding's mark
 * wait until both deliveries are reading it (a path that reads the mark before claiming it then
 * reads it twice before either claims); (2) the newer version's write of the mark waits until the
 * older one's is in (table writes are serialized), so the older version claims first. A path that
 * claims "the mark I read" then loses the newer version's claim and decides it again; the one-pass
 * path reads no mark before its one conditional write, which the newer version wins after the older.
 */
function claimRace(findingId: string, newerUpdatedAt: string) {
  const key = `FINDING#${findingId}`;
  const readers: (() => void)[] = [];
  let readsOpen = false;
  let laterWrite: (() => void) | undefined;
  let firstWritten = false;
  const openReads = () => {
    readsOpen = true;
    for (const go of readers.splice(0)) go();
  };
  return {
    /** A delivery finished: nothing it could still be waiting for will come. */
    open() {
      openReads();
      laterWrite?.();
    },
    hold(call: Call): Promise<void> | undefined {
      if (!call.body?.includes(key)) return undefined;
      if (call.action === 'GetItem' && !readsOpen) {
        const held = new Promise<void>((resolve) => readers.push(resolve));
        if (readers.length >= 2) openReads();
        return held;
      }
      if (call.action !== 'PutItem') return undefined;
      if (call.body.includes(newerUpdatedAt) && !firstWritten)
        return new Promise<void>((resolve) => {
          laterWrite = resolve;
        });
      firstWritten = true;
      // After this write has taken its place in the serialized queue (timers run after that).
      if (laterWrite) setTimeout(laterWrite, 0);
      return undefined;
    },
  };
}

/** DynamoDB's per-item atomic conditional writes, which moto's threaded server does not give. */
const TABLE_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems']);
const isTableWrite = (call: Call) => call.service === 'dynamodb' && TABLE_WRITES.has(call.action);

describe.skipIf(!motoEndpoint)(
  'a GuardDuty finding is decided once per delivery (evaluate handler, moto)',
  () => {
    let table: string;
    let proxy: FaultProxy;
    let runtime: Runtime;
    const ec2 = motoEndpoint ? ec2Client(REGION) : (undefined as never);

    beforeAll(async () => {
      table = unique('gd-one-decision');
      await ensureStateTable(dynamoClient(REGION), table);
      proxy = await startFaultProxy(motoEndpoint as string, {}, { serialize: isTableWrite });
      runtime = runtimeFromEnv(
        {
          AWS_ENDPOINT_URL: proxy.endpoint,
          AWS_REGION: REGION,
          DRIFTGUARD_TABLE: table,
          DRIFTGUARD_READ_ORGANIZATION: 'false',
        },
        { config },
      );
    });
    afterAll(() => proxy?.close());

    async function compromisedInstance() {
      const network = await createNetwork(ec2);
      const group = await createGroup(ec2, network.vpcId, 443);
      return runInstance(ec2, network, [group]);
    }

    const auditOf = async (findingId: string, since: Date) => {
      const audit = dynamoAuditStore(DynamoDBDocumentClient.from(dynamoClient(REGION)), table, {
        retentionDays: 90,
      });
      const records = await audit.list({ since });
      return records.filter((record) => record.eventId === findingId);
    };

    /** Two deliveries at once; a delivery the dedupe lock turned away is redelivered, as SQS would. */
    async function deliverConcurrently(bodies: [string, string], hold?: ReturnType<typeof claimRace>) {
      proxy.reset();
      proxy.setPlan(hold ? { hold: (call) => hold.hold(call) } : {});
      const settled = await Promise.allSettled(
        bodies.map((body, i) =>
          processRecord(sqsRecord(`m-${i}`, body), runtime).finally(() => hold?.open()),
        ),
      );
      proxy.setPlan({});
      return settled;
    }

    it('the same version delivered twice at once: decided once, recorded once, isolated once', async () => {
      const instance = await compromisedInstance();
      const event = guardDutyFindingEvent({
        type: 'Backdoor:EC2/C&CActivity.B!DNS',
        severity: 9.2,
        account: HOME_ACCOUNT,
        region: REGION,
        resource: instanceResource(instance),
      });
      const findingId = (event.detail as { id: string }).id;
      const evaluate = vi.spyOn(guarddutyFinding as Required<Guardrail>, 'evaluateFinding');
      try {
        const body = JSON.stringify(event);
        const settled = await deliverConcurrently([body, body]);
        // The second delivery found the event claimed: failed back to the queue, or told duplicate.
        for (const result of settled.filter((r) => r.status === 'rejected'))
          expect(String((result as PromiseRejectedResult).reason)).toContain(
            'being processed by another delivery',
          );
        // SQS redelivers it: a duplicate now, nothing done.
        await processRecord(sqsRecord('m-redelivered', body), runtime);
        expect(evaluate).toHaveBeenCalledTimes(1);
      } finally {
        evaluate.mockRestore();
      }
      const records = await auditOf(findingId, new Date(Date.now() - 86_400_000));
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ action: 'revert', outcome: { status: 'reverted', verified: true } });
      expect(proxy.stats.applied.get('ModifyNetworkInterfaceAttribute')).toBe(1);
    }, 60_000);

    it('a version and its update delivered at once: each decided once (no second decide on a lost claim)', async () => {
      const instance = await compromisedInstance();
      const base = {
        type: 'Backdoor:EC2/C&CActivity.B!DNS',
        severity: 9.2,
        account: HOME_ACCOUNT,
        region: REGION,
        resource: instanceResource(instance),
        id: unique('f').replace(/[^0-9a-z]/g, ''),
      };
      const first = guardDutyFindingEvent({ ...base, updatedAt: new Date('2026-12-01T10:00:00Z'), count: 1 });
      const update = guardDutyFindingEvent({
        ...base,
        updatedAt: new Date('2026-12-01T10:15:00Z'),
        count: 3,
      });
      const evaluate = vi.spyOn(guarddutyFinding as Required<Guardrail>, 'evaluateFinding');
      let settled: PromiseSettledResult<void>[];
      try {
        settled = await deliverConcurrently(
          [JSON.stringify(first), JSON.stringify(update)],
          claimRace(base.id, '2026-12-01T10:15:00.000Z'),
        );
        // Two deliveries, two decisions: a delivery that lost the claim is not decided again.
        expect(evaluate).toHaveBeenCalledTimes(2);
      } finally {
        evaluate.mockRestore();
      }
      expect(settled.map((result) => (result.status === 'rejected' ? String(result.reason) : 'ok'))).toEqual([
        'ok',
        'ok',
      ]);
      const records = await auditOf(base.id, new Date('2026-12-01T00:00:00Z'));
      // One record per version, each written by one delivery.
      expect(records.map((record) => record.eventTime).sort()).toEqual([
        '2026-12-01T10:00:00.000Z',
        '2026-12-01T10:15:00.000Z',
      ]);
      for (const record of records) expect(record.deliveries ?? 1).toBe(1);
      // The first version claimed first and acted; its update claimed after it and acted again
      // (an update refreshes the alert and ticket; the playbook re-reads live state first).
      const older = records.find((record) => record.eventTime === '2026-12-01T10:00:00.000Z');
      expect(older).toMatchObject({ action: 'revert', outcome: { status: 'reverted', verified: true } });
      const newest = records.find((record) => record.eventTime === '2026-12-01T10:15:00.000Z');
      expect(newest).toMatchObject({ action: 'revert', outcome: { verified: true } });
      expect(newest?.decision).toContain('update of a finding already acted on');
      // Isolated once per version at most.
      const swaps = proxy.stats.applied.get('ModifyNetworkInterfaceAttribute') ?? 0;
      expect(swaps).toBeGreaterThanOrEqual(1);
      expect(swaps).toBeLessThanOrEqual(2);
    }, 60_000);
  },
);
