/**
 * What one delivered event costs in AWS calls on the Lambda path: the evaluate handler, warm (its
 * config, credentials and clients already loaded, as in a container that has seen an event), with
 * the deployed wiring (state table, alert topic, DLQ), against moto behind a proxy that counts every
 * call by service and action. DEPLOY.md's cost table is computed from these counts: when a change
 * makes an event dearer, this test fails and the table must be redone with the new figures.
 */
import { CreateSecurityGroupCommand, CreateVpcCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { ensureStateTable } from '@driftguard/aws';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authorizeEvent, authorizeForReal } from '../../packages/cli/src/simulate/cloudtrail';
import {
  dynamoClient,
  ec2Client,
  HOME_ACCOUNT,
  motoEndpoint,
  openIngress,
  snsClient,
  sqsClient,
  unique,
} from '../support/aws';
import { type Call, type FaultProxy, startFaultProxy } from '../support/faults';
import { lambdaContext, sqsRecord } from '../support/lambda';

/** Calls per service for one event, and per action (to say in DEPLOY.md what they are). */
interface EventCost {
  byService: Record<string, number>;
  byAction: Record<string, number>;
}

describe.skipIf(!motoEndpoint)('AWS calls per evaluated event (warm evaluate handler, moto)', () => {
  let proxy: FaultProxy;
  let ec2: EC2Client;
  let vpcId: string;
  let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

  const newGroup = async () =>
    (
      await ec2.send(
        new CreateSecurityGroupCommand({ GroupName: unique('cost'), Description: 'cost', VpcId: vpcId }),
      )
    ).GroupId as string;

  /** Runs one event through the handler and returns what it cost. */
  async function costOf(event: Record<string, unknown>): Promise<EventCost> {
    proxy.reset();
    const response = await handler(
      { Records: [sqsRecord(unique('m'), JSON.stringify(event))] },
      lambdaContext,
    );
    expect(response.batchItemFailures).toEqual([]);
    const byAction: Record<string, number> = {};
    for (const [action, { calls }] of proxy.stats.upstreamMs) byAction[action] = calls;
    return { byService: Object.fromEntries(proxy.stats.byService), byAction };
  }

  beforeAll(async () => {
    ec2 = ec2Client();
    ({
      Vpc: { VpcId: vpcId = '' } = {},
    } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' })));
    const table = unique('cost-state');
    await ensureStateTable(dynamoClient(), table);
    const { TopicArn } = await snsClient().send(new CreateTopicCommand({ Name: unique('cost-alerts') }));
    const { QueueUrl } = await sqsClient().send(new CreateQueueCommand({ QueueName: unique('cost-dlq') }));
    proxy = await startFaultProxy(motoEndpoint as string);
    vi.resetModules();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: proxy.endpoint,
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_TOPIC_ARN: TopicArn,
      DRIFTGUARD_DLQ_URL: QueueUrl,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
      DRIFTGUARD_CONFIG: JSON.stringify({ trustedCidrs: ['10.0.0.0/8'] }),
    });
    ({ handler } = await import('../../packages/functions/src/evaluate'));
    // Warm the container: one event of each path, so cached credentials and clients are loaded.
    await costOf((await openIngress(ec2, await newGroup(), [cidr('0.0.0.0/0')])).event);
    await costOf((await openIngress(ec2, await newGroup(), [cidr('10.9.0.0/16')])).event);
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
  });

  const cidr = (range: string) => ({
    IpProtocol: 'tcp',
    FromPort: 5432,
    ToPort: 5432,
    IpRanges: [{ CidrIp: range }],
  });

  it('a violation reverted: re-read, revoke, re-read, alert, and the state writes', async () => {
    const { event } = await openIngress(ec2, await newGroup(), [cidr('0.0.0.0/0')]);
    const cost = await costOf(event);
    expect(cost.byService).toEqual(VIOLATION_REVERTED);
  });

  /**
   * Holds the first call `held` matches until a call `other` matches reaches AWS, or for 5 s (under
   * the SDK's 10 s request timeout): `true` when `other` went out while `held` was unanswered,
   * i.e. the two were one round trip, not two.
   */
  function overlapOf(held: (call: Call) => boolean, other: (call: Call) => boolean) {
    let arrived = () => {};
    const otherArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const seen = { overlapped: false, held: false };
    proxy.setPlan({
      hold: (call) => {
        if (other(call)) arrived();
        if (seen.held || !held(call)) return undefined;
        seen.held = true;
        return Promise.race([
          otherArrived.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000)),
        ]).then((first) => {
          seen.overlapped = first;
        });
      },
    });
    return seen;
  }
  const writeTo = (action: string, pk: string) => (call: Call) =>
    call.service === 'dynamodb' && call.action === action && (call.body ?? '').includes(`"${pk}`);

  it('the exactly-once claim and the live read go out together: one round trip, not two', async () => {
    const { event } = await openIngress(ec2, await newGroup(), [cidr('10.3.0.0/16')]);
    const seen = overlapOf(writeTo('PutItem', 'DEDUPE#'), (call) => call.action === 'DescribeSecurityGroups');
    try {
      expect((await costOf(event)).byService).toEqual(COMPLIANT);
    } finally {
      proxy.setPlan({});
    }
    expect(seen).toEqual({ held: true, overlapped: true });
  });

  it('the intent of a revert is written while the executor re-reads the group; the revoke waits for it', async () => {
    const { event } = await openIngress(ec2, await newGroup(), [cidr('0.0.0.0/0')]);
    const intent = (call: Call) =>
      writeTo('PutItem', 'AUDIT#')(call) && (call.body ?? '').includes('"intended"');
    const seen = overlapOf(intent, (call) => call.action === 'DescribeSecurityGroupRules');
    try {
      expect((await costOf(event)).byService).toEqual(VIOLATION_REVERTED);
    } finally {
      proxy.setPlan({});
    }
    expect(seen).toEqual({ held: true, overlapped: true });
  });

  it('after an alert, its ledger mark and its line in the audit record are written together', async () => {
    const { event } = await openIngress(ec2, await newGroup(), [cidr('0.0.0.0/0')]);
    const seen = overlapOf(writeTo('UpdateItem', 'NOTIFIED#'), writeTo('UpdateItem', 'AUDIT#'));
    try {
      expect((await costOf(event)).byService).toEqual(VIOLATION_REVERTED);
    } finally {
      proxy.setPlan({});
    }
    expect(seen).toEqual({ held: true, overlapped: true });
  });

  it('a compliant change of a watched call: the dedupe claim and the audit record, no member call', async () => {
    const { event } = await openIngress(ec2, await newGroup(), [cidr('10.1.0.0/16')]);
    const cost = await costOf(event);
    expect(cost.byService).toEqual(COMPLIANT);
  });

  it('a duplicate delivery: the claim and its read of the first result, and the live read sent with the claim', async () => {
    const { event } = await openIngress(ec2, await newGroup(), [cidr('0.0.0.0/0')]);
    expect((await costOf(event)).byService).toEqual(VIOLATION_REVERTED);
    const again = await costOf(event);
    expect(again.byService).toEqual(DUPLICATE);
    expect(again.byAction).toEqual({ PutItem: 1, GetItem: 1, DescribeSecurityGroups: 1 });
  });

  it('a watched call no guardrail applies to (egress on a non-default group)', async () => {
    const groupId = await newGroup();
    const permissions = [cidr('10.2.0.0/16')];
    const addedRules = await authorizeForReal(ec2, 'egress', groupId, permissions);
    const event = authorizeEvent('egress', {
      account: HOME_ACCOUNT,
      region: 'us-east-1',
      groupId,
      permissions,
      addedRules,
    });
    const cost = await costOf(event);
    expect(cost.byService).toEqual(NOT_APPLICABLE);
  });
});

/**
 * Measured (DEPLOY.md "Cost"), calls per event by service signing name. In the home account, as
 * here, no AssumeRole is made; in a member account one is made per account per hour (cached
 * credentials), which is nothing per event at any volume that matters.
 */
// PutItem ×4, UpdateItem ×3; DescribeSecurityGroups, DescribeSecurityGroupRules ×2, RevokeSecurityGroupIngress; Publish.
const VIOLATION_REVERTED = { dynamodb: 7, ec2: 4, sns: 1 };
// PutItem ×3, UpdateItem; DescribeSecurityGroups.
const COMPLIANT = { dynamodb: 4, ec2: 1 };
// PutItem ×2, UpdateItem; DescribeSecurityGroups.
const NOT_APPLICABLE = { dynamodb: 3, ec2: 1 };
// PutItem (the claim, refused), GetItem (the first delivery's result); DescribeSecurityGroups (sent
// with the claim, before it is known to be a duplicate; EC2 reads are free).
const DUPLICATE = { dynamodb: 2, ec2: 1 };
