import { toStr } from '../events/ec2-sets';
import type { ResourcePolicyAdapter } from './adapter';
import { accountOf } from './adapter';

/**
 * ECR SetRepositoryPolicy: `requestParameters.repositoryName`, `policyText` as JSON text, an optional
 * `registryId` (the owner; else the caller's account), and `responseElements` echoing `registryId`,
 * `repositoryName` and the policy (Panther's AWS.CloudTrail.ResourceMadePublic "ECR Made Public" record).
 */
export const ecrRepositoryPolicy: ResourcePolicyAdapter = {
  service: 'ecr',
  noun: 'ECR repository',
  eventSource: 'ecr.amazonaws.com',
  eventNames: ['SetRepositoryPolicy'],
  doc: 'ECR repository: SetRepositoryPolicy (`policyText` as JSON text; the registry from `registryId`, else the response, else the account). Written back with SetRepositoryPolicy; DeleteRepositoryPolicy when no statement remains.',
  read(change) {
    const repositoryName = toStr(change.request.repositoryName) ?? toStr(change.response.repositoryName);
    if (!repositoryName) return { notApplicable: 'the record names no repository (repositoryName)' };
    const owner =
      accountOf(toStr(change.request.registryId)) ??
      accountOf(toStr(change.response.registryId)) ??
      change.account;
    const region = change.region;
    return {
      resource: {
        type: 'AWS::ECR::Repository',
        id: repositoryName,
        arn: `arn:aws:ecr:${region}:${owner}:repository/${repositoryName}`,
      },
      owner,
      region,
      policy: change.request.policyText ?? change.response.policyText,
      revert: (kept, common) => ({
        ok: true,
        operation: kept
          ? {
              service: 'ecr',
              operation: 'SetRepositoryPolicy',
              ...common,
              input: { registryId: owner, repositoryName, policyText: JSON.stringify(kept) },
            }
          : {
              service: 'ecr',
              operation: 'DeleteRepositoryPolicy',
              ...common,
              input: { registryId: owner, repositoryName },
            },
      }),
    };
  },
};
