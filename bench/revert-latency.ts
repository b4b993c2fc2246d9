import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { ensureStateTable, runtimeFromEnv } from '@driftguard/aws';
import { motoAvailable, startMoto } from '../packages/cli/src/moto';
import { authorizeForReal, authorizeIngressEvent } from '../packages/cli/src/simulate/cloudtrail';
import { median } from './harness';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const OPEN_SSH = [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];

/**
 * Time from an event's arrival to its verified revert through the pipeline the evaluate Lambda
 * runs (state table on: dedupe, high-water marks, audit), against moto; the floor is the bare SDK
 * doing the least a verified revert needs (read the rule, revoke it, read again). Each side opens
 * a fresh rule first (not timed); which side goes first alternates round by round.
 */
export async function revertLatencyRow(
  rounds: number,
): Promise<{ ours: number; floor: number; note: string } | undefined> {
  if (!motoAvailable()) return undefined;
  // Local only: moto accepts any credentials; the runtime reads them from the default chain.
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const moto = await startMoto();
  try {
    const client = {
      endpoint: moto.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    const ec2 = new EC2Client(client);
    const table = `driftguard-bench-${randomUUID().slice(0, 8)}`;
    await ensureStateTable(new DynamoDBClient(client), table);
    const runtime = runtimeFromEnv({
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL: moto.endpoint,
      DRIFTGUARD_TABLE: table,
      DRIFTGUARD_READ_ORGANIZATION: 'false',
    });
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }));
    const open = async () => {
      const group = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: `bench-${randomUUID().slice(0, 8)}`,
          Description: 'bench',
          VpcId: vpc.Vpc?.VpcId as string,
        }),
      );
      const groupId = group.GroupId as string;
      const addedRules = await authorizeForReal(ec2, 'ingress', groupId, OPEN_SSH);
      return { groupId, addedRules };
    };
    let calls = 0;
    /** One verified revert through the pipeline, timed from the event's arrival. */
    const viaPipeline = async () => {
      const opened = await open();
      const event = authorizeIngressEvent({
        account: ACCOUNT,
        region: REGION,
        groupId: opened.groupId,
        permissions: OPEN_SSH,
        addedRules: opened.addedRules,
      });
      const started = process.hrtime.bigint();
      const processed = await runtime.pipeline.process(event);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (processed.outcome.status !== 'reverted')
        throw new Error(`the bench revert was not verified: ${processed.outcome.summary}`);
      calls = processed.outcome.results.length;
      return ms;
    };
    /** The floor: the least a verified revert needs, with the bare SDK. */
    const bare = async () => {
      const opened = await open();
      const ruleIds = opened.addedRules.map((rule) => rule.SecurityGroupRuleId as string);
      const started = process.hrtime.bigint();
      await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: ruleIds }));
      await ec2.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: opened.groupId, SecurityGroupRuleIds: ruleIds }),
      );
      await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [opened.groupId] }] }),
      );
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const ours: number[] = [];
    const floor: number[] = [];
    for (let round = 0; round <= rounds; round++) {
      // Which side goes first alternates: with a fixed order, an A/A run (the same pipeline twice)
      // differed by 5 % between the first and the second place of each round.
      const pipelineFirst = round % 2 === 0;
      const first = await (pipelineFirst ? viaPipeline() : bare());
      const second = await (pipelineFirst ? bare() : viaPipeline());
      // Round 0 warms both paths (clients, connections, the table).
      if (round > 0) {
        ours.push(pipelineFirst ? first : second);
        floor.push(pipelineFirst ? second : first);
      }
    }
    return {
      ours: median(ours),
      floor: median(floor),
      note: `p50 of ${rounds} reverts (${calls} operation(s) each); p99 ${percentile(ours, 0.99).toFixed(0)} ms vs ${percentile(floor, 0.99).toFixed(0)} ms`,
    };
  } finally {
    await moto.stop();
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}
