import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { FindingMark } from '@driftguard/core';
import { isConditionFailure } from './conditional';
import { expiresAt, keys } from './table';

/**
 * The last version of each GuardDuty finding driftguard acted on (id → updatedAt + count). Which
 * delivery is new, an update, a duplicate or stale is decided in core (`findingFreshness`, pure);
 * this store only makes "acted on once" hold across concurrent deliveries, with conditional writes.
 */
export interface FindingMarkStore {
  get(findingId: string): Promise<FindingMark | undefined>;
  /**
   * Records `next` as acted on, only if the stored mark is still `expected` (undefined: none yet).
   * False when another delivery got there first: that one acts, this one must not.
   */
  claim(findingId: string, next: FindingMark, expected: FindingMark | undefined): Promise<boolean>;
  /** Puts `previous` back after a failed playbook, so the retry acts again (only if still `next`). */
  release(findingId: string, next: FindingMark, previous: FindingMark | undefined): Promise<void>;
}

/** Findings stop updating once resolved; marks expire well after GuardDuty's 90-day retention. */
const MARK_TTL_MS = 180 * 86_400_000;

export function dynamoFindingMarkStore(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  options: { now?: () => number } = {},
): FindingMarkStore {
  const now = options.now ?? Date.now;
  // `count` is a DynamoDB reserved word.
  const names = { '#u': 'updatedAt', '#c': 'count' };
  return {
    async get(findingId) {
      const { Item } = await ddb.send(
        new GetCommand({ TableName: tableName, Key: keys.finding(findingId), ConsistentRead: true }),
      );
      return Item ? { updatedAt: String(Item.updatedAt), count: Number(Item.count) } : undefined;
    },
    async claim(findingId, next, expected) {
      try {
        await ddb.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...keys.finding(findingId),
              updatedAt: next.updatedAt,
              count: next.count,
              expiresAt: expiresAt(now(), MARK_TTL_MS),
            },
            ...(expected
              ? {
                  ConditionExpression: '#u = :u AND #c = :c',
                  ExpressionAttributeNames: names,
                  ExpressionAttributeValues: { ':u': expected.updatedAt, ':c': expected.count },
                }
              : { ConditionExpression: 'attribute_not_exists(pk)' }),
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async release(findingId, next, previous) {
      const condition = {
        ConditionExpression: '#u = :nu AND #c = :nc',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':nu': next.updatedAt, ':nc': next.count },
      };
      try {
        if (previous) {
          await ddb.send(
            new PutCommand({
              TableName: tableName,
              Item: {
                ...keys.finding(findingId),
                updatedAt: previous.updatedAt,
                count: previous.count,
                expiresAt: expiresAt(now(), MARK_TTL_MS),
              },
              ...condition,
            }),
          );
        } else {
          await ddb.send(
            new DeleteCommand({ TableName: tableName, Key: keys.finding(findingId), ...condition }),
          );
        }
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
}

/** In-memory marks for replay and unit tests (same semantics). */
export function memoryFindingMarkStore(): FindingMarkStore {
  const marks = new Map<string, FindingMark>();
  const same = (a: FindingMark | undefined, b: FindingMark | undefined) =>
    a === b || (a !== undefined && b !== undefined && a.updatedAt === b.updatedAt && a.count === b.count);
  return {
    async get(findingId) {
      return marks.get(findingId);
    },
    async claim(findingId, next, expected) {
      if (!same(marks.get(findingId), expected)) return false;
      marks.set(findingId, next);
      return true;
    },
    async release(findingId, next, previous) {
      if (!same(marks.get(findingId), next)) return;
      if (previous) marks.set(findingId, previous);
      else marks.delete(findingId);
    },
  };
}
