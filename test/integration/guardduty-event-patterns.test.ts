import { DescribeNetworkInterfacesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  accountCredentials,
  createExecutor,
  createPipeline,
  type Executor,
  memoryIsolationStore,
} from '@driftguard/aws';
import type { Operation } from '@driftguard/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { guardDutyFindingEvent, instanceResource } from '../../packages/cli/src/simulate/guardduty';
import {
  clientOptions,
  ec2Client,
  eventsClient,
  HOME_ACCOUNT,
  motoEndpoint,
  sqsClient,
  stsClient,
} from '../support/aws';
import { type RoutingBus, routingBus } from '../support/event-bus';
import { createGroup, createNetwork, runInstance } from '../support/guardduty';
import { configWith } from '../support/notify';

const REGION = 'us-east-1';

async function groupsOf(ec2: EC2Client, instanceId: string): Promise<string[][]> {
  const { NetworkInterfaces } = await ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }],
    }),
  );
  return (NetworkInterfaces ?? []).map((eni) => (eni.Groups ?? []).map((group) => group.GroupId as string));
}

describe.skipIf(!motoEndpoint)(
  "GuardDuty findings through the generated pattern, in moto's EventBridge",
  () => {
    const ec2 = motoEndpoint ? ec2Client(REGION) : (undefined as unknown as EC2Client);
    let bus: RoutingBus;

    beforeAll(async () => {
      if (motoEndpoint) bus = await routingBus(eventsClient(REGION), sqsClient(REGION));
    });

    async function put(event: Record<string, unknown>) {
      expect(await bus.put([event])).toBe(0);
    }

    const drain = () => bus.drain();

    it('delivers every finding to the pipeline; below playbookMinimumSeverity no playbook is ever invoked', async () => {
      const network = await createNetwork(ec2);
      const group = await createGroup(ec2, network.vpcId, 443);
      const calm = await runInstance(ec2, network, [group]);
      const compromised = await runInstance(ec2, network, [group]);
      const config = configWith({
        rules: {
          'guardduty-finding': {
            playbookMinimumSeverity: 7,
            playbooks: {
              'isolate-instance': ['Backdoor:EC2/*', 'UnauthorizedAccess:EC2/*', 'CryptoCurrency:EC2/*'],
            },
          },
        },
      });
      // The real executor, watched: which operations reach AWS at all.
      const invoked: Operation[] = [];
      const real = createExecutor({
        config,
        credentialsFor: accountCredentials({
          sts: stsClient(),
          roleName: 'DriftGuardRemediation',
          homeAccount: HOME_ACCOUNT,
        }),
        endpoint: clientOptions().endpoint,
        isolations: memoryIsolationStore(),
      });
      const execute: Executor = async (operation) => {
        invoked.push(operation);
        return real(operation);
      };
      const pipeline = createPipeline({ config, execute });

      const finding = (type: string, severity: number, instance = calm) =>
        guardDutyFindingEvent({
          type,
          severity,
          account: HOME_ACCOUNT,
          region: REGION,
          resource: instanceResource(instance),
        });
      const below = [
        finding('Backdoor:EC2/C&CActivity.B!DNS', 6.9),
        finding('UnauthorizedAccess:EC2/SSHBruteForce', 2),
        finding('CryptoCurrency:EC2/BitcoinTool.B', 5),
        finding('UnauthorizedAccess:EC2/TorClient', 6.99),
      ];
      const above = finding('Backdoor:EC2/C&CActivity.B', 7, compromised);
      for (const event of [...below, above]) await put(event);
      // Not a finding: the GuardDuty pattern must not match other GuardDuty detail-types.
      await put({
        source: 'aws.guardduty',
        'detail-type': 'GuardDuty Malware Protection Object Scan Result',
        detail: { scanStatus: 'COMPLETED', id: 'not-a-finding' },
      });

      const delivered = await drain();
      const ids = (list: Record<string, unknown>[]) =>
        list.map((event) => (event.detail as { id: string }).id).sort();
      expect(ids(delivered)).toEqual(ids([...below, above]));
      for (const event of delivered) expect(event['detail-type']).toBe('GuardDuty Finding');

      const outcomes = [];
      for (const event of delivered) outcomes.push(await pipeline.process(event));
      for (const processed of outcomes) expect(processed.assessment.status).toBe('violation');
      const aboveId = (above.detail as { id: string }).id;
      for (const processed of outcomes.filter((p) => p.assessment.event.eventId !== aboveId)) {
        expect(processed.assessment.operations).toEqual([]);
        expect(processed.assessment.decisionReason).toContain('is below playbookMinimumSeverity 7');
      }
      expect(invoked.map((operation) => operation.input)).toEqual([{ InstanceId: compromised.InstanceId }]);
      expect(await groupsOf(ec2, calm.InstanceId as string)).toEqual([[group]]);
      const [isolated] = await groupsOf(ec2, compromised.InstanceId as string);
      expect(isolated).toHaveLength(1);
      expect(isolated).not.toEqual([group]);
    }, 60_000);
  },
);
