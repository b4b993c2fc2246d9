import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  auditRecordOf,
  clientConfig,
  dynamoAuditStore,
  dynamoBreakerStore,
  dynamoDedupeStore,
  dynamoExemptionStore,
  dynamoHighWaterStore,
  dynamoNotificationLedger,
  dynamoTicketStore,
  ensureStateTable,
  keys,
} from '@driftguard/aws';
import { breakerSettings, exemptionUse, recordRevert } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, motoEndpoint, unique } from '../support/aws';
import { approvedExemption } from '../support/exemptions';
import { type Call, type FaultProxy, startFaultProxy } from '../support/faults';
import { configWith, sampleEvent, sampleReport } from '../support/notify';

/** A document client whose calls go through the fault proxy (the SDK's own retries included). */
function documentClientThrough(proxy: FaultProxy): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      ...clientConfig({ region: 'us-east-1', endpoint: proxy.endpoint }),
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    }),
  );
}

describe.skipIf(!motoEndpoint)('exactly-once stores in DynamoDB (moto)', () => {
  let table: string;
  let ddb: DynamoDBDocumentClient;
  beforeAll(async () => {
    table = unique('driftguard-state');
    await ensureStateTable(dynamoClient(), table);
    ddb = DynamoDBDocumentClient.from(dynamoClient());
  });

  it('claims an event once: a second owner sees it in progress, then completed with the first summary', async () => {
    const store = dynamoDedupeStore(ddb, table);
    const key = unique('event');
    expect(await store.begin(key, 'owner-a')).toEqual({ status: 'acquired', takenOver: false });
    expect((await store.begin(key, 'owner-b')).status).toBe('in-progress');
    await store.complete(key, 'owner-a', { outcome: { status: 'reverted' } });
    const duplicate = await store.begin(key, 'owner-b');
    expect(duplicate.status).toBe('completed');
    if (duplicate.status === 'completed')
      expect(duplicate.first.summary).toEqual({ outcome: { status: 'reverted' } });
  });

  it('a retried claim after a lost response is recognised as our own, not as a duplicate', async () => {
    const store = dynamoDedupeStore(ddb, table);
    const key = unique('event');
    await store.begin(key, 'owner-a');
    // The SDK retries the same conditional put when the first answer was lost on the way back.
    expect(await store.begin(key, 'owner-a')).toEqual({ status: 'acquired', takenOver: false });
    await store.complete(key, 'owner-a', { ok: true });
    // Completing twice (a retried update) changes nothing.
    await store.complete(key, 'owner-a', { ok: true });
    expect((await store.begin(key, 'owner-c')).status).toBe('completed');
  });

  it("a crashed delivery's lock expires and the retry takes the event over; release lets a retry in at once", async () => {
    let now = Date.now();
    const store = dynamoDedupeStore(ddb, table, { lockMs: 1_000, now: () => now });
    const key = unique('event');
    await store.begin(key, 'crashed');
    expect((await store.begin(key, 'retry')).status).toBe('in-progress');
    now += 1_001;
    expect(await store.begin(key, 'retry')).toEqual({ status: 'acquired', takenOver: true });
    // The crashed delivery cannot complete what it no longer holds.
    await store.complete(key, 'crashed', { stale: true });
    const item = await ddb.send(new GetCommand({ TableName: table, Key: keys.dedupe(key) }));
    expect(item.Item).toMatchObject({ state: 'in-progress', owner: 'retry' });
    await store.release(key, 'retry');
    expect((await store.begin(key, 'next')).status).toBe('acquired');
  });

  it('a completion marked alongside its audit record stands only once the record holds the result and every channel', async () => {
    let now = Date.now();
    const store = dynamoDedupeStore(ddb, table, { lockMs: 1_000, now: () => now });
    const audit = dynamoAuditStore(ddb, table, { retentionDays: 30 });
    /** An event whose record holds only the intent of its revert, as the pipeline writes it before acting. */
    const intended = async () => {
      const report = sampleReport();
      const event = { ...report.assessment.event, eventId: unique('event-id') };
      const at = new Date(now).toISOString();
      const record = auditRecordOf(
        { ...report, assessment: { ...report.assessment, event } },
        { recordedAt: at },
      );
      await audit.intend({
        ...record,
        outcome: { status: 'intended', verified: false, summary: 'about to revert' },
        intent: { id: unique('intent'), at, operations: [] },
      });
      return { record, pending: { eventTime: event.eventTime, eventId: event.eventId } };
    };

    const first = await intended();
    const key = unique('event');
    await store.begin(key, 'owner-a');
    await store.completeAlongside?.(
      key,
      'owner-a',
      { outcome: { status: 'reverted' } },
      {
        ...first.pending,
        channels: ['slack'],
      },
    );
    // The record still holds the intent: in progress while the lock holds, never a duplicate.
    expect((await store.begin(key, 'owner-b')).status).toBe('in-progress');
    const { ref } = await audit.record(first.record);
    // The result, but not yet the selected channel's.
    expect((await store.begin(key, 'owner-b')).status).toBe('in-progress');
    await audit.recordChannel(ref, 'slack', { ok: true, at: new Date(now).toISOString() });
    const duplicate = await store.begin(key, 'owner-b');
    expect(duplicate.status).toBe('completed');
    if (duplicate.status === 'completed')
      expect(duplicate.first.summary).toEqual({ outcome: { status: 'reverted' } });

    // Its record never came (the holder died): once the lock has expired, the next delivery takes over.
    const second = await intended();
    const died = unique('event');
    await store.begin(died, 'owner-a');
    await store.completeAlongside?.(died, 'owner-a', {}, { ...second.pending, channels: [] });
    now += 1_001;
    expect(await store.begin(died, 'owner-b')).toEqual({ status: 'acquired', takenOver: true });

    // Its record failed (the holder is alive and gives it back): a retry is in at once.
    const third = await intended();
    const failed = unique('event');
    await store.begin(failed, 'owner-a');
    await store.completeAlongside?.(failed, 'owner-a', {}, { ...third.pending, channels: [] });
    await store.release(failed, 'owner-a');
    expect(await store.begin(failed, 'owner-b')).toEqual({ status: 'acquired', takenOver: false });

    // No record under that key any more: it outlived its retention (its intent came first), it stands.
    const expired = unique('event');
    await store.begin(expired, 'owner-a');
    await store.completeAlongside?.(
      expired,
      'owner-a',
      {},
      {
        eventTime: first.pending.eventTime,
        eventId: unique('gone'),
        channels: [],
      },
    );
    expect((await store.begin(expired, 'owner-b')).status).toBe('completed');
  });

  it('a refused claim, high-water mark or intent answers with the item that refused it: no read of its own', async () => {
    const proxy = await startFaultProxy(motoEndpoint as string);
    try {
      const through = documentClientThrough(proxy);
      const dedupe = dynamoDedupeStore(through, table);
      const key = unique('event');
      await dedupe.begin(key, 'owner-a');
      await dedupe.complete(key, 'owner-a', { outcome: { status: 'reverted' } });
      expect((await dedupe.begin(key, 'owner-b')).status).toBe('completed');

      const marks = dynamoHighWaterStore(through, table);
      const document = {
        account: '111111111111',
        region: 'us-east-1',
        resourceId: unique('bucket'),
        aspect: 'bucket-policy',
      };
      const newer = { eventTime: '2026-01-02T00:00:00.000Z', eventId: 'newer' };
      await marks.advance(document, newer);
      expect(
        await marks.advance(document, { eventTime: '2026-01-01T00:00:00.000Z', eventId: 'older' }),
      ).toEqual({
        newest: false,
        mark: newer,
      });

      const audit = dynamoAuditStore(through, table, { retentionDays: 30 });
      const report = sampleReport();
      const record = {
        ...auditRecordOf(report, { recordedAt: new Date().toISOString() }),
        eventId: unique('event-id'),
      };
      await audit.record(record);
      const { earlier } = await audit.intend({
        ...record,
        outcome: { status: 'intended', verified: false, summary: 'about to revert' },
        intent: { id: unique('intent'), at: record.recordedAt, operations: [] },
      });
      expect(earlier?.outcome).toEqual(record.outcome);
      expect(proxy.stats.applied.get('GetItem')).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });

  it('treats a marker past its TTL as gone (DynamoDB deletes expired items lazily)', async () => {
    const store = dynamoDedupeStore(ddb, table);
    const key = unique('event');
    await ddb.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...keys.dedupe(key),
          state: 'completed',
          owner: 'old',
          expiresAt: Math.floor(Date.now() / 1000) - 60,
        },
      }),
    );
    expect((await store.begin(key, 'new')).status).toBe('acquired');
  });

  it('keeps the newest event per document; ties and retries count as newest', async () => {
    const store = dynamoHighWaterStore(ddb, table);
    const document = {
      account: '111122223333',
      region: 'us-east-1',
      resourceId: unique('bucket'),
      aspect: 'bucket-policy',
    };
    expect(await store.advance(document, { eventTime: '2024-05-01T10:05:00.000Z', eventId: 'b' })).toEqual({
      newest: true,
    });
    expect(await store.advance(document, { eventTime: '2024-05-01T10:00:00.000Z', eventId: 'a' })).toEqual({
      newest: false,
      mark: { eventTime: '2024-05-01T10:05:00.000Z', eventId: 'b' },
    });
    expect(await store.advance(document, { eventTime: '2024-05-01T10:05:00.000Z', eventId: 'b' })).toEqual({
      newest: true,
    });
    const otherAspect = { ...document, aspect: 'bucket-public-access-block' };
    expect(await store.advance(otherAspect, { eventTime: '2024-05-01T09:00:00.000Z', eventId: 'c' })).toEqual(
      {
        newest: true,
      },
    );
  });

  it('a conditional write whose answer was lost is retried by the SDK and still counts as ours', async () => {
    // The first PutItem reaches DynamoDB and is applied; its answer never comes back.
    let puts = 0;
    const firstPutOnly = (call: Call) => call.action === 'PutItem' && ++puts === 1;
    const proxy = await startFaultProxy(motoEndpoint as string, { drop: 1, eligible: firstPutOnly });
    try {
      const lossy = documentClientThrough(proxy);
      const key = unique('event');
      expect(await dynamoDedupeStore(lossy, table).begin(key, 'owner-a')).toEqual({
        status: 'acquired',
        takenOver: false,
      });
      expect(proxy.stats.dropped).toBe(1);
      expect(proxy.stats.applied.get('PutItem')).toBe(2);

      puts = 0;
      const event = unique('event');
      const ledger = dynamoNotificationLedger(lossy, table);
      expect(await ledger.claim(event, 'sg-open-ingress', 'slack')).toBe(true);
      expect(proxy.stats.dropped).toBe(2);
      // A real second delivery is still told the channel is taken.
      expect(await ledger.claim(event, 'sg-open-ingress', 'slack')).toBe(false);

      // The circuit breaker: the retried put fails its version check, the change is re-applied to
      // what was written, and the same event's revert is still counted once.
      puts = 0;
      const breakers = dynamoBreakerStore(lossy, table);
      const settings = breakerSettings(configWith({}));
      const resource = unique('arn:aws:ec2:us-east-1:111122223333:security-group/sg-');
      const revert = (eventId: string) =>
        breakers.update('sg-open-ingress', resource, (current) => ({
          record: recordRevert(
            current,
            Date.now(),
            'arn:aws:iam::111122223333:user/alice',
            settings,
            eventId,
          ),
        }));
      await revert('event-1');
      expect(proxy.stats.dropped).toBe(3);
      await revert('event-2');
      expect((await breakers.get('sg-open-ingress', resource))?.reverts).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it('counters count a repeated write once: audit deliveries, ticket occurrences, exemption uses', async () => {
    // The first UpdateItem reaches DynamoDB and is applied; its answer never comes back.
    let updates = 0;
    const firstUpdateOnly = (call: Call) => call.action === 'UpdateItem' && ++updates === 1;
    const proxy = await startFaultProxy(motoEndpoint as string, { drop: 1, eligible: firstUpdateOnly });
    try {
      const lossy = documentClientThrough(proxy);
      const audit = dynamoAuditStore(lossy, table, { retentionDays: 1 });
      const report = sampleReport(sampleEvent({ eventId: unique('event') }));
      const at = (second: number) => new Date(Date.UTC(2026, 10, 23, 12, 0, second)).toISOString();
      const first = await audit.record(auditRecordOf(report, { recordedAt: at(0), routing: 'test' }));
      expect(first.first).toBe(true);
      expect(await audit.record(auditRecordOf(report, { recordedAt: at(1), routing: 'test' }))).toMatchObject(
        {
          first: false,
        },
      );
      expect(proxy.stats.dropped).toBe(1);
      expect((await audit.get(first.ref))?.deliveries).toBe(2);

      updates = 0;
      const tickets = dynamoTicketStore(lossy, table);
      const key = { rule: 'sg-open-ingress', resource: unique('sg-') };
      const token = await tickets.claim(key, 'jira', { now: Date.now(), staleBefore: 0 });
      expect(token).toBeDefined();
      await tickets.opened(key, 'jira', { id: 'SEC-1' }, { eventId: 'event-1', at: at(0) });
      await tickets.commented(key, 'jira', { eventId: 'event-2', at: at(1) });
      expect(proxy.stats.dropped).toBe(2);
      expect(await tickets.get(key, 'jira')).toMatchObject({ state: 'open', occurrences: 2 });

      updates = 0;
      const exemptions = dynamoExemptionStore(lossy, table);
      const granted = {
        exemption: approvedExemption(
          {
            account: '111122223333',
            duration: '1h',
            reason: 'a retried use is counted once',
            ticket: 'CHG-1',
          },
          configWith({ exemptions: { enabled: true } }),
          { id: unique('ex'), now: Date.now() },
        ),
      };
      await exemptions.grant(granted.exemption);
      const trigger = {
        eventId: 'event-3',
        eventTime: at(2),
        kind: 'change' as const,
        account: '111122223333',
        region: 'us-east-1',
        rule: 'sg-open-ingress',
        resource: 'sg-1',
        usedAt: at(3),
      };
      expect(await exemptions.recordUse(exemptionUse(granted.exemption), trigger)).toBe(true);
      expect(proxy.stats.dropped).toBe(3);
      const stored = await exemptions.get('111122223333', granted.exemption.id);
      expect(stored?.uses).toBe(1);
    } finally {
      await proxy.close();
    }
  });
});
