import { toStr } from '../events/ec2-sets';
import { parseArn } from '../policy/principals';
import type { ResourcePolicyAdapter } from './adapter';
import { accountOf } from './adapter';

/**
 * Secrets Manager PutResourcePolicy: `requestParameters.secretId` (name or ARN), `resourcePolicy` as
 * JSON text, `blockPublicPolicy`; `responseElements` carries the secret's `arn` and `name` (the API's
 * response; Panther's AWS.CloudTrail.ResourceMadePublic reads `resourcePolicy`).
 */
export const secretsManagerPolicy: ResourcePolicyAdapter = {
  service: 'secretsmanager',
  noun: 'Secrets Manager secret',
  eventSource: 'secretsmanager.amazonaws.com',
  eventNames: ['PutResourcePolicy'],
  doc: 'Secrets Manager secret: PutResourcePolicy (`resourcePolicy` as JSON text; the secret by the ARN in the response when present). Written back with PutResourcePolicy; DeleteResourcePolicy when no statement remains.',
  read(change) {
    const secretId = toStr(change.request.secretId);
    const responseArn = toStr(change.response.arn);
    const arn = responseArn ?? (secretId?.startsWith('arn:') ? secretId : undefined);
    const target = arn ?? secretId;
    if (!target) return { notApplicable: 'the record names no secret (secretId)' };
    const parsed = arn ? parseArn(arn) : undefined;
    const owner = accountOf(parsed?.account) ?? change.account;
    const name = toStr(change.response.name) ?? parsed?.resource.replace(/^secret:/, '') ?? target;
    return {
      resource: { type: 'AWS::SecretsManager::Secret', id: name, ...(arn ? { arn } : {}) },
      owner,
      region: parsed?.region || change.region,
      policy: change.request.resourcePolicy,
      revert: (kept, common) => ({
        ok: true,
        operation: kept
          ? {
              service: 'secretsmanager',
              operation: 'PutResourcePolicy',
              ...common,
              input: { SecretId: target, ResourcePolicy: JSON.stringify(kept) },
            }
          : {
              service: 'secretsmanager',
              operation: 'DeleteResourcePolicy',
              ...common,
              input: { SecretId: target },
            },
      }),
    };
  },
};
