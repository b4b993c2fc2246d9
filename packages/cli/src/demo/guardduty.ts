import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  type Instance,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ensureStateTable, isolationStoreForTable, runtimeFromEnv } from '@driftguard/aws';
import { type Config, ISOLATION_TAGS, renderSlack } from '@driftguard/core';
import { dim, slackPreview } from '../format';
import { restoreIsolationCommand } from '../restore-isolation';
import { guardDutyFindingEvent, instanceResource } from '../simulate/guardduty';
import { type DemoContext, type DemoScene, showProcessed } from './context';

const STATE_TABLE = 'driftguard-demo-state';

/** The demo's config plus the one playbook this scene shows: isolate instances with backdoor findings. */
function sceneConfig(config: Config): Config {
  const guardduty = config.rules['guardduty-finding'];
  return {
    ...config,
    rules: {
      ...config.rules,
      'guardduty-finding': {
        ...guardduty,
        playbooks: { ...guardduty.playbooks, 'isolate-instance': ['Backdoor:EC2/*'] },
      },
    },
  };
}

async function launchInstance(
  ec2: EC2Client,
  context: DemoContext,
): Promise<{ instance: Instance; group: string }> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }));
  const { Subnet } = await ec2.send(
    new CreateSubnetCommand({ VpcId: Vpc?.VpcId, CidrBlock: '10.30.1.0/24' }),
  );
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: 'storefront',
      Description: 'storefront web',
      VpcId: Vpc?.VpcId,
    }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      ],
    }),
  );
  const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const { Instances } = await ec2.send(
    new RunInstancesCommand({
      ImageId: Images?.[0]?.ImageId ?? 'ami-12c6146b',
      InstanceType: 't3.medium',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: Subnet?.SubnetId,
      SecurityGroupIds: [GroupId as string],
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'storefront-1' }] }],
    }),
  );
  const { Reservations } = await ec2.send(
    new DescribeInstancesCommand({ InstanceIds: [Instances?.[0]?.InstanceId as string] }),
  );
  const instance = Reservations?.[0]?.Instances?.[0] as Instance;
  context.line(`${Vpc?.VpcId} / ${instance.InstanceId} in ${GroupId} (tcp/443 from 10.0.0.0/8)`);
  return { instance, group: GroupId as string };
}

async function showInterfaces(ec2: EC2Client, context: DemoContext, instanceId: string): Promise<void> {
  const { NetworkInterfaces } = await ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }],
    }),
  );
  for (const eni of NetworkInterfaces ?? [])
    context.line(
      `${eni.NetworkInterfaceId}: ${(eni.Groups ?? []).map((g) => `${g.GroupId} (${g.GroupName})`).join(', ')}`,
    );
}

/**
 * GuardDuty in the same pipeline: a critical backdoor finding about an instance running in moto is
 * answered by the isolate playbook (opted in for `Backdoor:EC2/*` in this scene's config), verified,
 * recorded, and undone with `driftguard restore-isolation`.
 */
export const guarddutyScene: DemoScene = async (context) => {
  const ec2 = new EC2Client(context.clientSettings);
  const config = sceneConfig(context.config);
  await ensureStateTable(new DynamoDBClient(context.clientSettings), STATE_TABLE);
  // The same runtime as the Lambda, with a state table: isolation records, finding versions, audit.
  const runtime = runtimeFromEnv({ ...process.env, DRIFTGUARD_TABLE: STATE_TABLE }, { config });

  context.step('Launching an EC2 instance in a VPC');
  const { instance } = await launchInstance(ec2, context);
  const instanceId = instance.InstanceId as string;

  context.step('GuardDuty reports a critical finding about it: Backdoor:EC2/C&CActivity.B!DNS, severity 9.2');
  const event = guardDutyFindingEvent({
    type: 'Backdoor:EC2/C&CActivity.B!DNS',
    severity: 9.2,
    account: context.account,
    region: context.region,
    resource: instanceResource(instance),
    count: 3,
    title: `Command and Control server domain name queried by EC2 instance ${instanceId}.`,
  });
  const detail = event.detail as { id: string };
  context.line(`finding ${detail.id}: ${instanceId} queried c2.example-botnet.net (known C&C domain)`);
  context.line(
    dim(
      "playbook opted in for this scene: rules.guardduty-finding.playbooks.isolate-instance = ['Backdoor:EC2/*']",
    ),
  );

  context.step('driftguard processes the finding (the same pipeline the Lambda runs)');
  const started = performance.now();
  const processed = await runtime.pipeline.process(event);
  const elapsed = performance.now() - started;
  showProcessed(context, processed);

  context.step("Verified result: the instance's interfaces and the quarantine group, re-read from EC2");
  await showInterfaces(ec2, context, instanceId);
  const record = await isolationStoreForTable(STATE_TABLE, context.clientSettings).get(
    context.account,
    context.region,
    instanceId,
  );
  if (record) {
    const { SecurityGroupRules } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({
        Filters: [{ Name: 'group-id', Values: [record.quarantineGroupId] }],
      }),
    );
    context.line(
      `${record.quarantineGroupId}: ${SecurityGroupRules?.length ?? 0} rule(s) (no ingress, no egress)`,
    );
    context.line(`tag ${ISOLATION_TAGS.finding}=${record.findingId} on ${instanceId}`);
    context.line(
      `recorded in the state table: ${record.interfaces.map((entry) => `${entry.networkInterfaceId} had ${entry.groups.join(', ')}`).join('; ')}`,
    );
  }

  context.step('The alert as it reads in Slack');
  console.log(slackPreview(renderSlack(processed)));

  context.step('After the investigation, a human undoes it: driftguard restore-isolation');
  context.line(
    dim(
      `$ driftguard restore-isolation ${instanceId} --account ${context.account} --region ${context.region}`,
    ),
  );
  const restored = await restoreIsolationCommand(instanceId, {
    config,
    account: context.account,
    region: context.region,
    table: STATE_TABLE,
    out: { write: (text: string) => process.stdout.write(`  ${text}`) } as NodeJS.WritableStream,
  });
  await showInterfaces(ec2, context, instanceId);

  context.step('Timing');
  context.line(`finding → verified isolation: ${elapsed.toFixed(0)} ms (against moto on loopback)`);
  return processed.outcome.status === 'reverted' && processed.outcome.verified && restored === 0;
};
