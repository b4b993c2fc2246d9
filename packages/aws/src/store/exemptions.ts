import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  Exemption,
  ExemptionReference,
  ExemptionRequest,
  ExemptionUse,
  RecheckResult,
} from '@driftguard/core';
import { DriftguardError, ExemptionNotFoundError, RequestNotPendingError } from '../errors';
import { conditionHeld, writeOrRefuse } from './conditional';
import { expiresAt, keys } from './table';

/** An exemption as the state table holds it, with what happened to it. */
export interface ExemptionRecord {
  exemption: Exemption;
  /** When it stops covering: its expiry, or its revocation. */
  endsAt: string;
  /** Violations it kept from being reverted (distinct events). */
  uses: number;
  lastUsedAt?: string;
  /** When the expiry re-check ran, and what it did. */
  checkedAt?: string;
  recheck?: RecheckResult[];
}

/**
 * A stored reference as read back: the fields are checked, never trusted (an item that is not a
 * well-formed reference is returned with `problem` set, and the expiry check refuses it).
 */
export type StoredReference =
  | { ok: true; reference: ExemptionReference }
  | { ok: false; eventId: string; problem: string };

/** A request as the table holds it: pending until approved (or lapsed). */
export interface RequestRecord {
  request: ExemptionRequest;
  approvedAt?: string;
  approvedBy?: string;
  exemptionId?: string;
}

/** An exemption whose window has closed and whose covered changes still need a re-check. */
export interface DueExemption {
  account: string;
  id: string;
  endsAt: string;
}

export interface ExemptionStore {
  /** Records a new exemption (never overwrites one with the same id). */
  grant(exemption: Exemption): Promise<void>;
  /** Records a pending request (never overwrites one with the same id). */
  request(request: ExemptionRequest): Promise<void>;
  getRequest(id: string): Promise<RequestRecord | undefined>;
  /** Requests not approved yet and not lapsed at `now`. */
  pendingRequests(now: number): Promise<RequestRecord[]>;
  /**
   * Records the approval and the exemption in one transaction: a request is approved once
   * (RequestNotPendingError otherwise), even by two approvers at the same instant.
   */
  approve(requestId: string, exemption: Exemption): Promise<void>;
  get(account: string, id: string): Promise<ExemptionRecord | undefined>;
  /** Finds an exemption that has not been re-checked yet by id alone. */
  find(id: string): Promise<ExemptionRecord | undefined>;
  /** The account's exemptions that ended less than a day ago or later (the decision checks each). */
  forAccount(account: string, now: number): Promise<Exemption[]>;
  /** Active ones by default; `ended: true` adds those that ended but are still kept. */
  list(options: { now: number; account?: string; ended?: boolean }): Promise<ExemptionRecord[]>;
  /** Ends an exemption now. Returns the record as revoked; throws ExemptionNotFoundError. */
  revoke(id: string, by: string, at: string): Promise<ExemptionRecord>;
  /** Keeps a reference for the expiry re-check; true the first time this event used it. */
  recordUse(use: ExemptionUse, reference: ExemptionReference): Promise<boolean>;
  /** What the exemption let through, oldest first, each checked for shape. */
  references(account: string, id: string): Promise<StoredReference[]>;
  /** Exemptions ended at or before `now` and not yet re-checked, oldest first. */
  due(now: number): Promise<DueExemption[]>;
  markChecked(due: DueExemption, at: string, results: RecheckResult[]): Promise<void>;
}

/** Ended exemptions stay readable (audit, `exempt list --ended`) this long after they end. */
const RETENTION_MS = 90 * 86_400_000;
const RECENT_MS = 86_400_000;

function recordOf(item: Record<string, unknown>): ExemptionRecord {
  return {
    exemption: item.exemption as Exemption,
    endsAt: String(item.endsAt),
    uses: Number(item.uses ?? 0),
    ...(typeof item.lastUsedAt === 'string' ? { lastUsedAt: item.lastUsedAt } : {}),
    ...(typeof item.checkedAt === 'string' ? { checkedAt: item.checkedAt } : {}),
    ...(Array.isArray(item.recheck) ? { recheck: item.recheck as RecheckResult[] } : {}),
  };
}

function requestOf(item: Record<string, unknown>): RequestRecord {
  return {
    request: item.request as ExemptionRequest,
    ...(typeof item.approvedAt === 'string' ? { approvedAt: item.approvedAt } : {}),
    ...(typeof item.approvedBy === 'string' ? { approvedBy: item.approvedBy } : {}),
    ...(typeof item.exemptionId === 'string' ? { exemptionId: item.exemptionId } : {}),
  };
}

const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** A reference item, field by field: only what driftguard's decision writes is accepted. */
function referenceOf(item: Record<string, unknown>): StoredReference {
  const eventId = text(item.eventId) ?? String(item.sk ?? '?');
  const fields = {
    eventId: text(item.eventId),
    eventTime: text(item.eventTime),
    account: text(item.account),
    region: text(item.region),
    rule: text(item.rule),
    resource: text(item.resource),
    usedAt: text(item.usedAt),
  };
  const missing = Object.entries(fields)
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  if (missing.length > 0)
    return { ok: false, eventId, problem: `not a reference (no ${missing.join(', ')})` };
  if (item.kind !== 'change' && item.kind !== 'finding')
    return { ok: false, eventId, problem: `not a reference (kind ${JSON.stringify(item.kind)})` };
  const resourceArn = text(item.resourceArn);
  return {
    ok: true,
    reference: {
      ...(fields as Omit<ExemptionReference, 'kind' | 'resourceArn'>),
      kind: item.kind,
      ...(resourceArn ? { resourceArn } : {}),
    },
  };
}

/** DynamoDB rejects undefined values: keep only what is set. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function dynamoExemptionStore(ddb: DynamoDBDocumentClient, tableName: string): ExemptionStore {
  const ttl = (endsAt: string) => expiresAt(Date.parse(endsAt), RETENTION_MS);

  async function queryAll(input: Omit<QueryCommandInput, 'TableName'>) {
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateQuery({ client: ddb }, { TableName: tableName, ...input })) {
      items.push(...(page.Items ?? []));
    }
    return items;
  }

  async function dueItems(options: { from?: string; to?: string } = {}): Promise<DueExemption[]> {
    const conditions = ['pk = :pk'];
    const values: Record<string, unknown> = { ':pk': keys.exemptionDue('', '', '').pk };
    if (options.from && options.to) {
      conditions.push('sk BETWEEN :from AND :to');
      Object.assign(values, { ':from': options.from, ':to': options.to });
    } else if (options.from) {
      conditions.push('sk >= :from');
      values[':from'] = options.from;
    } else if (options.to) {
      conditions.push('sk <= :to');
      values[':to'] = options.to;
    }
    const items = await queryAll({
      KeyConditionExpression: conditions.join(' AND '),
      ExpressionAttributeValues: values,
    });
    return items.map((item) => ({
      account: String(item.account),
      id: String(item.id),
      endsAt: String(item.endsAt),
    }));
  }

  async function batchGet(due: DueExemption[]): Promise<ExemptionRecord[]> {
    const records: ExemptionRecord[] = [];
    for (let i = 0; i < due.length; i += 100) {
      const chunk = due.slice(i, i + 100);
      let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = {
        [tableName]: { Keys: chunk.map((entry) => keys.exemption(entry.account, entry.id)) },
      };
      while (request && Object.keys(request).length > 0) {
        const page = await ddb.send(new BatchGetCommand({ RequestItems: request }));
        records.push(...(page.Responses?.[tableName] ?? []).map(recordOf));
        request = page.UnprocessedKeys as typeof request;
      }
    }
    return records.sort((a, b) => a.exemption.expiresAt.localeCompare(b.exemption.expiresAt));
  }

  /** An exemption's place in the expiry queue (by the time it ends). */
  const dueEntry = (account: string, id: string, endsAt: string) => ({
    Put: { TableName: tableName, Item: { ...keys.exemptionDue(endsAt, account, id), account, id, endsAt } },
  });

  /** The exemption and its place in the expiry queue, written together. */
  const grantItems = (exemption: Exemption) => [
    {
      Put: {
        TableName: tableName,
        Item: plain({
          ...keys.exemption(exemption.account, exemption.id),
          exemption,
          endsAt: exemption.expiresAt,
          uses: 0,
          expiresAt: ttl(exemption.expiresAt),
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    dueEntry(exemption.account, exemption.id, exemption.expiresAt),
  ];

  const store: ExemptionStore = {
    async grant(exemption) {
      await writeOrRefuse(
        () => ddb.send(new TransactWriteCommand({ TransactItems: grantItems(exemption) })),
        (cause) => new DriftguardError(`an exemption with id ${exemption.id} already exists`, { cause }),
      );
    },

    async request(request) {
      await writeOrRefuse(
        () =>
          ddb.send(
            new PutCommand({
              TableName: tableName,
              Item: plain({
                ...keys.exemptionRequest(request.id),
                request,
                expiresAt: ttl(request.validUntil),
              }),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        (cause) => new DriftguardError(`a request with id ${request.id} already exists`, { cause }),
      );
    },

    async getRequest(id) {
      const { Item } = await ddb.send(
        new GetCommand({ TableName: tableName, Key: keys.exemptionRequest(id), ConsistentRead: true }),
      );
      return Item ? requestOf(Item) : undefined;
    },

    async pendingRequests(now) {
      const nowIso = new Date(now).toISOString();
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.exemptionRequest('').pk },
        ConsistentRead: true,
      });
      return items
        .map(requestOf)
        .filter((record) => !record.approvedAt && record.request.validUntil > nowIso)
        .sort((a, b) => a.request.requestedAt.localeCompare(b.request.requestedAt));
    },

    async approve(requestId, exemption) {
      const approval = {
        Update: {
          TableName: tableName,
          Key: keys.exemptionRequest(requestId),
          UpdateExpression: 'SET approvedAt = :at, approvedBy = :by, exemptionId = :id',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(approvedAt)',
          ExpressionAttributeValues: {
            ':at': exemption.grantedAt,
            ':by': exemption.approver,
            ':id': exemption.id,
          },
        },
      };
      await writeOrRefuse(
        () => ddb.send(new TransactWriteCommand({ TransactItems: [approval, ...grantItems(exemption)] })),
        (cause) =>
          new RequestNotPendingError(`request ${requestId} is not pending (approved already?)`, { cause }),
      );
    },

    async get(account, id) {
      const { Item } = await ddb.send(
        new GetCommand({ TableName: tableName, Key: keys.exemption(account, id), ConsistentRead: true }),
      );
      return Item ? recordOf(Item) : undefined;
    },

    async find(id) {
      const entry = (await dueItems()).find((due) => due.id === id);
      return entry ? store.get(entry.account, entry.id) : undefined;
    },

    async forAccount(account, now) {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'endsAt >= :since',
        ExpressionAttributeValues: {
          ':pk': keys.exemption(account, '').pk,
          ':since': new Date(now - RECENT_MS).toISOString(),
        },
        ConsistentRead: true,
      });
      return items.map((item) => item.exemption as Exemption);
    },

    async list({ now, account, ended }) {
      const nowIso = new Date(now).toISOString();
      const records = account
        ? (
            await queryAll({
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': keys.exemption(account, '').pk },
            })
          )
            .map(recordOf)
            .sort((a, b) => a.exemption.expiresAt.localeCompare(b.exemption.expiresAt))
        : await batchGet(await dueItems(ended ? {} : { from: nowIso }));
      return ended ? records : records.filter((record) => record.endsAt > nowIso);
    },

    async revoke(id, by, at) {
      const record = await store.find(id);
      if (!record) throw new ExemptionNotFoundError(`no active or pending exemption has the id ${id}`);
      const { exemption } = record;
      if (exemption.revokedAt)
        throw new ExemptionNotFoundError(`exemption ${id} was already revoked at ${exemption.revokedAt}`);
      // ISO times: string order is time order.
      const endsAt = at.localeCompare(record.endsAt) < 0 ? at : record.endsAt;
      const revocation = {
        Update: {
          TableName: tableName,
          Key: keys.exemption(exemption.account, id),
          UpdateExpression:
            'SET exemption.revokedAt = :at, exemption.revokedBy = :by, endsAt = :ends, expiresAt = :ttl',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(exemption.revokedAt)',
          ExpressionAttributeValues: { ':at': at, ':by': by, ':ends': endsAt, ':ttl': ttl(endsAt) },
        },
      };
      // The exemption moves in the expiry queue: out of its old place, into the new one.
      const requeue = [
        { Delete: { TableName: tableName, Key: keys.exemptionDue(record.endsAt, exemption.account, id) } },
        dueEntry(exemption.account, id, endsAt),
      ];
      await writeOrRefuse(
        () => ddb.send(new TransactWriteCommand({ TransactItems: [revocation, ...requeue] })),
        (cause) => new ExemptionNotFoundError(`exemption ${id} was revoked concurrently`, { cause }),
      );
      return { ...record, endsAt, exemption: { ...exemption, revokedAt: at, revokedBy: by } };
    },

    async recordUse(use, reference) {
      const recorded = await conditionHeld(() =>
        ddb.send(
          new PutCommand({
            TableName: tableName,
            Item: plain({
              ...keys.exemptionTrigger(use.account, use.id, reference.eventId),
              ...reference,
              expiresAt: ttl(use.expiresAt),
            }),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      if (!recorded) return false;
      // A failed condition here means the record is gone (deleted by hand), or this use was already
      // counted: the trigger is kept all the same.
      await conditionHeld(() =>
        ddb.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.exemption(use.account, use.id),
            UpdateExpression: 'ADD uses :one SET lastUsedAt = :at, lastUsedBy = :event',
            // Exists (not deleted by hand), and not this event again (a retry after a lost answer).
            ConditionExpression:
              'attribute_exists(pk) AND (attribute_not_exists(lastUsedBy) OR lastUsedBy <> :event)',
            ExpressionAttributeValues: { ':one': 1, ':at': reference.usedAt, ':event': reference.eventId },
          }),
        ),
      );
      return true;
    },

    async references(account, id) {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :trigger)',
        ExpressionAttributeValues: {
          ':pk': keys.exemptionTrigger(account, id, '').pk,
          ':trigger': 'TRIGGER#',
        },
        ConsistentRead: true,
      });
      return items
        .map(referenceOf)
        .sort((a, b) => (a.ok && b.ok ? a.reference.eventTime.localeCompare(b.reference.eventTime) : 0));
    },

    async due(now) {
      // The sort key starts with the end time: everything up to `now` has ended.
      return dueItems({ to: `${new Date(now).toISOString()}#~` });
    },

    async markChecked(due, at, results) {
      await ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: keys.exemption(due.account, due.id),
                UpdateExpression: 'SET checkedAt = :at, recheck = :results',
                ExpressionAttributeValues: { ':at': at, ':results': plain(results) },
              },
            },
            { Delete: { TableName: tableName, Key: keys.exemptionDue(due.endsAt, due.account, due.id) } },
          ],
        }),
      );
    },
  };
  return store;
}
