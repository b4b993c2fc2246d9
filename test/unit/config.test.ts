import { defaultConfig, parseConfig } from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { readCidr } from '../../packages/core/src/net/cidr';

describe('config', () => {
  it('fills every default: revert, RFC 1918 + CGNAT + ULA trusted, the remediation role name', () => {
    const config = defaultConfig();
    expect(config.dryRun).toBe(false);
    expect(config.remediationRoleName).toBe('DriftGuardRemediation');
    expect(config.trustedCidrs).toEqual([
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
      '100.64.0.0/10',
      'fc00::/7',
    ]);
    expect(config.rules['sg-open-ingress'].mode).toBe('revert');
  });

  it('names driftguard’s own roles exactly: no ownRoleNames, no paths', () => {
    const refused = parseConfig({ ownRoleNames: ['driftguard-prod-central'] });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toContain('ownRoleNames was removed');
    expect(parseConfig({ remediationRoleName: 'attacker/DriftGuardRemediation' }).ok).toBe(false);
    expect(
      parseConfig({ centralRoleArn: 'arn:aws:iam::111122223333:role/x/driftguard-prod-central' }).ok,
    ).toBe(false);
    expect(parseConfig({ centralRoleArn: 'driftguard-prod-central' }).ok).toBe(false);
    const ok = parseConfig({ centralRoleArn: 'arn:aws:iam::111122223333:role/driftguard-prod-central' });
    expect(ok.ok && ok.config.centralRoleArn).toBe('arn:aws:iam::111122223333:role/driftguard-prod-central');
  });

  it('keeps rule defaults when only one option of a rule is set', () => {
    const parsed = parseConfig({
      rules: { 'sg-open-ingress': { allowedSecurityGroups: ['sg-0123456789abcdef0'] } },
    });
    expect(parsed.ok && parsed.config.rules['sg-open-ingress'].mode).toBe('revert');
    expect(parsed.ok && parsed.config.rules['sg-open-ingress'].criticalPorts).toContain(22);
  });

  it('explains every error with its path, and rejects unknown keys (typos must not silently disable a guardrail)', () => {
    const parsed = parseConfig({
      dryrun: true,
      trustedCidrs: ['10.0.0.0/33'],
      trustedAccounts: ['1234'],
      rules: { 'sg-open-ingress': { mode: 'nuke', allowedPorts: { 'sg-0123456789abcdef0': ['443-80'] } } },
    });
    expect(parsed.ok).toBe(false);
    const reason = parsed.ok ? '' : parsed.reason;
    expect(reason).toContain('Unrecognized key: "dryrun"');
    expect(reason).toContain('trustedCidrs[0]');
    expect(reason).toContain('must be a 12-digit AWS account id');
    expect(reason).toContain('rules["sg-open-ingress"].mode');
    expect(reason).toContain('range must go from low to high');
  });

  it('refuses a CIDR parsers read differently and names the canonical form (012.0.0.0/8 is not 10.0.0.0/8)', () => {
    const reasons = (cidr: string) => {
      const parsed = parseConfig({ trustedCidrs: [cidr] });
      return parsed.ok ? 'accepted' : parsed.reason;
    };
    expect(reasons('012.0.0.0/8')).toContain(
      '"012.0.0.0/8" is not canonical dotted decimal: a leading zero reads as octal (10.0.0.0/8) to some parsers and as decimal (12.0.0.0/8) to others: write "12.0.0.0/8" or "10.0.0.0/8"',
    );
    expect(reasons('0xa.0.0.0/8')).toContain('write "10.0.0.0/8"');
    expect(reasons('10/8')).toContain('write "0.0.0.10/8"');
    expect(reasons('10.0.0.0/08')).toContain(
      '"10.0.0.0/08" has a prefix length with a leading zero: write "10.0.0.0/8"',
    );
    expect(reasons('fc00:0:0::/7')).toContain('is not in canonical IPv6 form (RFC 5952): write "fc00::/7"');
    expect(reasons('fe80::1%eth0/64')).toContain('carries a zone id');
    expect(reasons('10.0.0.0/33')).toContain('is not an IPv4 or IPv6 address or CIDR');
    for (const canonical of [
      '10.0.0.0/8',
      '100.64.0.0/10',
      '0.0.0.0/0',
      'FC00::/7',
      '2001:db8::/32',
      '203.0.113.7',
    ])
      expect(reasons(canonical)).toBe('accepted');
  });

  it('reads event CIDRs the same strict way: a non-canonical one is never inside a trusted range', () => {
    expect(readCidr('012.0.0.0/8')).toMatchObject({ ok: false, canonical: ['12.0.0.0/8', '10.0.0.0/8'] });
    expect(readCidr('::ffff:10.0.0.1/128')).toMatchObject({ ok: false, canonical: ['::ffff:a00:1/128'] });
    expect(readCidr('10.1.2.3')).toMatchObject({ ok: true, cidr: { family: 'ipv4', prefix: 32 } });
  });
});
