/**
 * Member roles are assumed in the central role's partition: an organization in aws-cn or
 * aws-us-gov has no `arn:aws:` roles, and before this every AssumeRole there named one (the sweep
 * and every revert failed with "cannot assume"). The STS client is injected; this one records the
 * request and answers like STS.
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { accountCredentials } from '@driftguard/aws';
import { describe, expect, it } from 'vitest';

function recordingSts() {
  const assumed: string[] = [];
  const sts = {
    send: async (command: unknown) => {
      if (!(command instanceof AssumeRoleCommand)) throw new Error('only AssumeRole is expected');
      assumed.push(command.input.RoleArn ?? '');
      return {
        Credentials: {
          AccessKeyId: 'ASIAEXAMPLE',
          SecretAccessKey: 'secret',
          SessionToken: 'token',
          Expiration: new Date(Date.now() + 900_000),
        },
      };
    },
  } as unknown as STSClient;
  return { sts, assumed };
}

describe('accountCredentials: the partition comes from the central role ARN', () => {
  it.each([
    ['arn:aws-cn:iam::999988887777:role/driftguard-prod-central', 'aws-cn'],
    ['arn:aws-us-gov:iam::999988887777:role/driftguard-prod-central', 'aws-us-gov'],
    ['arn:aws:iam::999988887777:role/driftguard-prod-central', 'aws'],
    [undefined, 'aws'],
  ])('central role %s → member roles in %s', async (centralRoleArn, partition) => {
    const { sts, assumed } = recordingSts();
    const credentialsFor = accountCredentials({
      sts,
      roleName: 'DriftGuardRemediation',
      homeAccount: '999988887777',
      ...(centralRoleArn ? { centralRoleArn } : {}),
    });
    await credentialsFor('111122223333');
    expect(assumed).toEqual([`arn:${partition}:iam::111122223333:role/DriftGuardRemediation`]);
  });
});
