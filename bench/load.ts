/**
 * `npm run load`: 10,000 mixed events through the local pipeline — the evaluate handler's code
 * (Powertools batch + processRecord + runtimeFromEnv) fed by a real SQS queue with a redrive policy —
 * against a moto it starts itself, with faults injected between driftguard and moto (throttling,
 * timeouts, responses lost after the call was applied, one account whose role cannot be assumed).
 *
 * The queue has the deployed queue's visibility timeout and receive limit (infra/sizing.ts); a failed
 * item comes back after RETRY_DELAY_SECONDS instead of the full visibility timeout.
 *
 * The bar: 0 events lost (each ends verified, decided, or in the DLQ), every dead letter carrying
 * the handler's reason, and 0 actions applied twice (revokes and peering deletions counted at moto).
 * Exits 1 otherwise, or when one of its motos goes away mid-run (bench/local-aws.ts). Not part of
 * `npm test`.
 *
 *   npm run load -- [--events 10000] [--pollers 8] [--throttle 0.2] [--timeouts 0.005] [--drops 0.02]
 */
import { randomUUID } from 'node:crypto';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeVpcPeeringConnectionsCommand,
  EC2Client,
  type VpcPeeringConnection,
} from '@aws-sdk/client-ec2';
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  PutBucketPolicyCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  deliveryKey,
  EventInProgressError,
  type ProcessedEvent,
  type Runtime,
  runtimeFromEnv,
} from '@driftguard/aws';
import type { Context, SQSRecord } from 'aws-lambda';
import {
  EVALUATE_TIMEOUT_SECONDS,
  MAX_RECEIVE_COUNT,
  QUEUE_VISIBILITY_TIMEOUT_SECONDS,
} from '../infra/sizing';
import { authorizeIngressEvent, cloudTrailEvent } from '../packages/cli/src/simulate/cloudtrail';
import { createPeeringEvent } from '../packages/cli/src/simulate/ec2-network';
import { bucketResource, guardDutyFindingEvent } from '../packages/cli/src/simulate/guardduty';
import { deadLetters, drainQueue, type QueueRunStats } from '../test/support/sqs-lambda';
import {
  createStateTable,
  type LocalAws,
  localClient,
  log,
  memberCredentials,
  numberOption as option,
  startStateProxy,
  useLocalEnvironment,
  withLocalAws,
} from './local-aws';

useLocalEnvironment();

const EVENTS = option('events', 10_000);
const POLLERS = option('pollers', 16);
const THROTTLE = option('throttle', 0.2);
const TIMEOUTS = option('timeouts', 0.005);
const DROPS = option('drops', 0.02);
/**
 * A delivery's claim on an event (longer than a delivery takes here, p99 ~20 s under the faults).
 * Deployed, a failed item comes back after the visibility timeout (360 s), well after the claim of
 * the delivery that failed has expired (120 s) if it could not be released; the harness brings the
 * retry forward but keeps that order, so a retry never meets a claim left by a finished delivery.
 */
const DEDUPE_LOCK_SECONDS = 25;
const RETRY_DELAY_SECONDS = DEDUPE_LOCK_SECONDS + 5;

const ACCOUNTS = Array.from({ length: 10 }, (_, index) => `2500000000${String(index + 10)}`);
const DENIED = '250000000009';
/** A vendor outside the organization that member VPCs ask to peer with. */
const OUTSIDE = '390000000001';
const REGIONS = ['us-east-1', 'eu-west-1'];

type Kind =
  | 'violation'
  | 'compliant'
  | 'not-applicable'
  | 'ignored'
  | 'finding'
  | 'policy-newer'
  | 'peering'
  | 'policy-older'
  | 'denied'
  | 'bad';

interface Planned {
  kind: Kind;
  body: string;
  key: string;
  /** What must hold at moto afterwards. */
  groupId?: string;
  /** The rule the event added (violations: must be gone afterwards). */
  ruleId?: string;
  /** A peering requested to an account outside the organization (must be deleted afterwards). */
  peeringId?: string;
  account?: string;
  region?: string;
  bucket?: string;
}

function safeParse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Ids, event ids and accounts out of a message, so the same failure reads the same for every event. */
const generic = (text: string) => text.replace(/sg-[0-9a-f]+|pcx-[0-9a-f]+|[0-9a-f-]{36}|\d{12}/g, '…');

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);

async function main(): Promise<number> {
  const started = Date.now();
  return withLocalAws('the load run', (aws) => run(aws, started));
}

async function run(aws: LocalAws, started: number): Promise<number> {
  const endpoint = aws.world;
  // Imported once the environment above is set: the handler's logger reads it when it loads.
  const { processRecord } = await import('../packages/functions/src/evaluate');
  const credentialsIn = memberCredentials(endpoint, 'load-setup');

  // ── The world, made directly in moto (no faults) ──────────────────────────────────────────
  const share = (fraction: number) => Math.round(EVENTS * fraction);
  const plan: Planned[] = [];
  // Each group: two rules opened to the internet (violations) and two to trusted networks (compliant).
  const groupsNeeded = Math.ceil(share(0.15) / 2);
  const partitions = ACCOUNTS.flatMap((account) => REGIONS.map((region) => ({ account, region })));
  const ec2s = new Map<string, EC2Client>();
  for (const { account, region } of partitions)
    ec2s.set(
      `${account}/${region}`,
      new EC2Client({ ...localClient(endpoint, region), credentials: await credentialsIn(account) }),
    );
  const vpcs = new Map<string, string>();
  for (const [key, ec2] of ec2s)
    vpcs.set(key, (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId as string);
  log(
    `setup: ${groupsNeeded} security groups with two open and one trusted rule each, across ${partitions.length} account/regions…`,
  );
  let made = 0;
  const makeGroup = async (index: number) => {
    const { account, region } = partitions[index % partitions.length] as { account: string; region: string };
    const ec2 = ec2s.get(`${account}/${region}`) as EC2Client;
    const { GroupId } = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `load-${index}`,
        Description: 'load',
        VpcId: vpcs.get(`${account}/${region}`),
      }),
    );
    const groupId = GroupId as string;
    const add = async (port: number, cidr: string, kind: Kind) => {
      const permissions = [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: cidr }] }];
      const { SecurityGroupRules = [] } = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: permissions }),
      );
      const event = authorizeIngressEvent({
        account,
        region,
        groupId,
        permissions,
        addedRules: SecurityGroupRules,
      });
      plan.push({
        kind,
        body: JSON.stringify(event),
        key: deliveryKey(event) as string,
        groupId,
        ruleId: SecurityGroupRules[0]?.SecurityGroupRuleId as string,
        account,
        region,
      });
    };
    await add(22, '0.0.0.0/0', 'violation');
    await add(3389, '198.51.100.0/24', 'violation');
    await add(443, '10.0.0.0/8', 'compliant');
    await add(8443, '172.16.0.0/12', 'compliant');
    made += 1;
    if (made % 250 === 0) log(`  ${made}/${groupsNeeded} groups`);
  };
  for (let index = 0; index < groupsNeeded; index += 16)
    await Promise.all(
      Array.from({ length: Math.min(16, groupsNeeded - index) }, (_, offset) => makeGroup(index + offset)),
    );

  const buckets = Math.ceil(share(0.04) / 2);
  log(`setup: ${buckets} buckets whose policy was made public, then fixed (events delivered in any order)…`);
  const s3 = new S3Client({
    ...localClient(endpoint),
    forcePathStyle: true,
    credentials: await credentialsIn(ACCOUNTS[0] as string),
  });
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
  for (let index = 0; index < buckets; index++) {
    const bucket = `load-${index}-${randomUUID().slice(0, 8)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const statement = (principal: unknown) => ({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: principal,
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${bucket}/*`,
        },
      ],
    });
    const fixed = statement({ AWS: `arn:aws:iam::${ACCOUNTS[0]}:root` });
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(fixed) }));
    for (const [kind, policy, minutes] of [
      ['policy-older', statement('*'), 10],
      ['policy-newer', fixed, 2],
    ] as const) {
      const event = cloudTrailEvent({
        eventSource: 's3.amazonaws.com',
        eventName: 'PutBucketPolicy',
        account: ACCOUNTS[0] as string,
        region: 'us-east-1',
        eventTime: minutesAgo(minutes),
        requestParameters: { bucketName: bucket, bucketPolicy: policy },
        responseElements: null,
      });
      plan.push({ kind, body: JSON.stringify(event), key: deliveryKey(event) as string, bucket });
    }
  }
  const fill = (kind: Kind, count: number, make: (index: number) => Record<string, unknown> | string) => {
    for (let index = 0; index < count; index++) {
      const event = make(index);
      const body = typeof event === 'string' ? event : JSON.stringify(event);
      plan.push({
        kind,
        body,
        key: typeof event === 'string' ? `bad-${index}` : (deliveryKey(event) ?? `bad-${index}`),
      });
    }
  };
  const peerings = share(0.02);
  log(`setup: ${peerings} peering requests from member VPCs to a vendor outside the organization…`);
  const vendorVpcs = new Map<string, string>();
  for (const region of REGIONS) {
    const vendor = new EC2Client({
      ...localClient(endpoint, region),
      credentials: await credentialsIn(OUTSIDE),
    });
    const { Vpc } = await vendor.send(new CreateVpcCommand({ CidrBlock: '172.30.0.0/16' }));
    vendorVpcs.set(region, Vpc?.VpcId as string);
  }
  for (let index = 0; index < peerings; index++) {
    const { account, region } = partitions[index % partitions.length] as { account: string; region: string };
    const ec2 = ec2s.get(`${account}/${region}`) as EC2Client;
    const request = {
      VpcId: vpcs.get(`${account}/${region}`) as string,
      PeerVpcId: vendorVpcs.get(region) as string,
      PeerOwnerId: OUTSIDE,
    };
    const { VpcPeeringConnection } = await ec2.send(new CreateVpcPeeringConnectionCommand(request));
    const connection = VpcPeeringConnection as VpcPeeringConnection;
    const event = createPeeringEvent({ account, region, request, connection });
    plan.push({
      kind: 'peering',
      body: JSON.stringify(event),
      key: deliveryKey(event) as string,
      peeringId: connection.VpcPeeringConnectionId as string,
      account,
      region,
    });
  }
  const someAccount = (index: number) => ACCOUNTS[index % ACCOUNTS.length] as string;
  fill('denied', share(0.01), (index) =>
    authorizeIngressEvent({
      account: DENIED,
      region: 'us-east-1',
      groupId: `sg-0${index.toString(16).padStart(16, '0')}`,
      permissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  fill('finding', share(0.1), (index) =>
    guardDutyFindingEvent({
      type: 'Policy:S3/BucketAnonymousAccessGranted',
      severity: [2, 5, 8][index % 3] as number,
      account: someAccount(index),
      region: 'us-east-1',
      resource: bucketResource(`finding-bucket-${index}`),
    }),
  );
  fill('not-applicable', share(0.08), (index) =>
    cloudTrailEvent({
      eventSource: 'ec2.amazonaws.com',
      eventName: ['RunInstances', 'CreateTags', 'DescribeInstances'][index % 3] as string,
      account: someAccount(index),
      region: 'us-east-1',
      requestParameters: {},
      responseElements: {},
    }),
  );
  fill('ignored', share(0.02), (index) =>
    cloudTrailEvent({
      eventSource: 'ec2.amazonaws.com',
      eventName: 'AuthorizeSecurityGroupIngress',
      account: someAccount(index),
      region: 'us-east-1',
      requestParameters: { groupId: 'sg-0123456789abcdef0' },
      responseElements: null,
      errorCode: 'Client.UnauthorizedOperation',
    }),
  );
  fill(
    'bad',
    share(0.03),
    (index) =>
      [
        '{"detail": ',
        JSON.stringify({ 'detail-type': 'Something Else', detail: {} }),
        JSON.stringify({ 'detail-type': 'AWS API Call via CloudTrail', detail: { eventName: 'x' } }),
        'not json at all',
      ][index % 4] as string,
  );
  // At least once: the rest of the 10,000 are redeliveries of events already planned.
  const unique = [...plan];
  const bodies = plan.map((item) => item.body);
  while (bodies.length < EVENTS)
    bodies.push((unique[Math.floor(Math.random() * unique.length)] as Planned).body);
  bodies.sort(() => Math.random() - 0.5);
  const duplicatesSent = bodies.length - unique.length;

  // ── Queue, DLQ, state table ────────────────────────────────────────────────────────────────
  const sqs = new SQSClient(localClient(endpoint));
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'load-dlq' }))).QueueUrl as string;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueUrl = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: 'load-events',
        Attributes: {
          VisibilityTimeout: String(QUEUE_VISIBILITY_TIMEOUT_SECONDS),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: Attributes?.QueueArn,
            maxReceiveCount: MAX_RECEIVE_COUNT,
          }),
        },
      }),
    )
  ).QueueUrl as string;
  await createStateTable(aws, 'load-state');

  const { proxy } = await startStateProxy(
    aws,
    {
      throttle: THROTTLE,
      timeout: TIMEOUTS,
      drop: DROPS,
      deniedAccounts: [DENIED],
      seed: 2024,
    },
    // As before the support module: concurrent, the load run's faults are what it measures.
    { serializeState: false },
  );
  const results = new Map<string, { result: ProcessedEvent; at: number }[]>();
  const counters = { inFlightDuplicates: 0 };
  /** Deliveries that failed (retried by the queue), by error. */
  const failures = new Map<string, number>();
  /** Per event, what each delivery ended in: shown for any event that misses the bar. */
  const trail = new Map<string, string[]>();
  const mark = (key: string, what: string) => trail.set(key, [...(trail.get(key) ?? []), what]);
  const inner = runtimeFromEnv({
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_REGION: 'us-east-1',
    DRIFTGUARD_TABLE: 'load-state',
    DRIFTGUARD_DLQ_URL: dlqUrl,
    DRIFTGUARD_READ_ORGANIZATION: 'false',
    DRIFTGUARD_MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
    DRIFTGUARD_REQUEST_TIMEOUT_MS: '2000',
    DRIFTGUARD_DEDUPE_LOCK_SECONDS: String(DEDUPE_LOCK_SECONDS),
    DRIFTGUARD_CONFIG: JSON.stringify({ trustedAccounts: [...ACCOUNTS, DENIED] }),
  });
  /** Bodies whose dead letter the handler could not write (SQS's redrive then moves them bare), with why. */
  const deadLetterWritesFailed = new Map<string, string>();
  const { deadLetter } = inner;
  const runtime: Runtime = {
    ...inner,
    ...(deadLetter && {
      deadLetter: async (body: string, reason: string) => {
        try {
          await deadLetter(body, reason);
        } catch (error) {
          deadLetterWritesFailed.set(body, `${(error as Error).name}: ${(error as Error).message}`);
          throw error;
        }
      },
    }),
    pipeline: {
      async process(input, context) {
        const key = deliveryKey(input) ?? 'unknown';
        try {
          const result = await inner.pipeline.process(input, context);
          results.set(key, [...(results.get(key) ?? []), { result, at: Date.now() }]);
          mark(key, `${result.outcome.status}${result.duplicate ? ' (duplicate)' : ''}`);
          return result;
        } catch (error) {
          mark(key, `${(error as Error).name}: ${(error as Error).message.slice(0, 100)}`);
          if (error instanceof EventInProgressError) counters.inFlightDuplicates += 1;
          else {
            const what = generic(`${(error as Error).name}: ${(error as Error).message}`).slice(0, 120);
            failures.set(what, (failures.get(what) ?? 0) + 1);
          }
          throw error;
        }
      },
    },
  };

  // A producer keeps at most BACKLOG messages outstanding, like a live stream rather than a dump:
  // moto walks the whole queue on every receive, and a time to outcome measured behind a backlog of
  // thousands would only measure the backlog.
  const BACKLOG = 200;
  const sentAt = new Map<string, number>();
  let produced = 0;
  let deleted = 0;
  let producing = true;
  log(
    `sending ${bodies.length} events (${unique.length} distinct, ${duplicatesSent} redeliveries), at most ${BACKLOG} outstanding, ${POLLERS} pollers, faults on…`,
  );
  const producer = (async () => {
    for (let index = 0; index < bodies.length; index += 10) {
      while (produced - deleted >= BACKLOG) await new Promise((resolve) => setTimeout(resolve, 20));
      const chunk = bodies.slice(index, index + 10);
      const now = Date.now();
      for (const body of chunk) {
        const key = deliveryKey(safeParse(body)) ?? body;
        if (!sentAt.has(key)) sentAt.set(key, now);
      }
      const { Failed = [] } = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((body, offset) => ({ Id: String(offset), MessageBody: body })),
        }),
      );
      // An event the harness failed to enqueue would later look lost: stop instead.
      if (Failed.length > 0)
        throw new Error(
          `could not enqueue ${Failed.length} event(s): ${Failed[0]?.Code} ${Failed[0]?.Message}`,
        );
      produced += chunk.length;
    }
  })().finally(() => {
    producing = false;
  });
  const enqueued = Date.now();
  const context = {
    functionName: 'driftguard-evaluate',
    getRemainingTimeInMillis: () => EVALUATE_TIMEOUT_SECONDS * 1000,
  } as Context;
  /** How long each batch took: nothing cuts one off here, Lambda would at the function timeout. */
  const batchMs: number[] = [];
  let processed = 0;
  const ticker = setInterval(() => {
    const elapsed = (Date.now() - enqueued) / 1000;
    log(
      `  ${processed} records handled in ${elapsed.toFixed(0)} s (${(processed / elapsed).toFixed(0)}/s), ${produced}/${bodies.length} sent; faults: ${proxy.stats.throttled} throttled, ${proxy.stats.timedOut} timed out, ${proxy.stats.dropped} lost responses`,
    );
  }, 10_000);
  const drainStart = Date.now();
  let queueStats: QueueRunStats | undefined;
  const draining = drainQueue({
    sqs,
    queueUrl,
    concurrency: POLLERS,
    // As deployed: a message is hidden while a delivery works on it for 6 × the function timeout.
    visibilityTimeout: QUEUE_VISIBILITY_TIMEOUT_SECONDS,
    retryDelay: RETRY_DELAY_SECONDS,
    // Generous: about 9 events/s on a loaded 2-core machine.
    timeoutMs: Math.max(30, EVENTS / 200) * 60_000,
    producing: () => producing,
    onBatch: (size, failed) => {
      processed += size;
      deleted += size - failed;
    },
    handle: async (event) => {
      const begun = Date.now();
      try {
        return await processPartialResponse(
          event,
          (record: SQSRecord) => {
            const key = deliveryKey(safeParse(record.body)) ?? 'unknown';
            mark(
              key,
              `received (${record.attributes.ApproximateReceiveCount}) ${record.messageId.slice(0, 8)}`,
            );
            return processRecord(record, runtime);
          },
          new BatchProcessor(EventType.SQS),
          {
            context,
          },
        );
      } finally {
        batchMs.push(Date.now() - begun);
      }
    },
  });
  // Either failing fails the run with its own error (awaiting one alone would leave the other's
  // failure unhandled, and a crash on whatever error came last).
  try {
    [, queueStats] = await Promise.all([producer, draining]);
  } finally {
    clearInterval(ticker);
  }
  const drained = Date.now();

  // ── What happened ─────────────────────────────────────────────────────────────────────────
  // Read with a long visibility timeout: nothing must reappear while the letters are counted.
  const letters = await deadLetters(sqs, dlqUrl, 300);
  const lettered = new Set(letters.map((letter) => letter.body));
  for (const letter of letters)
    mark(deliveryKey(safeParse(letter.body)) ?? 'unknown', `in the DLQ: ${letter.reason ?? 'no reason'}`);
  const final = (key: string) =>
    (results.get(key) ?? []).find(
      ({ result }) => !result.duplicate && result.outcome.status !== 'revert-failed',
    );
  // Processed: a final outcome, or a duplicate answered from the marker of a completed delivery.
  const processedAtAll = (key: string) =>
    (results.get(key) ?? []).some(({ result }) => result.outcome.status !== 'revert-failed');
  const lost = unique.filter((item) => !processedAtAll(item.key) && !lettered.has(item.body));
  const withoutReason = letters.filter((letter) => !letter.reason);
  const { Attributes: leftover } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );

  // Ground truth at moto: the rule of every violation is gone unless its event is in the DLQ; no
  // rule was revoked twice.
  const doubleActions = [...proxy.stats.revoked.values()].filter((count) => count > 1).length;
  const stillOpen: Planned[] = [];
  const byGroup = new Map<string, Planned[]>();
  for (const item of unique)
    if (item.kind === 'violation' && !lettered.has(item.body))
      byGroup.set(item.groupId as string, [...(byGroup.get(item.groupId as string) ?? []), item]);
  const checks = [...byGroup.values()];
  for (let index = 0; index < checks.length; index += 32) {
    await Promise.all(
      checks.slice(index, index + 32).map(async (items) => {
        const first = items[0] as Planned;
        const ec2 = ec2s.get(`${first.account}/${first.region}`) as EC2Client;
        const { SecurityGroupRules = [] } = await ec2.send(
          new DescribeSecurityGroupRulesCommand({
            Filters: [{ Name: 'group-id', Values: [first.groupId as string] }],
          }),
        );
        const live = new Set(SecurityGroupRules.map((rule) => rule.SecurityGroupRuleId));
        for (const item of items) if (live.has(item.ruleId)) stillOpen.push(item);
      }),
    );
  }
  // Every peering to the vendor is gone (deleted, or rejected) unless its event is in the DLQ.
  for (const item of unique)
    if (item.kind === 'peering' && !lettered.has(item.body)) {
      const ec2 = ec2s.get(`${item.account}/${item.region}`) as EC2Client;
      const { VpcPeeringConnections = [] } = await ec2.send(
        new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [item.peeringId as string] }),
      );
      const status = VpcPeeringConnections[0]?.Status?.Code;
      if (status !== 'deleted' && status !== 'rejected') stillOpen.push(item);
    }
  let policiesUndone = 0;
  for (const item of unique.filter((candidate) => candidate.kind === 'policy-newer')) {
    const { Policy } = await s3.send(new GetBucketPolicyCommand({ Bucket: item.bucket as string }));
    if (Policy?.includes('"*"')) policiesUndone += 1;
  }

  const finals = unique.map((item) => ({ item, done: final(item.key) })).filter((entry) => entry.done);
  const byOutcome = new Map<string, number>();
  for (const { done } of finals)
    byOutcome.set(
      done?.result.outcome.status ?? '?',
      (byOutcome.get(done?.result.outcome.status ?? '?') ?? 0) + 1,
    );
  const verified = finals.filter(({ done }) => done?.result.outcome.verified);
  const duplicatesSuppressed = [...results.values()].flat().filter(({ result }) => result.duplicate).length;
  const processing = verified.map(({ done }) => done?.result.processingMs ?? 0).sort((a, b) => a - b);
  const endToEnd = verified
    .map(({ item, done }) => (done?.at ?? 0) - (sentAt.get(item.key) ?? enqueued))
    .sort((a, b) => a - b);
  const seconds = (drained - drainStart) / 1000;

  const lines = [
    '',
    `driftguard load run: ${bodies.length} events (${unique.length} distinct + ${duplicatesSent} redeliveries), ${POLLERS} pollers, batches of 10`,
    `faults between driftguard and moto: ${(THROTTLE * 100).toFixed(0)} % throttled, ${(TIMEOUTS * 100).toFixed(1)} % unanswered (2 s client timeout), ${(DROPS * 100).toFixed(0)} % answers lost after the call was applied, AssumeRole denied in ${DENIED}`,
    `  calls: ${proxy.stats.calls} (${proxy.stats.throttled} throttled, ${proxy.stats.timedOut} timed out, ${proxy.stats.dropped} lost after apply, ${proxy.stats.denied} denied)`,
    `throughput: ${(bodies.length / seconds).toFixed(1)} events/s (${seconds.toFixed(1)} s to drain the queue; ${((drained - started) / 1000).toFixed(0)} s in all with setup)`,
    `batches: ${batchMs.length}, longest ${(Math.max(0, ...batchMs) / 1000).toFixed(1)} s; ${batchMs.filter((ms) => ms > EVALUATE_TIMEOUT_SECONDS * 1000).length} took longer than the function timeout (${EVALUATE_TIMEOUT_SECONDS} s), where Lambda would have cut them off; ${queueStats?.refused ?? 0} deletes or visibility changes SQS refused`,
    `time to verified outcome, from receipt (pipeline): p50 ${percentile(processing, 50)} ms · p99 ${percentile(processing, 99)} ms`,
    `time to verified outcome, from the event's first enqueue (queue wait included): p50 ${(percentile(endToEnd, 50) / 1000).toFixed(1)} s · p99 ${(percentile(endToEnd, 99) / 1000).toFixed(1)} s`,
    `outcomes of the ${unique.length} distinct events: ${[...byOutcome.entries()].map(([status, count]) => `${status} ${count}`).join(', ')}`,
    `  verified: ${verified.length}`,
    `  duplicates suppressed: ${duplicatesSuppressed} answered from the dedupe record + ${counters.inFlightDuplicates} found in flight and retried`,
    ...deadLetterReport(letters, deadLetterWritesFailed),
    `  failed deliveries (retried by the queue): ${
      [...failures.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([what, count]) => `${count}× ${what}`)
        .join(' | ') || 'none'
    }`,
    `lost: ${lost.length}   dead letters without a reason: ${withoutReason.length}   double actions: ${doubleActions}   open rules or peerings left unreverted: ${stillOpen.length}   left in the queue: ${Number(leftover?.ApproximateNumberOfMessages ?? 0) + Number(leftover?.ApproximateNumberOfMessagesNotVisible ?? 0)}   older policies that undid a newer one: ${policiesUndone}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (process.argv.includes('--timings')) {
    const slow = [...proxy.stats.upstreamMs.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12);
    for (const [action, { calls, ms }] of slow)
      log(
        `  moto ${action}: ${calls} calls, ${(ms / calls).toFixed(0)} ms mean, ${(ms / 1000).toFixed(1)} s total`,
      );
  }
  await proxy.close();
  const ok =
    lost.length === 0 &&
    withoutReason.length === 0 &&
    doubleActions === 0 &&
    stillOpen.length === 0 &&
    policiesUndone === 0;
  if (!ok) {
    for (const item of [...lost, ...stillOpen].slice(0, 10))
      log(
        `${lost.includes(item) ? 'lost' : 'still open'}: ${item.kind} ${item.key} ${JSON.stringify(trail.get(item.key) ?? [])}`,
      );
    for (const letter of withoutReason.slice(0, 10)) {
      const key = deliveryKey(safeParse(letter.body)) ?? letter.body.slice(0, 60);
      log(`dead letter without a reason: ${key} ${JSON.stringify(trail.get(key) ?? [])}`);
    }
    log('FAILED the bar: 0 lost, every dead letter with its reason, 0 double actions, nothing left open');
  }
  return ok ? 0 : 1;
}

/**
 * Dead letters by reason (deliveries and distinct events), the handler's own letters first. A
 * letter without a reason was moved by SQS's redrive: either the handler's DLQ write failed on the
 * last delivery (the reason is then only in its log), or that delivery never finished in time.
 */
function deadLetterReport(
  letters: { body: string; reason?: string }[],
  writesFailed: Map<string, string>,
): string[] {
  const byReason = new Map<string, { deliveries: number; events: Set<string> }>();
  for (const letter of letters) {
    const reason = letter.reason ? generic(letter.reason).slice(0, 110) : '';
    const entry = byReason.get(reason) ?? { deliveries: 0, events: new Set<string>() };
    entry.deliveries += 1;
    entry.events.add(letter.body);
    byReason.set(reason, entry);
  }
  const bare = letters.filter((letter) => !letter.reason);
  const afterFailedWrite = bare.filter((letter) => writesFailed.has(letter.body));
  const why = [...new Set(afterFailedWrite.map((letter) => generic(writesFailed.get(letter.body) ?? '')))];
  return [
    `dead letters: ${letters.length} deliveries of ${new Set(letters.map((letter) => letter.body)).size} distinct events, by reason:`,
    ...[...byReason.entries()]
      .filter(([reason]) => reason !== '')
      .sort((a, b) => b[1].deliveries - a[1].deliveries)
      .map(([reason, { deliveries, events }]) => `  ${deliveries} (${events.size} events) ${reason}`),
    `  ${bare.length} without a reason${
      bare.length === 0
        ? ''
        : `: ${afterFailedWrite.length} after the handler's own DLQ write failed (${why.slice(0, 3).join(' | ')}), ${bare.length - afterFailedWrite.length} whose last delivery did not finish before SQS's redrive`
    }`,
  ];
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
