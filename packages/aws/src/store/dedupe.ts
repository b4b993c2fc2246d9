import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { conditionHeld, isConditionFailure } from './conditional';
import { expiresAt, keys } from './table';

/** What a completed delivery left behind, so a duplicate can say what the first one did. */
export interface CompletedDelivery {
  completedAt: string;
  /** The first delivery's decision and outcome, compact (the audit record has the rest). */
  summary: Record<string, unknown>;
}

export type DeliveryClaim =
  /** This delivery owns the event: process it, then `complete` or `release`. */
  | { status: 'acquired'; takenOver: boolean }
  /** Another delivery processed it: do nothing, say so. */
  | { status: 'completed'; first: CompletedDelivery }
  /** Another delivery is processing it right now (or crashed less than `lockMs` ago): retry later. */
  | { status: 'in-progress'; claimedAt: number };

/**
 * Exactly-once effects for at-least-once delivery: one marker per event (CloudTrail `eventID`, or
 * GuardDuty finding id + `updatedAt`), written with a conditional put.
 *
 * - `in-progress` carries an owner token and a lock expiry: a delivery that crashes mid-event leaves
 *   a lock the next delivery takes over once it expires, so the retry proceeds.
 * - The owner token makes every call safe to retry: when a response is lost after DynamoDB applied
 *   the write (the SDK retries), the retry recognises its own claim instead of reporting a duplicate.
 * - `completed` is kept for `retentionMs` (longer than any redelivery: EventBridge retries for 24 h,
 *   SQS keeps messages up to 14 days) and then expires by TTL.
 */
export interface DedupeStore {
  begin(key: string, owner: string): Promise<DeliveryClaim>;
  /** Marks the event done (only while `owner` still holds it). */
  complete(key: string, owner: string, summary: Record<string, unknown>): Promise<void>;
  /** Gives the event back so a retry can process it (only while `owner` still holds it). */
  release(key: string, owner: string): Promise<void>;
}

export interface DedupeStoreOptions {
  /** How long an in-progress claim holds before another delivery may take it over. */
  lockMs?: number;
  /** How long a completed marker suppresses duplicates. */
  retentionMs?: number;
  now?: () => number;
}

const DAY_MS = 86_400_000;
export const DEFAULT_DEDUPE_LOCK_MS = 120_000;
export const DEFAULT_DEDUPE_RETENTION_MS = 15 * DAY_MS;

export function dynamoDedupeStore(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  options: DedupeStoreOptions = {},
): DedupeStore {
  const now = options.now ?? Date.now;
  const lockMs = options.lockMs ?? DEFAULT_DEDUPE_LOCK_MS;
  const retentionMs = options.retentionMs ?? DEFAULT_DEDUPE_RETENTION_MS;
  const names = { '#state': 'state', '#owner': 'owner' };

  const read = async (key: string) =>
    (await ddb.send(new GetCommand({ TableName: tableName, Key: keys.dedupe(key), ConsistentRead: true })))
      .Item;

  return {
    async begin(key, owner) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const at = now();
        try {
          const { Attributes: previous } = await ddb.send(
            new PutCommand({
              TableName: tableName,
              Item: {
                ...keys.dedupe(key),
                state: 'in-progress',
                owner,
                claimedAt: at,
                lockedUntil: at + lockMs,
                expiresAt: expiresAt(at, lockMs + DAY_MS),
              },
              // Free, expired (TTL deletes lazily), a crashed holder's lock, or our own earlier write.
              ConditionExpression:
                'attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (#state = :inProgress AND (lockedUntil < :now OR #owner = :owner))',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: {
                ':inProgress': 'in-progress',
                ':now': at,
                ':nowSeconds': Math.floor(at / 1000),
                ':owner': owner,
              },
              ReturnValues: 'ALL_OLD',
            }),
          );
          const takenOver = previous?.state === 'in-progress' && previous.owner !== owner;
          return { status: 'acquired', takenOver };
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
        const item = await read(key);
        if (!item) continue; // released between our write and our read: try again
        if (item.state === 'completed') {
          return {
            status: 'completed',
            first: {
              completedAt: String(item.completedAt),
              summary: (item.summary as Record<string, unknown>) ?? {},
            },
          };
        }
        if (item.owner === owner) return { status: 'acquired', takenOver: false };
        return { status: 'in-progress', claimedAt: Number(item.claimedAt) };
      }
      return { status: 'in-progress', claimedAt: now() };
    },

    async complete(key, owner, summary) {
      const at = now();
      // A failed condition: our lock expired and another delivery took the event over; its
      // completion stands.
      await conditionHeld(() =>
        ddb.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.dedupe(key),
            UpdateExpression:
              'SET #state = :completed, completedAt = :at, summary = :summary, expiresAt = :expires REMOVE lockedUntil',
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: {
              ':completed': 'completed',
              ':at': new Date(at).toISOString(),
              ':summary': JSON.parse(JSON.stringify(summary)),
              ':expires': expiresAt(at, retentionMs),
              ':owner': owner,
            },
          }),
        ),
      );
    },

    async release(key, owner) {
      // A failed condition: the claim is no longer ours to give back.
      await conditionHeld(() =>
        ddb.send(
          new DeleteCommand({
            TableName: tableName,
            Key: keys.dedupe(key),
            ConditionExpression: '#owner = :owner AND #state = :inProgress',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':owner': owner, ':inProgress': 'in-progress' },
          }),
        ),
      );
    },
  };
}

/** In-memory store with the same semantics, for replay, the load run's control and unit tests. */
export function memoryDedupeStore(options: DedupeStoreOptions = {}): DedupeStore {
  const now = options.now ?? Date.now;
  const lockMs = options.lockMs ?? DEFAULT_DEDUPE_LOCK_MS;
  const items = new Map<
    string,
    | { state: 'in-progress'; owner: string; claimedAt: number; lockedUntil: number }
    | { state: 'completed'; owner: string; first: CompletedDelivery }
  >();
  return {
    async begin(key, owner) {
      const at = now();
      const item = items.get(key);
      if (item?.state === 'completed') return { status: 'completed', first: item.first };
      if (item && item.owner !== owner && item.lockedUntil >= at)
        return { status: 'in-progress', claimedAt: item.claimedAt };
      items.set(key, { state: 'in-progress', owner, claimedAt: at, lockedUntil: at + lockMs });
      return { status: 'acquired', takenOver: item !== undefined && item.owner !== owner };
    },
    async complete(key, owner, summary) {
      if (items.get(key)?.owner !== owner) return;
      items.set(key, {
        state: 'completed',
        owner,
        first: { completedAt: new Date(now()).toISOString(), summary: structuredClone(summary) },
      });
    },
    async release(key, owner) {
      const item = items.get(key);
      if (item?.state === 'in-progress' && item.owner === owner) items.delete(key);
    },
  };
}
