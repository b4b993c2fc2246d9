import { EC2Client, paginateDescribeVpcEndpoints } from '@aws-sdk/client-ec2';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from './describer';

const GONE = new Set(['deleted', 'deleting', 'rejected', 'failed', 'expired']);

/**
 * Every VPC endpoint with its policy, read as the CreateVpcEndpoint that put it there
 * (vpc-endpoint-policy judges the document; endpoint types without a policy are not applicable).
 */
export const vpcEndpointsDescriber: Describer = {
  id: 'vpc-endpoints',
  rules: ['vpc-endpoint-policy'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const ec2 = await scope.clients.get(EC2Client, { account: scope.account, region: scope.region });
    for await (const page of paginateDescribeVpcEndpoints({ client: ec2, pageSize: 1000 }, {})) {
      for (const endpoint of page.VpcEndpoints ?? []) {
        const id = endpoint.VpcEndpointId;
        if (!id || GONE.has((endpoint.State ?? '').toLowerCase())) continue;
        yield sweepEvent(scope, {
          eventSource: 'ec2.amazonaws.com',
          eventName: 'CreateVpcEndpoint',
          resourceId: id,
          requestParameters: {
            CreateVpcEndpointRequest: {
              VpcId: endpoint.VpcId,
              ServiceName: endpoint.ServiceName,
              VpcEndpointType: endpoint.VpcEndpointType,
              ...(endpoint.PolicyDocument ? { PolicyDocument: endpoint.PolicyDocument } : {}),
            },
          },
          responseElements: {
            CreateVpcEndpointResponse: {
              vpcEndpoint: {
                vpcEndpointId: id,
                vpcId: endpoint.VpcId,
                serviceName: endpoint.ServiceName,
                vpcEndpointType: endpoint.VpcEndpointType,
                state: endpoint.State,
                ...(endpoint.PolicyDocument ? { policyDocument: endpoint.PolicyDocument } : {}),
              },
            },
          },
        });
      }
    }
  },
};
