import { type SweepRun, type SweepRunStore, unreachedOf } from '../store/sweep-runs';
import type { Describer } from '../sweep/describer';
import { newRunId, observedAtOf } from '../sweep/run';
import { type PlannedUnit, planUnits } from '../sweep/units';
import type { EnqueueResult } from './work-queue';

export interface PlannedRun {
  run: { runId: string; startedAt: string; planned: number };
  enqueued: number;
  notEnqueued: EnqueueResult['notSent'];
  /** The run before this one, and how many of its units were never reached (it is now superseded). */
  previous?: { run: SweepRun; unreached: number };
}

/**
 * The planner's whole job, once per schedule tick: every account × region × kind as a unit (kinds
 * interleaved, S3 kinds once per account), the run recorded with its planned count *before* any
 * unit is sent (so a worker never counts into a run that does not exist, and a planner that dies
 * half-way leaves a run that visibly never completes), then the units on the queue. Units SQS
 * refused count as failed at once. The previous run, now superseded, is reported with what it left
 * unreached: its remaining units are skipped by the workers, so runs never pile up on the queue.
 */
export async function planSweep(input: {
  accounts: readonly string[];
  regions: readonly string[];
  describers: readonly Describer[];
  store: SweepRunStore;
  enqueue(units: PlannedUnit[]): Promise<EnqueueResult>;
  now?: () => number;
  runId?: string;
}): Promise<PlannedRun> {
  const now = input.now ?? Date.now;
  const runId = input.runId ?? newRunId();
  const started = now();
  const observedAt = observedAtOf(started);
  const regions = [...input.regions];
  const units: PlannedUnit[] = planUnits(input).map((unit) => ({ ...unit, runId, observedAt, regions }));
  const run = { runId, startedAt: new Date(started).toISOString(), planned: units.length };
  const previous = await input.store.start(run);
  const { sent, notSent } = await input.enqueue(units);
  await input.store.recordNotEnqueued(runId, notSent.length);
  return {
    run,
    enqueued: sent,
    notEnqueued: notSent,
    ...(previous ? { previous: { run: previous, unreached: unreachedOf(previous) } } : {}),
  };
}
