import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from './conditional';
import { keys } from './table';

/** A last-known-good document of a resource (bucket policy, endpoint policy, SG rule). */
export interface Snapshot {
  account: string;
  region: string;
  resourceId: string;
  /** What the document is, e.g. "bucket-policy", "endpoint-policy", "sg-rule". */
  kind: string;
  document: string;
  /** CloudTrail event time (or sweep time) the document was seen compliant. */
  seenAt: string;
  source: 'event' | 'sweep';
}

/** Which document a snapshot is: where, of what, and what kind of document. */
export type SnapshotKey = Pick<Snapshot, 'account' | 'region' | 'resourceId' | 'kind'>;

/** One string per snapshot key (to match what `getMany` returns with what was asked). */
export const snapshotKeyOf = (key: SnapshotKey) =>
  JSON.stringify(keys.snapshot(key.account, key.region, key.resourceId, key.kind));

export interface SnapshotStore {
  get(account: string, region: string, resourceId: string, kind: string): Promise<Snapshot | undefined>;
  /** The stored snapshots of these documents, by `snapshotKeyOf` (absent ones are left out). */
  getMany(wanted: readonly SnapshotKey[]): Promise<Map<string, Snapshot>>;
  /** Records a compliant document; an older observation never overwrites a newer one. */
  put(snapshot: Snapshot): Promise<void>;
}

/** BatchGetItem's limit: 100 keys per call. */
const BATCH_GET = 100;

export function dynamoSnapshotStore(ddb: DynamoDBDocumentClient, tableName: string): SnapshotStore {
  return {
    async getMany(wanted) {
      const found = new Map<string, Snapshot>();
      const unique = [...new Map(wanted.map((key) => [snapshotKeyOf(key), key])).values()];
      for (let start = 0; start < unique.length; start += BATCH_GET) {
        const chunk = unique.slice(start, start + BATCH_GET);
        let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
          [tableName]: {
            Keys: chunk.map((key) => keys.snapshot(key.account, key.region, key.resourceId, key.kind)),
          },
        };
        // DynamoDB may answer part of a batch (UnprocessedKeys): ask again for the rest.
        while (request && Object.keys(request).length > 0) {
          const page = await ddb.send(new BatchGetCommand({ RequestItems: request }));
          for (const item of page.Responses?.[tableName] ?? []) {
            const snapshot = item.snapshot as Snapshot;
            found.set(snapshotKeyOf(snapshot), snapshot);
          }
          request = page.UnprocessedKeys as typeof request;
        }
      }
      return found;
    },
    async get(account, region, resourceId, kind) {
      const { Item } = await ddb.send(
        new GetCommand({ TableName: tableName, Key: keys.snapshot(account, region, resourceId, kind) }),
      );
      return Item ? (Item.snapshot as Snapshot) : undefined;
    },
    async put(snapshot) {
      // A failed condition: a newer document is kept already.
      await conditionHeld(() =>
        ddb.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...keys.snapshot(snapshot.account, snapshot.region, snapshot.resourceId, snapshot.kind),
              seenAt: snapshot.seenAt,
              snapshot,
            },
            // Events arrive out of order: keep the newest compliant document.
            ConditionExpression: 'attribute_not_exists(pk) OR seenAt <= :seenAt',
            ExpressionAttributeValues: { ':seenAt': snapshot.seenAt },
          }),
        ),
      );
    },
  };
}

/** In-memory store for replay and unit tests (same semantics). */
export function memorySnapshotStore(): SnapshotStore {
  const items = new Map<string, Snapshot>();
  const key = (account: string, region: string, resourceId: string, kind: string) =>
    snapshotKeyOf({ account, region, resourceId, kind });
  return {
    async get(account, region, resourceId, kind) {
      return items.get(key(account, region, resourceId, kind));
    },
    async getMany(wanted) {
      const found = new Map<string, Snapshot>();
      for (const wantedKey of wanted) {
        const snapshot = items.get(snapshotKeyOf(wantedKey));
        if (snapshot) found.set(snapshotKeyOf(wantedKey), snapshot);
      }
      return found;
    },
    async put(snapshot) {
      const k = key(snapshot.account, snapshot.region, snapshot.resourceId, snapshot.kind);
      const existing = items.get(k);
      if (!existing || existing.seenAt <= snapshot.seenAt) items.set(k, snapshot);
    },
  };
}

/** A sweep unit's last-known-good documents, written once the unit is judged (see `deferredSnapshots`). */
export interface DeferredSnapshots {
  /** Hand this to the pipeline for the unit's observations: `put` collects, `get` reads through. */
  store: SnapshotStore;
  /** Writes what changed; how many documents were written and how many were already stored as seen. */
  flush(): Promise<{ written: number; unchanged: number }>;
}

/**
 * The sweep re-reads every compliant document of the organization every run, and nearly all are as
 * the last run stored them: writing each one again would be the sweep's biggest DynamoDB cost. So a
 * unit's documents are collected, read back in one BatchGetItem per 100, and only the new or changed
 * ones are written (with the store's usual newest-wins condition).
 *
 * What this gives up, deliberately: an unchanged document keeps the `seenAt` of the observation that
 * stored it. An event older than this sweep but newer than that `seenAt`, delivered late (CloudTrail
 * to EventBridge is best effort), can then replace it with its own compliant document; the next sweep
 * sees the live document differ and writes it back. Both are documents that were compliant.
 */
export function deferredSnapshots(target: SnapshotStore): DeferredSnapshots {
  /** The newest candidate per document. */
  const pending = new Map<string, Snapshot>();
  return {
    store: {
      get: (account, region, resourceId, kind) => target.get(account, region, resourceId, kind),
      getMany: (wanted) => target.getMany(wanted),
      async put(snapshot) {
        const key = snapshotKeyOf(snapshot);
        const held = pending.get(key);
        if (!held || held.seenAt <= snapshot.seenAt) pending.set(key, snapshot);
      },
    },
    async flush() {
      const candidates = [...pending.values()];
      pending.clear();
      if (candidates.length === 0) return { written: 0, unchanged: 0 };
      const stored = await target.getMany(candidates);
      const changed = candidates.filter(
        (candidate) => stored.get(snapshotKeyOf(candidate))?.document !== candidate.document,
      );
      for (const snapshot of changed) await target.put(snapshot);
      return { written: changed.length, unchanged: candidates.length - changed.length };
    },
  };
}
