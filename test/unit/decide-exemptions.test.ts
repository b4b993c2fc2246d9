import {
  checkExemption,
  type Exemption,
  formatDuration,
  madeBy,
  parseConfig,
  parseDuration,
  samePerson,
  validateGrant,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { configWith } from '../support/notify';

const ACCOUNT = '111122223333';
const NOW = Date.parse('2024-03-01T10:00:00Z');
const enabled = configWith({ exemptions: { enabled: true, maxDuration: '8h' } });
const request = {
  account: ACCOUNT,
  resource: 'sg-0123456789abcdef0',
  rule: 'sg-open-ingress',
  duration: '2h',
  reason: 'vendor cut-over, see change',
  ticket: 'CHG-1234',
  requester: 'alice@example.com',
  approver: 'bob@example.com',
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

describe('granting an exemption', () => {
  it('builds the record: scope, people, times', () => {
    const result = validateGrant(request, enabled, { id: 'ex-1', now: NOW });
    expect(result).toEqual({
      ok: true,
      exemption: {
        id: 'ex-1',
        account: ACCOUNT,
        resource: 'sg-0123456789abcdef0',
        rule: 'sg-open-ingress',
        reason: 'vendor cut-over, see change',
        ticket: 'CHG-1234',
        requester: 'alice@example.com',
        approver: 'bob@example.com',
        grantedAt: '2024-03-01T10:00:00.000Z',
        expiresAt: '2024-03-01T12:00:00.000Z',
      },
    });
  });

  it.each([
    [{}, configWith({}), 'exemptions are disabled'],
    [{ duration: '9h' }, enabled, '--for 9h is longer than the maximum exemptions.maxDuration = 8h'],
    [{ duration: 'soon' }, enabled, '--for: "soon" is not a duration'],
    [{ approver: 'alice@example.com' }, enabled, 'cannot be the requester'],
    // The same person by ARN (as STS GetCallerIdentity reports the requester) and by name.
    [
      {
        requester: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com`,
        approver: 'alice@example.com',
      },
      configWith({ exemptions: { enabled: true } }),
      'two-person rule',
    ],
    [{ approver: 'ALICE@example.com' }, enabled, 'two-person rule'],
    [{ account: '1234' }, enabled, '--account must be a 12-digit AWS account id'],
    [{ reason: ' ' }, enabled, '--reason must say why'],
    [{ ticket: '' }, enabled, '--ticket must name'],
    [{ rule: 'sg-open' }, enabled, '--rule sg-open is not a guardrail'],
  ])('refuses %j with a clear reason', (change, config, message) => {
    const result = validateGrant({ ...request, ...(change as Partial<typeof request>) }, config, {
      id: 'ex-1',
      now: NOW,
      knownRules: ['sg-open-ingress', 'vpc-peering'],
    });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(message);
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
