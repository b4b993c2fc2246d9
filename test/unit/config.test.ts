import { defaultConfig, parseConfig } from '@driftguard/core';
import { describe, expect, it } from 'vitest';

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
});
