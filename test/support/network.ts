import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  type AccountClients,
  accountClients,
  accountCredentials,
  createExecutor,
  createPipeline,
  liveFactReader,
  type Pipeline,
  type SnapshotStore,
} from '@driftguard/aws';
import { type Config, defaultConfig, type OrganizationInfo } from '@driftguard/core';
import { clientOptions, HOME_ACCOUNT, stsClient, unique } from './aws';

/** An organization for tests: the home account and one member account. */
export const MEMBER_ACCOUNT = '222233334444';
/** An account outside the organization (a vendor, an attacker). */
export const OUTSIDE_ACCOUNT = '999988887777';
export const TEST_ORGANIZATION: OrganizationInfo = {
  organizationId: 'o-a1b2c3d4e5',
  accounts: [HOME_ACCOUNT, MEMBER_ACCOUNT],
};

/**
 * The production pipeline wired to moto as the Lambda wires it (runtime.ts): per-account clients
 * (assumed remediation role outside the home account) shared by the live reads before evaluating
 * and the executor, an optional snapshot store, and a fixed organization.
 */
export function networkPipeline(
  options: { config?: Config; snapshots?: SnapshotStore; clients?: AccountClients; liveFacts?: boolean } = {},
): Pipeline {
  const config = options.config ?? defaultConfig();
  const { endpoint } = clientOptions();
  const credentialsFor = accountCredentials({
    sts: stsClient(),
    roleName: config.remediationRoleName,
    homeAccount: HOME_ACCOUNT,
  });
  const clients = options.clients ?? accountClients({ credentialsFor, endpoint });
  const execute = createExecutor({
    config,
    credentialsFor,
    endpoint,
    clients,
    ...(options.snapshots ? { snapshots: options.snapshots } : {}),
  });
  return createPipeline({
    config,
    execute,
    organization: async () => TEST_ORGANIZATION,
    ...(options.liveFacts === false ? {} : { liveFacts: liveFactReader(clients) }),
    ...(options.snapshots ? { snapshots: options.snapshots } : {}),
  });
}

/** A VPC with one subnet, for load balancers and endpoint services. */
export async function vpcWithSubnet(
  ec2: EC2Client,
  cidr: string,
): Promise<{ vpcId: string; subnetId: string }> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }));
  const vpcId = Vpc?.VpcId as string;
  const { Subnet } = await ec2.send(
    new CreateSubnetCommand({
      VpcId: vpcId,
      CidrBlock: cidr.replace(/\.0\.0\/16$/, '.1.0/24'),
      AvailabilityZone: `${clientOptions().region}a`,
    }),
  );
  return { vpcId, subnetId: Subnet?.SubnetId as string };
}

/**
 * A load balancer ARN for an endpoint service. moto validates the ARN against its ELBv2 backend and
 * the project has no ELBv2 client: the balancer is made through moto's CloudFormation (a client
 * the project already has), which creates it in that backend.
 */
export async function loadBalancerArn(subnetId: string, region = 'us-east-1'): Promise<string> {
  const cfn = new CloudFormationClient(clientOptions(region));
  const StackName = unique('nlb');
  await cfn.send(
    new CreateStackCommand({
      StackName,
      TemplateBody: JSON.stringify({
        Resources: {
          Nlb: {
            Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
            Properties: { Type: 'network', Scheme: 'internal', Subnets: [subnetId] },
          },
        },
        Outputs: { Arn: { Value: { Ref: 'Nlb' } } },
      }),
    }),
  );
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName }));
  const arn = Stacks?.[0]?.Outputs?.find((output) => output.OutputKey === 'Arn')?.OutputValue;
  if (!arn) throw new Error(`moto's CloudFormation created no load balancer (${Stacks?.[0]?.StackStatus})`);
  return arn;
}

/** A new VPC and security group holding one compliant rule (tcp/443 from 10.0.0.0/8): the sibling that must survive. */
export async function webGroupWithTrustedRule(ec2: EC2Client): Promise<string> {
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: unique('web'), Description: 'web tier', VpcId: Vpc?.VpcId }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
      ],
    }),
  );
  return GroupId as string;
}
