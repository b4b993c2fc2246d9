import {
  CreateRouteTableCommand,
  CreateVpcCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { createVpcEndpointForReal } from '../simulate/vpc-endpoints';
import { type DemoScene, showProcessed } from './context';

interface Statement {
  Sid?: string;
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * An S3 gateway endpoint created without a policy: AWS attaches full access, a private road for any
 * credentials to any bucket. driftguard puts the data-perimeter endpoint policy on it (pinned to the
 * organization, or to the zone's accounts when no organization is known) and reads it back.
 */
export const endpointPolicyScene: DemoScene = async (context) => {
  const ec2 = new EC2Client(context.clientSettings);
  context.step('Creating a VPC with a route table');
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }));
  const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: Vpc?.VpcId }));
  context.line(`${Vpc?.VpcId} / ${RouteTable?.RouteTableId}`);

  context.step('An engineer adds an S3 gateway endpoint without a policy: AWS attaches full access');
  const { endpointId, event } = await createVpcEndpointForReal(ec2, {
    account: context.account,
    region: context.region,
    request: {
      VpcId: Vpc?.VpcId,
      ServiceName: `com.amazonaws.${context.region}.s3`,
      VpcEndpointType: 'Gateway',
      RouteTableIds: [RouteTable?.RouteTableId as string],
    },
  });
  const detail = event.detail as { eventID: string };
  context.line(`what:  ec2:CreateVpcEndpoint ${endpointId}   (CloudTrail event ${detail.eventID})`);

  context.step('driftguard evaluates the CloudTrail event');
  const processed = await context.runtime.pipeline.process(event);
  showProcessed(context, processed);

  context.step('Verified result: the endpoint policy read back with DescribeVpcEndpoints');
  const { VpcEndpoints } = await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpointId] }));
  const statements =
    (JSON.parse(VpcEndpoints?.[0]?.PolicyDocument ?? '{}') as { Statement?: Statement[] }).Statement ?? [];
  for (const statement of statements) {
    const pins = Object.values(statement.Condition ?? {}).flatMap((keys) =>
      Object.entries(keys).map(([key, value]) => `${key}=${JSON.stringify(value)}`),
    );
    context.line(`${endpointId}: ${statement.Sid} — ${pins.join(', ')}`);
  }
  const pinned = statements.length > 0 && statements.every((statement) => statement.Condition !== undefined);
  return processed.outcome.status === 'reverted' && processed.outcome.verified && pinned;
};
