import type { Assessment, Config, Outcome, OutcomeStatus, Status } from '@driftguard/core';
import { awsErrorCode, errorMessage } from '../errors';
import type { AccountClients } from '../executor';
import type { Describer, SweptResource } from './describer';
import { forEachBounded } from './pool';
import type { PlannedUnit, SweepUnit } from './units';

/** What handling one swept change produced: the decision, and what was done when applied. */
export interface SweepHandled {
  assessment: Assessment;
  outcome?: Outcome;
}

/** Decide (and, when applying, act on) one change: the pipeline, or a pure assessment for a report. */
export type SweepHandle = (event: Record<string, unknown>, resource: SweptResource) => Promise<SweepHandled>;

export interface SweepUnitReport extends SweepUnit {
  status: 'ok' | 'failed' | 'skipped';
  resources: number;
  violations: number;
  /** Why the unit failed or was skipped (with the AWS error code when there is one). */
  error?: string;
  ms: number;
}

export interface SweepItemReport extends SweepUnit {
  resourceId: string;
  eventId: string;
  eventName: string;
  status: Status | 'error';
  rule?: string;
  severity?: string;
  action?: string;
  outcome?: OutcomeStatus;
  verified?: boolean;
  summary: string;
}

/** An item that needs someone: a violation, a change whose handling threw, a revert that failed. */
export const itemFailed = (item: SweepItemReport) =>
  item.status === 'error' || item.outcome === 'revert-failed';

function itemReport(unit: SweepUnit, resource: SweptResource, handled: SweepHandled): SweepItemReport {
  const { assessment, outcome } = handled;
  return {
    ...unit,
    resourceId: resource.resourceId,
    eventId: assessment.event.eventId,
    eventName: assessment.event.eventName,
    status: assessment.status,
    ...(assessment.rule ? { rule: assessment.rule } : {}),
    ...(assessment.severity ? { severity: assessment.severity } : {}),
    action: assessment.action,
    ...(outcome ? { outcome: outcome.status, verified: outcome.verified } : {}),
    summary: outcome && outcome.status !== 'compliant' ? outcome.summary : assessment.reason,
  };
}

const detailOf = (resource: SweptResource) =>
  (resource.event.detail ?? {}) as { eventID?: unknown; eventName?: unknown };

export function describeError(error: unknown): string {
  const code = awsErrorCode(error);
  const message = errorMessage(error);
  return code && code !== 'Error' && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * Sweeps one unit: its describer pages through live state in one account and region, and every
 * resource goes through `handle` (the same evaluators → decide → execute → notify path as delivered
 * events), at most `perTargetConcurrency` at a time so one account's API rate stays bounded. The
 * local CLI and the deployed worker both run exactly this. A unit whose reads fail (role not
 * assumable, access denied, throttled past the retries) is `failed` with the reason; a change whose
 * handling throws is an `error` item and does not fail the unit.
 */
export async function sweepUnit(
  unit: PlannedUnit,
  describer: Describer,
  options: {
    clients: AccountClients;
    handle: SweepHandle;
    /** The config in force (DescribeScope.config): what driftguard's own footprint should be. */
    config?: Config;
    perTargetConcurrency?: number;
    onItem?(item: SweepItemReport): void;
    now?: () => number;
  },
): Promise<SweepUnitReport> {
  const now = options.now ?? Date.now;
  const started = now();
  const where: SweepUnit = { account: unit.account, region: unit.region, describer: unit.describer };
  let resources = 0;
  let violations = 0;
  const scope = { ...unit, clients: options.clients, ...(options.config ? { config: options.config } : {}) };
  const finish = (result: Pick<SweepUnitReport, 'status' | 'error'>): SweepUnitReport => ({
    ...where,
    resources,
    violations,
    ...result,
    ms: now() - started,
  });
  try {
    await forEachBounded(describer.describe(scope), options.perTargetConcurrency ?? 4, async (resource) => {
      resources += 1;
      let item: SweepItemReport;
      try {
        item = itemReport(where, resource, await options.handle(resource.event, resource));
      } catch (error) {
        const detail = detailOf(resource);
        item = {
          ...where,
          resourceId: resource.resourceId,
          eventId: String(detail.eventID ?? resource.event.id),
          eventName: String(detail.eventName ?? ''),
          status: 'error',
          summary: describeError(error),
        };
      }
      if (item.status === 'violation') violations += 1;
      options.onItem?.(item);
    });
  } catch (error) {
    return finish({ status: 'failed', error: describeError(error) });
  }
  return finish({ status: 'ok' });
}
