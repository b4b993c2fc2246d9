import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { BreakerRecord } from '@driftguard/core';
import { BreakerConflictError } from '../errors';
import { conditionHeld } from './conditional';
import { expiresAt, keys } from './table';

/**
 * Circuit-breaker state per (rule, resource). Every write is conditional on the version read
 * (optimistic concurrency): two deliveries reverting the same resource at once both count.
 */
export interface BreakerStore {
  get(rule: string, resource: string): Promise<BreakerRecord | undefined>;
  /**
   * Applies `change` (pure, from core/breaker.ts) to the current record and writes the result,
   * re-reading and re-applying when another writer got there first. Returns what was written.
   */
  update<T extends { record: BreakerRecord }>(
    rule: string,
    resource: string,
    change: (current: BreakerRecord) => T,
  ): Promise<T>;
}

const empty = (rule: string, resource: string): BreakerRecord => ({
  rule,
  resource,
  reverts: [],
  actors: [],
  version: 0,
});

export function dynamoBreakerStore(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  options: { now?: () => number; retainMs?: number; attempts?: number } = {},
): BreakerStore {
  const now = options.now ?? Date.now;
  // Long enough for any window and quiet period; the item is pure housekeeping after that.
  const retainMs = options.retainMs ?? 7 * 86_400_000;
  const attempts = options.attempts ?? 5;
  const store: BreakerStore = {
    async get(rule, resource) {
      const { Item } = await ddb.send(
        new GetCommand({ TableName: tableName, Key: keys.breaker(rule, resource), ConsistentRead: true }),
      );
      return Item ? (Item.record as BreakerRecord) : undefined;
    },
    async update(rule, resource, change) {
      for (let attempt = 0; attempt < attempts; attempt++) {
        const current = (await store.get(rule, resource)) ?? empty(rule, resource);
        const result = change(current);
        const written = await conditionHeld(() =>
          ddb.send(
            new PutCommand({
              TableName: tableName,
              Item: {
                ...keys.breaker(rule, resource),
                record: JSON.parse(JSON.stringify(result.record)),
                version: result.record.version,
                expiresAt: expiresAt(now(), retainMs),
              },
              ConditionExpression: 'attribute_not_exists(pk) OR version = :expected',
              ExpressionAttributeValues: { ':expected': current.version },
            }),
          ),
        );
        // Another update got in between: read it and apply the change on top of it.
        if (written) return result;
      }
      throw new BreakerConflictError(
        `circuit breaker ${rule} on ${resource}: ${attempts} concurrent updates in a row, gave up`,
      );
    },
  };
  return store;
}

/** The same semantics in memory (local runs, tests). */
export function memoryBreakerStore(): BreakerStore {
  const items = new Map<string, BreakerRecord>();
  const id = (rule: string, resource: string) => `${rule}#${resource}`;
  return {
    async get(rule, resource) {
      return items.get(id(rule, resource));
    },
    async update(rule, resource, change) {
      const result = change(items.get(id(rule, resource)) ?? empty(rule, resource));
      items.set(id(rule, resource), result.record);
      return result;
    },
  };
}
