import {
  EC2Client,
  paginateDescribeVpcEndpointServiceConfigurations,
  paginateDescribeVpcEndpointServicePermissions,
} from '@aws-sdk/client-ec2';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from './describer';

/**
 * Every endpoint service this account offers: its acceptance setting, read as the
 * CreateVpcEndpointServiceConfiguration that set it, and its allowed principals, read as one
 * ModifyVpcEndpointServicePermissions adding all of them (vpc-endpoint-service removes exactly
 * those outside the trust zone and sets acceptance back to required).
 */
export const endpointServicesDescriber: Describer = {
  id: 'endpoint-services',
  rules: ['vpc-endpoint-service'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const ec2 = await scope.clients.get(EC2Client, { account: scope.account, region: scope.region });
    const pages = paginateDescribeVpcEndpointServiceConfigurations({ client: ec2, pageSize: 1000 }, {});
    for await (const page of pages) {
      for (const service of page.ServiceConfigurations ?? []) {
        const serviceId = service.ServiceId;
        if (!serviceId || service.ServiceState === 'Deleted' || service.ServiceState === 'Deleting') continue;
        yield sweepEvent(scope, {
          eventSource: 'ec2.amazonaws.com',
          eventName: 'CreateVpcEndpointServiceConfiguration',
          resourceId: serviceId,
          requestParameters: {
            CreateVpcEndpointServiceConfigurationRequest: {
              AcceptanceRequired: service.AcceptanceRequired === true,
            },
          },
          responseElements: {
            CreateVpcEndpointServiceConfigurationResponse: {
              serviceConfiguration: {
                serviceId,
                serviceName: service.ServiceName,
                acceptanceRequired: service.AcceptanceRequired === true,
              },
            },
          },
        });
        const principals: string[] = [];
        const permissions = paginateDescribeVpcEndpointServicePermissions(
          { client: ec2, pageSize: 1000 },
          { ServiceId: serviceId },
        );
        for await (const permissionsPage of permissions) {
          for (const allowed of permissionsPage.AllowedPrincipals ?? [])
            if (allowed.Principal) principals.push(allowed.Principal);
        }
        if (principals.length === 0) continue;
        yield sweepEvent(scope, {
          eventSource: 'ec2.amazonaws.com',
          eventName: 'ModifyVpcEndpointServicePermissions',
          resourceId: serviceId,
          requestParameters: {
            ModifyVpcEndpointServicePermissionsRequest: {
              ServiceId: serviceId,
              AddAllowedPrincipals: principals,
            },
          },
          responseElements: { ModifyVpcEndpointServicePermissionsResponse: { return: true } },
        });
      }
    }
  },
};
