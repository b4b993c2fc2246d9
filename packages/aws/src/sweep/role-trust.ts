import { IAMClient, paginateListRoles } from '@aws-sdk/client-iam';
import { decodeTrustPolicy } from '@driftguard/core';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from './describer';

/**
 * Every IAM role of the account with its trust policy, read as the UpdateAssumeRolePolicy that set
 * it (iam-role-trust judges it; service-linked and protected roles are skipped there with a reason).
 * IAM is global: once per account, from its home region.
 */
export const roleTrustDescriber: Describer = {
  id: 'role-trust',
  rules: ['iam-role-trust'],
  scope: 'account',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const iam = await scope.clients.get(IAMClient, { account: scope.account, region: scope.region });
    for await (const page of paginateListRoles({ client: iam, pageSize: 1000 }, {})) {
      for (const role of page.Roles ?? []) {
        if (!role.RoleName || role.Path?.startsWith('/aws-service-role/')) continue;
        yield sweepEvent(scope, {
          eventSource: 'iam.amazonaws.com',
          eventName: 'UpdateAssumeRolePolicy',
          resourceId: role.RoleName,
          requestParameters: {
            roleName: role.RoleName,
            policyDocument: decodeTrustPolicy(role.AssumeRolePolicyDocument),
          },
        });
      }
    }
  },
};
