/**
 * The deployed sweep against moto (test/support/sweep-fanout.ts), when a run starts before the last
 * one finished: the new plan reports what the old one never reached, the old run's units are
 * skipped, and the new run completes with the unreachable account counted failed. A file of its
 * own (accounts of its own) so that it runs beside sweep-fanout.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoEndpoint } from '../support/aws';
import { type FanoutScene, fanoutScene } from '../support/sweep-fanout';

describe.skipIf(!motoEndpoint)('sweep fan-out: a new run supersedes an unfinished one (moto)', () => {
  let scene: FanoutScene;

  beforeAll(async () => {
    scene = await fanoutScene({
      accounts: ['262000000011', '262000000012'],
      denied: '262000000013',
      regions: ['eu-north-1', 'ca-central-1'],
    });
  }, 120_000);

  afterAll(async () => {
    await scene?.proxy.close();
  });

  it('supersedes an unfinished run: the next plan reports what it never reached, and its units are skipped', async () => {
    const unfinished = await scene.planner();
    const next = await scene.planner();
    expect(next.previous).toEqual({ runId: unfinished.runId, unreached: unfinished.planned });
    await scene.work();
    expect(await scene.runs.get(unfinished.runId)).toMatchObject({ done: 0, failed: 0 });
    const latest = await scene.runs.get(next.runId);
    expect(latest).toMatchObject({ done: scene.unitsFor(2), failed: scene.unitsFor(1) });
    expect(latest?.completedAt).toBeDefined();
  }, 180_000);
});
