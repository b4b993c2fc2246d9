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
  const TF_ROLE = `arn:aws:iam::${ACCOUNT}:role/platform/terraform-apply`;
  const iacConfig = configWith({ infrastructureAsCode: { roleArns: [TF_ROLE] } });
  const actor = (fields: Record<string, string>) => ({ type: 'AssumedRole', ...fields });

  it('only a session of a configured role, compared exactly (path included), is IaC', () => {
    expect(infrastructureAsCodeActor(actor({ roleArn: TF_ROLE }), iacConfig)).toBe(
      `role ${TF_ROLE} (listed in infrastructureAsCode.roleArns)`,
    );
    for (const other of [
      `arn:aws:iam::${ACCOUNT}:role/terraform-apply`,
      `arn:aws:iam::${ACCOUNT}:role/platform/terraform-apply-2`,
      `arn:aws:iam::${ACCOUNT}:role/platform/Terraform-apply`,
      `arn:aws:iam::444455556666:role/platform/terraform-apply`,
    ])
      expect(infrastructureAsCodeActor(actor({ roleArn: other }), iacConfig), other).toBeUndefined();
    // An IAM user, or a session ARN that merely contains the role: not a session of the role.
    expect(
      infrastructureAsCodeActor({ type: 'IAMUser', arn: TF_ROLE, roleArn: TF_ROLE }, iacConfig),
    ).toBeUndefined();
    expect(infrastructureAsCodeActor(actor({ arn: TF_ROLE }), iacConfig)).toBeUndefined();
  });

  it('CloudFormation as such is not IaC (anyone can create a stack): only its configured service role is', () => {
    const viaStack = { invokedBy: 'cloudformation.amazonaws.com', sourceIp: 'cloudformation.amazonaws.com' };
    expect(
      infrastructureAsCodeActor(
        actor({ ...viaStack, roleArn: `arn:aws:iam::${ACCOUNT}:role/attacker-stack-role` }),
        iacConfig,
      ),
    ).toBeUndefined();
    expect(infrastructureAsCodeActor(actor(viaStack), iacConfig)).toBeUndefined();
    expect(infrastructureAsCodeActor(actor({ ...viaStack, roleArn: TF_ROLE }), iacConfig)).toContain(
      'via cloudformation.amazonaws.com',
    );
  });

  it('the user agent and the session name are chosen by the caller: they never make a change IaC', () => {
    expect(
      infrastructureAsCodeActor(
        actor({
          userAgent: 'cloudformation.amazonaws.com',
          sessionName: 'terraform-apply',
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/terraform-apply`,
          roleArn: `arn:aws:iam::${ACCOUNT}:role/Admin`,
        }),
        iacConfig,
      ),
    ).toBeUndefined();
  });

  it('the config refuses patterns and the removed settings, saying what to do instead', () => {
    const reasonOf = (input: unknown) => {
      const parsed = parseConfig(input);
      return parsed.ok ? 'accepted' : parsed.reason;
    };
    expect(reasonOf({ infrastructureAsCode: { roleArns: ['arn:aws:iam::*:role/terraform-*'] } })).toContain(
      'must be an exact role ARN, without wildcards',
    );
    expect(reasonOf({ infrastructureAsCode: { roleArns: ['arn:aws:iam::111122223333:user/ci'] } })).toContain(
      'must be an IAM role ARN such as arn:aws:iam::111122223333:role/terraform-apply',
    );
    expect(reasonOf({ infrastructureAsCode: { roleArnPatterns: ['arn:aws:iam::*:role/tf-*'] } })).toContain(
      'infrastructureAsCode.roleArnPatterns was removed',
    );
    expect(reasonOf({ infrastructureAsCode: { cloudFormation: true } })).toContain(
      "List the stacks' service role ARNs in infrastructureAsCode.roleArns",
    );
    expect(reasonOf({ infrastructureAsCode: { criticalFollowsMode: ['Not A Rule'] } })).toContain(
      'must be a rule id',
    );
  });

  /** The sample change (tcp/22 or another port to 0.0.0.0/0) made by a session of `roleArn`. */
  function iacEvent(port = 443, roleArn = TF_ROLE) {
    const event = sampleEvent({ port }) as {
      detail: { userIdentity: { sessionContext: { sessionIssuer: Record<string, unknown> } } };
    };
    event.detail.userIdentity.sessionContext.sessionIssuer.arn = roleArn;
    return event;
  }
  const withIac = (settings: Record<string, unknown> = {}) =>
    configWith({ infrastructureAsCode: { roleArns: [TF_ROLE], ...settings } });

  it('an IaC change gets a ticket instead of a revert, per guardrail configurable', () => {
    const byDefault = decideEvent(withIac(), iacEvent());
    expect(byDefault.action).toBe('ticket');
    expect(byDefault.decisionReason).toBe(
      `rules.sg-open-ingress.mode = revert; infrastructure-as-code change by role ${TF_ROLE} (listed in infrastructureAsCode.roleArns): infrastructureAsCode.mode = ticket replaces revert`,
    );
    expect(decideEvent(withIac({ rules: { 'sg-open-ingress': 'revert' } }), iacEvent()).action).toBe(
      'revert',
    );
    expect(decideEvent(withIac({ mode: 'alert' }), iacEvent()).action).toBe('alert');
    expect(decideEvent(withIac({ mode: 'off' }), iacEvent()).action).toBe('none');
    // Not configured: reverted like anyone's change.
    expect(decideEvent(configWith({}), iacEvent()).action).toBe('revert');
  });

  it('a critical exposure by IaC is reverted, unless the guardrail opts in (criticalFollowsMode)', () => {
    const critical = decideEvent(withIac(), iacEvent(22));
    expect(critical.severity).toBe('critical');
    expect(critical.action).toBe('revert');
    expect(critical.decisionReason).toContain(
      'critical exposure by infrastructure as code (role arn:aws:iam::111122223333:role/platform/terraform-apply (listed in infrastructureAsCode.roleArns)): reverted all the same (infrastructureAsCode.criticalFollowsMode does not list sg-open-ingress)',
    );
    const optedIn = decideEvent(withIac({ criticalFollowsMode: ['sg-open-ingress'] }), iacEvent(22));
    expect(optedIn.action).toBe('ticket');
    // Opting in another guardrail changes nothing here.
    expect(decideEvent(withIac({ criticalFollowsMode: ['vpc-peering'] }), iacEvent(22)).action).toBe(
      'revert',
    );
  });

  it('only revert is replaced: an IaC change under mode alert is alerted', () => {
    expect(
      decideEvent(
        configWith({
          rules: { 'sg-open-ingress': { mode: 'alert' } },
          infrastructureAsCode: { roleArns: [TF_ROLE] },
        }),
        iacEvent(),
      ).action,
    ).toBe('alert');
  });
});
