import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
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

export interface SnapshotStore {
  get(account: string, region: string, resourceId: string, kind: string): Promise<Snapshot | undefined>;
  /** Records a compliant document; an older observation never overwrites a newer one. */
  put(snapshot: Snapshot): Promise<void>;
}

export function dynamoSnapshotStore(ddb: DynamoDBDocumentClient, tableName: string): SnapshotStore {
  return {
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
  const key = (a: string, r: string, id: string, k: string) => JSON.stringify(keys.snapshot(a, r, id, k));
  return {
    async get(account, region, resourceId, kind) {
      return items.get(key(account, region, resourceId, kind));
    },
    async put(snapshot) {
      const k = key(snapshot.account, snapshot.region, snapshot.resourceId, snapshot.kind);
      const existing = items.get(k);
      if (!existing || existing.seenAt <= snapshot.seenAt) items.set(k, snapshot);
    },
  };
}
