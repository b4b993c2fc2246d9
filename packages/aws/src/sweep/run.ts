import { randomUUID } from 'node:crypto';
import { CATALOG, type Config, type Guardrail } from '@driftguard/core';
import type { AccountClients } from '../executor';
import type { Describer } from './describer';
import { endpointServicesDescriber } from './endpoint-services';
import { footprintDescriber } from './footprint';
import { lambdaFunctionsDescriber } from './lambda-functions';
import { mapLimit } from './pool';
import { prefixListsDescriber } from './prefix-lists';
import {
  ecrRepositoryPoliciesDescriber,
  kmsKeyPoliciesDescriber,
  secretPoliciesDescriber,
  snsTopicPoliciesDescriber,
  sqsQueuePoliciesDescriber,
} from './resource-policies/index';
import { roleTrustDescriber } from './role-trust';
import { s3AccessPointsDescriber } from './s3-access-points';
import { s3BucketPoliciesDescriber } from './s3-bucket-policies';
import { s3PublicAccessBlocksDescriber } from './s3-public-access-blocks';
import { securityGroupsDescriber } from './security-groups';
import { ec2SharesDescriber, rdsSnapshotSharesDescriber } from './shares';
import { itemFailed, type SweepHandle, type SweepItemReport, type SweepUnitReport, sweepUnit } from './unit';
import { planUnits, type SweepUnit } from './units';
import { vpcEndpointsDescriber } from './vpc-endpoints';
import { vpcPeeringDescriber } from './vpc-peering';

/** Every describer; one runs when a guardrail it feeds is in the catalog. */
export const DESCRIBERS: readonly Describer[] = [
  securityGroupsDescriber,
  prefixListsDescriber,
  vpcPeeringDescriber,
  vpcEndpointsDescriber,
  endpointServicesDescriber,
  s3BucketPoliciesDescriber,
  s3PublicAccessBlocksDescriber,
  s3AccessPointsDescriber,
  ec2SharesDescriber,
  rdsSnapshotSharesDescriber,
  roleTrustDescriber,
  sqsQueuePoliciesDescriber,
  snsTopicPoliciesDescriber,
  kmsKeyPoliciesDescriber,
  ecrRepositoryPoliciesDescriber,
  secretPoliciesDescriber,
  lambdaFunctionsDescriber,
  footprintDescriber,
];

export function describersFor(catalog: readonly Guardrail[] = CATALOG): Describer[] {
  const ids = new Set(catalog.map((guardrail) => guardrail.id));
  return DESCRIBERS.filter((describer) => describer.rules.some((rule) => ids.has(rule)));
}

/** A run's start as every unit of it records it: second precision, as CloudTrail writes eventTime. */
export const observedAtOf = (time: number) => new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const newRunId = () => randomUUID().slice(0, 8);

export interface SweepOptions {
  accounts: readonly string[];
  regions: readonly string[];
  clients: AccountClients;
  /** The config in force: what driftguard's own footprint in each account should be. */
  config?: Config;
  /** Decide (and, when applying, act on) one change: the pipeline, or a pure assessment for a report. */
  handle: SweepHandle;
  describers?: readonly Describer[];
  /** Units swept at once in this process (default 4). */
  concurrency?: number;
  /** Changes of one unit in flight at once (default 4): bounds the calls made in any one account/region. */
  perTargetConcurrency?: number;
  /** Units not started by then are reported `skipped`. */
  deadline?: number;
  onProgress?(progress: SweepProgress): void;
  runId?: string;
  now?: () => number;
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

/**
 * The reconciliation sweep in one process (the `driftguard sweep` CLI): the same units as the
 * deployed fan-out (planUnits, kinds interleaved) and the same unit function as its worker
 * (sweepUnit), worked by a bounded pool here instead of an SQS queue. A unit that fails is
 * reported with the reason and does not stop the others.
 */
export async function runSweep(options: SweepOptions): Promise<SweepReport> {
  const now = options.now ?? Date.now;
  const runId = options.runId ?? newRunId();
  const startedAt = now();
  const describers = options.describers ?? describersFor();
  const byId = new Map(describers.map((describer) => [describer.id, describer]));
  const units = planUnits({ accounts: options.accounts, regions: options.regions, describers });
  const items: SweepItemReport[] = [];
  let done = 0;
  const work = async (unit: SweepUnit): Promise<SweepUnitReport> => {
    const describer = byId.get(unit.describer) as Describer;
    const report: SweepUnitReport =
      options.deadline !== undefined && now() >= options.deadline
        ? {
            ...unit,
            status: 'skipped',
            resources: 0,
            violations: 0,
            error: 'out of time before this unit started',
            ms: 0,
          }
        : await sweepUnit(
            { ...unit, runId, observedAt: observedAtOf(startedAt), regions: [...options.regions] },
            describer,
            {
              clients: options.clients,
              handle: options.handle,
              ...(options.config ? { config: options.config } : {}),
              now,
              ...(options.perTargetConcurrency ? { perTargetConcurrency: options.perTargetConcurrency } : {}),
              onItem: (item) => {
                items.push(item);
                options.onProgress?.({ kind: 'item', item });
              },
            },
          );
    done += 1;
    options.onProgress?.({ kind: 'unit-finished', unit: report, done, total: units.length });
    return report;
  };
  const unitReports = await mapLimit(units, options.concurrency ?? 4, work);
  return {
    runId,
    startedAt: new Date(startedAt).toISOString(),
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
      failedItems: items.filter(itemFailed).length,
    },
  };
}
