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
 * doing the least a verified revert needs (read the rule, revoke it, read again). Each round
 * opens a fresh rule first (not timed); the two paths alternate.
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
    const ours: number[] = [];
    const floor: number[] = [];
    let calls = 0;
    for (let round = 0; round <= rounds; round++) {
      const viaPipeline = await open();
      const event = authorizeIngressEvent({
        account: ACCOUNT,
        region: REGION,
        groupId: viaPipeline.groupId,
        permissions: OPEN_SSH,
        addedRules: viaPipeline.addedRules,
      });
      let started = process.hrtime.bigint();
      const processed = await runtime.pipeline.process(event);
      const pipelineMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (processed.outcome.status !== 'reverted')
        throw new Error(`the bench revert was not verified: ${processed.outcome.summary}`);
      calls = processed.outcome.results.length;

      const bare = await open();
      const ruleIds = bare.addedRules.map((rule) => rule.SecurityGroupRuleId as string);
      started = process.hrtime.bigint();
      await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: ruleIds }));
      await ec2.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: bare.groupId, SecurityGroupRuleIds: ruleIds }),
      );
      await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [bare.groupId] }] }),
      );
      const bareMs = Number(process.hrtime.bigint() - started) / 1e6;
      // Round 0 warms both paths (clients, connections, the table).
      if (round > 0) {
        ours.push(pipelineMs);
        floor.push(bareMs);
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
