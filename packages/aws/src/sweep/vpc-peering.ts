import {
  EC2Client,
  paginateDescribeVpcPeeringConnections,
  type VpcPeeringConnectionVpcInfo,
} from '@aws-sdk/client-ec2';
import { PEERING_GONE_STATES } from '@driftguard/core';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from './describer';

const side = (info: VpcPeeringConnectionVpcInfo | undefined) => ({
  ownerId: info?.OwnerId,
  vpcId: info?.VpcId,
  region: info?.Region,
});

/**
 * Every peering connection that still joins (or is about to join) two networks. One this account
 * requested is read as its CreateVpcPeeringConnection; one it is the accepter of as its
 * AcceptVpcPeeringConnection — or, while still pending, as the request awaiting its acceptance (the
 * evaluator then plans a Reject, the only revert an accepter can make). Both sides of a peering
 * inside the organization are swept; the second revert finds the connection already gone.
 */
export const vpcPeeringDescriber: Describer = {
  id: 'vpc-peering',
  rules: ['vpc-peering'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const ec2 = await scope.clients.get(EC2Client, { account: scope.account, region: scope.region });
    for await (const page of paginateDescribeVpcPeeringConnections({ client: ec2, pageSize: 1000 }, {})) {
      for (const connection of page.VpcPeeringConnections ?? []) {
        const id = connection.VpcPeeringConnectionId;
        const status = connection.Status?.Code;
        if (!id || (status && PEERING_GONE_STATES.includes(status))) continue;
        const requester = side(connection.RequesterVpcInfo);
        const accepter = side(connection.AccepterVpcInfo);
        const weRequested = requester.ownerId === scope.account;
        const pending = status === 'pending-acceptance' || status === 'initiating-request';
        const asRequest = weRequested || pending;
        yield sweepEvent(scope, {
          eventSource: 'ec2.amazonaws.com',
          eventName: asRequest ? 'CreateVpcPeeringConnection' : 'AcceptVpcPeeringConnection',
          resourceId: id,
          requestParameters: asRequest
            ? {
                vpcId: requester.vpcId,
                peerVpcId: accepter.vpcId,
                peerOwnerId: accepter.ownerId,
                peerRegion: accepter.region,
              }
            : { vpcPeeringConnectionId: id },
          responseElements: {
            vpcPeeringConnection: {
              vpcPeeringConnectionId: id,
              requesterVpcInfo: requester,
              accepterVpcInfo: accepter,
              status: { code: status },
            },
          },
        });
      }
    }
  },
};
