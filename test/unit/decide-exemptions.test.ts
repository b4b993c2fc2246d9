import {
  approveRequest,
  authenticatedPrincipal,
  checkExemption,
  type Exemption,
  formatDuration,
  madeBy,
  parseConfig,
  parseDuration,
  referenceInScope,
  samePerson,
  validateRequest,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { configWith } from '../support/notify';

const ACCOUNT = '111122223333';
const NOW = Date.parse('2024-03-01T10:00:00Z');
const enabled = configWith({ exemptions: { enabled: true, maxDuration: '8h' } });
const input = {
  account: ACCOUNT,
  resource: 'sg-0123456789abcdef0',
  rule: 'sg-open-ingress',
  duration: '2h',
  reason: 'vendor cut-over, see change',
  ticket: 'CHG-1234',
};

describe('durations', () => {
  it('reads what people write and refuses the rest', () => {
    expect(parseDuration('90m')).toEqual({ ok: true, ms: 5_400_000 });
    expect(parseDuration('1h30m')).toEqual({ ok: true, ms: 5_400_000 });
    expect(parseDuration('2d')).toEqual({ ok: true, ms: 172_800_000 });
    expect(parseDuration('2 hours').ok).toBe(false);
    expect(parseDuration('0h').ok).toBe(false);
    expect(parseDuration('-1h').ok).toBe(false);
    expect(formatDuration(5_400_000)).toBe('1h30m');
  });

  it('config: maxDuration must be a duration of at most 7 days', () => {
    const bad = parseConfig({ exemptions: { maxDuration: '30d' } });
    expect(bad.ok ? '' : bad.reason).toContain('must be at most 7d');
    const worse = parseConfig({ exemptions: { maxDuration: 'forever' } });
    expect(worse.ok ? '' : worse.reason).toContain('is not a duration');
  });
});

const SECURITY = '999988887777';
const ALICE = `arn:aws:sts::${SECURITY}:assumed-role/BreakGlass/alice@example.com`;
const BOB = `arn:aws:sts::${SECURITY}:assumed-role/SecurityOncall/bob@example.com`;

function principal(arn: string, config = enabled) {
  const parsed = authenticatedPrincipal({ userArn: arn, accountId: arn.split(':')[4] ?? '' }, config);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.principal;
}

function pending(config = enabled, requester = ALICE) {
  const made = validateRequest(input, principal(requester, config), config, { id: 'req-1', now: NOW });
  if (!made.ok) throw new Error(made.reason);
  return made.request;
}

describe('the principal AWS authenticated', () => {
  it('an assumed role is one principal whatever the session name (whoever holds the role picks it)', () => {
    const one = principal(`arn:aws:sts::${SECURITY}:assumed-role/Admin/alice`);
    const two = principal(`arn:aws:sts::${SECURITY}:assumed-role/ADMIN/anyone-else`);
    expect(one).toMatchObject({ kind: 'role', key: `aws:${SECURITY}:role/admin` });
    expect(two.key).toBe(one.key);
  });

  it('sessions of a role listed in sessionPrincipalRoles are distinct principals (Identity Center users)', () => {
    const config = configWith({
      exemptions: {
        enabled: true,
        sessionPrincipalRoles: [
          `arn:aws:iam::${SECURITY}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Sec_0123`,
        ],
      },
    });
    const alice = principal(
      `arn:aws:sts::${SECURITY}:assumed-role/AWSReservedSSO_Sec_0123/alice@example.com`,
      config,
    );
    const bob = principal(
      `arn:aws:sts::${SECURITY}:assumed-role/AWSReservedSSO_Sec_0123/bob@example.com`,
      config,
    );
    expect(alice.kind).toBe('role-session');
    expect(alice.key).not.toBe(bob.key);
  });

  it('an IAM user is itself; the root user, federated users and unknown callers are refused', () => {
    expect(principal(`arn:aws:iam::${SECURITY}:user/ops/carol`)).toMatchObject({
      kind: 'iam-user',
      key: `aws:${SECURITY}:user/carol`,
    });
    const refused = (userArn: string, accountId = SECURITY) => {
      const result = authenticatedPrincipal({ userArn, accountId }, enabled);
      return result.ok ? 'accepted' : `${result.refusal}: ${result.reason}`;
    };
    expect(refused(`arn:aws:iam::${SECURITY}:root`)).toContain('root: the root user cannot');
    expect(refused(`arn:aws:sts::${SECURITY}:federated-user/bob`)).toContain(
      'federated-user: federated users',
    );
    expect(refused('')).toContain('unrecognised-identity: an anonymous caller is not an IAM role session');
    expect(refused(ALICE, '111111111111')).toContain(
      'identity-mismatch: the caller arn:aws:sts::999988887777:assumed-role',
    );
  });
});

describe('request, then approval by another principal', () => {
  it('builds the request from the authenticated requester, and the exemption from the approval', () => {
    const request = pending();
    expect(request).toEqual({
      id: 'req-1',
      account: ACCOUNT,
      resource: 'sg-0123456789abcdef0',
      rule: 'sg-open-ingress',
      duration: '2h',
      reason: 'vendor cut-over, see change',
      ticket: 'CHG-1234',
      requester: ALICE,
      requesterPrincipal: `aws:${SECURITY}:role/breakglass`,
      requestedAt: '2024-03-01T10:00:00.000Z',
      validUntil: '2024-03-02T10:00:00.000Z',
    });
    const later = NOW + 30 * 60_000;
    expect(approveRequest(request, principal(BOB), enabled, { id: 'ex-1', now: later })).toEqual({
      ok: true,
      exemption: {
        id: 'ex-1',
        account: ACCOUNT,
        resource: 'sg-0123456789abcdef0',
        rule: 'sg-open-ingress',
        reason: 'vendor cut-over, see change',
        ticket: 'CHG-1234',
        requester: ALICE,
        approver: BOB,
        requesterPrincipal: `aws:${SECURITY}:role/breakglass`,
        approverPrincipal: `aws:${SECURITY}:role/securityoncall`,
        requestId: 'req-1',
        requestedAt: '2024-03-01T10:00:00.000Z',
        // The window starts at the approval.
        grantedAt: '2024-03-01T10:30:00.000Z',
        expiresAt: '2024-03-01T12:30:00.000Z',
      },
    });
  });

  it.each([
    ['the same session', ALICE, enabled, 'self-approval: ', 'the same principal'],
    // One person holding one role calls twice with two session names: still one principal.
    [
      'another session of the same role',
      `arn:aws:sts::${SECURITY}:assumed-role/BreakGlass/bob@example.com`,
      enabled,
      'self-approval: ',
      'sessions of one role are one principal',
    ],
    [
      'an approver not in exemptions.approvers',
      BOB,
      configWith({ exemptions: { enabled: true, approvers: [`arn:aws:iam::${SECURITY}:role/Ciso`] } }),
      'not-approver: ',
      'is not an approver',
    ],
  ])('refuses approval by %s', (_name, approver, config, refusal, message) => {
    const result = approveRequest(pending(config), principal(approver, config), config, {
      id: 'ex-1',
      now: NOW,
    });
    expect(result.ok ? '' : `${result.refusal}: ${result.reason}`).toMatch(
      new RegExp(`^${refusal}.*${message}`),
    );
  });

  it('accepts a listed approver (by role ARN, with or without a path), refuses a lapsed request', () => {
    const config = configWith({
      exemptions: { enabled: true, approvers: [`arn:aws:iam::${SECURITY}:role/oncall/SecurityOncall`] },
    });
    expect(approveRequest(pending(config), principal(BOB, config), config, { id: 'ex-1', now: NOW }).ok).toBe(
      true,
    );
    const lapsed = approveRequest(pending(), principal(BOB), enabled, {
      id: 'ex-1',
      now: NOW + 25 * 3_600_000,
    });
    expect(lapsed.ok ? '' : `${lapsed.refusal}: ${lapsed.reason}`).toMatch(
      /^lapsed: .*lapsed at 2024-03-02T10:00:00.000Z/,
    );
  });

  it.each([
    [{}, configWith({}), 'exemptions are disabled'],
    [{ duration: '9h' }, enabled, '--for 9h is longer than the maximum exemptions.maxDuration = 8h'],
    [{ duration: 'soon' }, enabled, '--for: "soon" is not a duration'],
    [{ account: '1234' }, enabled, '--account must be a 12-digit AWS account id'],
    [{ reason: ' ' }, enabled, '--reason must say why'],
    [{ ticket: '' }, enabled, '--ticket must name'],
    [{ rule: 'sg-open' }, enabled, '--rule sg-open is not a guardrail'],
  ])('refuses the request %j with a clear reason', (change, config, message) => {
    const result = validateRequest(
      { ...input, ...(change as Partial<typeof input>) },
      principal(ALICE),
      config,
      {
        id: 'req-1',
        now: NOW,
        knownRules: ['sg-open-ingress', 'vpc-peering'],
      },
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(message);
  });
});

describe('a reference an exemption let through', () => {
  const exemption = { account: ACCOUNT, rule: 'sg-open-ingress', resource: 'sg-0123456789abcdef0' };
  const reference = { account: ACCOUNT, rule: 'sg-open-ingress', resource: 'sg-0123456789abcdef0' };
  it('is in scope only for the exemption’s account, rule and resource', () => {
    expect(referenceInScope(exemption, reference)).toEqual({ ok: true });
    expect(referenceInScope(exemption, { ...reference, account: '444455556666' })).toEqual({
      ok: false,
      reason: `account 444455556666 is outside the exemption (account ${ACCOUNT})`,
    });
    expect(referenceInScope(exemption, { ...reference, rule: 'guardduty-finding' })).toMatchObject({
      ok: false,
    });
    expect(referenceInScope(exemption, { ...reference, resource: 'i-0abc' })).toMatchObject({ ok: false });
    expect(referenceInScope({ account: ACCOUNT }, { ...reference, resource: 'i-0abc' })).toEqual({
      ok: true,
    });
  });
});

describe('who is who', () => {
  it('an assumed-role session, an IAM user and a plain name are the same person when the names match', () => {
    expect(samePerson('arn:aws:sts::111122223333:assumed-role/Admin/bob', 'bob')).toBe(true);
    expect(samePerson('arn:aws:iam::111122223333:user/ops/bob', 'Bob')).toBe(true);
    expect(
      samePerson(
        'arn:aws:sts::111122223333:assumed-role/Admin/bob',
        'arn:aws:sts::111122223333:assumed-role/Other/bob',
      ),
    ).toBe(true);
    expect(samePerson('bob', 'alice')).toBe(false);
    // The role alone is not a person: two people share Admin.
    expect(samePerson('arn:aws:sts::111122223333:assumed-role/Admin/bob', 'Admin')).toBe(false);
  });

  it('an actor made the change when its ARN, session name or principal id names the identity', () => {
    const actor = {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/Admin/bob@example.com',
      principalId: 'AROAEXAMPLE:bob@example.com',
      roleArn: 'arn:aws:iam::111122223333:role/Admin',
      roleName: 'Admin',
      sessionName: 'bob@example.com',
    };
    expect(madeBy(actor, 'bob@example.com')).toBe(true);
    expect(madeBy(actor, 'arn:aws:sts::111122223333:assumed-role/Other/bob@example.com')).toBe(true);
    expect(madeBy(actor, 'Admin')).toBe(false);
    expect(madeBy(actor, 'alice@example.com')).toBe(false);
  });
});

describe('checking an exemption against a violation', () => {
  const exemption: Exemption = {
    id: 'ex-1',
    account: ACCOUNT,
    resource: 'arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0',
    reason: 'r',
    ticket: 'T-1',
    requester: 'alice',
    approver: 'bob',
    grantedAt: '2024-03-01T10:00:00Z',
    expiresAt: '2024-03-01T12:00:00Z',
  };
  const target = {
    account: ACCOUNT,
    rule: 'sg-open-ingress',
    resource: { type: 'AWS::EC2::SecurityGroup', id: 'sg-0123456789abcdef0' },
    actor: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/Admin/carol' },
  };

  it('an ARN scope covers the resource known only by id', () => {
    expect(checkExemption(exemption, target, enabled, NOW + 60_000).applies).toBe(true);
  });

  it('is in force from grantedAt (inclusive) to expiresAt (exclusive)', () => {
    expect(checkExemption(exemption, target, enabled, NOW).applies).toBe(true);
    const atExpiry = checkExemption(exemption, target, enabled, Date.parse(exemption.expiresAt));
    expect(atExpiry).toMatchObject({ applies: false, inScope: true, why: 'expired at 2024-03-01T12:00:00Z' });
    expect(checkExemption(exemption, target, enabled, NOW - 1)).toMatchObject({
      applies: false,
      why: 'not in force before 2024-03-01T10:00:00Z',
    });
  });

  it('never covers its approver’s own change', () => {
    const byApprover = {
      ...target,
      actor: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/Admin/bob' },
    };
    expect(checkExemption(exemption, byApprover, enabled, NOW)).toMatchObject({
      applies: false,
      why: 'the change was made by its approver bob (two-person rule)',
    });
  });
});
