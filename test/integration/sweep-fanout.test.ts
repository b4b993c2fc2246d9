/**
 * The deployed sweep, end to end against moto: the planner Lambda handler puts one message per
 * (account, region, kind) on a real SQS queue, the worker Lambda handler is driven by the event
 * source mapping's contract (test/support/sqs-lambda.ts), and the run's counters live in the state
 * table. What a user notices: every unit is swept once, the run says it is complete, violations are
 * reverted, compliant resources stay out of the audit trail, an unreachable account is counted
 * failed (not lost), and a new run supersedes an unfinished one instead of piling up behind it.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  DESCRIBERS,
  dynamoAuditStore,
  dynamoSweepRunStore,
  ensureStateTable,
  type SweepRun,
} from '@driftguard/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  credentialsInAccount,
  dynamoClient,
  ec2Client,
  motoEndpoint,
  sqsClient,
  unique,
} from '../support/aws';
import { type FaultProxy, startFaultProxy } from '../support/faults';
import { lambdaContext } from '../support/lambda';
import { drainQueue } from '../support/sqs-lambda';

const ACCOUNTS = ['262000000001', '262000000002'];
/** Its member role cannot be assumed: every unit of it fails. */
const DENIED = '262000000003';
const REGIONS = ['eu-north-1', 'ca-central-1'];
const REGIONAL = DESCRIBERS.filter((describer) => describer.scope === 'region').length;
const PER_ACCOUNT = DESCRIBERS.filter((describer) => describer.scope === 'account').length;
const unitsFor = (accounts: number) => accounts * (REGIONS.length * REGIONAL + PER_ACCOUNT);

async function openGroup(ec2: EC2Client, cidr: string): Promise<string> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const { GroupId = '' } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: unique('fanout'), Description: 'fanout', VpcId: Vpc?.VpcId }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: cidr }] }],
    }),
  );
  return GroupId;
}

const ingressCidrs = async (ec2: EC2Client, groupId: string) =>
  (
    (
      await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
      )
    ).SecurityGroupRules ?? []
  )
    .filter((rule) => !rule.IsEgress)
    .map((rule) => rule.CidrIpv4);

describe.skipIf(!motoEndpoint)('sweep fan-out: planner → SQS → worker (moto)', () => {
  const table = unique('fanout-state');
  const ddb = DynamoDBDocumentClient.from(dynamoClient());
  const runs = dynamoSweepRunStore(ddb, table);
  let sqs: SQSClient;
  let queueUrl: string;
  let proxy: FaultProxy;
  const groups: { ec2: EC2Client; open: string; closed: string }[] = [];
  let planner: typeof import('../../packages/functions/src/sweep-planner').handler;
  let worker: typeof import('../../packages/functions/src/sweep-worker').handler;

  const work = () =>
    drainQueue({
      sqs,
      queueUrl,
      handle: (event) => worker(event, lambdaContext),
      batchSize: 1,
      // Four workers, as the deployed event source runs several. moto answers DynamoDB one request
      // at a time here (the proxy's `serialize`): it applies concurrent requests without isolation
      // (test/support/repro-moto-transaction-rollback.ts), which once lost a failed unit's count.
      concurrency: 4,
      // Longer than any unit takes here, as the deployed queue's is (a unit seen again while still
      // being worked would be swept twice, though counted once).
      visibilityTimeout: 20,
      // A failed unit's next delivery comes a second after its failure instead of 20 s later: what
      // is tested is how many deliveries it gets and how it is counted, not how long SQS waits.
      retryDelay: 1,
      timeoutMs: 170_000,
    });

  beforeAll(async () => {
    await ensureStateTable(dynamoClient(), table);
    sqs = sqsClient();
    ({ QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: unique('sweep-work') }),
    ));
    for (const account of ACCOUNTS) {
      const credentials = await credentialsInAccount(account);
      for (const region of REGIONS) {
        const ec2 = ec2Client(region, credentials);
        groups.push({
          ec2,
          open: await openGroup(ec2, '0.0.0.0/0'),
          closed: await openGroup(ec2, '10.1.0.0/16'),
        });
      }
    }
    proxy = await startFaultProxy(
      motoEndpoint as string,
      { deniedAccounts: [DENIED] },
      { serialize: (call) => call.service === 'dynamodb' },
    );
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: proxy.endpoint,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_SWEEP_QUEUE_URL: queueUrl,
      DRIFTGUARD_SWEEP_ACCOUNTS: [...ACCOUNTS, DENIED].join(','),
      DRIFTGUARD_SWEEP_REGIONS: REGIONS.join(','),
      DRIFTGUARD_SWEEP_MAX_RECEIVE_COUNT: '2',
    });
    ({ handler: planner } = await import('../../packages/functions/src/sweep-planner'));
    ({ handler: worker } = await import('../../packages/functions/src/sweep-worker'));
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
  });

  let first: { runId: string; planned: number };
  let run: SweepRun | undefined;

  it('plans one message per account × region × kind, S3 kinds once per account', async () => {
    first = await planner();
    expect(first.planned).toBe(unitsFor(3));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(Number(Attributes?.ApproximateNumberOfMessages)).toBe(first.planned);
    expect(await runs.get(first.runId)).toMatchObject({ planned: first.planned, done: 0, failed: 0 });
  });

  it('works every unit once, reverts the violations and completes the run, counting the unreachable account failed', async () => {
    await work();
    run = await runs.get(first.runId);
    expect(run).toMatchObject({
      planned: unitsFor(3),
      done: unitsFor(2),
      // Every unit of the account whose role cannot be assumed, each after its last delivery.
      failed: unitsFor(1),
    });
    expect(run?.completedAt).toBeDefined();
    expect(run?.violations).toBeGreaterThanOrEqual(groups.length);
    for (const { ec2, open, closed } of groups) {
      expect(await ingressCidrs(ec2, open)).toEqual([]);
      expect(await ingressCidrs(ec2, closed)).toEqual(['10.1.0.0/16']);
    }
  }, 180_000);

  it('writes the violations to the audit trail, and none of the compliant resources it judged', async () => {
    const audit = dynamoAuditStore(ddb, table, { retentionDays: 1 });
    const records = await audit.list({ since: new Date(Date.now() - 3_600_000) });
    const swept = records.filter((record) => record.actorType === 'driftguard-sweep');
    expect(swept.length).toBeGreaterThanOrEqual(groups.length);
    expect(swept.every((record) => record.verdict === 'violation')).toBe(true);
    // The compliant groups were judged (counted as resources) but not recorded.
    const closed = new Set(groups.map((group) => group.closed));
    expect(swept.some((record) => closed.has(record.eventId.split(':').at(-1) ?? ''))).toBe(false);
    expect(run?.resources ?? 0).toBeGreaterThan(swept.length);
  });

  it('supersedes an unfinished run: the next plan reports what it never reached, and its units are skipped', async () => {
    const unfinished = await planner();
    const next = await planner();
    expect(next.previous).toEqual({ runId: unfinished.runId, unreached: unfinished.planned });
    await work();
    expect(await runs.get(unfinished.runId)).toMatchObject({ done: 0, failed: 0 });
    const latest = await runs.get(next.runId);
    expect(latest).toMatchObject({ done: unitsFor(2), failed: unitsFor(1) });
    expect(latest?.completedAt).toBeDefined();
  }, 180_000);
});
