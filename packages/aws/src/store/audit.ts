import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  paginateQuery,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Offense, Report, ResourceRef, TicketLink } from '@driftguard/core';
import { type ClientSettings, clientConfig } from '../clients';
import { conditionHeld, writeOrRefusingItem } from './conditional';
import { stateDocumentClient } from './document-client';
import { expiresAt, keys } from './table';

/** What one channel did for one event, as the audit trail keeps it. */
export interface ChannelRecord {
  ok: boolean;
  detail?: string;
  attempts?: number;
  ticket?: TicketLink;
  at: string;
}

/** One record per processed event: who changed what, the verdict, the decision, what was done. */
export interface AuditRecord {
  eventId: string;
  eventTime: string;
  eventName: string;
  eventSource: string;
  account: string;
  region: string;
  actor: string;
  actorType: string;
  sourceIp?: string;
  userAgent?: string;
  rule?: string;
  title?: string;
  severity?: string;
  /** violation · compliant · not-applicable · ignored */
  verdict: string;
  /** The verdict's explanation. */
  explanation: string;
  /** revert · alert · ticket · shadow · none */
  action: string;
  /** Which setting decided, and why (mode, override, dry run, exemption). */
  decision: string;
  resource?: ResourceRef;
  offenses: Offense[];
  /** Operations executed with their verified results, or planned ones when nothing executed. */
  operations: {
    operation: string;
    target: { account: string; region: string };
    input: unknown;
    status?: string;
    verified?: boolean;
    detail?: string;
    changed?: string[];
  }[];
  outcome: { status: string; verified: boolean; summary: string };
  latencyMs?: number;
  /** Which routing setting chose the channels. */
  routing?: string;
  /** Channel name → result (filled in after the record is written). */
  channels: Record<string, ChannelRecord>;
  recordedAt: string;
  /** How many times the event was delivered (EventBridge and SQS deliver at least once). */
  deliveries: number;
  lastDeliveryAt?: string;
  /** The outcome of the latest redelivery, when there was one. */
  lastOutcome?: { status: string; verified: boolean; summary: string };
  /**
   * What driftguard was about to do, written before it acted (see `AuditStore.intend`): when the
   * record of the result is lost, a redelivery still knows the revert was driftguard's own.
   */
  intent?: AuditIntent;
}

/** The plan of a revert, recorded before any of it runs. */
export interface AuditIntent {
  /** This delivery's token: a put retried by the SDK recognises its own intent by it. */
  id: string;
  /** When the plan was recorded, just before acting. */
  at: string;
  operations: { operation: string; target: { account: string; region: string }; input: unknown }[];
}

/** The outcome status of a record that holds only an intent: the act may or may not have happened. */
export const INTENDED = 'intended';

export interface AuditRef {
  eventTime: string;
  eventId: string;
}

const MAX_TEXT = 4_000;
const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/** The record of a report, as written before any channel is tried. Pure. */
export function auditRecordOf(
  report: Report,
  options: { recordedAt: string; routing?: string },
): AuditRecord {
  const { assessment, outcome } = report;
  const { event } = assessment;
  const violation = assessment.results.find((result) => result.verdict.kind === 'violation')?.verdict;
  const operations =
    outcome.results.length > 0
      ? outcome.results.map((result) => ({
          operation: `${result.operation.service}:${result.operation.operation}`,
          target: result.operation.target,
          input: result.operation.input,
          status: result.status,
          verified: result.verified,
          detail: clip(result.detail),
          ...(result.changed ? { changed: result.changed } : {}),
        }))
      : assessment.operations.map((operation) => ({
          operation: `${operation.service}:${operation.operation}`,
          target: operation.target,
          input: operation.input,
        }));
  const record: AuditRecord = {
    ...event,
    userAgent: event.userAgent === undefined ? undefined : clip(event.userAgent),
    rule: assessment.rule,
    title: assessment.title,
    severity: assessment.severity,
    verdict: assessment.status,
    explanation: clip(assessment.reason),
    action: assessment.action,
    decision: clip(assessment.decisionReason),
    resource: violation?.kind === 'violation' ? violation.resource : undefined,
    offenses: violation?.kind === 'violation' ? violation.offenses.slice(0, 100) : [],
    operations,
    outcome: { status: outcome.status, verified: outcome.verified, summary: clip(outcome.summary) },
    latencyMs: report.latencyMs,
    routing: options.routing,
    channels: {},
    recordedAt: options.recordedAt,
    deliveries: 1,
  };
  // DynamoDB rejects undefined attribute values: drop them (and anything not plain data).
  return JSON.parse(JSON.stringify(record)) as AuditRecord;
}

export interface AuditQuery {
  since: Date;
  until?: Date;
  rule?: string;
  account?: string;
  limit?: number;
}

export interface AuditStore {
  /**
   * Writes the record of a decision. The first delivery of an event writes it; a repeat delivery
   * keeps the first record and counts itself (`deliveries`). Throws when the table cannot be
   * written: the decision would be lost, so the caller must fail the batch item.
   */
  record(record: AuditRecord): Promise<{ ref: AuditRef; first: boolean }>;
  /**
   * Writes the intent of a revert (a record whose outcome is `intended`) before anything is done,
   * unless the event already has a record. Returns that earlier record, if any: an earlier
   * delivery's intent (it may have acted, its result was not recorded) or its full record. Throws
   * when the table cannot be written: acting without a trace is what this prevents.
   */
  intend(record: AuditRecord): Promise<{ ref: AuditRef; earlier?: AuditRecord }>;
  /** Adds a channel's result to the record. */
  recordChannel(ref: AuditRef, channel: string, result: ChannelRecord): Promise<void>;
  get(ref: AuditRef): Promise<AuditRecord | undefined>;
  /** Records by event time, newest first. */
  list(query: AuditQuery): Promise<AuditRecord[]>;
}

const DAY_MS = 86_400_000;
/** Second precision, as CloudTrail writes eventTime, so string order is time order. */
const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

function stripKeys(item: Record<string, unknown>): AuditRecord {
  const { pk: _pk, sk: _sk, expiresAt: _ttl, ...record } = item;
  return record as unknown as AuditRecord;
}

export function dynamoAuditStore(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  options: { retentionDays: number; now?: () => number },
): AuditStore {
  const now = options.now ?? Date.now;
  const retentionMs = options.retentionDays * DAY_MS;
  /** Writes the record under its event's key if `condition` holds; `written: false` when it did not. */
  const putRecord = async (
    record: AuditRecord,
    condition: Pick<
      PutCommandInput,
      'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ) => {
    const ref = { eventTime: record.eventTime, eventId: record.eventId };
    const key = keys.audit(ref.eventTime, ref.eventId);
    const put = await writeOrRefusingItem(() =>
      ddb.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...record, ...key, expiresAt: expiresAt(now(), retentionMs) },
          ...condition,
          // The record that refused it comes back with the refusal: no read of its own.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    return { ref, key, written: put.written, ...(put.written ? {} : { refusedBy: put.item }) };
  };
  return {
    async intend(record) {
      const { ref, key, written, refusedBy } = await putRecord(record, {
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      if (written) return { ref };
      const Item =
        refusedBy ??
        (await ddb.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
      // Our own put, retried by the SDK after its answer was lost, is not an earlier delivery.
      if (!Item || (record.intent && Item.intent?.id === record.intent.id)) return { ref };
      return { ref, earlier: stripKeys(Item) };
    },

    async record(record) {
      const { ref, key, written } = await putRecord(record, {
        // The result replaces an intent (this delivery's or a lost one's); a result stands.
        ConditionExpression: 'attribute_not_exists(pk) OR #outcome.#status = :intended',
        ExpressionAttributeNames: { '#outcome': 'outcome', '#status': 'status' },
        ExpressionAttributeValues: { ':intended': INTENDED },
      });
      if (written) return { ref, first: true };
      const counted = await conditionHeld(() =>
        ddb.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            // The first decision stands; a redelivery's outcome (e.g. a retried revert) is kept beside it.
            UpdateExpression:
              'SET deliveries = deliveries + :one, lastDeliveryAt = :at, lastOutcome = :outcome',
            // Not this very write again (the SDK retries a call whose answer was lost).
            ConditionExpression:
              'recordedAt <> :at AND (attribute_not_exists(lastDeliveryAt) OR lastDeliveryAt <> :at)',
            ExpressionAttributeValues: { ':one': 1, ':at': record.recordedAt, ':outcome': record.outcome },
          }),
        ),
      );
      if (counted) return { ref, first: false };
      // A retry of our own put or update: the record is first if the stored decision is this one.
      const { Item } = await ddb.send(
        new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
      );
      return { ref, first: Item?.recordedAt === record.recordedAt };
    },

    async recordChannel(ref, channel, result) {
      await ddb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.audit(ref.eventTime, ref.eventId),
          UpdateExpression: 'SET channels.#channel = :result',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#channel': channel },
          ExpressionAttributeValues: { ':result': JSON.parse(JSON.stringify(result)) },
        }),
      );
    },

    async get(ref) {
      const { Item } = await ddb.send(
        new GetCommand({
          TableName: tableName,
          Key: keys.audit(ref.eventTime, ref.eventId),
          ConsistentRead: true,
        }),
      );
      return Item ? stripKeys(Item) : undefined;
    },

    async list(query) {
      const until = query.until ?? new Date(now());
      const limit = query.limit ?? 1_000;
      const from = isoSeconds(query.since);
      const to = `${isoSeconds(until)}\uffff`;
      const filters: string[] = [];
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = { ':from': from, ':to': to };
      if (query.rule) {
        filters.push('#rule = :rule');
        names['#rule'] = 'rule';
        values[':rule'] = query.rule;
      }
      if (query.account) {
        filters.push('#account = :account');
        names['#account'] = 'account';
        values[':account'] = query.account;
      }
      const out: AuditRecord[] = [];
      // One partition per day, newest day first.
      const firstDay = Date.parse(from.slice(0, 10));
      for (let day = Date.parse(isoSeconds(until).slice(0, 10)); day >= firstDay; day -= DAY_MS) {
        const dayStart = new Date(day).toISOString();
        const pages = paginateQuery(
          { client: ddb },
          {
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
            ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
            ExpressionAttributeValues: { ...values, ':pk': keys.audit(dayStart, '').pk },
            ScanIndexForward: false,
          },
        );
        for await (const page of pages) {
          for (const item of page.Items ?? []) {
            out.push(stripKeys(item));
            if (out.length >= limit) return out;
          }
        }
      }
      return out;
    },
  };
}

/** Notification ledger: at most one notification per (event, rule, channel), across deliveries. */
export interface NotificationLedger {
  /** True when this delivery may notify the channel; false when another one did (or is doing it). */
  claim(eventId: string, rule: string, channel: string): Promise<boolean>;
  /** The channel was notified. */
  confirm(eventId: string, rule: string, channel: string): Promise<void>;
  /** The channel failed: a later delivery of the same event may try again. */
  release(eventId: string, rule: string, channel: string): Promise<void>;
}

export function dynamoNotificationLedger(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  options: {
    /** How long a marker is kept: longer than any redelivery (EventBridge retries 24 h, SQS keeps 14 days). */
    ttlMs?: number;
    /** A claim older than this whose holder never confirmed (crashed) may be taken over. */
    staleClaimMs?: number;
    now?: () => number;
  } = {},
): NotificationLedger {
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? 15 * DAY_MS;
  const staleClaimMs = options.staleClaimMs ?? 15 * 60_000;
  return {
    async claim(eventId, rule, channel) {
      const at = now();
      // When DynamoDB applied the put but its answer was lost, the SDK retries the same item: the
      // owner token lets that retry recognise its own claim instead of reporting a duplicate (which
      // would drop the alert).
      const owner = randomUUID();
      return conditionHeld(() =>
        ddb.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...keys.notified(eventId, rule, channel),
              state: 'sending',
              claimedAt: at,
              owner,
              expiresAt: expiresAt(at, ttlMs),
            },
            ConditionExpression:
              'attribute_not_exists(pk) OR (#state = :sending AND (claimedAt < :stale OR #owner = :owner))',
            ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':sending': 'sending',
              ':stale': at - staleClaimMs,
              ':owner': owner,
            },
          }),
        ),
      );
    },
    async confirm(eventId, rule, channel) {
      await ddb.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.notified(eventId, rule, channel),
          UpdateExpression: 'SET #state = :sent, sentAt = :at',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':sent': 'sent', ':at': now() },
        }),
      );
    },
    async release(eventId, rule, channel) {
      await ddb.send(new DeleteCommand({ TableName: tableName, Key: keys.notified(eventId, rule, channel) }));
    },
  };
}

/** A read-only view of the audit trail for the CLI (`driftguard audit`). */
export function auditReader(
  settings: ClientSettings & { tableName: string; now?: () => number },
): Pick<AuditStore, 'get' | 'list'> {
  const ddb = stateDocumentClient(new DynamoDBClient(clientConfig(settings)));
  // Retention only matters when writing.
  const store = dynamoAuditStore(ddb, settings.tableName, {
    retentionDays: 1,
    ...(settings.now ? { now: settings.now } : {}),
  });
  return { get: store.get, list: store.list };
}
