import {
  AttachNetworkInterfaceCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  type EC2Client,
  type Instance,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { unique } from './aws';

/** A VPC with one subnet: the network an instance under test lives in. */
export async function createNetwork(ec2: EC2Client): Promise<{ vpcId: string; subnetId: string }> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
  const { Subnet } = await ec2.send(
    new CreateSubnetCommand({ VpcId: Vpc?.VpcId, CidrBlock: '10.20.1.0/24' }),
  );
  return { vpcId: Vpc?.VpcId as string, subnetId: Subnet?.SubnetId as string };
}

/** A security group with one ingress rule, so a swap is visible. */
export async function createGroup(ec2: EC2Client, vpcId: string, port: number): Promise<string> {
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: unique(`app-${port}`),
      Description: 'app tier',
      VpcId: vpcId,
    }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      ],
    }),
  );
  return GroupId as string;
}

export async function describeInstance(ec2: EC2Client, instanceId: string): Promise<Instance> {
  const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = Reservations?.[0]?.Instances?.[0];
  if (!instance) throw new Error(`instance ${instanceId} not found`);
  return instance;
}

/**
 * RunInstances in the subnet with `groups`, plus (optionally) a second network interface with
 * `secondGroups`: an instance whose every interface must be isolated.
 */
export async function runInstance(
  ec2: EC2Client,
  network: { subnetId: string },
  groups: string[],
  secondGroups?: string[],
): Promise<Instance> {
  const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const { Instances } = await ec2.send(
    new RunInstancesCommand({
      ImageId: Images?.[0]?.ImageId ?? 'ami-12c6146b',
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: network.subnetId,
      SecurityGroupIds: groups,
    }),
  );
  const instanceId = Instances?.[0]?.InstanceId as string;
  if (secondGroups) {
    const { NetworkInterface } = await ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: network.subnetId, Groups: secondGroups }),
    );
    await ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: NetworkInterface?.NetworkInterfaceId,
        InstanceId: instanceId,
        DeviceIndex: 1,
      }),
    );
  }
  return describeInstance(ec2, instanceId);
}
