import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { writeOrRefusingItem } from './conditional';
import { expiresAt, keys } from './table';

/** The newest event that set one document (see core `stateAspect`). */
export interface HighWaterMark {
  /** Canonical ISO time with milliseconds (core `canonicalTime`), so string order is time order. */
  eventTime: string;
  eventId: string;
}

export interface DocumentRef {
  account: string;
  region: string;
  resourceId: string;
  /** Which document of the resource, e.g. "bucket-policy". */
  aspect: string;
}

export type Advance = { newest: true } | { newest: false; mark: HighWaterMark };

/**
 * Per-document high-water marks of `eventTime`. `advance` raises the mark to the event's time, or
 * says which newer event already set the document. Ties count as newest (a retry of the same event,
 * or two calls in the same second: acting is the safe side, the executor re-reads live state).
 * Idempotent: a retried write after a lost response finds its own time and passes.
 */
export interface HighWaterStore {
  advance(document: DocumentRef, mark: HighWaterMark): Promise<Advance>;
}

/** Longer than any late delivery: EventBridge retries 24 h, the queue keeps 4 days, the DLQ 14. */
const MARK_TTL_MS = 30 * 86_400_000;

export function dynamoHighWaterStore(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  options: { now?: () => number } = {},
): HighWaterStore {
  const now = options.now ?? Date.now;
  return {
    async advance(document, mark) {
      const key = keys.highWater(document.account, document.region, document.resourceId, document.aspect);
      const advanced = await writeOrRefusingItem(() =>
        ddb.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression: 'SET eventTime = :time, eventId = :id, expiresAt = :expires',
            ConditionExpression: 'attribute_not_exists(pk) OR eventTime <= :time',
            ExpressionAttributeValues: {
              ':time': mark.eventTime,
              ':id': mark.eventId,
              ':expires': expiresAt(now(), MARK_TTL_MS),
            },
            // The newer mark comes back with the refusal: no read of its own.
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      if (advanced.written) return { newest: true };
      const Item =
        advanced.item ??
        (await ddb.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
      if (!Item) return { newest: true };
      return { newest: false, mark: { eventTime: String(Item.eventTime), eventId: String(Item.eventId) } };
    },
  };
}

export function memoryHighWaterStore(): HighWaterStore {
  const marks = new Map<string, HighWaterMark>();
  return {
    async advance(document, mark) {
      const key = JSON.stringify(
        keys.highWater(document.account, document.region, document.resourceId, document.aspect),
      );
      const current = marks.get(key);
      if (current && current.eventTime > mark.eventTime) return { newest: false, mark: current };
      marks.set(key, mark);
      return { newest: true };
    },
  };
}
