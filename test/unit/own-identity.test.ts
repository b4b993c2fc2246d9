/**
 * core own-identity.ts: which changes are driftguard's own (loop guard), by exact identity. The
 * attacks through the handler are in test/integration/self-recognition.test.ts; these are the
 * edges of the rule itself, on normalized CloudTrail records.
 */
import {
  type Change,
  isOwnChange,
  normalizeCloudTrail,
  parseRoleArn,
  REMEDIATION_SESSION_NAME,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';

const ACCOUNT = '111122223333';
const CENTRAL = 'arn:aws:iam::999988887777:role/driftguard-prod-central';
const config = { remediationRoleName: 'DriftGuardRemediation', centralRoleArn: CENTRAL };

function change(
  identity: { type?: string; arn?: string; accountId?: string; issuerType?: string; issuerArn?: string },
  account = ACCOUNT,
): Change {
  const normalized = normalizeCloudTrail({
    eventID: 'e-1',
    eventTime: '2024-03-01T10:00:00Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'AuthorizeSecurityGroupIngress',
    awsRegion: 'eu-west-1',
    recipientAccountId: account,
    userIdentity: {
      type: identity.type ?? 'AssumedRole',
      ...(identity.arn ? { arn: identity.arn } : {}),
      accountId: identity.accountId ?? account,
      sessionContext: {
        sessionIssuer: {
          ...(identity.issuerType ? { type: identity.issuerType } : {}),
          ...(identity.issuerArn ? { arn: identity.issuerArn } : {}),
        },
      },
    },
  });
  if (!normalized.ok) throw new Error(normalized.reason);
  return normalized.change;
}

const session = (partition: string, account: string, role: string, name: string) =>
  `arn:${partition}:sts::${account}:assumed-role/${role}/${name}`;
const role = (partition: string, account: string, path: string) =>
  `arn:${partition}:iam::${account}:role/${path}`;

describe('isOwnChange', () => {
  it('is driftguard’s session of the event account’s remediation role, in any partition', () => {
    for (const partition of ['aws', 'aws-cn', 'aws-us-gov']) {
      const own = change({
        arn: session(partition, ACCOUNT, 'DriftGuardRemediation', REMEDIATION_SESSION_NAME),
        issuerType: 'Role',
        issuerArn: role(partition, ACCOUNT, 'DriftGuardRemediation'),
      });
      expect(isOwnChange(own, config), partition).toBe(true);
    }
  });

  it.each([
    ['a path', { issuerArn: role('aws', ACCOUNT, 'x/DriftGuardRemediation') }],
    [
      'another session name',
      { arn: session('aws', ACCOUNT, 'DriftGuardRemediation', 'driftguard-remediation2') },
    ],
    ['an issuer of type IAMUser', { issuerType: 'IAMUser' }],
    ['no issuer type', { issuerType: undefined }],
    ['an identity type other than AssumedRole', { type: 'FederatedUser' }],
    ['another account’s role', { issuerArn: role('aws', '444455556666', 'DriftGuardRemediation') }],
    [
      'a session of another account',
      { arn: session('aws', '444455556666', 'DriftGuardRemediation', REMEDIATION_SESSION_NAME) },
    ],
    ['a caller account other than the event’s', { accountId: '444455556666' }],
    [
      'partitions that disagree',
      { arn: session('aws-cn', ACCOUNT, 'DriftGuardRemediation', REMEDIATION_SESSION_NAME) },
    ],
    ['a name that only ends like it', { issuerArn: role('aws', ACCOUNT, 'NotDriftGuardRemediation') }],
    ['no session ARN', { arn: undefined }],
  ])('is not, with %s', (_what, variation) => {
    const base = {
      arn: session('aws', ACCOUNT, 'DriftGuardRemediation', REMEDIATION_SESSION_NAME) as string | undefined,
      issuerType: 'Role' as string | undefined,
      issuerArn: role('aws', ACCOUNT, 'DriftGuardRemediation'),
    };
    const identity = { ...base, ...variation };
    expect(isOwnChange(change(identity as Parameters<typeof change>[0]), config)).toBe(false);
  });

  it('is the central role by its full ARN, in its own account only, whatever its session (one per function)', () => {
    const centralSession = (account: string) =>
      change(
        {
          arn: session('aws', '999988887777', 'driftguard-prod-central', 'driftguard-prod-evaluate'),
          accountId: '999988887777',
          issuerType: 'Role',
          issuerArn: CENTRAL,
        },
        account,
      );
    expect(isOwnChange(centralSession('999988887777'), config)).toBe(true);
    expect(isOwnChange(centralSession(ACCOUNT), config)).toBe(false);
    expect(
      isOwnChange(centralSession('999988887777'), { remediationRoleName: 'DriftGuardRemediation' }),
    ).toBe(false);
  });
});

describe('parseRoleArn', () => {
  it('reads role ARNs without a path and nothing else', () => {
    expect(parseRoleArn(CENTRAL)).toEqual({
      partition: 'aws',
      account: '999988887777',
      name: 'driftguard-prod-central',
    });
    expect(parseRoleArn('arn:aws:iam::999988887777:role/a/b')).toBeUndefined();
    expect(parseRoleArn('arn:aws:iam::999988887777:user/b')).toBeUndefined();
    expect(parseRoleArn('arn:aws:iam::9999:role/b')).toBeUndefined();
    expect(parseRoleArn(undefined)).toBeUndefined();
  });
});
