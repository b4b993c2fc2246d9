import {
  type BreakerRecord,
  breakerSettings,
  breakerTripped,
  breakerView,
  recordRevert,
  recordTrip,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { configWith } from '../support/notify';

const MIN = 60_000;
const T0 = Date.parse('2024-03-01T10:00:00Z');
const settings = breakerSettings(configWith({}));
const empty: BreakerRecord = {
  rule: 'sg-open-ingress',
  resource: 'arn:sg',
  reverts: [],
  actors: [],
  version: 0,
};

function revertsAt(minutes: number[], actor = 'arn:tf'): BreakerRecord {
  return minutes.reduce((record, minute) => recordRevert(record, T0 + minute * MIN, actor, settings), empty);
}

describe('circuit breaker (pure state)', () => {
  it('defaults: 3 reverts within 30 minutes, closes after 1 hour of quiet, open 2 hours at most', () => {
    expect(settings).toEqual({ maxReverts: 3, windowMs: 30 * MIN, quietMs: 60 * MIN, maxOpenMs: 120 * MIN });
  });

  it('nobody can hold it open: a violation every 50 minutes keeps it from going quiet, but it closes at maxOpen', () => {
    let { record } = recordTrip(revertsAt([0, 1, 2]), T0 + 3 * MIN, 'arn:tf', settings);
    for (const minute of [53, 103]) record = recordTrip(record, T0 + minute * MIN, 'arn:tf', settings).record;
    const before = breakerView(record, T0 + 122 * MIN, settings);
    expect(before).toMatchObject({ open: true, openedAt: T0 + 3 * MIN, closesBy: T0 + 123 * MIN });
    // 2 hours after it opened: closed and counted from zero, whatever kept happening.
    expect(breakerView(record, T0 + 123 * MIN, settings)).toEqual({
      revertsInWindow: 0,
      open: false,
      actors: [],
    });
    expect(breakerTripped(breakerView(record, T0 + 123 * MIN, settings), settings)).toBe(false);
    // Reverting resumed: the next automation revert counts from one, a new fight must reach 3 again.
    const resumed = recordRevert(record, T0 + 124 * MIN, 'arn:tf', settings);
    expect(breakerView(resumed, T0 + 124 * MIN, settings)).toMatchObject({ revertsInWindow: 1, open: false });
  });

  it('counts reverts within the window only', () => {
    const record = revertsAt([0, 10, 20]);
    expect(breakerView(record, T0 + 21 * MIN, settings).revertsInWindow).toBe(3);
    expect(breakerTripped(breakerView(record, T0 + 21 * MIN, settings), settings)).toBe(true);
    // At 35 minutes the first revert has left the window.
    expect(breakerView(record, T0 + 35 * MIN, settings).revertsInWindow).toBe(2);
    expect(breakerTripped(breakerView(record, T0 + 35 * MIN, settings), settings)).toBe(false);
  });

  it('counts one revert per event: re-applying the same event (a retried write) changes nothing', () => {
    const once = recordRevert(empty, T0, 'arn:tf', settings, 'event-1');
    expect(recordRevert(once, T0 + 1000, 'arn:tf', settings, 'event-1')).toBe(once);
    const twice = recordRevert(once, T0 + 2000, 'arn:tf', settings, 'event-2');
    expect(twice.reverts).toEqual([T0, T0 + 2000]);
    expect(twice.revertedEvents).toEqual(['event-1', 'event-2']);
  });

  it('three slow reverts never trip it', () => {
    const record = revertsAt([0, 20, 40]);
    expect(breakerView(record, T0 + 41 * MIN, settings).revertsInWindow).toBe(2);
  });

  it('opens once: the first trip opens it, later trips keep it open', () => {
    const record = revertsAt([0, 1, 2]);
    const first = recordTrip(record, T0 + 3 * MIN, 'arn:person', settings);
    expect(first.opened).toBe(true);
    const second = recordTrip(first.record, T0 + 4 * MIN, 'arn:person', settings);
    expect(second.opened).toBe(false);
    expect(second.record.openedAt).toBe(T0 + 3 * MIN);
    const view = breakerView(second.record, T0 + 5 * MIN, settings);
    expect(view).toMatchObject({ open: true, actors: ['arn:tf', 'arn:person'] });
    expect(breakerTripped(view, settings)).toBe(true);
  });

  it('stays open while the fight goes on, and closes after the quiet period', () => {
    const { record } = recordTrip(revertsAt([0, 1, 2]), T0 + 3 * MIN, 'arn:p', settings);
    const stillFighting = recordTrip(record, T0 + 50 * MIN, 'arn:p', settings).record;
    expect(breakerView(stillFighting, T0 + 100 * MIN, settings).open).toBe(true);
    const quiet = breakerView(stillFighting, T0 + 111 * MIN, settings);
    expect(quiet).toEqual({ revertsInWindow: 0, open: false, actors: [] });
    // After the reset the next revert counts from one.
    const resumed = recordRevert(stillFighting, T0 + 111 * MIN, 'arn:p', settings);
    expect(breakerView(resumed, T0 + 111 * MIN, settings)).toMatchObject({ revertsInWindow: 1, open: false });
  });

  it('keeps at most 10 actors, most recent last, without repeats', () => {
    let record = empty;
    for (let i = 0; i < 12; i++) record = recordRevert(record, T0 + i * 1000, `arn:${i % 11}`, settings);
    expect(record.actors).toHaveLength(10);
    expect(record.actors.at(-1)).toBe('arn:0');
    expect(new Set(record.actors).size).toBe(10);
  });
});
