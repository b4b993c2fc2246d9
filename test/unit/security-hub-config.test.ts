import { parseConfig } from '@driftguard/core';
import { describe, expect, it } from 'vitest';

const securityHub = (value: unknown) => parseConfig({ notifications: { securityHub: value } });

describe('notifications.securityHub', () => {
  it('is off unless configured, and {} turns it on for every severity in the function’s region', () => {
    const off = parseConfig({});
    expect(off.ok && off.config.notifications.securityHub).toBeUndefined();
    const on = securityHub({});
    expect(on.ok && on.config.notifications.securityHub).toEqual({ minSeverity: 'low' });
  });

  it.each([
    [true, 'must be an object: {} turns Security Hub findings on, { "minSeverity": "high" } limits them'],
    [
      { minSeverity: 'hgh' },
      'must be one of low, medium, high, critical (violations below it get no finding)',
    ],
    [{ region: 'Ireland' }, 'must be an AWS region such as eu-west-1, or left out'],
    [
      { productArn: 'arn:aws:securityhub:::product/x' },
      'unknown setting "productArn": securityHub takes minSeverity and region',
    ],
  ])('refuses %j and says what to write instead', (value, message) => {
    const parsed = securityHub(value);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toContain(`✖ ${message}\n  → at notifications.securityHub`);
  });
});
