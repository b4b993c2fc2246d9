import {
  type AccountPlacement,
  assess,
  type Config,
  infrastructureAsCodeActor,
  normalizeCloudTrail,
  parseConfig,
  resolveMode,
} from '@driftguard/core';
import { describe, expect, it } from 'vitest';
import { configWith, sampleEvent } from '../support/notify';

const ACCOUNT = '111122223333';
const NEAREST = 'ou-ab12-payments';
const PARENT = 'ou-ab12-workload';
const PLACEMENT: AccountPlacement = { account: ACCOUNT, organizationalUnits: [NEAREST, PARENT, 'r-ab12'] };
const SG = { id: 'sg-open-ingress', defaultMode: 'revert' as const };

function modeFor(input: unknown, placement: AccountPlacement | undefined = PLACEMENT, account = ACCOUNT) {
  return resolveMode(SG, configWith(input), account, placement).setting;
}

function decideEvent(config: Config, event: unknown = sampleEvent(), placement?: AccountPlacement) {
  const normalized = normalizeCloudTrail(event);
  if (!normalized.ok) throw new Error(normalized.reason);
  return assess(normalized.change, config, undefined, undefined, undefined, {
    now: Date.parse('2024-03-01T10:06:00Z'),
    ...(placement ? { placement } : {}),
  });
}

describe('modes and overrides: the most specific setting wins', () => {
  it('default, then rules.<id>.mode', () => {
    expect(modeFor({}).text).toBe('rules.sg-open-ingress.mode = revert');
    expect(
      resolveMode({ id: 'new-rule', defaultMode: 'alert' }, configWith({}), ACCOUNT, PLACEMENT).setting,
    ).toEqual({
      source: 'default',
      mode: 'alert',
      text: 'default mode of new-rule = alert',
    });
    expect(modeFor({ rules: { 'sg-open-ingress': { mode: 'alert' } } })).toMatchObject({
      source: 'rule',
      mode: 'alert',
      text: 'rules.sg-open-ingress.mode = alert',
    });
  });

  it('an OU override beats the rule mode, and names the OU and its position', () => {
    const setting = modeFor({
      rules: { 'sg-open-ingress': { mode: 'revert' } },
      overrides: [
        { accounts: ['444455556666'], mode: 'off' },
        { organizationalUnits: [NEAREST], mode: 'alert' },
      ],
    });
    expect(setting.text).toBe(`override #2 (${NEAREST}) sets mode alert for every rule (so sg-open-ingress)`);
    expect(setting.override).toEqual({ number: 2, scope: 'organizational-unit', id: NEAREST });
  });

  it('an override naming the rule says so', () => {
    expect(
      modeFor({
        overrides: [
          { organizationalUnits: ['ou-abcd-12345678', NEAREST], rules: ['sg-open-ingress'], mode: 'alert' },
        ],
      }).text,
    ).toBe(`override #1 (${NEAREST}) sets mode alert for sg-open-ingress`);
  });

  it('an account override beats any OU override, even one naming the rule', () => {
    const setting = modeFor({
      overrides: [
        { organizationalUnits: [NEAREST], rules: ['sg-open-ingress'], mode: 'off' },
        { accounts: [ACCOUNT], mode: 'ticket', note: 'payments freeze' },
      ],
    });
    expect(setting.mode).toBe('ticket');
    expect(setting.text).toBe(
      `override #2 (account ${ACCOUNT}) sets mode ticket for every rule (so sg-open-ingress) — payments freeze`,
    );
  });

  it('the nearest OU beats a parent OU and the root, whatever the order in the list', () => {
    const overrides = [
      { organizationalUnits: ['r-ab12'], mode: 'off' },
      { organizationalUnits: [PARENT], mode: 'alert' },
      { organizationalUnits: [NEAREST], mode: 'shadow' },
    ];
    expect(modeFor({ overrides }).mode).toBe('shadow');
    expect(modeFor({ overrides: overrides.slice(0, 2) }).mode).toBe('alert');
    expect(modeFor({ overrides: overrides.slice(0, 1) }).mode).toBe('off');
  });

  it('at the same level an override naming the rule beats one for every rule; then the first listed wins', () => {
    expect(
      modeFor({
        overrides: [
          { accounts: [ACCOUNT], mode: 'alert' },
          { accounts: [ACCOUNT], rules: ['sg-open-ingress'], mode: 'ticket' },
        ],
      }).mode,
    ).toBe('ticket');
    expect(
      modeFor({
        overrides: [
          { accounts: [ACCOUNT], mode: 'alert' },
          { accounts: [ACCOUNT], mode: 'ticket' },
        ],
      }).text,
    ).toContain('override #1');
  });

  it('overrides for other rules, other accounts or other OUs do not apply', () => {
    expect(
      modeFor({
        overrides: [
          { accounts: [ACCOUNT], rules: ['vpc-peering'], mode: 'off' },
          { accounts: ['444455556666'], mode: 'off' },
          { organizationalUnits: ['ou-ab12-elsewhere'], mode: 'off' },
        ],
      }).source,
    ).toBe('rule');
  });

  it('without the OU membership (replay, Organizations unreadable) OU overrides are skipped and the reason says so', () => {
    const config = configWith({ overrides: [{ organizationalUnits: [NEAREST], mode: 'off' }] });
    const assessment = decideEvent(config);
    expect(assessment.action).toBe('revert');
    expect(assessment.decisionReason).toBe(
      `rules.sg-open-ingress.mode = revert; OU membership of ${ACCOUNT} unknown: override(s) #1 by OU not considered`,
    );
    expect(decideEvent(config, sampleEvent(), PLACEMENT).action).toBe('none');
  });

  it('the trace lists the placement and the overrides that matched but lost', () => {
    const config = configWith({
      overrides: [
        { organizationalUnits: [PARENT], mode: 'off' },
        { organizationalUnits: [NEAREST], mode: 'alert' },
      ],
    });
    const trace = decideEvent(config, sampleEvent(), PLACEMENT).results[0]?.decision.trace ?? [];
    expect(trace).toContain(
      `mode: override #2 (${NEAREST}) sets mode alert for every rule (so sg-open-ingress)`,
    );
    expect(trace).toContain(`  ${ACCOUNT} sits in ${NEAREST} < ${PARENT} < r-ab12 (nearest first)`);
    expect(trace).toContain(
      `  override #1 (${PARENT}) sets mode off for every rule (so sg-open-ingress): less specific, not used`,
    );
    expect(trace.at(-1)).toBe('action: alert');
  });

  it('rejects overrides that name both or neither of accounts and OUs, and malformed ids', () => {
    const both = parseConfig({
      overrides: [{ accounts: [ACCOUNT], organizationalUnits: [NEAREST], mode: 'off' }],
    });
    const neither = parseConfig({ overrides: [{ mode: 'off' }] });
    const badOu = parseConfig({ overrides: [{ organizationalUnits: ['prod'], mode: 'off' }] });
    for (const parsed of [both, neither]) {
      expect(parsed.ok).toBe(false);
      expect(parsed.ok ? '' : parsed.reason).toContain('exactly one of them');
    }
    expect(badOu.ok ? '' : badOu.reason).toContain('must be an OU id such as ou-ab12-cd34ef56');
  });
});

describe('dryRun and shadow', () => {
  it('dryRun forces shadow and lists the would-be revert; the reason keeps the underlying setting', () => {
    const assessment = decideEvent(configWith({ dryRun: true }));
    expect(assessment.action).toBe('shadow');
    expect(assessment.wouldBe).toBe('revert');
    expect(assessment.operations).toHaveLength(1);
    expect(assessment.decisionReason).toBe(
      'rules.sg-open-ingress.mode = revert; dryRun = true: shadow, changes nothing (would have reverted)',
    );
  });

  it('dryRun with mode alert lists no operation: it would only have alerted', () => {
    const assessment = decideEvent(
      configWith({ dryRun: true, rules: { 'sg-open-ingress': { mode: 'alert' } } }),
    );
    expect(assessment).toMatchObject({ action: 'shadow', wouldBe: 'alert', operations: [] });
  });

  it('dryRun does not switch on a guardrail that is off', () => {
    expect(
      decideEvent(configWith({ dryRun: true, rules: { 'sg-open-ingress': { mode: 'off' } } })).action,
    ).toBe('none');
  });
});

describe('infrastructure-as-code actors', () => {
  const iacConfig = configWith({
    infrastructureAsCode: { roleArnPatterns: ['arn:aws:iam::*:role/terraform-*'] },
  });
  const actor = (fields: Record<string, string>) => ({ type: 'AssumedRole', ...fields });

  it('CloudFormation is recognised by invokedBy or sourceIPAddress (both set by AWS)', () => {
    expect(infrastructureAsCodeActor(actor({ invokedBy: 'cloudformation.amazonaws.com' }), iacConfig)).toBe(
      'CloudFormation (invokedBy cloudformation.amazonaws.com)',
    );
    expect(
      infrastructureAsCodeActor(actor({ sourceIp: 'cloudformation.amazonaws.com' }), iacConfig),
    ).toContain('sourceIPAddress');
  });

  it('the user agent and the session name are chosen by the caller: they never make a change IaC', () => {
    expect(
      infrastructureAsCodeActor(
        actor({
          userAgent: 'cloudformation.amazonaws.com',
          sessionName: 'AWSCloudFormation',
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/AWSCloudFormation`,
          roleArn: `arn:aws:iam::${ACCOUNT}:role/Admin`,
        }),
        iacConfig,
      ),
    ).toBeUndefined();
  });

  it('role ARN patterns match the role behind the session (globs, case-sensitive), or an IAM user ARN', () => {
    expect(
      infrastructureAsCodeActor(
        actor({ roleArn: `arn:aws:iam::${ACCOUNT}:role/terraform-deploy` }),
        iacConfig,
      ),
    ).toContain('matches infrastructureAsCode.roleArnPatterns arn:aws:iam::*:role/terraform-*');
    expect(
      infrastructureAsCodeActor(
        actor({ roleArn: `arn:aws:iam::${ACCOUNT}:role/Terraform-deploy` }),
        iacConfig,
      ),
    ).toBeUndefined();
    expect(
      infrastructureAsCodeActor(
        actor({ roleArn: `arn:aws:iam::${ACCOUNT}:role/not-terraform-deploy` }),
        iacConfig,
      ),
    ).toBeUndefined();
    const users = configWith({
      infrastructureAsCode: { roleArnPatterns: ['arn:aws:iam::111122223333:user/ci'] },
    });
    expect(infrastructureAsCodeActor(actor({ arn: `arn:aws:iam::${ACCOUNT}:user/ci` }), users)).toBeDefined();
  });

  it('CloudFormation detection can be switched off', () => {
    const off = configWith({ infrastructureAsCode: { cloudFormation: false } });
    expect(
      infrastructureAsCodeActor(actor({ invokedBy: 'cloudformation.amazonaws.com' }), off),
    ).toBeUndefined();
  });

  function cfnEvent() {
    const event = sampleEvent() as { detail: { userIdentity: Record<string, unknown> } };
    event.detail.userIdentity.invokedBy = 'cloudformation.amazonaws.com';
    return event;
  }

  it('an IaC change gets a ticket instead of a revert, per guardrail configurable', () => {
    const byDefault = decideEvent(configWith({}), cfnEvent());
    expect(byDefault.action).toBe('ticket');
    expect(byDefault.decisionReason).toBe(
      'rules.sg-open-ingress.mode = revert; infrastructure-as-code change by CloudFormation (invokedBy cloudformation.amazonaws.com): infrastructureAsCode.mode = ticket replaces revert',
    );
    expect(
      decideEvent(
        configWith({ infrastructureAsCode: { rules: { 'sg-open-ingress': 'revert' } } }),
        cfnEvent(),
      ).action,
    ).toBe('revert');
    expect(decideEvent(configWith({ infrastructureAsCode: { mode: 'alert' } }), cfnEvent()).action).toBe(
      'alert',
    );
    expect(decideEvent(configWith({ infrastructureAsCode: { mode: 'off' } }), cfnEvent()).action).toBe(
      'none',
    );
  });

  it('only revert is replaced: an IaC change under mode alert is alerted', () => {
    expect(
      decideEvent(configWith({ rules: { 'sg-open-ingress': { mode: 'alert' } } }), cfnEvent()).action,
    ).toBe('alert');
  });
});
