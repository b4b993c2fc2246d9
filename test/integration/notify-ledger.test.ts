import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  createPipeline,
  dynamoAuditStore,
  dynamoNotificationLedger,
  type Executor,
  ensureStateTable,
  keys,
  type Notifier,
} from '@driftguard/aws';
import { defaultConfig, type Report } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, motoEndpoint, unique } from '../support/aws';
import { sampleEvent } from '../support/notify';

/** Stands in for EC2: every revert applies and verifies (the moto suites test the real executor). */
const execute: Executor = async (operation) => ({
  operation,
  status: 'applied',
  verified: true,
  detail: 'revoked',
  changed: ['sgr-0a1b2c3d4e5f60718'],
});

function counting(channel: string, fail = false): Notifier & { calls: Report[] } {
  const calls: Report[] = [];
  return {
    channel,
    calls,
    async notify(report) {
      calls.push(report);
      return fail
        ? { ok: false, detail: `${channel}: HTTP 503 (gave up after 3 attempt(s))`, attempts: 3 }
        : { ok: true };
    },
  };
}

describe.skipIf(!motoEndpoint)('notification ledger and audit record in moto’s DynamoDB', () => {
  let ddb: DynamoDBDocumentClient;
  let tableName: string;
  beforeAll(async () => {
    tableName = unique('driftguard-state');
    await ensureStateTable(dynamoClient(), tableName);
    ddb = DynamoDBDocumentClient.from(dynamoClient());
  });

  it('three deliveries of one event: each healthy channel notified once, the failing one retried, every delivery counted', async () => {
    const sns = counting('sns');
    const ticket = { ...counting('jira'), phase: 'ticket' as const };
    const slack = counting('slack', true);
    const audit = dynamoAuditStore(ddb, tableName, { retentionDays: 7 });
    const warnings: string[] = [];
    const pipeline = createPipeline({
      config: defaultConfig(),
      execute,
      notifiers: [sns, ticket, slack],
      audit,
      ledger: dynamoNotificationLedger(ddb, tableName),
      warn: (message) => warnings.push(message),
    });
    const eventId = unique('event');
    const event = sampleEvent({ eventId, eventTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await pipeline.process(event));

    expect(sns.calls).toHaveLength(1);
    expect(ticket.calls).toHaveLength(1);
    expect(slack.calls).toHaveLength(3);
    expect(results.map((result) => result.audit?.first)).toEqual([true, false, false]);
    expect(results[1]?.notifications).toEqual([
      { channel: 'jira', ok: true, skipped: 'duplicate', detail: 'already notified for this event' },
      { channel: 'sns', ok: true, skipped: 'duplicate', detail: 'already notified for this event' },
      { channel: 'slack', ok: false, detail: 'slack: HTTP 503 (gave up after 3 attempt(s))', attempts: 3 },
    ]);
    expect(warnings).toEqual(
      Array(3).fill(
        `[driftguard] slack notification for event ${eventId} failed: slack: HTTP 503 (gave up after 3 attempt(s))`,
      ),
    );

    const detail = event.detail as { eventTime: string };
    const record = await audit.get({ eventTime: detail.eventTime, eventId });
    expect(record).toMatchObject({
      deliveries: 3,
      outcome: { status: 'reverted', verified: true },
      channels: {
        sns: { ok: true },
        jira: { ok: true },
        slack: { ok: false, attempts: 3, detail: 'slack: HTTP 503 (gave up after 3 attempt(s))' },
      },
    });
    const marker = await ddb.send(
      new GetCommand({ TableName: tableName, Key: keys.notified(eventId, 'sg-open-ingress', 'sns') }),
    );
    expect(marker.Item).toMatchObject({ state: 'sent' });
    expect(marker.Item?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 14 * 86_400);
    // The failed channel leaves no marker: a later delivery may try it again.
    const failed = await ddb.send(
      new GetCommand({ TableName: tableName, Key: keys.notified(eventId, 'sg-open-ingress', 'slack') }),
    );
    expect(failed.Item).toBeUndefined();
  });

  it('a notifier that throws is recorded as failed; the pipeline still returns the verified revert', async () => {
    const audit = dynamoAuditStore(ddb, tableName, { retentionDays: 7 });
    const pipeline = createPipeline({
      config: defaultConfig(),
      execute,
      notifiers: [
        {
          channel: 'sns',
          notify: async () => {
            throw new Error('AuthorizationError: not allowed to publish');
          },
        },
      ],
      audit,
      warn: () => undefined,
    });
    const eventId = unique('event');
    const event = sampleEvent({ eventId, eventTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
    const processed = await pipeline.process(event);
    expect(processed.outcome).toMatchObject({ status: 'reverted', verified: true });
    expect(processed.notifications).toEqual([
      { channel: 'sns', ok: false, detail: 'AuthorizationError: not allowed to publish' },
    ]);
    const record = await audit.get({ eventTime: (event.detail as { eventTime: string }).eventTime, eventId });
    expect(record?.channels.sns).toMatchObject({
      ok: false,
      detail: 'AuthorizationError: not allowed to publish',
    });
  });
});
