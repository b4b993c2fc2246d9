import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DESCRIBERS, dynamoSweepRunStore, ensureStateTable } from '@driftguard/aws';
import { credentialsInAccount, dynamoClient, ec2Client, motoEndpoint, sqsClient, unique } from './aws';
import { type FaultProxy, startFaultProxy } from './faults';
import { lambdaContext } from './lambda';
import { drainQueue } from './sqs-lambda';

const REGIONAL = DESCRIBERS.filter((describer) => describer.scope === 'region').length;
const PER_ACCOUNT = DESCRIBERS.filter((describer) => describer.scope === 'account').length;

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

/** The CIDRs of a group's ingress rules, read back from EC2. */
export const ingressCidrs = async (ec2: EC2Client, groupId: string) =>
  (
    (
      await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }),
      )
    ).SecurityGroupRules ?? []
  )
    .filter((rule) => !rule.IsEgress)
    .map((rule) => rule.CidrIpv4);

export interface FanoutScene {
  table: string;
  sqs: SQSClient;
  queueUrl: string;
  ddb: DynamoDBDocumentClient;
  runs: ReturnType<typeof dynamoSweepRunStore>;
  proxy: FaultProxy;
  /** Per healthy account and region: a group open to the internet and a compliant one. */
  groups: { ec2: EC2Client; open: string; closed: string }[];
  planner: typeof import('../../packages/functions/src/sweep-planner').handler;
  /** Units the planner makes for this many accounts (every kind in every region, S3 kinds once). */
  unitsFor(accounts: number): number;
  /** Lambda's event source mapping on the work queue, calling the worker handler until it is empty. */
  work(): Promise<unknown>;
}

/**
 * The deployed sweep against moto: a state table, the work queue, the planner and worker Lambda
 * handlers configured through their environment as the stack configures them, and per healthy
 * account and region one open and one compliant security group. The `denied` account's member role
 * cannot be assumed (the fault proxy refuses it), so every unit of it fails. Call it in `beforeAll`
 * (the handlers read their environment when first imported); each test file uses accounts of its own.
 */
export async function fanoutScene(options: {
  accounts: readonly string[];
  denied: string;
  regions: readonly string[];
}): Promise<FanoutScene> {
  const table = unique('fanout-state');
  const ddb = DynamoDBDocumentClient.from(dynamoClient());
  await ensureStateTable(dynamoClient(), table);
  const sqs = sqsClient();
  const { QueueUrl: queueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: unique('sweep-work') }),
  );
  const groups: FanoutScene['groups'] = [];
  for (const account of options.accounts) {
    const credentials = await credentialsInAccount(account);
    for (const region of options.regions) {
      const ec2 = ec2Client(region, credentials);
      groups.push({
        ec2,
        open: await openGroup(ec2, '0.0.0.0/0'),
        closed: await openGroup(ec2, '10.1.0.0/16'),
      });
    }
  }
  const proxy = await startFaultProxy(
    motoEndpoint as string,
    { deniedAccounts: [options.denied] },
    { serialize: (call) => call.service === 'dynamodb' },
  );
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: proxy.endpoint,
    DRIFTGUARD_READ_ORGANIZATION: 'false',
    DRIFTGUARD_TABLE: table,
    DRIFTGUARD_SWEEP_QUEUE_URL: queueUrl,
    DRIFTGUARD_SWEEP_ACCOUNTS: [...options.accounts, options.denied].join(','),
    DRIFTGUARD_SWEEP_REGIONS: options.regions.join(','),
    DRIFTGUARD_SWEEP_MAX_RECEIVE_COUNT: '2',
  });
  const { handler: planner } = await import('../../packages/functions/src/sweep-planner');
  const { handler: worker } = await import('../../packages/functions/src/sweep-worker');
  return {
    table,
    sqs,
    queueUrl,
    ddb,
    runs: dynamoSweepRunStore(ddb, table),
    proxy,
    groups,
    planner,
    unitsFor: (accounts) => accounts * (options.regions.length * REGIONAL + PER_ACCOUNT),
    work: () =>
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
      }),
  };
}
