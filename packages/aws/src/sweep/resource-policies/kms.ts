import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient, paginateListKeys } from '@aws-sdk/client-kms';
import { awsErrorCode } from '../../errors';
import { type Describer, type DescribeScope, type SweptResource, sweepEvent } from '../describer';

/**
 * Every customer managed KMS key's policy, read as the PutKeyPolicy that set it. AWS managed keys
 * are skipped: AWS writes their policies and nobody can change them.
 */
export const kmsKeyPoliciesDescriber: Describer = {
  id: 'kms-key-policies',
  rules: ['resource-policy'],
  scope: 'region',
  async *describe(scope: DescribeScope): AsyncIterable<SweptResource> {
    const kms = await scope.clients.get(KMSClient, { account: scope.account, region: scope.region });
    for await (const page of paginateListKeys({ client: kms, pageSize: 1000 }, {})) {
      for (const { KeyId, KeyArn } of page.Keys ?? []) {
        if (!KeyId) continue;
        let policy: string | undefined;
        try {
          const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId }));
          if (KeyMetadata?.KeyManager === 'AWS' || KeyMetadata?.KeyState === 'PendingDeletion') continue;
          ({ Policy: policy } = await kms.send(new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' })));
        } catch (error) {
          if (awsErrorCode(error) === 'NotFoundException') continue;
          throw error;
        }
        if (!policy) continue;
        yield sweepEvent(scope, {
          eventSource: 'kms.amazonaws.com',
          eventName: 'PutKeyPolicy',
          resourceId: KeyId,
          requestParameters: { keyId: KeyArn ?? KeyId, policyName: 'default', policy },
        });
      }
    }
  },
};
