import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { INTENDED } from './audit';
import { conditionHeld, writeOrRefusingItem } from './conditional';
import { expiresAt, keys } from './table';

/** What a completed delivery left behind, so a duplicate can say what the first one did. */
export interface CompletedDelivery {
  completedAt: string;
  /** The first delivery's decision and outcome, compact (the audit record has the rest). */
  summary: Record<string, unknown>;
}

/**
 * What an event's completion waits for when it is marked while the audit record is still being
 * written (`DedupeStore.completeAlongside`): that record (by its key) and the channels to tell.
 */
export interface PendingRecord {
  eventTime: string;
  eventId: string;
  /** The channels selected for the event: each must have its result in the record. */
  channels: readonly string[];
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
  /**
   * Marks the event done while its audit record is still being written (the two writes go out
   * together: one round trip instead of two). The marker names the record and the channels still
   * to be told, and stands only once the record holds the result and each channel's: until then a
   * duplicate finds the event in progress (the lock holds) and, once the lock expires, takes it
   * over, so a crash or a failed record after this write is resolved by a retry as before.
   * Optional: a store without it is completed after everything (`complete`).
   */
  completeAlongside?(
    key: string,
    owner: string,
    summary: Record<string, unknown>,
    pending: PendingRecord,
  ): Promise<void>;
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

  /**
   * The claim: a conditional put of an in-progress marker. Acquired: whether another delivery held
   * the event before. Refused: the marker that refused it, as DynamoDB returns it with the refusal
   * (a consistent read of the item, without a GetItem of its own; undefined if not returned).
   */
  const claim = async (
    key: string,
    owner: string,
    at: number,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<
    { acquired: true; takenOver: boolean } | { acquired: false; refusedBy?: Record<string, unknown> }
  > => {
    const claimed = await writeOrRefusingItem(() =>
      ddb.send(
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
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    if (!claimed.written) return { acquired: false, ...(claimed.item ? { refusedBy: claimed.item } : {}) };
    const previous = claimed.result.Attributes;
    return { acquired: true, takenOver: previous?.state === 'in-progress' && previous.owner !== owner };
  };

  /**
   * Does a marker completed alongside its record (`completeAlongside`) stand? Only once the record
   * holds the result, not the intent, and a result of each channel. A record gone from the table
   * has outlived its retention: it was written (its intent came before the act), so it stands.
   */
  const recordConfirms = async (pending: PendingRecord): Promise<boolean> => {
    const { Item } = await ddb.send(
      new GetCommand({
        TableName: tableName,
        Key: keys.audit(pending.eventTime, pending.eventId),
        ConsistentRead: true,
        ProjectionExpression: '#outcome.#status, channels',
        ExpressionAttributeNames: { '#outcome': 'outcome', '#status': 'status' },
      }),
    );
    if (!Item) return true;
    const told = (Item.channels ?? {}) as Record<string, unknown>;
    return (
      (Item.outcome as { status?: unknown } | undefined)?.status !== INTENDED &&
      pending.channels.every((channel) => told[channel] !== undefined)
    );
  };

  /**
   * Marks the event done, only while `owner` holds it (a failed condition: our lock expired and
   * another delivery took the event over; its completion stands). With `pending` (completed
   * alongside the audit record) the lock is kept: until the record confirms the marker, the lock
   * still says how long this delivery may be at work before a retry takes over (see `begin`).
   */
  const markCompleted = async (
    key: string,
    owner: string,
    summary: Record<string, unknown>,
    pending?: PendingRecord,
  ) => {
    const at = now();
    await conditionHeld(() =>
      ddb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.dedupe(key),
          UpdateExpression: pending
            ? 'SET #state = :completed, completedAt = :at, summary = :summary, pending = :pending, expiresAt = :expires'
            : 'SET #state = :completed, completedAt = :at, summary = :summary, expiresAt = :expires REMOVE lockedUntil',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':completed': 'completed',
            ':at': new Date(at).toISOString(),
            ':summary': JSON.parse(JSON.stringify(summary)),
            ...(pending
              ? {
                  ':pending': {
                    eventTime: pending.eventTime,
                    eventId: pending.eventId,
                    channels: [...pending.channels],
                  },
                }
              : {}),
            ':expires': expiresAt(at, retentionMs),
            ':owner': owner,
          },
        }),
      ),
    );
  };

  return {
    async begin(key, owner) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const at = now();
        // Free, expired (TTL deletes lazily), a crashed holder's lock, or our own earlier write.
        const claimed = await claim(
          key,
          owner,
          at,
          'attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (#state = :inProgress AND (lockedUntil < :now OR #owner = :owner))',
          { ':inProgress': 'in-progress', ':now': at, ':nowSeconds': Math.floor(at / 1000), ':owner': owner },
        );
        if (claimed.acquired) return { status: 'acquired', takenOver: claimed.takenOver };
        const item = claimed.refusedBy ?? (await read(key));
        if (!item) continue; // released between our write and our read: try again
        if (item.state === 'completed') {
          const pending = item.pending as PendingRecord | undefined;
          if (!pending || (await recordConfirms(pending))) {
            return {
              status: 'completed',
              first: {
                completedAt: String(item.completedAt),
                summary: (item.summary as Record<string, unknown>) ?? {},
              },
            };
          }
          // Completed alongside a record that never got the result (the holder crashed or its
          // record failed): in progress while its lock holds, then this delivery takes it over.
          if (Number(item.lockedUntil) >= at)
            return { status: 'in-progress', claimedAt: Number(item.claimedAt) };
          const takenOver = await claim(key, owner, at, '#state = :completed AND #owner = :previous', {
            ':completed': 'completed',
            ':previous': item.owner,
          });
          if (takenOver.acquired) return { status: 'acquired', takenOver: true };
          continue;
        }
        if (item.owner === owner) return { status: 'acquired', takenOver: false };
        return { status: 'in-progress', claimedAt: Number(item.claimedAt) };
      }
      return { status: 'in-progress', claimedAt: now() };
    },

    async complete(key, owner, summary) {
      await markCompleted(key, owner, summary);
    },

    async completeAlongside(key, owner, summary, pending) {
      await markCompleted(key, owner, summary, pending);
    },

    async release(key, owner) {
      // A failed condition: the claim is no longer ours to give back. A marker this delivery
      // completed alongside a record that then failed is given back too (its record never came).
      await conditionHeld(() =>
        ddb.send(
          new DeleteCommand({
            TableName: tableName,
            Key: keys.dedupe(key),
            ConditionExpression: '#owner = :owner AND (#state = :inProgress OR attribute_exists(pending))',
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
