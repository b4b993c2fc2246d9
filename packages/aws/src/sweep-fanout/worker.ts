import type { Config } from '@driftguard/core';
import { SweepUnitRetryError } from '../errors';
import type { AccountClients } from '../executor';
import { deferredSnapshots, type SnapshotStore } from '../store/snapshots';
import type { SweepRun, SweepRunStore } from '../store/sweep-runs';
import type { Describer, SweptResource } from '../sweep/describer';
import {
  describeError,
  type SweepHandled,
  type SweepItemReport,
  type SweepUnitReport,
  sweepUnit,
} from '../sweep/unit';
import { type PlannedUnit, parsePlannedUnit, unitKey } from '../sweep/units';

export type UnitMessageResult =
  /** Swept and counted (or already counted by an earlier delivery: `counted` false). */
  | { kind: 'swept'; unit: PlannedUnit; report: SweepUnitReport; counted: boolean; completed?: SweepRun }
  /** Failed on its last delivery: counted as failed, not retried again. */
  | { kind: 'failed'; unit: PlannedUnit; report: SweepUnitReport; counted: boolean; completed?: SweepRun }
  /** A newer run has started: this unit's run is over, its unit is skipped (reported as unreached). */
  | { kind: 'superseded'; unit: PlannedUnit; latest: string | undefined };

export interface SweepWorkerOptions {
  describers: readonly Describer[];
  store: SweepRunStore;
  /** The queue's maxReceiveCount: a unit that fails on this delivery is counted as failed. */
  maxReceiveCount: number;
  perTargetConcurrency?: number;
  onItem?(item: SweepItemReport): void;
  /** How long the latest run id is cached (default 30 s): one read per container, not per unit. */
  latestTtlMs?: number;
  now?: () => number;
}

/**
 * The worker's whole job for one SQS message: check the unit (it names the account a role is
 * assumed in), skip it if its run has been superseded, sweep it with the same unit function as the
 * CLI, and count it once in its run. A unit whose reads fail is retried by SQS on its own; on its
 * last delivery it is counted as failed instead, so the run still completes and says what failed.
 */
export function sweepWorker(options: SweepWorkerOptions) {
  const now = options.now ?? Date.now;
  const byId = new Map(options.describers.map((describer) => [describer.id, describer]));
  const known = [...byId.keys()];
  let latest: { runId: string | undefined; readAt: number } | undefined;
  const latestRunId = async () => {
    if (!latest || now() - latest.readAt > (options.latestTtlMs ?? 30_000))
      latest = { runId: await options.store.latestRunId(), readAt: now() };
    return latest.runId;
  };

  /**
   * `live`: the per-account clients and the pipeline of the runtime as it is now (the config can
   * change between messages; the run cache above outlives it). `handle` hands the unit's compliant
   * documents to `snapshots` when given one; with `live.snapshots` they are written once per unit,
   * only those new or changed (`deferredSnapshots`).
   */
  return async function processUnitMessage(
    body: string,
    receiveCount: number,
    live: {
      clients: AccountClients;
      handle: (
        event: Record<string, unknown>,
        resource: SweptResource,
        snapshots?: SnapshotStore,
      ) => Promise<SweepHandled>;
      config?: Config;
      snapshots?: SnapshotStore;
    },
  ): Promise<UnitMessageResult> {
    const unit = parsePlannedUnit(body, known);
    let current = await latestRunId();
    // A unit of a run newer than the cached id: read again rather than skip it.
    if (current !== unit.runId) {
      latest = undefined;
      current = await latestRunId();
    }
    if (current !== unit.runId) return { kind: 'superseded', unit, latest: current };
    const deferred = live.snapshots ? deferredSnapshots(live.snapshots) : undefined;
    let report = await sweepUnit(unit, byId.get(unit.describer) as Describer, {
      clients: live.clients,
      handle: (event, resource) => live.handle(event, resource, deferred?.store),
      ...(live.config ? { config: live.config } : {}),
      now,
      ...(options.perTargetConcurrency ? { perTargetConcurrency: options.perTargetConcurrency } : {}),
      ...(options.onItem ? { onItem: options.onItem } : {}),
    });
    if (deferred && report.status === 'ok') {
      // Before the unit is counted: a unit whose documents were not saved is swept again.
      await deferred.flush().catch((error: unknown) => {
        report = {
          ...report,
          status: 'failed',
          error: `last-known-good documents not saved: ${describeError(error)}`,
        };
      });
    }
    const last = receiveCount >= options.maxReceiveCount;
    if (report.status === 'failed' && !last) {
      throw new SweepUnitRetryError(
        `${unitKey(unit)} failed on delivery ${receiveCount} of ${options.maxReceiveCount}: ${report.error}`,
      );
    }
    const recorded = await options.store.recordUnit(unit.runId, unitKey(unit), {
      status: report.status === 'ok' ? 'done' : 'failed',
      resources: report.resources,
      violations: report.violations,
    });
    const completed = recorded.completedNow && recorded.run ? { completed: recorded.run } : {};
    const kind = report.status === 'ok' ? 'swept' : 'failed';
    return { kind, unit, report, counted: recorded.counted, ...completed };
  };
}
