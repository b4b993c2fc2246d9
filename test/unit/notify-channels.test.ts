import { createHmac } from 'node:crypto';
import { renderSlack, renderTicketPayload } from '@driftguard/core';
import {
  createGitHubClient,
  createJiraClient,
  createSlackWebhook,
  createWebhookClient,
  gitHubTracker,
  jiraTracker,
  memoryTicketStore,
  slackNotifier,
  ticketNotifier,
  verifyWebhookSignature,
  webhookTracker,
} from '@driftguard/notify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fakeGitHub,
  fakeJira,
  type Loopback,
  loopback,
  recordingSleep,
  sampleEvent,
  sampleReport,
} from '../support/notify';

const servers: Loopback[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function track<T extends { server: Loopback } | Loopback>(value: Promise<T>): Promise<T> {
  const resolved = await value;
  servers.push('server' in resolved ? resolved.server : resolved);
  return resolved;
}

describe('Slack incoming webhook', () => {
  it('POSTs the Block Kit JSON to the webhook path, retrying a 429 with Retry-After', async () => {
    const slack = await track(
      loopback((_request, index) =>
        index === 0
          ? { status: 429, headers: { 'retry-after': '2' }, body: 'rate_limited' }
          : { status: 200, body: 'ok' },
      ),
    );
    const { sleep, delays } = recordingSleep();
    const report = sampleReport();
    const notifier = slackNotifier(
      createSlackWebhook({ webhookUrl: `${slack.url}/services/T000/B000/XXXX`, sleep }),
    );
    expect(await notifier.notify(report)).toEqual({ ok: true, attempts: 2 });
    expect(delays).toEqual([2000]);
    expect(slack.requests).toHaveLength(2);
    for (const request of slack.requests) {
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/services/T000/B000/XXXX');
      expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(request.body)).toEqual(renderSlack(report));
    }
  });

  it('a permanent failure is a value with the reason, without the secret URL', async () => {
    const slack = await track(loopback(() => ({ status: 403, body: 'invalid_token' })));
    const notifier = slackNotifier(
      createSlackWebhook({ webhookUrl: `${slack.url}/services/T000/B000/SECRET` }),
    );
    const result = await notifier.notify(sampleReport());
    expect(result).toEqual({ ok: false, attempts: 1, detail: 'slack: HTTP 403 invalid_token' });
  });
});

describe('Jira Cloud REST v3', () => {
  const settings = { project: 'SEC', issueType: 'Bug', labels: ['driftguard', 'zero-trust'] };

  it('creates an issue with Basic auth, project/type/labels from config and an ADF description', async () => {
    const jira = await track(fakeJira());
    const client = createJiraClient({
      baseUrl: `${jira.server.url}/`,
      email: 'bot@acme.example',
      apiToken: 'tok3n',
    });
    const report = sampleReport();
    const opened = await jiraTracker(client, settings).open(report);
    expect(opened).toEqual({
      ok: true,
      attempts: 1,
      ticket: { id: 'SEC-1', url: `${jira.server.url}/browse/SEC-1` },
    });
    const [request] = jira.server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/rest/api/3/issue');
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from('bot@acme.example:tok3n').toString('base64')}`,
    );
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers['content-type']).toBe('application/json');
    const { fields } = JSON.parse(request?.body ?? '{}');
    expect(Object.keys(fields).sort()).toEqual(['description', 'issuetype', 'labels', 'project', 'summary']);
    expect(fields.project).toEqual({ key: 'SEC' });
    expect(fields.issuetype).toEqual({ name: 'Bug' });
    expect(fields.labels).toEqual(['driftguard', 'zero-trust']);
    expect(fields.summary).toBe(
      '[driftguard] CRITICAL Security group open beyond trusted networks: sg-0123456789abcdef0 in 111122223333/eu-west-1',
    );
    expect(fields.description).toMatchObject({ version: 1, type: 'doc' });
  });

  it('comments with an ADF body on the issue path, and reads the status category', async () => {
    const jira = await track(fakeJira());
    const client = createJiraClient({
      baseUrl: jira.server.url,
      email: 'bot@acme.example',
      apiToken: 'tok3n',
    });
    const tracker = jiraTracker(client, settings);
    await tracker.open(sampleReport());
    expect(await tracker.state({ id: 'SEC-1' })).toBe('open');
    expect(await tracker.comment({ id: 'SEC-1' }, sampleReport())).toEqual({ ok: true, attempts: 1 });
    const [, status, comment] = jira.server.requests;
    expect(status).toMatchObject({ method: 'GET', path: '/rest/api/3/issue/SEC-1?fields=status' });
    expect(comment).toMatchObject({ method: 'POST', path: '/rest/api/3/issue/SEC-1/comment' });
    expect(JSON.parse(comment?.body ?? '{}').body).toMatchObject({ version: 1, type: 'doc' });
    const issue = jira.issues.get('SEC-1');
    if (issue) issue.done = true;
    expect(await tracker.state({ id: 'SEC-1' })).toBe('closed');
    expect(await tracker.state({ id: 'SEC-404' })).toBe('closed');
  });

  it('retries a 503 with Retry-After before creating the issue', async () => {
    const jira = await track(fakeJira({ failFirst: [{ status: 503, headers: { 'retry-after': '1' } }] }));
    const { sleep, delays } = recordingSleep();
    const client = createJiraClient({ baseUrl: jira.server.url, email: 'e', apiToken: 't', sleep });
    expect(await jiraTracker(client, settings).open(sampleReport())).toMatchObject({ ok: true, attempts: 2 });
    expect(delays).toEqual([1000]);
    expect(jira.issues.size).toBe(1);
  });
});

describe('GitHub Issues', () => {
  it('creates an issue with a Bearer token, the API version header and labels', async () => {
    const github = await track(fakeGitHub('acme/security'));
    const client = createGitHubClient({
      apiUrl: github.server.url,
      repo: 'acme/security',
      token: 'ghp_secret',
    });
    const opened = await gitHubTracker(client, { repo: 'acme/security', labels: ['driftguard'] }).open(
      sampleReport(),
    );
    expect(opened).toEqual({
      ok: true,
      attempts: 1,
      ticket: { id: 'acme/security#1', url: 'https://github.example/acme/security/issues/1' },
    });
    const [request] = github.server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/repos/acme/security/issues');
    expect(request?.headers.authorization).toBe('Bearer ghp_secret');
    expect(request?.headers.accept).toBe('application/vnd.github+json');
    expect(request?.headers['x-github-api-version']).toBe('2022-11-28');
    expect(request?.headers['user-agent']).toBe('driftguard');
    const body = JSON.parse(request?.body ?? '{}');
    expect(Object.keys(body).sort()).toEqual(['body', 'labels', 'title']);
    expect(body.labels).toEqual(['driftguard']);
    expect(body.body).toContain('- **Resource:** `AWS::EC2::SecurityGroup sg-0123456789abcdef0`');
  });
});

describe('signed webhook', () => {
  it('signs "<timestamp>\\n<delivery id>\\n<event>\\n<raw body>" with HMAC-SHA256; the receiver verifies; retries keep the delivery id and re-sign', async () => {
    const hook = await track(
      loopback((_request, index) =>
        index === 0
          ? { status: 500 }
          : { status: 201, body: { id: 'INC0012', url: 'https://sn.example/INC0012' } },
      ),
    );
    let clock = 1_700_000_000_000;
    const { sleep } = recordingSleep();
    const client = createWebhookClient({
      url: `${hook.url}/driftguard?token=abc`,
      secret: 'whsec_test',
      now: () => clock,
      sleep: async (ms) => {
        clock += 5_000;
        await sleep(ms);
      },
      newDeliveryId: () => 'delivery-1',
    });
    const report = sampleReport();
    const opened = await webhookTracker(client).open(report);
    expect(opened).toEqual({
      ok: true,
      attempts: 2,
      ticket: { id: 'INC0012', url: 'https://sn.example/INC0012' },
    });
    expect(hook.requests).toHaveLength(2);
    const [first, second] = hook.requests;
    for (const request of [first, second]) {
      expect(request?.method).toBe('POST');
      expect(request?.path).toBe('/driftguard?token=abc');
      expect(request?.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(request?.headers['x-driftguard-delivery']).toBe('delivery-1');
      expect(request?.headers['x-driftguard-event']).toBe('ticket.opened');
      const timestamp = request?.headers['x-driftguard-timestamp'] as string;
      // Independent computation: what a receiver in any language does (README "Webhook payloads").
      const signed = `${timestamp}\ndelivery-1\nticket.opened\n${request?.body}`;
      const expected = `v2=${createHmac('sha256', 'whsec_test').update(signed).digest('hex')}`;
      expect(request?.headers['x-driftguard-signature']).toBe(expected);
      expect(
        verifyWebhookSignature({
          secret: 'whsec_test',
          body: request?.body ?? '',
          timestamp,
          deliveryId: 'delivery-1',
          event: 'ticket.opened',
          signature: expected,
          nowMs: clock,
        }),
      ).toEqual({ ok: true });
    }
    expect(first?.headers['x-driftguard-timestamp']).toBe('1700000000');
    expect(second?.headers['x-driftguard-timestamp']).toBe('1700000005');
    expect(JSON.parse(second?.body ?? '{}')).toEqual(
      JSON.parse(JSON.stringify(renderTicketPayload(report, 'ticket.opened'))),
    );
  });

  it('verification rejects a tampered body, a wrong secret, a replayed old timestamp and missing headers', () => {
    const body = '{"type":"ticket.opened"}';
    const nowMs = 1_700_000_000_000;
    const timestamp = String(nowMs / 1000);
    const signature = `v2=${createHmac('sha256', 's3cret').update(`${timestamp}\nd-1\nticket.opened\n${body}`).digest('hex')}`;
    const ok = {
      secret: 's3cret',
      body,
      timestamp,
      deliveryId: 'd-1',
      event: 'ticket.opened',
      signature,
      nowMs,
    };
    expect(verifyWebhookSignature(ok)).toEqual({ ok: true });
    expect(verifyWebhookSignature({ ...ok, body: `${body} ` })).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(verifyWebhookSignature({ ...ok, secret: 'other' })).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(verifyWebhookSignature({ ...ok, nowMs: nowMs + 301_000 })).toEqual({
      ok: false,
      reason: 'timestamp outside tolerance',
    });
    expect(verifyWebhookSignature({ ...ok, signature: undefined })).toEqual({
      ok: false,
      reason: 'missing signature',
    });
    expect(verifyWebhookSignature({ ...ok, timestamp: undefined })).toEqual({
      ok: false,
      reason: 'missing timestamp',
    });
    expect(verifyWebhookSignature({ ...ok, deliveryId: undefined })).toEqual({
      ok: false,
      reason: 'missing delivery id',
    });
    expect(verifyWebhookSignature({ ...ok, event: undefined })).toEqual({
      ok: false,
      reason: 'missing event',
    });
    // The v1 signature (timestamp and body only) is refused.
    const v1 = `sha256=${createHmac('sha256', 's3cret').update(`${timestamp}.${body}`).digest('hex')}`;
    expect(verifyWebhookSignature({ ...ok, signature: v1 })).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });

  it('attack: a captured delivery replayed within the window as another delivery or another event is refused', async () => {
    // A receiver as README tells it to be: verify, then drop delivery ids already seen.
    const seen = new Set<string>();
    const accepted: { delivery: string; event: string }[] = [];
    const receiver = await track(
      loopback((request) => {
        const delivery = request.headers['x-driftguard-delivery'] as string | undefined;
        const event = request.headers['x-driftguard-event'] as string | undefined;
        const verdict = verifyWebhookSignature({
          secret: 'whsec_test',
          body: request.body,
          timestamp: request.headers['x-driftguard-timestamp'] as string | undefined,
          deliveryId: delivery,
          event,
          signature: request.headers['x-driftguard-signature'] as string | undefined,
        });
        if (!verdict.ok) return { status: 401, body: { error: verdict.reason } };
        if (seen.has(delivery as string)) return { status: 200, body: { duplicate: true } };
        seen.add(delivery as string);
        accepted.push({ delivery: delivery as string, event: event as string });
        return { status: 201, body: { id: `INC-${accepted.length}` } };
      }),
    );
    const client = createWebhookClient({ url: `${receiver.url}/hook`, secret: 'whsec_test' });
    expect(await webhookTracker(client).open(sampleReport())).toMatchObject({
      ok: true,
      ticket: { id: 'INC-1' },
    });
    const captured = receiver.requests[0];
    if (!captured) throw new Error('no delivery captured');

    const replay = (headers: Record<string, string>) =>
      fetch(`${receiver.url}/hook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'x-driftguard-timestamp': captured.headers['x-driftguard-timestamp'] as string,
          'x-driftguard-signature': captured.headers['x-driftguard-signature'] as string,
          'x-driftguard-delivery': captured.headers['x-driftguard-delivery'] as string,
          'x-driftguard-event': captured.headers['x-driftguard-event'] as string,
          ...headers,
        },
        body: captured.body,
      });
    const asNewDelivery = await replay({ 'x-driftguard-delivery': 'a-fresh-id-past-the-duplicate-check' });
    const asOtherEvent = await replay({ 'x-driftguard-event': 'ticket.updated' });
    expect(asNewDelivery.status).toBe(401);
    expect(asOtherEvent.status).toBe(401);
    expect(await asNewDelivery.json()).toEqual({ error: 'signature mismatch' });
    expect(accepted).toHaveLength(1);
  });
});

describe('one ticket per (rule, resource)', () => {
  it('Jira: a repeat violation comments on the open issue; after it is closed, a new issue opens', async () => {
    const jira = await track(fakeJira());
    const client = createJiraClient({ baseUrl: jira.server.url, email: 'e', apiToken: 't' });
    const store = memoryTicketStore();
    const notifier = ticketNotifier({
      channel: 'jira',
      tracker: jiraTracker(client, { project: 'SEC', issueType: 'Task', labels: [] }),
      store,
    });
    const first = await notifier.notify(sampleReport(sampleEvent({ eventId: 'event-1' })));
    const second = await notifier.notify(sampleReport(sampleEvent({ eventId: 'event-2' })));
    expect(first).toMatchObject({
      ok: true,
      detail: 'opened SEC-1',
      ticket: { channel: 'jira', id: 'SEC-1', action: 'opened' },
    });
    expect(second).toMatchObject({
      ok: true,
      detail: 'commented on SEC-1',
      ticket: { id: 'SEC-1', action: 'commented' },
    });
    expect(jira.issues.size).toBe(1);
    expect(jira.issues.get('SEC-1')?.comments).toHaveLength(1);

    const issue = jira.issues.get('SEC-1');
    if (issue) issue.done = true;
    const third = await notifier.notify(sampleReport(sampleEvent({ eventId: 'event-3' })));
    expect(third).toMatchObject({
      ok: true,
      detail: 'opened SEC-2 (SEC-1 was closed)',
      ticket: { id: 'SEC-2' },
    });
    // Another resource gets its own issue.
    const other = await notifier.notify(
      sampleReport(sampleEvent({ eventId: 'event-4', groupId: 'sg-0fedcba9876543210' })),
    );
    expect(other).toMatchObject({ ticket: { id: 'SEC-3', action: 'opened' } });
  });

  it('two concurrent deliveries for the same resource open one issue and comment once', async () => {
    const github = await track(fakeGitHub('acme/security'));
    const client = createGitHubClient({ apiUrl: github.server.url, repo: 'acme/security', token: 't' });
    const notifier = ticketNotifier({
      channel: 'github',
      tracker: gitHubTracker(client, { repo: 'acme/security', labels: [] }),
      store: memoryTicketStore(),
      waitMs: 20,
    });
    const results = await Promise.all([
      notifier.notify(sampleReport(sampleEvent({ eventId: 'a' }))),
      notifier.notify(sampleReport(sampleEvent({ eventId: 'b' }))),
    ]);
    expect(results.map((result) => result.ticket?.action).sort()).toEqual(['commented', 'opened']);
    expect(github.issues.size).toBe(1);
    expect(github.issues.get(1)?.comments).toHaveLength(1);
  });

  it('a failed open gives the claim back, so the next violation can open the ticket', async () => {
    const jira = await track(
      fakeJira({ failFirst: [{ status: 400, body: { errors: { project: 'project is required' } } }] }),
    );
    const client = createJiraClient({ baseUrl: jira.server.url, email: 'e', apiToken: 't' });
    const store = memoryTicketStore();
    const notifier = ticketNotifier({
      channel: 'jira',
      tracker: jiraTracker(client, { project: 'SEC', issueType: 'Task', labels: [] }),
      store,
    });
    expect(await notifier.notify(sampleReport())).toEqual({
      ok: false,
      attempts: 1,
      detail: 'jira: HTTP 400 {"errors":{"project":"project is required"}}',
    });
    expect(store.items.size).toBe(0);
    expect(await notifier.notify(sampleReport())).toMatchObject({
      ok: true,
      ticket: { id: 'SEC-1', action: 'opened' },
    });
  });
});
