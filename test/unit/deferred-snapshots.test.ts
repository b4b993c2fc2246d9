/**
 * A sweep unit's last-known-good documents (`deferredSnapshots`): collected while the unit is
 * judged, then only the new or changed ones written. What a user relies on: a later revert restores
 * the newest compliant document the sweep saw, and an unchanged one is not written again.
 */
import { deferredSnapshots, memorySnapshotStore, type Snapshot, type SnapshotStore } from '@driftguard/aws';
import { describe, expect, it } from 'vitest';

const snapshot = (document: string, seenAt: string, resourceId = 'sgr-1'): Snapshot => ({
  account: '111122223333',
  region: 'eu-west-1',
  resourceId,
  kind: 'sg-rule',
  document,
  seenAt,
  source: 'sweep',
});

/** The memory store, counting its writes. */
function countingStore(): SnapshotStore & { puts: Snapshot[] } {
  const inner = memorySnapshotStore();
  const puts: Snapshot[] = [];
  return {
    puts,
    get: inner.get,
    getMany: inner.getMany,
    async put(value) {
      puts.push(value);
      await inner.put(value);
    },
  };
}

describe('deferredSnapshots', () => {
  it('writes nothing until flushed, then the newest document seen per rule', async () => {
    const target = countingStore();
    const unit = deferredSnapshots(target);
    await unit.store.put(snapshot('{"cidr":"10.0.0.0/16"}', '2026-12-01T10:00:00.000Z'));
    await unit.store.put(snapshot('{"cidr":"10.1.0.0/16"}', '2026-12-01T09:00:00.000Z'));
    expect(target.puts).toEqual([]);
    expect(await unit.flush()).toEqual({ written: 1, unchanged: 0 });
    expect(await target.get('111122223333', 'eu-west-1', 'sgr-1', 'sg-rule')).toMatchObject({
      document: '{"cidr":"10.0.0.0/16"}',
    });
  });

  it('does not write a document stored as it is, and writes one that changed', async () => {
    const target = countingStore();
    await target.put(snapshot('{"cidr":"10.0.0.0/16"}', '2026-12-01T10:00:00.000Z'));
    await target.put(snapshot('{"cidr":"10.2.0.0/16"}', '2026-12-01T10:00:00.000Z', 'sgr-2'));
    target.puts.length = 0;
    const unit = deferredSnapshots(target);
    await unit.store.put(snapshot('{"cidr":"10.0.0.0/16"}', '2026-12-01T16:00:00.000Z'));
    await unit.store.put(snapshot('{"cidr":"10.3.0.0/16"}', '2026-12-01T16:00:00.000Z', 'sgr-2'));
    expect(await unit.flush()).toEqual({ written: 1, unchanged: 1 });
    expect(target.puts.map((written) => written.resourceId)).toEqual(['sgr-2']);
    expect(await target.get('111122223333', 'eu-west-1', 'sgr-2', 'sg-rule')).toMatchObject({
      document: '{"cidr":"10.3.0.0/16"}',
      seenAt: '2026-12-01T16:00:00.000Z',
    });
  });
});
