import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  deliveryKey,
  EventInProgressError,
  ensureStateTable,
  type ProcessedEvent,
  type Runtime,
  runtimeFromEnv,
} from '@driftguard/aws';
import type { Context, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeIngressEvent,
  authorizeIngressForReal,
  cloudTrailEvent,
} from '../../packages/cli/src/simulate/cloudtrail';
import { processRecord } from '../../packages/functions/src/evaluate';
import {
  credentialsInAccount,
  dynamoClient,
  ec2Client,
  motoEndpoint,
  sqsClient,
  unique,
} from '../support/aws';
import { type FaultProxy, startFaultProxy } from '../support/faults';
import { deadLetters, drainQueue } from '../support/sqs-lambda';

const HEALTHY = ['220000000001', '220000000003'];
const DENIED = '220000000002';
const MAX_RECEIVES = 3;
const context = { functionName: 'driftguard-evaluate', getRemainingTimeInMillis: () => 60_000 } as Context;

const OPEN: IpPermission[] = [
  { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
];
const TRUSTED: IpPermission[] = [
  { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
];

interface Sent {
  key: string;
  kind: 'violation' | 'denied' | 'compliant' | 'not-applicable' | 'ignored' | 'bad';
  body: string;
  account?: string;
  groupId?: string;
  ruleIds?: string[];
}

async function openedGroup(ec2: EC2Client, account: string, region: string, permissions: IpPermission[]) {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: unique('f'), Description: 'faults', VpcId: Vpc?.VpcId }),
  );
  const added = await authorizeIngressForReal(ec2, GroupId as string, permissions);
  const event = authorizeIngressEvent({
    account,
    region,
    groupId: GroupId as string,
    permissions,
    addedRules: added,
  });
  return {
    event,
    groupId: GroupId as string,
    ruleIds: added.map((rule) => rule.SecurityGroupRuleId as string),
  };
}

describe.skipIf(!motoEndpoint)(
  'under faults: at-least-once delivery, throttling, timeouts, lost responses, a denied account',
  () => {
    let proxy: FaultProxy;
    let runtime: Runtime;
    let sqs: SQSClient;
    let queueUrl: string;
    let dlqUrl: string;
    const sent: Sent[] = [];
    const observed = new Map<string, ProcessedEvent[]>();
    const notified = new Map<string, number>();
    /** Deliveries that found another delivery of the same event at work (acknowledged by the handler). */
    const inFlight = new Map<string, number>();
    const ec2ByAccount = new Map<string, EC2Client>();
    let letters: { body: string; reason?: string }[] = [];

    beforeAll(async () => {
      sqs = sqsClient();
      const dlq = await sqs.send(new CreateQueueCommand({ QueueName: unique('faults-dlq') }));
      dlqUrl = dlq.QueueUrl as string;
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
      );
      const source = await sqs.send(
        new CreateQueueCommand({
          QueueName: unique('faults-events'),
          Attributes: {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: Attributes?.QueueArn,
              maxReceiveCount: MAX_RECEIVES,
            }),
          },
        }),
      );
      queueUrl = source.QueueUrl as string;
      const table = unique('faults-state');
      await ensureStateTable(dynamoClient(), table);

      // The world, made directly in moto (no faults): open groups in two healthy accounts and one denied.
      for (const [index, account] of [...HEALTHY, DENIED].entries()) {
        const region = index === 1 ? 'eu-west-1' : 'us-east-1';
        const ec2 = ec2Client(region, await credentialsInAccount(account));
        ec2ByAccount.set(account, ec2);
        const violations = account === DENIED ? 2 : 6;
        for (let i = 0; i < violations; i++) {
          const made = await openedGroup(ec2, account, region, i % 2 === 0 ? OPEN : [...OPEN, ...TRUSTED]);
          sent.push({
            key: deliveryKey(made.event) as string,
            kind: account === DENIED ? 'denied' : 'violation',
            body: JSON.stringify(made.event),
            account,
            groupId: made.groupId,
            ruleIds: made.ruleIds,
          });
        }
        if (account !== DENIED) {
          for (let i = 0; i < 2; i++) {
            const made = await openedGroup(ec2, account, region, TRUSTED);
            sent.push({
              key: deliveryKey(made.event) as string,
              kind: 'compliant',
              body: JSON.stringify(made.event),
            });
          }
        }
      }
      const other = cloudTrailEvent({
        eventSource: 'ec2.amazonaws.com',
        eventName: 'RunInstances',
        account: HEALTHY[0] as string,
        region: 'us-east-1',
        requestParameters: {},
        responseElements: {},
      });
      sent.push({ key: deliveryKey(other) as string, kind: 'not-applicable', body: JSON.stringify(other) });
      const failedCall = cloudTrailEvent({
        eventSource: 'ec2.amazonaws.com',
        eventName: 'AuthorizeSecurityGroupIngress',
        account: HEALTHY[0] as string,
        region: 'us-east-1',
        requestParameters: { groupId: 'sg-0123456789abcdef0' },
        responseElements: null,
        errorCode: 'Client.UnauthorizedOperation',
      });
      sent.push({
        key: deliveryKey(failedCall) as string,
        kind: 'ignored',
        body: JSON.stringify(failedCall),
      });
      sent.push({ key: 'bad-1', kind: 'bad', body: '{"detail": ' });
      sent.push({
        key: 'bad-2',
        kind: 'bad',
        body: JSON.stringify({ 'detail-type': 'Something Else', detail: {} }),
      });
      sent.push({
        key: 'bad-3',
        kind: 'bad',
        body: JSON.stringify({ 'detail-type': 'AWS API Call via CloudTrail', detail: { eventName: 'x' } }),
      });

      proxy = await startFaultProxy(motoEndpoint as string, {
        throttle: 0.2,
        timeout: 0.02,
        drop: 0.05,
        deniedAccounts: [DENIED],
        seed: 42,
      });
      const base = runtimeFromEnv(
        {
          AWS_ENDPOINT_URL: proxy.endpoint,
          AWS_REGION: 'us-east-1',
          DRIFTGUARD_TABLE: table,
          DRIFTGUARD_DLQ_URL: dlqUrl,
          DRIFTGUARD_READ_ORGANIZATION: 'false',
          DRIFTGUARD_MAX_RECEIVE_COUNT: String(MAX_RECEIVES),
          DRIFTGUARD_REQUEST_TIMEOUT_MS: '1000',
          DRIFTGUARD_CONFIG: JSON.stringify({ trustedAccounts: [...HEALTHY, DENIED] }),
        },
        {
          notifiers: [
            {
              channel: 'counter',
              notify: async (report) => {
                const id = report.assessment.event.eventId;
                notified.set(id, (notified.get(id) ?? 0) + 1);
              },
            },
          ],
        },
      );
      runtime = {
        ...base,
        pipeline: {
          async process(input, processContext) {
            const key = deliveryKey(input) as string;
            try {
              const result = await base.pipeline.process(input, processContext);
              observed.set(key, [...(observed.get(key) ?? []), result]);
              return result;
            } catch (error) {
              if (error instanceof EventInProgressError) inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
              throw error;
            }
          },
        },
      };

      // At least once: the first violation three times, a compliant event twice, everything shuffled.
      const firstViolation = sent.find((item) => item.kind === 'violation') as Sent;
      const firstCompliant = sent.find((item) => item.kind === 'compliant') as Sent;
      const bodies = [
        ...sent.map((item) => item.body),
        firstViolation.body,
        firstViolation.body,
        firstCompliant.body,
      ];
      bodies.sort(() => Math.random() - 0.5);
      for (let i = 0; i < bodies.length; i += 10) {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: bodies.slice(i, i + 10).map((body, index) => ({ Id: String(index), MessageBody: body })),
          }),
        );
      }
      await drainQueue({
        sqs,
        queueUrl,
        concurrency: 3,
        // A message is not handed to a second poller while its batch is worked on, as in production,
        // where the visibility timeout is 6 × the function timeout (infra/sizing.ts): an invocation
        // has returned or been stopped long before its messages can reappear. This harness has no
        // function timeout, so it renews their visibility while the handler runs. A fixed 30 s was
        // not enough: under load a batch here takes 13–29 s (retries of throttled and timed-out
        // calls), and one that ran past it let a second poller's receive, at the last delivery,
        // move the message to the DLQ without the reason its handler was writing.
        keepHidden: 30,
        // A failed item comes back 1 s after its batch returned (all its work done), as SQS would
        // once the visibility timeout ran out, without the test sitting idle.
        retryDelay: 1,
        timeoutMs: 240_000,
        // Exactly what packages/functions/src/evaluate.ts `handler` does, with this runtime. A processor
        // per invocation: BatchProcessor keeps per-batch state, and Lambda runs one batch per container
        // at a time; concurrent pollers here stand for concurrent containers.
        handle: (event) =>
          processPartialResponse(
            event,
            (record: SQSRecord) => processRecord(record, runtime),
            new BatchProcessor(EventType.SQS),
            {
              context,
            },
          ),
      });
      letters = await deadLetters(sqs, dlqUrl);
    }, 300_000);

    afterAll(async () => {
      await proxy?.close();
    });

    /** The final outcome of an event: a completed (non-failed) processing, if any. */
    const completed = (key: string) =>
      (observed.get(key) ?? []).filter(
        (result) => !result.duplicate && result.outcome.status !== 'revert-failed',
      );
    const deadLettered = (item: Sent) => letters.filter((letter) => letter.body === item.body);

    it('the faults really happened', () => {
      expect(proxy.stats.throttled).toBeGreaterThan(10);
      expect(proxy.stats.dropped).toBeGreaterThan(0);
      expect(proxy.stats.timedOut).toBeGreaterThan(0);
      expect(proxy.stats.denied).toBeGreaterThan(0);
    });

    it('loses no event: each one ends in a verified outcome or in the DLQ with a reason', () => {
      const unaccounted = sent.filter(
        (item) => completed(item.key).length === 0 && deadLettered(item).length === 0,
      );
      expect(unaccounted.map((item) => `${item.kind} ${item.key}`)).toEqual([]);
      for (const item of sent.filter((candidate) => deadLettered(candidate).length > 0)) {
        for (const letter of deadLettered(item)) expect(letter.reason?.length ?? 0).toBeGreaterThan(10);
      }
    });

    it('reverts every violation in the healthy accounts exactly once, and verifies it', async () => {
      const violations = sent.filter((item) => item.kind === 'violation');
      const reverted = violations.filter((item) => completed(item.key).length > 0);
      // A violation may only be missing from the verified ones if it is in the DLQ with its reason.
      for (const item of violations.filter((candidate) => !reverted.includes(candidate)))
        expect(deadLettered(item)[0]?.reason).toMatch(/gave up after/);
      expect(reverted.length).toBeGreaterThanOrEqual(violations.length - 1);
      for (const item of reverted) {
        const [result] = completed(item.key);
        expect(completed(item.key)).toHaveLength(1);
        expect(result?.outcome.verified).toBe(true);
        expect(['reverted', 'already-compliant']).toContain(result?.outcome.status);
        const ec2 = ec2ByAccount.get(item.account as string) as EC2Client;
        const { SecurityGroupRules = [] } = await ec2.send(
          new DescribeSecurityGroupRulesCommand({
            Filters: [{ Name: 'group-id', Values: [item.groupId as string] }],
          }),
        );
        const left = SecurityGroupRules.filter((rule) => !rule.IsEgress).map((rule) => rule.CidrIpv4);
        expect(left).not.toContain('0.0.0.0/0');
      }
      // Counted at moto: no rule was revoked twice, though responses were lost and retried.
      const counts = [...proxy.stats.revoked.entries()];
      expect(counts.length).toBeGreaterThanOrEqual(reverted.length);
      expect(counts.filter(([, count]) => count !== 1)).toEqual([]);
    });

    it('acts on a triplicated event once and notifies once', () => {
      const triple = sent.find((item) => item.kind === 'violation') as Sent;
      const results = observed.get(triple.key) ?? [];
      expect(
        results.filter((result) => !result.duplicate && result.outcome.status !== 'revert-failed'),
      ).toHaveLength(1);
      // The two other copies found it done (duplicate) or still at work (acknowledged, nothing done).
      expect(
        results.filter((result) => result.duplicate).length + (inFlight.get(triple.key) ?? 0),
      ).toBeGreaterThanOrEqual(2);
      const [first] = completed(triple.key);
      expect(notified.get(first?.assessment.event.eventId as string)).toBe(1);
      for (const item of sent.filter((candidate) => candidate.kind === 'violation'))
        expect(
          notified.get(completed(item.key)[0]?.assessment.event.eventId ?? 'none') ?? 0,
        ).toBeLessThanOrEqual(1);
    });

    it('dead-letters the denied account and the bad input with their reasons; the rest of each batch succeeded', () => {
      // A letter carries its last delivery's error. That is the denial, unless a call before the
      // role assumption (the exactly-once claim, say) used up its attempts on the injected faults
      // in that delivery (seen once in 22 runs under load): then the letter says so, and the
      // other denied event's letter still names the denial.
      const denied = sent.filter((candidate) => candidate.kind === 'denied');
      const deniedReasons = denied.map((item) => deadLettered(item)[0]?.reason ?? 'missing');
      for (const item of denied) expect(completed(item.key)).toEqual([]);
      for (const reason of deniedReasons)
        expect(reason).toMatch(
          /^gave up after 3 deliveries: .*(AccessDenied|cannot assume|TimeoutError|socket hang up|Throttl|RequestLimitExceeded)/,
        );
      expect(deniedReasons.some((reason) => /AccessDenied|cannot assume/.test(reason))).toBe(true);
      const reasons = sent
        .filter((item) => item.kind === 'bad')
        .map((item) => deadLettered(item)[0]?.reason ?? 'missing');
      expect(reasons[0]).toBe('message body is not JSON');
      expect(reasons[1]).toMatch(/^unsupported EventBridge detail-type "Something Else"/);
      expect(reasons[2]).toMatch(/^not a CloudTrail record \(.*eventID/);
      for (const item of sent.filter((candidate) =>
        ['compliant', 'not-applicable', 'ignored'].includes(candidate.kind),
      ))
        expect(completed(item.key)[0]?.assessment.status).toBe(item.kind);
    });
  },
);
