/**
 * `npm run bench:sweep`: the deployed sweep's own code — the planner and worker Lambda handlers —
 * against moto for a synthetic organization, fed through a real SQS queue by the event source
 * mapping's contract (test/support/sqs-lambda.ts). Reports units/s, units/s per worker, the AWS
 * calls per unit (counted at a proxy in front of moto) and what that extrapolates to for 300
 * accounts × 17 regions at the deployed worker concurrency. `--write-readme` puts the figures into
 * README.md between its `sweep-sim` markers.
 *
 * moto is not AWS: it answers in a few milliseconds on one core, has no throttling and no
 * cross-region latency. The measured rate says what driftguard's own code costs per unit; the
 * AWS-latency estimate beside it multiplies the counted calls by an assumed per-call latency.
 *
 *   npm run bench:sweep -- [--accounts 4] [--regions 3] [--groups 12] [--workers 4] [--write-readme]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DESCRIBERS, dynamoSweepRunStore } from '@driftguard/aws';
import { DEFAULT_SWEEP_CONCURRENCY, SWEEP_MAX_RECEIVE_COUNT } from '../infra/sizing';
import { lambdaContext } from '../test/support/lambda';
import { drainQueue } from '../test/support/sqs-lambda';
import {
  createStateTable,
  type DynamoTally,
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

const ACCOUNT_COUNT = option('accounts', 4);
const REGION_COUNT = option('regions', 3);
/** Security groups per account and region (one of them open to the internet). */
const GROUPS = option('groups', 12);
const WORKERS = option('workers', 4);
/** Assumed median latency of one AWS read or write from Lambda, for the AWS estimate. */
const AWS_CALL_MS = option('aws-call-ms', 60);
const ORG = { accounts: 300, regions: 17 };

const ALL_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'eu-central-1', 'us-west-2'];
const REGIONS = ALL_REGIONS.slice(0, REGION_COUNT);
const ACCOUNTS = Array.from(
  { length: ACCOUNT_COUNT },
  (_, index) => `27000000${String(index).padStart(4, '0')}`,
);
const REGIONAL = DESCRIBERS.filter((describer) => describer.scope === 'region').length;
const PER_ACCOUNT = DESCRIBERS.filter((describer) => describer.scope === 'account').length;
const unitsOf = (accounts: number, regions: number) => accounts * (regions * REGIONAL + PER_ACCOUNT);

const ORG_PINNED = (bucket: string, account: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'OwnAccount',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
      },
    ],
  });
const PUBLIC = (bucket: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Public',
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucket}/*`,
      },
    ],
  });

/** Per account and region: a VPC, GROUPS security groups (one open), a gateway endpoint, two snapshots; per account: five buckets (one public) and three roles. */
async function buildOrganization(endpoint: string) {
  const credentialsIn = memberCredentials(endpoint, 'sweep-sim-setup');
  let resources = 0;
  await Promise.all(
    ACCOUNTS.map(async (account) => {
      const credentials = await credentialsIn(account);
      for (const region of REGIONS) {
        const ec2 = new EC2Client({ ...localClient(endpoint, region), credentials });
        const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
        for (let group = 0; group < GROUPS; group++) {
          const { GroupId } = await ec2.send(
            new CreateSecurityGroupCommand({
              GroupName: `app-${group}`,
              Description: 'app',
              VpcId: Vpc?.VpcId,
            }),
          );
          const cidr = group === 0 ? '0.0.0.0/0' : `10.${group}.0.0/16`;
          await ec2.send(
            new AuthorizeSecurityGroupIngressCommand({
              GroupId,
              IpPermissions: [
                { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: cidr }] },
              ],
            }),
          );
        }
        await ec2.send(
          new CreateVpcEndpointCommand({
            VpcId: Vpc?.VpcId,
            ServiceName: `com.amazonaws.${region}.s3`,
            VpcEndpointType: 'Gateway',
            PolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: '*',
                  Action: 's3:*',
                  Resource: '*',
                  Condition: { StringEquals: { 'aws:ResourceAccount': account } },
                },
              ],
            }),
          }),
        );
        for (let snapshot = 0; snapshot < 2; snapshot++) {
          const { VolumeId } = await ec2.send(
            new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: 8 }),
          );
          await ec2.send(new CreateSnapshotCommand({ VolumeId }));
        }
        // The default group of the VPC and of the default VPC are swept too.
        resources += GROUPS + 1 + 2;
      }
      const s3 = new S3Client({ ...localClient(endpoint), credentials, forcePathStyle: true });
      for (let index = 0; index < 5; index++) {
        const bucket = `sim-${account}-${index}`;
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        await s3.send(
          new PutBucketPolicyCommand({
            Bucket: bucket,
            Policy: index === 0 ? PUBLIC(bucket) : ORG_PINNED(bucket, account),
          }),
        );
      }
      const iam = new IAMClient({ ...localClient(endpoint), credentials });
      for (let index = 0; index < 3; index++) {
        await iam.send(
          new CreateRoleCommand({
            RoleName: `app-${index}`,
            AssumeRolePolicyDocument: JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
              ],
            }),
          }),
        );
      }
      resources += 5 + 3;
    }),
  );
  return resources;
}

interface RunFigures {
  units: number;
  seconds: number;
  unitsPerSecond: number;
  callsPerUnit: number;
  byService: [string, number][];
  /** DynamoDB calls per unit, by operation and kind of item. */
  dynamo: [string, number][];
  resources: number;
  violations: number;
  failed: number;
  /** The machine's 1-minute load average during the run, sampled every 10 s: [min, mean, max]. */
  load: [number, number, number];
}

async function simulate(aws: LocalAws): Promise<{ first: RunFigures; steady: RunFigures }> {
  log(`building ${ACCOUNT_COUNT} accounts × ${REGIONS.length} regions (${GROUPS} security groups each) …`);
  const built = await buildOrganization(aws.world);
  log(`  ${built} resources`);
  const table = 'sweep-sim-state';
  await createStateTable(aws, table);
  const sqs = new SQSClient(localClient(aws.world));
  const { QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'sweep-sim-work' }));
  const { proxy, dynamo } = await startStateProxy(aws);
  try {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: proxy.endpoint,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_SWEEP_QUEUE_URL: queueUrl,
      DRIFTGUARD_SWEEP_ACCOUNTS: ACCOUNTS.join(','),
      DRIFTGUARD_SWEEP_REGIONS: REGIONS.join(','),
      DRIFTGUARD_SWEEP_MAX_RECEIVE_COUNT: String(SWEEP_MAX_RECEIVE_COUNT),
      // DynamoDB requests wait their turn at the proxy: a queue, not a slow service.
      DRIFTGUARD_REQUEST_TIMEOUT_MS: '120000',
    });
    const { handler: planner } = await import('../packages/functions/src/sweep-planner');
    const { handler: worker } = await import('../packages/functions/src/sweep-worker');
    const runs = dynamoSweepRunStore(
      DynamoDBDocumentClient.from(new DynamoDBClient(localClient(aws.state))),
      table,
    );
    /** One run, planned and worked to the end; what it cost. */
    const sweepOnce = async (label: string): Promise<RunFigures> => {
      const plan = await planner();
      log(`${label}: ${plan.planned} units, ${WORKERS} workers …`);
      proxy.reset();
      dynamo.clear();
      const started = Date.now();
      let handled = 0;
      let retried = 0;
      const loads = [loadavg()[0] ?? 0];
      const sampler = setInterval(() => loads.push(loadavg()[0] ?? 0), 10_000);
      /** Units being worked on, by message id: what a stalled run is waiting for. */
      const working = new Map<string, { body: string; since: number }>();
      let lastHandled = Date.now();
      const watchdog = setInterval(async () => {
        const now = Date.now();
        if (now - lastHandled > 30_000) {
          const { Attributes } = await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: queueUrl,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
            }),
          );
          log(
            `  watchdog: nothing handled for ${((now - lastHandled) / 1000).toFixed(0)} s; queue: ${Attributes?.ApproximateNumberOfMessages} visible, ${Attributes?.ApproximateNumberOfMessagesNotVisible} in flight; ${working.size} being worked on`,
          );
        }
        const stuck = [...working.values()].filter(({ since }) => now - since > 30_000);
        const calls = proxy.inFlight().filter(({ ms }) => ms > 20_000);
        if (stuck.length === 0 && calls.length === 0) return;
        log(`  watchdog: ${working.size} units in progress, ${stuck.length} for over 30 s:`);
        for (const { body, since } of stuck.slice(0, 6))
          log(`    ${((now - since) / 1000).toFixed(0)} s  ${body}`);
        for (const call of calls.slice(0, 6))
          log(
            `    unanswered ${call.service} ${call.action} for ${(call.ms / 1000).toFixed(0)} s: ${call.body}`,
          );
      }, 15_000);
      const delivery = await drainQueue({
        sqs,
        queueUrl,
        handle: async (event) => {
          for (const record of event.Records)
            working.set(record.messageId, { body: record.body, since: Date.now() });
          try {
            return await worker(event, lambdaContext);
          } finally {
            for (const record of event.Records) working.delete(record.messageId);
          }
        },
        batchSize: 1,
        concurrency: WORKERS,
        // A unit stays hidden while it is worked on, as with the deployed queue's 30 minutes (a unit
        // slow in moto is not delivered twice, which would add calls); a receive whose answer was
        // lost comes back after a minute instead of stalling the run for thirty.
        keepHidden: 60,
        // A unit that failed (moto on a loaded machine can time a call out) comes back at once,
        // as it would after its retry in AWS, instead of after the 30-minute timeout.
        retryDelay: 1,
        onBatch: (size, failed) => {
          lastHandled = Date.now();
          handled += size;
          retried += failed;
          if (handled % 100 < size) log(`  ${handled} deliveries, ${retried} failed and retried`);
        },
        timeoutMs: 3_600_000,
      });
      clearInterval(sampler);
      clearInterval(watchdog);
      if (delivery.retriedReceives > 0)
        log(
          `  ${delivery.retriedReceives} receives sent again by the SDK (messages handed out may have come back later)`,
        );
      if (delivery.refused > 0)
        log(`  SQS refused ${delivery.refused} deletes or visibility changes (stale receipt handles)`);
      const seconds = (Date.now() - started) / 1000;
      const run = await runs.get(plan.runId);
      if (!run?.completedAt || run.done + run.failed !== plan.planned)
        throw new Error(`the run did not complete: ${JSON.stringify(run)}`);
      // The harness's own queue calls (receive, delete, attribute polls) stand in for Lambda's event
      // source mapping, which is not the function's calls: SQS is left out.
      const byService = [...proxy.stats.byService.entries()].filter(([service]) => service !== 'sqs');
      const calls = byService.reduce((sum, [, count]) => sum + count, 0);
      const slowest = [...proxy.stats.upstreamMs.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, 6);
      log(
        `  ${seconds.toFixed(1)} s; moto time by action: ${slowest.map(([action, t]) => `${action} ${t.calls}× ${(t.ms / t.calls).toFixed(0)} ms`).join(', ')}`,
      );
      const perUnit = (tally: DynamoTally | [string, number][]) =>
        [...tally]
          .map(([label, count]): [string, number] => [label, count / plan.planned])
          .sort((x, y) => y[1] - x[1]);
      const figures: RunFigures = {
        units: plan.planned,
        seconds,
        unitsPerSecond: plan.planned / seconds,
        callsPerUnit: calls / plan.planned,
        byService: perUnit(byService),
        dynamo: perUnit(dynamo),
        resources: run.resources,
        violations: run.violations,
        failed: run.failed,
        load: [
          Math.min(...loads),
          loads.reduce((sum, value) => sum + value, 0) / loads.length,
          Math.max(...loads),
        ],
      };
      log(
        `  DynamoDB calls per unit: ${figures.dynamo.map(([label, n]) => `${label} ${n.toFixed(2)}`).join(', ')}`,
      );
      return figures;
    };
    const first = await sweepOnce('first sweep (pre-existing drift reverted)');
    const steady = await sweepOnce('steady state (the next sweep)');
    return { first, steady };
  } finally {
    await proxy.close();
  }
}

const ORG_UNITS = unitsOf(ORG.accounts, ORG.regions);
/** Minutes for the organization's units at the deployed concurrency, at moto's per-worker rate. */
const orgMinutesAtMotoRate = (run: RunFigures) =>
  ORG_UNITS / ((run.unitsPerSecond / WORKERS) * DEFAULT_SWEEP_CONCURRENCY) / 60;
/** The same from the counted calls at an assumed AWS latency, one call at a time per unit. */
const orgMinutesAtAwsLatency = (run: RunFigures) =>
  (ORG_UNITS * run.callsPerUnit * AWS_CALL_MS) / 1000 / DEFAULT_SWEEP_CONCURRENCY / 60;

function markdown({ first, steady }: { first: RunFigures; steady: RunFigures }): string {
  const services = (run: RunFigures) =>
    run.byService
      .sort((a, b) => b[1] - a[1])
      .map(([service, perUnit]) => `${service} ${perUnit.toFixed(1)}`)
      .join(', ');
  const row = (label: string, value: (run: RunFigures) => string) =>
    `| ${label} | ${value(first)} | ${value(steady)} |`;
  return [
    `| moto, ${ACCOUNT_COUNT} accounts × ${REGIONS.length} regions, ${WORKERS} workers | first sweep (reverts pre-existing drift) | steady state (next sweep) |`,
    '|---|---|---|',
    row('units (account × region × kind; S3 and IAM kinds once per account)', (run) => String(run.units)),
    row(
      'resources judged / violations / units failed',
      (run) => `${run.resources} / ${run.violations} / ${run.failed}`,
    ),
    row('wall time', (run) => `${run.seconds.toFixed(1)} s`),
    row(`machine load average during the run (min / mean / max, ${cpus().length} cores, shared)`, (run) =>
      run.load.map((value) => value.toFixed(1)).join(' / '),
    ),
    row(
      'units/s, all workers / per worker',
      (run) => `${run.unitsPerSecond.toFixed(1)} / ${(run.unitsPerSecond / WORKERS).toFixed(2)}`,
    ),
    row(
      'AWS calls per unit (SQS delivery left out)',
      (run) => `${run.callsPerUnit.toFixed(1)} (${services(run)})`,
    ),
    row('of which DynamoDB, by operation and item (key prefix)', (run) =>
      run.dynamo
        .filter(([, perUnit]) => perUnit >= 0.005)
        .map(([label, perUnit]) => `${label} ${perUnit.toFixed(2)}`)
        .join(', '),
    ),
    row(
      `**300 accounts × 17 regions** (${ORG_UNITS} units), ${DEFAULT_SWEEP_CONCURRENCY} workers, at moto's per-worker rate`,
      (run) => `${orgMinutesAtMotoRate(run).toFixed(0)} min`,
    ),
    row(
      `the same at an assumed ${AWS_CALL_MS} ms per AWS call (calls per unit × latency, sequential)`,
      (run) => `${orgMinutesAtAwsLatency(run).toFixed(0)} min`,
    ),
  ].join('\n');
}

async function main(): Promise<number> {
  return withLocalAws('the sweep simulation', async (aws) => {
    const result = await simulate(aws);
    const table = markdown(result);
    console.log(table);
    if (process.argv.includes('--write-readme')) {
      const readme = fileURLToPath(new URL('../README.md', import.meta.url));
      const text = readFileSync(readme, 'utf8');
      const pattern = /<!-- sweep-sim:start -->[\s\S]*<!-- sweep-sim:end -->/;
      if (!pattern.test(text)) throw new Error('README.md has no sweep-sim markers');
      writeFileSync(
        readme,
        text.replace(pattern, `<!-- sweep-sim:start -->\n${table}\n<!-- sweep-sim:end -->`),
      );
      log('README.md updated');
    }
    return 0;
  });
}

process.exitCode = await main();
