import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AuditStore,
  AuditWriteError,
  accountCredentials,
  createExecutor,
  createPipeline,
  dynamoAuditStore,
  ensureStateTable,
  keys,
  type Runtime,
  runtimeFromEnv,
} from '@driftguard/aws';
import { verifyWebhookSignature } from '@driftguard/notify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketResource, guardDutyFindingEvent } from '../../packages/cli/src/simulate/guardduty';
import {
  dynamoClient,
  ec2Client,
  HOME_ACCOUNT,
  motoEndpoint,
  openIngress,
  snsClient,
  sqsClient,
  stsClient,
  unique,
} from '../support/aws';
import { configWith, fakeGitHub, fakeJira, type Loopback, loopback } from '../support/notify';

const REGION = 'us-east-1';
const OPEN_SSH = [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];

async function newGroup(ec2: EC2Client): Promise<string> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: unique('web'), Description: 'web', VpcId: Vpc?.VpcId }),
  );
  return GroupId as string;
}

async function openToInternet(ec2: EC2Client, groupId: string) {
  return (await openIngress(ec2, groupId, OPEN_SSH, REGION)).event;
}

async function ingressRules(ec2: EC2Client, groupId: string): Promise<number> {
  const { SecurityGroupRules } = await ec2.send(
    new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
  );
  return (SecurityGroupRules ?? []).filter((rule) => !rule.IsEgress).length;
}

const eventRef = (event: Record<string, unknown>) => {
  const detail = event.detail as { eventID: string; eventTime: string };
  return { eventId: detail.eventID, eventTime: detail.eventTime };
};

describe.skipIf(!motoEndpoint)(
  'delivery: revert → audit → channels, against moto and loopback Slack/Jira/GitHub/webhook',
  () => {
    let ec2: EC2Client;
    let tableName: string;
    let audit: AuditStore;
    let ddb: DynamoDBDocumentClient;
    let slack: Loopback;
    let hook: Loopback;
    let jira: Awaited<ReturnType<typeof fakeJira>>;
    let github: Awaited<ReturnType<typeof fakeGitHub>>;
    let queueUrl: string;
    let runtime: Runtime;
    let env: Record<string, string>;
    const config = () =>
      configWith({
        trustedCidrs: ['10.0.0.0/8'],
        notifications: {
          jira: { project: 'SEC', labels: ['driftguard', 'zero-trust'] },
          github: { repo: 'acme/security', apiUrl: github.server.url, labels: ['driftguard'] },
          delivery: { attempts: 2, backoffMs: 10, timeoutMs: 2_000 },
        },
      });

    beforeAll(async () => {
      ec2 = ec2Client(REGION);
      tableName = unique('driftguard-state');
      await ensureStateTable(dynamoClient(REGION), tableName);
      ddb = DynamoDBDocumentClient.from(dynamoClient(REGION));
      audit = dynamoAuditStore(ddb, tableName, { retentionDays: 1 });
      // Slack is down for the whole suite: its failure must be recorded, never thrown.
      slack = await loopback(() => ({ status: 500, body: 'internal_error' }));
      hook = await loopback(() => ({ status: 201, body: { id: 'INC-1', url: 'https://sn.example/INC-1' } }));
      jira = await fakeJira();
      github = await fakeGitHub('acme/security');
      const sns = snsClient(REGION);
      const sqs = sqsClient(REGION);
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: unique('alerts') }));
      ({ QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: unique('inbox') })));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
      );
      await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
      env = {
        AWS_ENDPOINT_URL: motoEndpoint as string,
        AWS_REGION: REGION,
        DRIFTGUARD_READ_ORGANIZATION: 'false',
        DRIFTGUARD_TABLE: tableName,
        DRIFTGUARD_TOPIC_ARN: TopicArn as string,
        SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/SLACKSECRET`,
        JIRA_BASE_URL: jira.server.url,
        JIRA_EMAIL: 'bot@acme.example',
        JIRA_API_TOKEN: 'JIRASECRET',
        GITHUB_TOKEN: 'GITHUBSECRET',
        DRIFTGUARD_WEBHOOK_URL: `${hook.url}/servicenow`,
        DRIFTGUARD_WEBHOOK_SECRET: 'WEBHOOKSECRET',
      };
      runtime = runtimeFromEnv(env, { config: config() });
    });

    afterAll(async () => {
      await Promise.all([slack?.close(), hook?.close(), jira?.server.close(), github?.server.close()]);
    });

    let groupId: string;
    let first: Record<string, unknown>;

    it('reverts first, records the decision, opens the tickets, links them from Slack, and records Slack’s failure without throwing', async () => {
      expect(runtime.channels?.sort()).toEqual(['github', 'jira', 'slack', 'sns', 'webhook']);
      groupId = await newGroup(ec2);
      first = await openToInternet(ec2, groupId);
      const processed = await runtime.pipeline.process(first);

      expect(processed.outcome).toMatchObject({ status: 'reverted', verified: true });
      expect(await ingressRules(ec2, groupId)).toBe(0);
      expect(processed.audit).toMatchObject({ first: true });
      expect(processed.routing).toBe('notifications.bySeverity.critical → jira, github, webhook, slack, sns');
      const byChannel = Object.fromEntries(processed.notifications.map((n) => [n.channel, n]));
      expect(byChannel.jira).toMatchObject({ ok: true, ticket: { id: 'SEC-1', action: 'opened' } });
      expect(byChannel.github).toMatchObject({
        ok: true,
        ticket: { id: 'acme/security#1', action: 'opened' },
      });
      expect(byChannel.webhook).toMatchObject({ ok: true, ticket: { id: 'INC-1', action: 'opened' } });
      expect(byChannel.sns).toEqual({ channel: 'sns', ok: true });
      expect(byChannel.slack).toEqual({
        channel: 'slack',
        ok: false,
        attempts: 2,
        detail: 'slack: HTTP 500 internal_error (gave up after 2 attempt(s))',
      });

      // Slack was tried after the tickets: its message links them.
      expect(slack.requests).toHaveLength(2);
      const message = JSON.parse(slack.requests[0]?.body ?? '{}') as {
        blocks: { text?: { text: string } }[];
      };
      const ticketSection = message.blocks.find((block) => block.text?.text.startsWith('*Ticket*'));
      expect(ticketSection?.text?.text).toContain(`<${jira.server.url}/browse/SEC-1|SEC-1 (jira, opened)>`);

      // The webhook was signed with the secret from the environment.
      const delivery = hook.requests[0];
      expect(
        verifyWebhookSignature({
          secret: 'WEBHOOKSECRET',
          body: delivery?.body ?? '',
          timestamp: delivery?.headers['x-driftguard-timestamp'] as string,
          deliveryId: delivery?.headers['x-driftguard-delivery'] as string,
          event: delivery?.headers['x-driftguard-event'] as string,
          signature: delivery?.headers['x-driftguard-signature'] as string,
        }),
      ).toEqual({ ok: true });

      // The audit record: the decision, the verified operation, and every channel's result.
      const record = await audit.get(eventRef(first));
      expect(record).toMatchObject({
        eventId: eventRef(first).eventId,
        account: HOME_ACCOUNT,
        region: REGION,
        actor: expect.stringContaining(':assumed-role/'),
        rule: 'sg-open-ingress',
        severity: 'critical',
        verdict: 'violation',
        action: 'revert',
        decision: processed.assessment.decisionReason,
        resource: { id: groupId },
        outcome: { status: 'reverted', verified: true },
        routing: 'notifications.bySeverity.critical → jira, github, webhook, slack, sns',
        deliveries: 1,
      });
      expect(record?.operations).toEqual([
        expect.objectContaining({
          operation: 'ec2:RevokeSecurityGroupIngress',
          status: 'applied',
          verified: true,
        }),
      ]);
      expect(record?.channels.slack).toMatchObject({
        ok: false,
        attempts: 2,
        detail: 'slack: HTTP 500 internal_error (gave up after 2 attempt(s))',
      });
      expect(record?.channels.jira).toMatchObject({ ok: true, ticket: { id: 'SEC-1', action: 'opened' } });
      expect(record?.channels.sns).toMatchObject({ ok: true });
      const { Item: raw } = await ddb.send(
        new GetCommand({
          TableName: tableName,
          Key: keys.audit(eventRef(first).eventTime, eventRef(first).eventId),
        }),
      );
      // Retention is the table's TTL attribute: the config's default 400 days.
      expect(raw?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 399 * 86_400);
      // No secret reaches the record.
      expect(JSON.stringify(record)).not.toMatch(/SECRET/);

      // SNS carried the alert with its ticket links.
      const { Messages } = await sqsClient(REGION).send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }),
      );
      expect(Messages).toHaveLength(1);
      const envelope = JSON.parse(Messages?.[0]?.Body ?? '{}') as { Message: string };
      expect(JSON.parse(envelope.Message).tickets.map((t: { id: string }) => t.id)).toEqual([
        'SEC-1',
        'acme/security#1',
        'INC-1',
      ]);
    });

    it('a duplicate delivery of the same event opens no second ticket and sends no second alert', async () => {
      const before = {
        jira: jira.server.requests.length,
        github: github.server.requests.length,
        hook: hook.requests.length,
      };
      const again = await runtime.pipeline.process(first);
      expect(again.notifications.filter((n) => n.ok && !n.skipped).map((n) => n.channel)).toEqual([]);
      expect(jira.server.requests.length).toBe(before.jira);
      expect(github.server.requests.length).toBe(before.github);
      expect(hook.requests.length).toBe(before.hook);
      expect(jira.issues.get('SEC-1')?.comments).toHaveLength(0);
      const { Messages } = await sqsClient(REGION).send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      expect(Messages ?? []).toHaveLength(0);
      // The first decision stands in the audit trail.
      expect(await audit.get(eventRef(first))).toMatchObject({
        outcome: { status: 'reverted' },
        channels: { jira: { ok: true, ticket: { action: 'opened' } } },
      });
    });

    it('the same violation on the same resource again → one issue + one comment, mapping in DynamoDB', async () => {
      const repeat = await openToInternet(ec2, groupId);
      const processed = await runtime.pipeline.process(repeat);
      expect(processed.outcome.status).toBe('reverted');
      const byChannel = Object.fromEntries(processed.notifications.map((n) => [n.channel, n]));
      expect(byChannel.jira).toMatchObject({
        ok: true,
        detail: 'commented on SEC-1',
        ticket: { action: 'commented' },
      });
      expect(byChannel.github).toMatchObject({
        ok: true,
        ticket: { id: 'acme/security#1', action: 'commented' },
      });
      expect(byChannel.webhook).toMatchObject({ ok: true, ticket: { id: 'INC-1', action: 'commented' } });

      expect(jira.issues.size).toBe(1);
      expect(jira.issues.get('SEC-1')?.comments).toHaveLength(1);
      expect(github.issues.size).toBe(1);
      expect(github.issues.get(1)?.comments).toHaveLength(1);
      const update = JSON.parse(hook.requests.at(-1)?.body ?? '{}');
      expect(update).toMatchObject({ type: 'ticket.updated', ticket: { id: 'INC-1' } });

      const resource = `arn:aws:ec2:${REGION}:${HOME_ACCOUNT}:security-group/${groupId}`;
      const { Item } = await ddb.send(
        new GetCommand({ TableName: tableName, Key: keys.ticket('sg-open-ingress', resource, 'jira') }),
      );
      expect(Item).toMatchObject({
        state: 'open',
        ticketId: 'SEC-1',
        occurrences: 2,
        firstEventId: eventRef(first).eventId,
        lastEventId: eventRef(repeat).eventId,
      });
    });

    it('GuardDuty: a high finding opens tickets; its archived update tells them once and opens none; an archived finding never ticketed tells nobody', async () => {
      const finding = {
        type: 'Policy:S3/BucketAnonymousAccessGranted',
        severity: 8,
        account: HOME_ACCOUNT,
        region: REGION,
        resource: bucketResource('payments-ledger'),
        id: unique('finding').replace(/[^a-z0-9]/g, ''),
      };
      const opened = await runtime.pipeline.process(
        guardDutyFindingEvent({ ...finding, updatedAt: new Date('2026-11-20T10:00:00Z') }),
      );
      const openedBy = Object.fromEntries(opened.notifications.map((n) => [n.channel, n]));
      expect(openedBy.jira).toMatchObject({ ok: true, ticket: { action: 'opened' } });
      const jiraKey = openedBy.jira?.ticket?.id as string;
      const githubNumber = Number(String(openedBy.github?.ticket?.id).split('#')[1]);
      const [issues, slackCalls] = [jira.issues.size + github.issues.size, slack.requests.length];

      const archived = guardDutyFindingEvent({
        ...finding,
        updatedAt: new Date('2026-11-20T12:00:00Z'),
        archived: true,
      });
      const told = await runtime.pipeline.process(archived);
      expect(told.assessment.status).toBe('ignored');
      expect(told.routing).toBe('archived finding → jira, github, webhook: an open ticket for it is told');
      const toldBy = Object.fromEntries(told.notifications.map((n) => [n.channel, n]));
      for (const channel of ['jira', 'github', 'webhook'])
        expect(toldBy[channel], channel).toMatchObject({ ok: true, ticket: { action: 'commented' } });
      expect(jira.issues.size + github.issues.size).toBe(issues);
      expect(slack.requests).toHaveLength(slackCalls);
      expect(JSON.stringify(jira.issues.get(jiraKey)?.comments.at(-1))).toContain('Archived in GuardDuty: ');
      expect(github.issues.get(githubNumber)?.comments.at(-1)).toContain(
        '**Archived in GuardDuty:** `Policy:S3/BucketAnonymousAccessGranted` at `2026-11-20T12:00:00.000Z`',
      );
      expect(JSON.parse(hook.requests.at(-1)?.body ?? '{}')).toMatchObject({
        type: 'ticket.updated',
        archived: true,
        rule: 'guardduty-finding',
        ticket: { id: 'INC-1' },
      });

      // The same archived version again (EventBridge redelivery): nobody is told twice.
      const comments = jira.issues.get(jiraKey)?.comments.length;
      const again = await runtime.pipeline.process(archived);
      expect(again.duplicate ?? again.notifications.every((n) => n.skipped === 'duplicate')).toBeTruthy();
      expect(jira.issues.get(jiraKey)?.comments).toHaveLength(comments as number);

      // A finding archived before it ever reached a ticket: no tracker is called.
      const requests = jira.server.requests.length + github.server.requests.length;
      const quiet = await runtime.pipeline.process(
        guardDutyFindingEvent({ ...finding, id: `${finding.id}0`, severity: 2, archived: true }),
      );
      expect(quiet.notifications.map((n) => n.detail)).toEqual([
        'archived finding without an open ticket: nothing to tell',
        'archived finding without an open ticket: nothing to tell',
        'archived finding without an open ticket: nothing to tell',
      ]);
      expect(jira.server.requests.length + github.server.requests.length).toBe(requests);
    });

    it('when the audit trail cannot be written nothing is done, the event fails, and no channel is told', async () => {
      // The pipeline alone (no exactly-once wrapper): the intent of the revert is written before
      // acting; it fails → AuditWriteError, nothing reverted (the queue retries the event). A write
      // that fails *after* the revert: test/integration/record-survives.test.ts.
      const cfg = config();
      const credentialsFor = accountCredentials({
        sts: stsClient(REGION),
        roleName: cfg.remediationRoleName,
        homeAccount: HOME_ACCOUNT,
      });
      const told: string[] = [];
      const pipeline = createPipeline({
        config: cfg,
        execute: createExecutor({ config: cfg, credentialsFor, endpoint: motoEndpoint as string }),
        notifiers: [{ channel: 'sns', notify: async () => void told.push('sns') }],
        audit: dynamoAuditStore(ddb, unique('missing-table'), { retentionDays: 1 }),
      });
      const group = await newGroup(ec2);
      const event = await openToInternet(ec2, group);
      await expect(pipeline.process(event)).rejects.toThrow(AuditWriteError);
      await expect(pipeline.process(event)).rejects.toThrow(
        /the intent of event .* could not be recorded, so nothing was done/,
      );
      expect(await ingressRules(ec2, group)).toBe(1);
      expect(told).toEqual([]);
    });
  },
);
