import {
  GetResourcePolicyCommand,
  paginateListSecrets,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { awsErrorCode } from '../../errors';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from '../describer';

/**
 * Every secret's resource policy, read as the PutResourcePolicy that set it. Only the policy is read:
 * never a secret value.
 */
export const secretPoliciesDescriber: Describer = {
  id: 'secret-policies',
  rules: ['resource-policy'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const secrets = await scope.clients.get(SecretsManagerClient, {
      account: scope.account,
      region: scope.region,
    });
    for await (const page of paginateListSecrets({ client: secrets, pageSize: 100 }, {})) {
      for (const { ARN, Name } of page.SecretList ?? []) {
        if (!ARN) continue;
        let text: string | undefined;
        try {
          text = (await secrets.send(new GetResourcePolicyCommand({ SecretId: ARN }))).ResourcePolicy;
        } catch (error) {
          if (awsErrorCode(error) === 'ResourceNotFoundException') continue;
          throw error;
        }
        if (!text) continue;
        yield sweepEvent(scope, {
          eventSource: 'secretsmanager.amazonaws.com',
          eventName: 'PutResourcePolicy',
          resourceId: ARN,
          requestParameters: { secretId: ARN, resourcePolicy: text },
          responseElements: { arn: ARN, ...(Name ? { name: Name } : {}) },
        });
      }
    }
  },
};
