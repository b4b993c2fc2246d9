/**
 * A sweep run's counters under the delivery SQS gives the workers: at least once, many units
 * finishing at the same moment beside redeliveries of units already counted. What a user notices:
 * the run's done/failed totals are exact and it is marked complete exactly once.
 *
 * moto applies concurrent DynamoDB requests without isolation (an ADD lost, a cancelled transaction
 * putting back a copy of the table taken before others committed: test/support/
 * repro-moto-transaction-rollback.ts), which is how the fan-out test once lost a count. DynamoDB
 * applies each request atomically, so the store is driven through a proxy that has moto answer
 * DynamoDB one request at a time (test/support/faults.ts `serialize`): requests of concurrent
 * deliveries still interleave, so a count split over a read and a write would still be lost here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoSweepRunStore, ensureStateTable, type UnitResult } from '@driftguard/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOptions, dynamoClient, motoEndpoint, unique } from '../support/aws';
import { type FaultProxy, startFaultProxy } from '../support/faults';

const done: UnitResult = { status: 'done', resources: 3, violations: 1 };
const failed: UnitResult = { status: 'failed', resources: 0, violations: 0 };

describe.skipIf(!motoEndpoint)('sweep run counters (moto, one DynamoDB request at a time)', () => {
  const table = unique('sweep-runs');
  let proxy: FaultProxy;
  let runs: ReturnType<typeof dynamoSweepRunStore>;

  beforeAll(async () => {
    await ensureStateTable(dynamoClient(), table);
    proxy = await startFaultProxy(
      motoEndpoint as string,
      {},
      { serialize: (call) => call.service === 'dynamodb' },
    );
    const ddb = new DynamoDBClient({ ...clientOptions(), endpoint: proxy.endpoint });
    runs = dynamoSweepRunStore(DynamoDBDocumentClient.from(ddb), table);
  });

  afterAll(async () => {
    await proxy?.close();
  });

  it('counts units finishing together exactly, redeliveries once, and completes the run once', async () => {
    const runId = unique('run');
    const UNITS = 60;
    await runs.start({ runId, startedAt: new Date().toISOString(), planned: UNITS });
    const resultOf = (unit: number) => (unit % 3 === 0 ? failed : done);
    const record = (unit: number) => runs.recordUnit(runId, `u${unit}`, resultOf(unit));
    // A first wave, then the rest at once with each unit of the first wave delivered again beside them.
    const first = await Promise.all(Array.from({ length: 20 }, (_, unit) => record(unit)));
    const rest = await Promise.all([
      ...Array.from({ length: UNITS - 20 }, (_, index) => record(index + 20)),
      ...Array.from({ length: 20 }, (_, unit) => record(unit)),
    ]);
    const all = [...first, ...rest];
    expect(all.filter((recorded) => recorded.counted)).toHaveLength(UNITS);
    const failedUnits = UNITS / 3;
    expect(await runs.get(runId)).toMatchObject({
      planned: UNITS,
      done: UNITS - failedUnits,
      failed: failedUnits,
      resources: (UNITS - failedUnits) * 3,
      violations: UNITS - failedUnits,
      completedAt: expect.any(String),
    });
    expect(all.filter((recorded) => recorded.completedNow)).toHaveLength(1);
  }, 60_000);

  it('a unit of a run that was never recorded is not counted into a phantom run', async () => {
    const runId = unique('never-started');
    expect(await runs.recordUnit(runId, 'u0', done)).toEqual({ counted: false, completedNow: false });
    expect(await runs.get(runId)).toBeUndefined();
  });
});
