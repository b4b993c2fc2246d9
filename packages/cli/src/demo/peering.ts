import {
  AcceptVpcPeeringConnectionCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  DescribeVpcPeeringConnectionsCommand,
  EC2Client,
  type VpcPeeringConnection,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { renderSlack } from '@driftguard/core';
import { slackPreview } from '../format';
import { acceptPeeringEvent } from '../simulate/ec2-network';
import { type DemoScene, showProcessed } from './context';
import { readBackSns } from './sns-inbox';

/** An account outside the organization: a vendor asking to join networks. */
const VENDOR_ACCOUNT = '999988887777';

/** Clients acting in another moto account (moto keys accounts off assumed-role sessions). */
async function vendorEc2(context: Parameters<DemoScene>[0]): Promise<EC2Client> {
  const sts = new STSClient(context.clientSettings);
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${VENDOR_ACCOUNT}:role/VendorAdmin`,
      RoleSessionName: 'vendor',
    }),
  );
  return new EC2Client({
    ...context.clientSettings,
    credentials: {
      accessKeyId: Credentials?.AccessKeyId ?? '',
      secretAccessKey: Credentials?.SecretAccessKey ?? '',
      sessionToken: Credentials?.SessionToken ?? '',
    },
  });
}

async function peeringStatus(ec2: EC2Client, id: string): Promise<string | undefined> {
  const { VpcPeeringConnections } = await ec2.send(
    new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] }),
  );
  return VpcPeeringConnections?.[0]?.Status?.Code;
}

/**
 * A vendor outside the organization asks to peer with a production VPC and an engineer accepts:
 * two whole networks joined. driftguard deletes the peering (the accepter cannot reject an active
 * one) and reads it back as deleted; the alert says why PrivateLink is the zero-trust way.
 */
export const peeringScene: DemoScene = async (context) => {
  const ec2 = new EC2Client(context.clientSettings);
  const vendor = await vendorEc2(context);
  context.step(
    `Creating a production VPC (${context.account}) and a vendor VPC (${VENDOR_ACCOUNT}, outside the organization)`,
  );
  const { Vpc: ours } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }));
  const { Vpc: theirs } = await vendor.send(new CreateVpcCommand({ CidrBlock: '172.30.0.0/16' }));
  context.line(`${ours?.VpcId} (10.60.0.0/16)  ·  vendor ${theirs?.VpcId} (172.30.0.0/16)`);

  context.step('The vendor requests a peering; an engineer accepts it: the two networks are joined');
  const { VpcPeeringConnection: requested } = await vendor.send(
    new CreateVpcPeeringConnectionCommand({
      VpcId: theirs?.VpcId,
      PeerVpcId: ours?.VpcId,
      PeerOwnerId: context.account,
    }),
  );
  const id = requested?.VpcPeeringConnectionId as string;
  const { VpcPeeringConnection: accepted } = await ec2.send(
    new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }),
  );
  context.line(`${id}: ${accepted?.Status?.Code}`);
  const event = acceptPeeringEvent({
    account: context.account,
    region: context.region,
    connection: accepted as VpcPeeringConnection,
  });
  const detail = event.detail as { eventID: string; userIdentity: { arn: string } };
  context.line(`who:   ${detail.userIdentity.arn}`);
  context.line(`what:  ec2:AcceptVpcPeeringConnection ${id}   (CloudTrail event ${detail.eventID})`);

  context.step('driftguard evaluates the CloudTrail event');
  const processed = await context.runtime.pipeline.process(event);
  showProcessed(context, processed);

  context.step('Verified result: the peering, re-read from EC2 by id');
  const status = await peeringStatus(ec2, id);
  context.line(`${id}: ${status}`);

  context.step('The alert as it reads in Slack');
  console.log(slackPreview(renderSlack(processed)));
  context.step('The alert as published to SNS');
  await readBackSns(context);

  return processed.outcome.status === 'reverted' && processed.outcome.verified && status === 'deleted';
};
