import { ECRClient, GetRepositoryPolicyCommand, paginateDescribeRepositories } from '@aws-sdk/client-ecr';
import { awsErrorCode } from '../../errors';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from '../describer';

const NO_POLICY = new Set(['RepositoryPolicyNotFoundException', 'RepositoryNotFoundException']);

/** Every ECR repository policy of the account's registry, read as the SetRepositoryPolicy that set it. */
export const ecrRepositoryPoliciesDescriber: Describer = {
  id: 'ecr-repository-policies',
  rules: ['resource-policy'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const ecr = await scope.clients.get(ECRClient, { account: scope.account, region: scope.region });
    for await (const page of paginateDescribeRepositories({ client: ecr, pageSize: 1000 }, {})) {
      for (const { repositoryName, registryId } of page.repositories ?? []) {
        if (!repositoryName) continue;
        let policyText: string | undefined;
        try {
          ({ policyText } = await ecr.send(new GetRepositoryPolicyCommand({ registryId, repositoryName })));
        } catch (error) {
          if (NO_POLICY.has(awsErrorCode(error) ?? '')) continue;
          throw error;
        }
        if (!policyText) continue;
        yield sweepEvent(scope, {
          eventSource: 'ecr.amazonaws.com',
          eventName: 'SetRepositoryPolicy',
          resourceId: repositoryName,
          requestParameters: { repositoryName, registryId: registryId ?? scope.account, policyText },
        });
      }
    }
  },
};
