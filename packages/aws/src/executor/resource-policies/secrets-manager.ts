import {
  DeleteResourcePolicyCommand,
  GetResourcePolicyCommand,
  PutResourcePolicyCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { DeleteSecretPolicy, PutSecretPolicy } from '@driftguard/core';
import { awsErrorCode } from '../../errors';
import type { PolicyIo } from './io';

/** Secrets Manager: the secret's resource policy; DeleteResourcePolicy when no statement remains. */
export const secretsManagerPolicyIo: PolicyIo<PutSecretPolicy | DeleteSecretPolicy> = {
  name: (operation) => operation.input.SecretId,
  async read(operation, clients) {
    const secrets = await clients.get(SecretsManagerClient, operation.target);
    const { SecretId } = operation.input;
    try {
      const { ResourcePolicy } = await secrets.send(new GetResourcePolicyCommand({ SecretId }));
      return ResourcePolicy
        ? { state: 'present', text: ResourcePolicy }
        : { state: 'absent', why: `${SecretId} has no resource policy` };
    } catch (error) {
      if (awsErrorCode(error) === 'ResourceNotFoundException')
        return { state: 'absent', why: `${SecretId} no longer exists` };
      throw error;
    }
  },
  async write(operation, policy, clients) {
    const secrets = await clients.get(SecretsManagerClient, operation.target);
    const { SecretId } = operation.input;
    if (policy === undefined) {
      await secrets.send(new DeleteResourcePolicyCommand({ SecretId }));
      return 'DeleteResourcePolicy, no statement remained';
    }
    await secrets.send(new PutResourcePolicyCommand({ SecretId, ResourcePolicy: policy }));
    return 'PutResourcePolicy';
  },
};
