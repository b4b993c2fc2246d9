import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { canonicalTime, type FindingClaim, type FindingMark } from '@driftguard/core';
import { conditionHeld, isConditionFailure } from './conditional';
import { expiresAt, keys } from './table';

/**
 * The newest version of each GuardDuty finding driftguard decided (id → updatedAt + count): a
 * finding's high-water mark. Each delivery claims its version with ONE conditional write before the
 * decision (`advance`); what the claim found is all core needs to decide once (`claimedFreshness`):
 * the winner decides and may act, a loser reports duplicate or stale and never decides again.
 */
export interface FindingMarkStore {
  get(findingId: string): Promise<FindingMark | undefined>;
  /**
   * Records `next` only if it is newer than the stored mark (a later updatedAt, or the same with a
   * higher count) or none is stored. Atomic: of concurrent deliveries of one version, one advances.
   */
  advance(findingId: string, next: FindingMark): Promise<FindingClaim>;
  /** Puts `previous` back after a failed playbook, so the retry acts again (only if still `next`). */
  release(findingId: string, next: FindingMark, previous: FindingMark | undefined): Promise<void>;
}

/** Findings stop updating once resolved; marks expire well after GuardDuty's 90-day retention. */
const MARK_TTL_MS = 180 * 86_400_000;

/** Versions compare by instant (epoch ms), so "…:00Z" and "…:00.000Z" are one version. */
const instant = (mark: FindingMark) => Date.parse(canonicalTime(mark.updatedAt) ?? mark.updatedAt);

export function dynamoFindingMarkStore(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  options: { now?: () => number } = {},
): FindingMarkStore {
  const now = options.now ?? Date.now;
  // `count` is a DynamoDB reserved word.
  const names = { '#ms': 'updatedAtMs', '#c': 'count' };
  const item = (findingId: string, mark: FindingMark) => ({
    ...keys.finding(findingId),
    updatedAt: mark.updatedAt,
    updatedAtMs: instant(mark),
    count: mark.count,
    expiresAt: expiresAt(now(), MARK_TTL_MS),
  });
  const markOf = (stored: Record<string, unknown> | undefined): FindingMark | undefined =>
    stored ? { updatedAt: String(stored.updatedAt), count: Number(stored.count) } : undefined;
  const get = async (findingId: string) => {
    const { Item } = await ddb.send(
      new GetCommand({ TableName: tableName, Key: keys.finding(findingId), ConsistentRead: true }),
    );
    return markOf(Item);
  };
  return {
    get,
    async advance(findingId, next) {
      try {
        const { Attributes } = await ddb.send(
          new PutCommand({
            TableName: tableName,
            Item: item(findingId, next),
            // A mark written before updatedAtMs existed is replaced once (playbooks are idempotent).
            ConditionExpression:
              'attribute_not_exists(pk) OR attribute_not_exists(#ms) OR #ms < :ms OR (#ms = :ms AND #c < :c)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':ms': instant(next), ':c': next.count },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const previous = markOf(Attributes);
        return previous ? { advanced: true, previous } : { advanced: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // Read only to say what this delivery lost to; nothing is decided twice.
        const current = await get(findingId);
        return current ? { advanced: false, current } : { advanced: false };
      }
    },
    async release(findingId, next, previous) {
      const condition = {
        ConditionExpression: '#ms = :nms AND #c = :nc',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':nms': instant(next), ':nc': next.count },
      };
      // A failed condition: the mark is no longer `next` (a newer version advanced it), so it stays.
      await conditionHeld(() =>
        previous
          ? ddb.send(new PutCommand({ TableName: tableName, Item: item(findingId, previous), ...condition }))
          : ddb.send(new DeleteCommand({ TableName: tableName, Key: keys.finding(findingId), ...condition })),
      );
    },
  };
}

/** In-memory marks for replay and unit tests (same semantics). */
export function memoryFindingMarkStore(): FindingMarkStore {
  const marks = new Map<string, FindingMark>();
  const newer = (next: FindingMark, stored: FindingMark) =>
    instant(next) > instant(stored) || (instant(next) === instant(stored) && next.count > stored.count);
  const same = (a: FindingMark | undefined, b: FindingMark) =>
    a !== undefined && instant(a) === instant(b) && a.count === b.count;
  return {
    async get(findingId) {
      return marks.get(findingId);
    },
    async advance(findingId, next) {
      const stored = marks.get(findingId);
      if (stored && !newer(next, stored)) return { advanced: false, current: stored };
      marks.set(findingId, next);
      return stored ? { advanced: true, previous: stored } : { advanced: true };
    },
    async release(findingId, next, previous) {
      if (!same(marks.get(findingId), next)) return;
      if (previous) marks.set(findingId, previous);
      else marks.delete(findingId);
    },
  };
}
