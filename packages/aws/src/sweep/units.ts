import { InvalidSweepUnitError } from '../errors';
import type { Describer } from './describer';

/**
 * One unit of sweep work: one kind of resource (a describer) in one account and region. It is the
 * grain of everything the sweep does at scale: one SQS message, retried on its own, counted once
 * in the run's progress, failed on its own without holding back the others.
 */
export interface SweepUnit {
  account: string;
  /** The region read (regional kinds), or the home region (account kinds such as S3: once per account). */
  region: string;
  describer: string;
}

/** A unit as planned for one run: what a worker needs to sweep it, and nothing else. */
export interface PlannedUnit extends SweepUnit {
  runId: string;
  /** When the run started (second precision): every change of a run carries the same eventTime. */
  observedAt: string;
  /** Every region the run covers: account kinds skip resources elsewhere (e.g. buckets). */
  regions: string[];
}

/** `account/region/describer`: the unit's identity within its run. */
export const unitKey = (unit: SweepUnit) => `${unit.account}/${unit.region}/${unit.describer}`;

/**
 * Every unit of a run, kinds interleaved: each describer's units are spread evenly over the whole
 * plan, so whatever order the units are worked in (SQS only roughly keeps it), no kind waits for
 * another to finish — S3, with one unit per account against one per account and region for the
 * network kinds, is no longer last. Within a kind, neighbours are in different accounts, so units
 * worked together spread their API calls over accounts.
 */
export function planUnits(input: {
  accounts: readonly string[];
  regions: readonly string[];
  describers: readonly Pick<Describer, 'id' | 'scope'>[];
}): SweepUnit[] {
  const home = input.regions[0];
  if (home === undefined) return [];
  const placed: { unit: SweepUnit; position: number; order: number }[] = [];
  input.describers.forEach((describer, order) => {
    const regions = describer.scope === 'account' ? [home] : input.regions;
    const units: SweepUnit[] = [];
    for (const region of regions)
      for (const account of input.accounts) units.push({ account, region, describer: describer.id });
    units.forEach((unit, index) => {
      placed.push({ unit, position: (index + 0.5) / units.length, order });
    });
  });
  placed.sort((a, b) => a.position - b.position || a.order - b.order);
  return placed.map(({ unit }) => unit);
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/**
 * A work message back into a unit. Anything else is refused with the reason: the body decides which
 * account the worker assumes a role in, so it is checked, never trusted as it comes.
 */
export function parsePlannedUnit(body: string, known: readonly string[]): PlannedUnit {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new InvalidSweepUnitError('sweep unit is not JSON');
  }
  const value = (raw ?? {}) as Record<string, unknown>;
  const { runId, account, region, describer, observedAt, regions } = value;
  const problems: string[] = [];
  if (typeof runId !== 'string' || !/^[\w-]{1,64}$/.test(runId)) problems.push('runId');
  if (typeof account !== 'string' || !ACCOUNT.test(account)) problems.push('account');
  if (typeof region !== 'string' || !REGION.test(region)) problems.push('region');
  if (typeof describer !== 'string' || !known.includes(describer)) problems.push('describer');
  if (typeof observedAt !== 'string' || Number.isNaN(Date.parse(observedAt))) problems.push('observedAt');
  if (
    !Array.isArray(regions) ||
    regions.length === 0 ||
    !regions.every((r) => typeof r === 'string' && REGION.test(r))
  )
    problems.push('regions');
  if (problems.length > 0)
    throw new InvalidSweepUnitError(`sweep unit has an invalid ${problems.join(', ')}`);
  return { runId, account, region, describer, observedAt, regions } as PlannedUnit;
}
