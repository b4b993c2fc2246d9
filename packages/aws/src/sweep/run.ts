import { randomUUID } from 'node:crypto';
import {
  type Assessment,
  CATALOG,
  type Guardrail,
  type Outcome,
  type OutcomeStatus,
  type Status,
} from '@driftguard/core';
import { awsErrorCode, errorMessage } from '../errors';
import type { AccountClients } from '../executor';
import type { Describer, SweptResource } from './describer';
import { endpointServicesDescriber } from './endpoint-services';
import { forEachBounded, mapLimit } from './pool';
import { s3BucketPoliciesDescriber } from './s3-bucket-policies';
import { s3PublicAccessBlocksDescriber } from './s3-public-access-blocks';
import { roleTrustDescriber } from './role-trust';
import { securityGroupsDescriber } from './security-groups';
import { ec2SharesDescriber, rdsSnapshotSharesDescriber } from './shares';
import { vpcEndpointsDescriber } from './vpc-endpoints';
import { vpcPeeringDescriber } from './vpc-peering';

/** Every describer; one runs when a guardrail it feeds is in the catalog. */
export const DESCRIBERS: readonly Describer[] = [
  securityGroupsDescriber,
  vpcPeeringDescriber,
  vpcEndpointsDescriber,
  endpointServicesDescriber,
  s3BucketPoliciesDescriber,
  s3PublicAccessBlocksDescriber,
  ec2SharesDescriber,
  rdsSnapshotSharesDescriber,
  roleTrustDescriber,
];

export function describersFor(catalog: readonly Guardrail[] = CATALOG): Describer[] {
  const ids = new Set(catalog.map((guardrail) => guardrail.id));
  return DESCRIBERS.filter((describer) => describer.rules.some((rule) => ids.has(rule)));
}

/** What handling one swept change produced: the decision, and what was done when applied. */
export interface SweepHandled {
  assessment: Assessment;
  outcome?: Outcome;
}

export interface SweepOptions {
  accounts: readonly string[];
  regions: readonly string[];
  clients: AccountClients;
  /** Decide (and, when applying, act on) one change: the pipeline, or a pure assessment for a report. */
  handle(event: Record<string, unknown>, resource: SweptResource): Promise<SweepHandled>;
  describers?: readonly Describer[];
  /** Account/region/describer units read at once (default 4); units of one account are spread out. */
  concurrency?: number;
  /** Changes of one unit in flight at once (default 4): bounds the calls made in any one account/region. */
  perTargetConcurrency?: number;
  /** Units not started by then are reported `skipped` (a Lambda's remaining time). */
  deadline?: number;
  onProgress?(progress: SweepProgress): void;
  runId?: string;
  now?: () => number;
}

export interface SweepUnit {
  account: string;
  region: string;
  describer: string;
}

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

export type SweepProgress =
  | { kind: 'unit-finished'; unit: SweepUnitReport; done: number; total: number }
  | { kind: 'item'; item: SweepItemReport };

export interface SweepReport {
  runId: string;
  startedAt: string;
  finishedAt: string;
  accounts: readonly string[];
  regions: readonly string[];
  describers: string[];
  units: SweepUnitReport[];
  /** Every resource judged, with its decision and (when applied) its verified outcome. */
  items: SweepItemReport[];
  totals: {
    units: number;
    failedUnits: number;
    skippedUnits: number;
    resources: number;
    violations: number;
    compliant: number;
    reverted: number;
    failedItems: number;
  };
}

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

const eventIdOf = (resource: SweptResource) =>
  String((resource.event.detail as { eventID?: unknown } | undefined)?.eventID ?? resource.event.id);
const eventNameOf = (resource: SweptResource) =>
  String((resource.event.detail as { eventName?: unknown } | undefined)?.eventName ?? '');

/**
 * The reconciliation sweep: every describer over every account and region, each resource through
 * `handle` (the same evaluators → decide → execute → notify path as delivered events). A unit that
 * fails (role not assumable, access denied, throttled past the retries) is reported with the reason
 * and does not stop the others; a change whose handling throws is reported as an error item.
 */
export async function runSweep(options: SweepOptions): Promise<SweepReport> {
  const now = options.now ?? Date.now;
  const runId = options.runId ?? randomUUID().slice(0, 8);
  const startedAt = new Date(now());
  const observedAt = startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const describers = options.describers ?? describersFor();
  const home = options.regions[0] ?? 'us-east-1';
  // Describer-major, then region, then account: units running together are in different accounts.
  const units: (SweepUnit & { run: Describer })[] = [];
  for (const describer of describers) {
    const regions = describer.scope === 'account' ? [home] : options.regions;
    for (const region of regions)
      for (const account of options.accounts)
        units.push({ account, region, describer: describer.id, run: describer });
  }
  const items: SweepItemReport[] = [];
  let done = 0;
  const report = async ({ run, ...unit }: SweepUnit & { run: Describer }): Promise<SweepUnitReport> => {
    const started = now();
    const finish = (result: Omit<SweepUnitReport, keyof SweepUnit | 'ms'>): SweepUnitReport => {
      const finished: SweepUnitReport = { ...unit, ...result, ms: now() - started };
      done += 1;
      options.onProgress?.({ kind: 'unit-finished', unit: finished, done, total: units.length });
      return finished;
    };
    if (options.deadline !== undefined && now() >= options.deadline) {
      return finish({
        status: 'skipped',
        resources: 0,
        violations: 0,
        error: 'out of time before this unit started',
      });
    }
    let resources = 0;
    let violations = 0;
    const scope = {
      runId,
      account: unit.account,
      region: unit.region,
      regions: options.regions,
      clients: options.clients,
      observedAt,
    };
    try {
      await forEachBounded(run.describe(scope), options.perTargetConcurrency ?? 4, async (resource) => {
        resources += 1;
        let item: SweepItemReport;
        try {
          item = itemReport(unit, resource, await options.handle(resource.event, resource));
        } catch (error) {
          item = {
            ...unit,
            resourceId: resource.resourceId,
            eventId: eventIdOf(resource),
            eventName: eventNameOf(resource),
            status: 'error',
            summary: describeError(error),
          };
        }
        if (item.status === 'violation') violations += 1;
        items.push(item);
        options.onProgress?.({ kind: 'item', item });
      });
    } catch (error) {
      return finish({ status: 'failed', resources, violations, error: describeError(error) });
    }
    return finish({ status: 'ok', resources, violations });
  };
  const unitReports = await mapLimit(units, options.concurrency ?? 4, report);
  const failedItems = items.filter(
    (item) => item.status === 'error' || item.outcome === 'revert-failed',
  ).length;
  return {
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(now()).toISOString(),
    accounts: options.accounts,
    regions: options.regions,
    describers: describers.map((describer) => describer.id),
    units: unitReports,
    items,
    totals: {
      units: unitReports.length,
      failedUnits: unitReports.filter((unit) => unit.status === 'failed').length,
      skippedUnits: unitReports.filter((unit) => unit.status === 'skipped').length,
      resources: items.length,
      violations: items.filter((item) => item.status === 'violation').length,
      compliant: items.filter((item) => item.status === 'compliant').length,
      reverted: items.filter((item) => item.outcome === 'reverted').length,
      failedItems,
    },
  };
}

function describeError(error: unknown): string {
  const code = awsErrorCode(error);
  const message = errorMessage(error);
  return code && code !== 'Error' && !message.includes(code) ? `${code}: ${message}` : message;
}
