import { GetKeyPolicyCommand, KMSClient, PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import type { PutKeyPolicy } from '@driftguard/core';
import { awsErrorCode } from '../../errors';
import type { PolicyIo } from './io';

/** KMS: the key's `default` policy. Never emptied (the planner and the executor refuse it before this). */
export const kmsPolicyIo: PolicyIo<PutKeyPolicy> = {
  name: (operation) => operation.input.KeyId,
  async read(operation, clients) {
    const kms = await clients.get(KMSClient, operation.target);
    const { KeyId } = operation.input;
    try {
      const { Policy } = await kms.send(new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' }));
      return Policy
        ? { state: 'present', text: Policy }
        : { state: 'absent', why: `${KeyId} has no key policy` };
    } catch (error) {
      if (awsErrorCode(error) === 'NotFoundException')
        return { state: 'absent', why: `${KeyId} no longer exists` };
      throw error;
    }
  },
  async write(operation, policy, clients) {
    if (policy === undefined) throw new Error(`refusing to empty the key policy of ${operation.input.KeyId}`);
    const kms = await clients.get(KMSClient, operation.target);
    // BypassPolicyLockoutSafetyCheck stays false: KMS itself refuses a policy that locks us out.
    await kms.send(
      new PutKeyPolicyCommand({ KeyId: operation.input.KeyId, PolicyName: 'default', Policy: policy }),
    );
    return 'PutKeyPolicy';
  },
};
