import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TicketKey } from '@driftguard/core';
import type { TicketMapping, TicketStore } from '@driftguard/notify';
import { conditionHeld } from './conditional';
import { keys } from './table';

/**
 * The (rule, resource, channel) → ticket mapping in the state table. Opening is guarded by a
 * conditional claim, so concurrent deliveries for the same resource open one ticket, not two.
 *
 *   { state: "creating", claimToken, claimedAt }                    while a delivery opens it
 *   { state: "open", ticketId, url, openedAt, occurrences, … }      afterwards
 */
export function dynamoTicketStore(ddb: DynamoDBDocumentClient, tableName: string): TicketStore {
  const key = (ticket: TicketKey, channel: string) => keys.ticket(ticket.rule, ticket.resource, channel);
  return {
    async get(ticket, channel) {
      const { Item } = await ddb.send(
        new GetCommand({ TableName: tableName, Key: key(ticket, channel), ConsistentRead: true }),
      );
      if (!Item) return undefined;
      if (Item.state === 'open' && typeof Item.ticketId === 'string') {
        return {
          state: 'open',
          ticket: { id: Item.ticketId, ...(typeof Item.url === 'string' ? { url: Item.url } : {}) },
          occurrences: Number(Item.occurrences ?? 1),
        } satisfies TicketMapping;
      }
      return { state: 'creating', claimedAt: Number(Item.claimedAt ?? 0) };
    },

    async claim(ticket, channel, options) {
      const token = randomUUID();
      const conditions = ['attribute_not_exists(pk)', '(#state = :creating AND claimedAt < :stale)'];
      const values: Record<string, unknown> = { ':creating': 'creating', ':stale': options.staleBefore };
      if (options.replacing) {
        conditions.push('(#state = :open AND ticketId = :replacing)');
        values[':open'] = 'open';
        values[':replacing'] = options.replacing;
      }
      const claimed = await conditionHeld(() =>
        ddb.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...key(ticket, channel),
              state: 'creating',
              claimToken: token,
              claimedAt: options.now,
              rule: ticket.rule,
              resource: ticket.resource,
              ...(options.replacing ? { previousTicketId: options.replacing } : {}),
            },
            ConditionExpression: conditions.join(' OR '),
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: values,
          }),
        ),
      );
      return claimed ? token : undefined;
    },

    async opened(ticket, channel, opened, event) {
      await ddb.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...key(ticket, channel),
            state: 'open',
            rule: ticket.rule,
            resource: ticket.resource,
            ticketId: opened.id,
            ...(opened.url ? { url: opened.url } : {}),
            openedAt: event.at,
            firstEventId: event.eventId,
            lastEventId: event.eventId,
            lastSeenAt: event.at,
            occurrences: 1,
          },
        }),
      );
    },

    async commented(ticket, channel, event) {
      await conditionHeld(() =>
        ddb.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(ticket, channel),
            UpdateExpression: 'SET lastEventId = :event, lastSeenAt = :at ADD occurrences :one',
            // An update retried after its answer was lost must not count the event twice.
            ConditionExpression: 'attribute_not_exists(lastEventId) OR lastEventId <> :event',
            ExpressionAttributeValues: { ':event': event.eventId, ':at': event.at, ':one': 1 },
          }),
        ),
      );
    },

    async release(ticket, channel, token) {
      // A failed condition: someone took the claim over in the meantime, and it is theirs now.
      await conditionHeld(() =>
        ddb.send(
          new DeleteCommand({
            TableName: tableName,
            Key: key(ticket, channel),
            ConditionExpression: 'claimToken = :token',
            ExpressionAttributeValues: { ':token': token },
          }),
        ),
      );
    },
  };
}
