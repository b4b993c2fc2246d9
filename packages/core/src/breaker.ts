import type { Config } from './config';
import { parseDuration } from './duration';
import type { ResourceRef } from './verdict';

/**
 * Circuit breaker per (rule, resource): when driftguard has reverted the same resource
 * `maxReverts` times within `window`, something (a pipeline, a person, a controller) keeps putting
 * the change back. Reverting again only continues the fight, so driftguard stops reverting it,
 * says once that a fight is happening, and opens one ticket. After `quietPeriod` without a
 * violation of the resource the breaker closes.
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
  actors: string[];
}

export interface BreakerSettings {
  maxReverts: number;
  windowMs: number;
  quietMs: number;
}

export function breakerSettings(config: Pick<Config, 'circuitBreaker'>): BreakerSettings {
  const window = parseDuration(config.circuitBreaker.window);
  const quiet = parseDuration(config.circuitBreaker.quietPeriod);
  return {
    maxReverts: config.circuitBreaker.maxReverts,
    windowMs: window.ok ? window.ms : 30 * 60_000,
    quietMs: quiet.ok ? quiet.ms : 60 * 60_000,
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

/** The record as it stands at `now`: reset after the quiet period, old reverts dropped. */
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
  if (!record || quietSince(record, now, settings)) return fresh;
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
    ...(current.openedAt !== undefined ? { openedAt: current.openedAt } : {}),
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

/** After a violation the breaker kept from being reverted: opens it (once) and keeps it open. */
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
