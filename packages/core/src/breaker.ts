import type { Config } from './config';
import { parseDuration } from './duration';
import type { ResourceRef } from './verdict';

/**
 * Circuit breaker per (rule, resource): when driftguard has reverted the same resource
 * `maxReverts` times within `window` and each time a configured automation role (an
 * infrastructure-as-code pipeline) put the change back, reverting again only continues the fight.
 * driftguard stops reverting that automation's non-critical changes of the resource, pages once
 * (a critical announcement) and opens one ticket. The breaker closes after `quietPeriod` without
 * a violation of the resource, and in any case `maxOpen` after it opened: nobody can hold it open.
 * People and unknown actors never count and are never held back; neither are critical exposures.
 *
 * The state lives in the state table (packages/aws/src/store/breaker.ts); the functions here are
 * pure so the decision stays pure and the store only writes what they compute.
 */
export interface BreakerRecord {
  rule: string;
  /** breakerResourceKey() of the resource. */
  resource: string;
  /** Epoch ms of the verified reverts within the window (older ones are dropped). */
  reverts: number[];
  /**
   * The events whose reverts were counted (the last MAX_COUNTED_EVENTS): a write retried after its
   * answer was lost re-applies the change, and must not count the same revert twice.
   */
  revertedEvents?: string[];
  /** Epoch ms the breaker opened; absent while closed. */
  openedAt?: number;
  /** Epoch ms of the last violation seen (the quiet period counts from here). */
  lastViolationAt?: number;
  /** Who kept re-applying the change (most recent last, at most 10). */
  actors: string[];
  /** Optimistic-concurrency version for conditional writes. */
  version: number;
}

/** What the decision needs: pure data, judged at one instant. */
export interface BreakerView {
  revertsInWindow: number;
  open: boolean;
  openedAt?: number;
  /** Epoch ms by which an open breaker closes (openedAt + maxOpen), whatever happens meanwhile. */
  closesBy?: number;
  actors: string[];
}

/** How a decision reports a tripped breaker. */
export interface BreakerTrip {
  rule: string;
  resource: string;
  revertsInWindow: number;
  maxReverts: number;
  window: string;
  /** True when this decision is the one that opens the breaker (announce the fight once). */
  opening: boolean;
  openedAt?: string;
  /** When reverting resumes at the latest (openedAt + circuitBreaker.maxOpen). */
  closesBy?: string;
  actors: string[];
  /** A sweep observation held by the open breaker: it neither counts nor extends it. */
  observation?: boolean;
}

export interface BreakerSettings {
  maxReverts: number;
  windowMs: number;
  quietMs: number;
  /** Hard maximum an open breaker stays open. */
  maxOpenMs: number;
}

export function breakerSettings(config: Pick<Config, 'circuitBreaker'>): BreakerSettings {
  const window = parseDuration(config.circuitBreaker.window);
  const quiet = parseDuration(config.circuitBreaker.quietPeriod);
  const maxOpen = parseDuration(config.circuitBreaker.maxOpen);
  return {
    maxReverts: config.circuitBreaker.maxReverts,
    windowMs: window.ok ? window.ms : 30 * 60_000,
    quietMs: quiet.ok ? quiet.ms : 60 * 60_000,
    maxOpenMs: maxOpen.ok ? maxOpen.ms : 2 * 3_600_000,
  };
}

/** One key per resource across events: its ARN, or account/region/id (as tickets key it). */
export function breakerResourceKey(account: string, region: string, resource: ResourceRef): string {
  return resource.arn ?? `${account}/${region}/${resource.id}`;
}

export function breakerKey(rule: string, resource: string): string {
  return `${rule}#${resource}`;
}

const MAX_ACTORS = 10;

function quietSince(record: BreakerRecord, now: number, settings: BreakerSettings): boolean {
  const last = Math.max(record.lastViolationAt ?? 0, ...record.reverts);
  return last > 0 && now - last >= settings.quietMs;
}

/** Open for longer than the hard maximum: closed, whatever happened meanwhile. */
function expired(record: BreakerRecord, now: number, settings: BreakerSettings): boolean {
  return record.openedAt !== undefined && now - record.openedAt >= settings.maxOpenMs;
}

/**
 * The record as it stands at `now`: reset after the quiet period or once open for `maxOpen` (the
 * count starts again from zero: a new fight must be counted again, and pages again), old reverts
 * dropped.
 */
export function currentRecord(
  record: BreakerRecord | undefined,
  now: number,
  settings: BreakerSettings,
  key: { rule: string; resource: string },
): BreakerRecord {
  const fresh: BreakerRecord = {
    rule: key.rule,
    resource: key.resource,
    reverts: [],
    actors: [],
    version: record?.version ?? 0,
  };
  if (!record || quietSince(record, now, settings) || expired(record, now, settings)) return fresh;
  return {
    ...record,
    reverts: record.reverts.filter((at) => now - at < settings.windowMs && at <= now),
  };
}

export function breakerView(
  record: BreakerRecord | undefined,
  now: number,
  settings: BreakerSettings,
): BreakerView {
  if (!record) return { revertsInWindow: 0, open: false, actors: [] };
  const current = currentRecord(record, now, settings, record);
  return {
    revertsInWindow: current.reverts.length,
    open: current.openedAt !== undefined,
    ...(current.openedAt !== undefined
      ? { openedAt: current.openedAt, closesBy: current.openedAt + settings.maxOpenMs }
      : {}),
    actors: current.actors,
  };
}

/** Trips when already open, or when the reverts within the window reached the maximum. */
export function breakerTripped(view: BreakerView, settings: Pick<BreakerSettings, 'maxReverts'>): boolean {
  return view.open || view.revertsInWindow >= settings.maxReverts;
}

function withActor(actors: string[], actor: string | undefined): string[] {
  if (!actor) return actors;
  return [...actors.filter((known) => known !== actor), actor].slice(-MAX_ACTORS);
}

const MAX_COUNTED_EVENTS = 50;

/** After a verified revert of the resource by event `eventId` (counted once per event). */
export function recordRevert(
  record: BreakerRecord,
  now: number,
  actor: string | undefined,
  settings: BreakerSettings,
  eventId?: string,
): BreakerRecord {
  if (eventId && record.revertedEvents?.includes(eventId)) return record;
  const current = currentRecord(record, now, settings, record);
  return {
    ...current,
    reverts: [...current.reverts, now],
    ...(eventId
      ? { revertedEvents: [...(current.revertedEvents ?? []), eventId].slice(-MAX_COUNTED_EVENTS) }
      : {}),
    lastViolationAt: now,
    actors: withActor(current.actors, actor),
    version: record.version + 1,
  };
}

/**
 * After an automation change the breaker kept from being reverted: opens it (once). Later trips
 * keep the quiet period from starting, but never move `openedAt`: the hard maximum holds.
 */
export function recordTrip(
  record: BreakerRecord,
  now: number,
  actor: string | undefined,
  settings: BreakerSettings,
): { record: BreakerRecord; opened: boolean } {
  const current = currentRecord(record, now, settings, record);
  const opened = current.openedAt === undefined;
  return {
    opened,
    record: {
      ...current,
      openedAt: current.openedAt ?? now,
      lastViolationAt: now,
      actors: withActor(current.actors, actor),
      version: record.version + 1,
    },
  };
}
