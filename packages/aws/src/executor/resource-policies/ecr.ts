import {
  DeleteRepositoryPolicyCommand,
  ECRClient,
  GetRepositoryPolicyCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import type { DeleteRepositoryPolicy, SetRepositoryPolicy } from '@driftguard/core';
import { awsErrorCode } from '../../errors';
import type { PolicyIo } from './io';

const GONE = new Set(['RepositoryPolicyNotFoundException', 'RepositoryNotFoundException']);

/** ECR: the repository policy; DeleteRepositoryPolicy when no statement remains. */
export const ecrPolicyIo: PolicyIo<SetRepositoryPolicy | DeleteRepositoryPolicy> = {
  name: ({ input }) => `${input.registryId}/${input.repositoryName}`,
  async read(operation, clients) {
    const ecr = await clients.get(ECRClient, operation.target);
    const { registryId, repositoryName } = operation.input;
    try {
      const { policyText } = await ecr.send(new GetRepositoryPolicyCommand({ registryId, repositoryName }));
      return policyText
        ? { state: 'present', text: policyText }
        : { state: 'absent', why: `${repositoryName} has no repository policy` };
    } catch (error) {
      if (GONE.has(awsErrorCode(error) ?? ''))
        return { state: 'absent', why: `${repositoryName} has no repository policy (or no longer exists)` };
      throw error;
    }
  },
  async write(operation, policy, clients) {
    const ecr = await clients.get(ECRClient, operation.target);
    const { registryId, repositoryName } = operation.input;
    if (policy === undefined) {
      await ecr.send(new DeleteRepositoryPolicyCommand({ registryId, repositoryName }));
      return 'DeleteRepositoryPolicy, no statement remained';
    }
    await ecr.send(new SetRepositoryPolicyCommand({ registryId, repositoryName, policyText: policy }));
    return 'SetRepositoryPolicy';
  },
};
